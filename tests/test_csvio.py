"""Reading CSV: Polars' own reader where records are lines, the line-finding reader else."""

from __future__ import annotations

import tempfile
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from revcli.data.csvio import _WIDE_PADDING, _decode, _read_native, read_csv
from revcli.data.csvlines import read_csv_text


def _read(tmp_path: Path, content: bytes) -> tuple[pl.DataFrame | None, list[str]]:
    path = tmp_path / "f.csv"
    path.write_bytes(content)
    frame, issues = read_csv(path, "f.csv")
    return frame, [str(i) for i in issues]


def _cells(frame: pl.DataFrame | None) -> list[tuple[object, ...]]:
    assert frame is not None
    return frame.drop("_source").rows()


def test_clean_file_is_read_natively_with_record_lines(tmp_path: Path) -> None:
    # BOM, CRLF, a quoted comma, an escaped quote and padded cells: still one record
    # per line, so Polars reads it and record i (0-based) sits on line i + 2.
    content = b'\xef\xbb\xbfid,name\r\nA,"Acme, AS"\r\nB,"Say ""hi"""\r\n C ,\r\n'
    assert _read_native(content.removeprefix(b"\xef\xbb\xbf"), "f.csv") is not None
    frame, issues = _read(tmp_path, content)
    assert issues == []
    assert _cells(frame) == [("A", "Acme, AS", 2), ("B", 'Say "hi"', 3), ("C", None, 4)]


def test_unquoted_file_is_read_natively_and_padding_is_stripped(tmp_path: Path) -> None:
    # No quote in the body: the commas alone show every row is full. Cells padded with
    # a space, a tab or a no-break space (U+00A0, bytes c2 a0) are stripped; a cell of
    # padding only is null, like an empty one.
    content = b"id,name,note\n A ,x\t,\nB,\xc2\xa0y,  \n"
    assert _read_native(content, "f.csv") is not None
    frame, issues = _read(tmp_path, content)
    assert issues == []
    assert _cells(frame) == [("A", "x", None, 2), ("B", "y", None, 3)]


def test_last_line_with_one_empty_field_too_many_is_reported(tmp_path: Path) -> None:
    # Polars alone would take "1,2," as the two cells 1 and 2 when no line break ends
    # the file; it is a row of three fields under a header of two.
    for content in (b"a,b\n1,2\n1,2,", b'a,b\n"1",2\n1,2,'):
        _, issues = _read(tmp_path, content)
        assert issues == ["f.csv:3: row has 3 fields, the header has 2; check commas"]


def test_blank_lines_inside_keep_the_lines_of_later_records(tmp_path: Path) -> None:
    # line 1 header, 2 A, 3 blank, 4 spaces only, 5 B, 6-7 blank at the end
    frame, issues = _read(tmp_path, b"id,name\nA,x\n\n   \nB,y\n\n\n")
    assert issues == []
    assert _cells(frame) == [("A", "x", 2), ("B", "y", 5)]


def test_quoted_line_break_keeps_the_line_where_each_record_starts(tmp_path: Path) -> None:
    frame, _ = _read(tmp_path, b'id,name\nA,"two\nlines"\nB,y\n')
    assert _cells(frame) == [("A", "two\nlines", 2), ("B", "y", 4)]


def test_row_of_empty_cells_is_a_record(tmp_path: Path) -> None:
    # ",," is three empty cells (a record that validation reports), not a blank line
    frame, _ = _read(tmp_path, b"a,b,c\n1,2,3\n,,\n")
    assert _cells(frame) == [("1", "2", "3", 2), (None, None, None, 3)]


def test_short_and_long_rows_are_reported_on_their_lines(tmp_path: Path) -> None:
    _, issues = _read(tmp_path, b"a,b,c\n1,2,3\n1,2\n1,2,3\n1,2,3,4\n")
    assert issues == [
        "f.csv:3: row has 2 fields, the header has 3; check commas",
        "f.csv:5: row has 4 fields, the header has 3; check commas",
    ]


SEMICOLONS = (
    "f.csv:1: the header is one column holding semicolons: the file is separated by "
    "semicolons, and revcli reads CSV separated by commas (in Excel: Save As, CSV UTF-8 "
    "(Comma delimited))"
)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        # Excel's CSV in Norway: semicolons, decimal commas (a row per "ragged" row before)
        (b"Kunde;Pris\n9001;1.234,50\n9002;500,00\n", SEMICOLONS),
        # no comma anywhere: read as one column before, then every column "missing"
        (b"Kunde;Navn\n9001;Nordlys AS\n", SEMICOLONS),
        (b"Kunde\tPris\n9001\t1,5\n", SEMICOLONS.replace("semicolons", "tabs")),
        # a JSON export given to a CSV import
        (
            b'{"data": [\n  {"id": "sub_1", "items": [1, 2]}\n]}\n',
            "f.csv:1: the file holds JSON (it starts with '{'); expected CSV",
        ),
    ],
)
def test_a_file_that_is_no_comma_separated_csv_is_one_problem(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    frame, issues = _read(tmp_path, content)
    assert (frame, issues) == (None, [expected])


def test_a_csv_of_one_column_still_reads(tmp_path: Path) -> None:
    frame, issues = _read(tmp_path, b"customer_id\nC1\nC2\n")
    assert issues == []
    assert _cells(frame) == [("C1", 2), ("C2", 3)]


def test_short_row_balanced_by_quoted_commas_is_still_short(tmp_path: Path) -> None:
    # 6 commas in the body: 2 per full row, but two of them sit inside a quoted cell.
    _, issues = _read(tmp_path, b'a,b,c\n1,"x,,y",3\n1,2\n1,2,3\n')
    assert issues == ["f.csv:3: row has 2 fields, the header has 3; check commas"]


def test_old_mac_line_ends_are_lines(tmp_path: Path) -> None:
    frame, _ = _read(tmp_path, b"id,name\rA,x\rB,y\r")
    assert _cells(frame) == [("A", "x", 2), ("B", "y", 3)]


def test_bad_byte_is_reported_on_its_line(tmp_path: Path) -> None:
    _, issues = _read(tmp_path, b"id,name\nA,x\nB,Bj\xf8rn\n")
    assert issues == ["f.csv:3: byte 0xf8 is not UTF-8; save the file as UTF-8"]


def test_quoted_cell_padded_on_the_last_line_is_malformed_as_on_any_line(
    tmp_path: Path,
) -> None:
    # '"" ' (a space after the closing quote) is malformed; on the last line too, where
    # the padding of the file's end is not a blank line to skip.
    for content in (b'h,i\n1,"" ', b'h,i\n1,"" \n\n', b'h,i\n1,"" \n2,3\n'):
        _, issues = _read(tmp_path, content)
        assert issues == ["f.csv:2: malformed CSV: ',' expected after '\"'"], content


def test_wide_padding_bytes_lead_every_wide_character_polars_strips() -> None:
    # Every character beyond ASCII that strip_chars takes off a cell (Unicode
    # White_Space): its UTF-8 encoding starts with one of the bytes the native reader
    # looks for before it strips only the columns with a space at an end.
    chars = pl.Series([chr(c) for c in range(0x80, 0x110000) if not 0xD800 <= c <= 0xDFFF])
    stripped = chars.filter(chars.str.strip_chars() == "")
    assert stripped.len() > 0
    leads = {c.encode("utf-8")[:1] for c in stripped}
    assert leads <= set(_WIDE_PADDING)
    assert {chr(c) for c in (0x85, 0xA0, 0x1680, 0x2000, 0x2028, 0x205F, 0x3000)} <= set(stripped)


def test_only_columns_with_padding_or_empty_quoted_cells_change(tmp_path: Path) -> None:
    # Norwegian letters (c3 xx) are no padding: the space after "Bjørn" is found by its
    # column alone; '""' in a file without spaces is null like an empty cell.
    frame, issues = _read(tmp_path, "id,name,x\nA,Bjørn ,1\nB,Åse,2\n".encode())
    assert issues == []
    assert _cells(frame) == [("A", "Bjørn", "1", 2), ("B", "Åse", "2", 3)]
    frame, issues = _read(tmp_path, b'id,name\nA,""\n"",x\n')
    assert issues == []
    assert _cells(frame) == [("A", None, 2), (None, "x", 3)]


def test_unbalanced_quote_is_malformed(tmp_path: Path) -> None:
    _, issues = _read(tmp_path, b'id,name\nA,"open\nB,y\n')
    assert issues == ["f.csv:2: malformed CSV: unexpected end of data"]


# A cell: mostly plain, sometimes text that needs quoting (written quoted or, to make
# broken files too, now and then bare). Plain text is ASCII with spaces in some files
# (where only space-padded columns are stripped) and has any padding in others.
_PLAINS = (
    st.text(alphabet=["a", "b", " "], max_size=3),
    st.text(alphabet=["a", "b", "é", " ", "\t", "\u00a0"], max_size=3),
)
_SPECIAL = st.text(alphabet=["a", " ", ",", '"', "\n", "\r"], max_size=4)


@st.composite
def _csv_files(draw: st.DrawFn) -> bytes:
    width = draw(st.sampled_from([1, 2, 2, 3, 3, 4]))
    plain = draw(st.sampled_from(_PLAINS))
    any_cell = st.integers(0, 14).flatmap(lambda k: _SPECIAL if k == 0 else plain)
    newline = draw(st.sampled_from(["\n", "\n", "\r\n", "\r"]))

    def cell(text: str) -> str:
        needs = any(c in text for c in ',"\n\r') or text != text.strip()
        if needs and draw(st.integers(0, 19)) > 0:
            return '"' + text.replace('"', '""') + '"'
        return text

    header = [f"c{i}" for i in range(width)]
    lines = [",".join(header)]
    for _ in range(draw(st.integers(0, 6))):
        if draw(st.integers(0, 19)) == 0:
            lines.append(draw(st.sampled_from(["", "  ", "\t"])))
            continue
        fields = width + draw(st.sampled_from([0] * 18 + [-1, 1]))
        lines.append(",".join(cell(draw(any_cell)) for _ in range(max(fields, 1))))
    text = newline.join(lines) + draw(st.sampled_from(["", newline, newline * 2]))
    data = text.encode("utf-8")
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data
    if draw(st.integers(0, 19)) == 0:
        at = draw(st.integers(0, len(data)))
        data = data[:at] + b"\xff" + data[at:]
    return data


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_csv_files())
# A blank line (no commas) and a row with one comma too many balance each other in a
# count of the whole file's commas; checked line by line they do not.
@example(b"c0,c1\n,\n\n,\n,\n,,\n")
@example(b'c0,c1\n"a",\n\n,\n,\n,,\n')
# Quotes inside bare cells (a line with an odd number of them, or quotes that end
# nowhere near a comma), and a short row whose only cell holds the missing comma.
@example(b'h,i\na"b,c\nd"e,f\n')
@example(b'h,i\na"b"c,d\n')
# Quotes inside bare cells that pair up across a comma: still two bare cells.
@example(b'h,i\na"b,c"d\n')
@example(b'h,i\na"b,c"d\n\nx,y\n')
@example(b'h,i\n"a"b,c\n')
@example(b'h,i,j\n"a,b",c\n1,2,3\n')
# Byte lengths show full rows only when no cell holds a quote; else commas are counted.
@example(b'h,i,j\r\n"a",b,c\r\n1,2\r\n')
@example(b'h,i\n"a""b",c\n"x,y"\n')
@example(b'h,i\n"a""b",c\n"x,y",\n')
# Polars takes a last line with one empty field too many when no line break ends it.
@example(b"c0,c1\n1,2\n1,2,")
@example(b"c0,c1\n1,2\n1,2,  \r\n\n")
@example(b'c0,c1\n"1",2\n1,\n1,2,')
@example(b"c0,c1\n\n1,2,")
# Padding other than spaces: tab, vertical tab, form feed, no-break space.
@example(b"c0,c1\n\ta,b\x0b\n\x0cc,d\xc2\xa0\n")
# ASCII with spaces: only columns with a cell that starts or ends with one are stripped.
@example(b'c0,c1,c2\n a,b,"x, y"\n"x, y",c ,z\n')
@example(b'c0,c1\n"a, b",x\n" ",y\n')
# Quoted cells that are empty or only spaces are null, like unquoted empty cells.
@example(b'c0,c1\n"",x\n" ",y\n')
@example(b'c0,c1\n"","a, b"\nx,\n')
@example(b'c0,c1\n"",x\n"a",\n')
# A quoted cell with a space after it at the very end of the file is malformed.
@example(b'c0,c1\n1,"" ')
@example(b'c0,c1\r\n1,"a" \r\n\r\n')
# Cells that hold doubled quotes: their quotes count in the commas' byte count.
@example(b'c0,c1,c2\n"a""b",",",c\n1,2\n')
def test_native_reader_changes_nothing(content: bytes) -> None:
    """Whatever the file, reading it gives what the line-finding reader alone gives:
    the same frame (cells and lines) or the same problems."""
    text, expected_issues = _decode(content, "f.csv")
    expected: pl.DataFrame | None = None
    if text is not None:
        expected, expected_issues = read_csv_text(text, "f.csv")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "f.csv"
        path.write_bytes(content)
        frame, issues = read_csv(path, "f.csv")
    assert [str(i) for i in issues] == [str(i) for i in expected_issues]
    if expected is None:
        assert frame is None
    else:
        assert frame is not None
        assert_frame_equal(frame, expected)


def test_each_empty_column_name_is_reported_once_at_its_position(tmp_path: Path) -> None:
    # customer_id,name,country,, : columns 4 and 5 (counted from 1) have no name; a cell
    # quoted empty ("") and one spanning two lines (the state-machine reader) the same.
    _, issues = _read(tmp_path, b"customer_id,name,country,,\nC1,A,NO,,\n")
    assert issues == [
        "f.csv:1: column 4 of the header has no name",
        "f.csv:1: column 5 of the header has no name",
    ]
    _, issues = _read(tmp_path, b'id,"",name\nC1,"x\ny",A\n')
    assert issues == ["f.csv:1: column 2 of the header has no name"]
