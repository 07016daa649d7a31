"""The Liquid machinery invoices and reminders share: finding templates, strict errors
naming FILE:LINE:COLUMN (the included file's when the error is in an include)."""

from __future__ import annotations

from pathlib import Path

import pytest
from liquid.exceptions import FilterArgumentError

from revcli.template_filters import wrap_filter
from revcli.templating.files import TemplateError, find_template, shipped_templates
from revcli.templating.load import load_template


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_an_error_in_an_included_template_names_the_included_file(tmp_path: Path) -> None:
    main = write(tmp_path, "main.txt.liquid", "top\n{% include 'part.liquid' %}\n")
    part = write(tmp_path, "part.liquid", "one\ntwo {{ missing }}\n")
    template = load_template(main, autoescape=False)
    with pytest.raises(TemplateError) as info:
        template.render({})
    # Line 2 of part.liquid, column 8: where `missing` starts in "two {{ missing }}".
    assert str(info.value) == f"{part}:2:8: 'missing' is undefined"


def test_an_error_in_the_template_itself_names_it_as_given(tmp_path: Path) -> None:
    main = write(tmp_path, "main.txt.liquid", "a\n  {{ x.y }}\n")
    with pytest.raises(TemplateError) as info:
        load_template(main, autoescape=False).render({"x": {}})
    assert str(info.value) == f"{main}:2:6: x.y is undefined"  # "  {{ x.y }}": x at 6


def test_a_missing_template_is_a_template_error(tmp_path: Path) -> None:
    with pytest.raises(TemplateError) as info:
        load_template(tmp_path / "nope.liquid", autoescape=False)
    assert str(info.value) == f"{tmp_path / 'nope.liquid'}: template not found"


def test_the_default_template_falls_back_to_the_shipped_copy(tmp_path: Path) -> None:
    default = "templates/reminder.txt.liquid"
    assert find_template(tmp_path, default, default) == shipped_templates() / "reminder.txt.liquid"
    own = write(tmp_path, "reminder.txt.liquid", "mine")
    assert find_template(tmp_path, "reminder.txt.liquid", "reminder.txt.liquid") == own
    # A configured name that is not the default is never replaced by revcli's copy.
    assert find_template(tmp_path, "mail/x.liquid", default) == tmp_path / "mail/x.liquid"


def test_shared_filters_are_in_every_template(tmp_path: Path) -> None:
    main = write(tmp_path, "t.liquid", "{{ 'a|b' | md }}|{{ 'x' | ljust: 3 }}|{{ 'y' | rjust: 3 }}")
    assert load_template(main, autoescape=False).render({}) == "a\\|b|x  |  y"


@pytest.mark.parametrize("width", ['"abc"', "-1", "1.5", "1001", '""'])
@pytest.mark.parametrize("name", ["ljust", "rjust"])
def test_a_padding_width_that_is_not_a_small_whole_number_is_a_template_error(
    tmp_path: Path, name: str, width: str
) -> None:
    main = write(tmp_path, "t.txt.liquid", f"{{{{ 'x' | {name}: {width} }}}}\n")
    with pytest.raises(TemplateError) as info:
        load_template(main, autoescape=False).render({})
    # Column 10: where the filter's name starts in "{{ 'x' | ljust: …".
    shown = width.strip('"')
    assert str(info.value) == (
        f"{main}:1:10: {name}: the width must be a whole number from 0 to 1000, found '{shown}'"
    )


def test_a_template_that_is_not_utf8_names_the_file_and_line(tmp_path: Path) -> None:
    main = tmp_path / "t.txt.liquid"
    main.write_bytes("top\ncaf\xe9\n".encode("latin-1"))
    with pytest.raises(TemplateError) as info:
        load_template(main, autoescape=False)
    assert str(info.value) == (
        f"{main}:2: the template is not UTF-8 text (byte 0xe9); save it as UTF-8"
    )


def test_an_included_template_that_is_not_utf8_names_the_included_file(tmp_path: Path) -> None:
    main = write(tmp_path, "t.txt.liquid", "{% include 'part.liquid' %}\n")
    part = tmp_path / "part.liquid"
    part.write_bytes(b"\xff\n")
    with pytest.raises(TemplateError) as info:
        load_template(main, autoescape=False).render({})
    assert str(info.value) == (
        f"{part}:1: the template is not UTF-8 text (byte 0xff); save it as UTF-8"
    )


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        # −200.15 as revcli hands it to templates (a Decimal); each result worked by hand.
        ("x | abs", "200.15"),
        ("x | times: 2", "-400.30"),
        ("x | plus: 1", "-199.15"),
        ("x | minus: 0.1", "-200.25"),
        ("x | divided_by: 5", "-40.03"),
        ("x | round: 1", "-200.2"),  # half away from zero: −200.15 → −200.2
        ("x | round", "-200"),
        ("x | ceil", "-200"),
        ("x | floor", "-201"),
        ("x | at_least: 5", "5"),
        ("x | at_most: 5", "-200.15"),
        ("x | modulo: 7", "-4.15"),  # −200.15 = −28 × 7 − 4.15 (the sign of the dividend)
        ("3 | times: 2", "6"),  # whole numbers as in Liquid
    ],
)
def test_math_filters_compute_decimal_amounts_exactly(
    tmp_path: Path, expression: str, expected: str
) -> None:
    from decimal import Decimal

    main = write(tmp_path, "main.txt.liquid", f"{{{{ {expression} }}}}")
    # python-liquid alone takes a Decimal as 0 in its math filters: `abs` printed 0.
    assert load_template(main, autoescape=False).render({"x": Decimal("-200.15")}) == expected


def test_a_math_filter_refuses_text_that_is_not_a_number(tmp_path: Path) -> None:
    from decimal import Decimal

    main = write(tmp_path, "main.txt.liquid", '{{ x | times: "two" }}')
    with pytest.raises(TemplateError) as info:
        load_template(main, autoescape=False).render({"x": Decimal("1.5")})
    assert str(info.value) == f"{main}:1:8: times: 'two' is not a number"


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        # 10^100000000 digits would take minutes and gigabytes: refused before any work.
        ("round: 100000000", "round: the places must be from 0 to 28, found 100000000"),
        ("round: -2", "round: the places must be from 0 to 28, found -2"),
        ('times: "1e999999999"', "times: '1e999999999' is out of range (10^-28 to 10^28)"),
        ('divided_by: "1e-30"', "divided_by: '1e-30' is out of range (10^-28 to 10^28)"),
    ],
)
def test_a_math_filter_refuses_a_hostile_size_at_once(
    tmp_path: Path, argument: str, message: str
) -> None:
    from decimal import Decimal

    main = write(tmp_path, "main.txt.liquid", f"{{{{ x | {argument} }}}}")
    with pytest.raises(TemplateError) as info:
        load_template(main, autoescape=False).render({"x": Decimal("1.5")})
    assert str(info.value) == f"{main}:1:8: {message}"


def test_whole_numbers_have_the_same_bound(tmp_path: Path) -> None:
    # Squared by assign in a loop, a whole number grew to 20 × 2^8 = 5,120 digits, and
    # printing it was an internal error (Python prints at most 4,300 digits of an int).
    text = (
        "{% assign x = 99999999999999999999 %}\n"
        "{% for i in (1..8) %}{% assign x = x | times: x %}{% endfor %}{{ x }}"
    )
    main = write(tmp_path, "main.txt.liquid", text)
    with pytest.raises(TemplateError) as info:
        load_template(main, autoescape=False).render({})
    # The first squaring makes about 10^40, beyond 10^28: it stops at `times`, which
    # starts at column 40 of line 2 (21 characters of the for tag, then 18 before it).
    assert str(info.value) == f"{main}:2:40: times: the result is out of range (10^-28 to 10^28)"
    # Up to the bound they are Liquid's: 10^28 + 1 is printed in full.
    main.write_text("{{ 9999999999999999999999999999 | plus: 2 }}", encoding="utf-8")
    assert load_template(main, autoescape=False).render({}) == "10000000000000000000000000001"


@pytest.mark.parametrize("value", ['"nan"', '"inf"', '"-inf"', '"1e400"'])
def test_a_math_result_that_is_no_number_is_an_error(tmp_path: Path, value: str) -> None:
    # Liquid reads these texts as floats and printed "nan" or "inf" for the sum. The
    # filter is named at its column: "{{ ", the value, " | ", then "plus".
    main = write(tmp_path, "main.txt.liquid", f"{{{{ {value} | plus: 1 }}}}")
    with pytest.raises(TemplateError) as info:
        load_template(main, autoescape=False).render({})
    assert str(info.value) == f"{main}:1:{len(value) + 7}: plus: the result is not a number"
    # A number in text is still Liquid's to add: "1.5" plus 1 is 2.5.
    main.write_text('{{ "1.5" | plus: 1 }}', encoding="utf-8")
    assert load_template(main, autoescape=False).render({}) == "2.5"


# --- wrap -------------------------------------------------------------------------------------

X38, Y39 = "x" * 38, "y" * 39  # 38 + a space + 39 = 78


@pytest.mark.parametrize(
    ("text", "width", "column", "wrapped"),
    [
        ("", 78, 0, ""),
        ("   \n ", 78, 0, ""),
        (f"{X38} {Y39}", 78, 0, f"{X38} {Y39}"),  # exactly 78: one line
        (f"{X38} {Y39}y", 78, 0, f"{X38}\n{Y39}y"),  # 79: the last word moves down
        ("z" * 100, 78, 0, "z" * 78 + "\n" + "z" * 22),  # a word wider than the line is cut
        ("z" * 156, 78, 0, "z" * 78 + "\n" + "z" * 78),  # … into whole lines, none empty
        ("a " + "z" * 80, 78, 0, "a\n" + "z" * 78 + "\nzz"),  # on a line of its own
        ("a   b\n\tc  ", 78, 0, "a b c"),  # runs of white space are one space
        ("ø" * 39 + " " + "Å" * 38, 78, 0, "ø" * 39 + " " + "Å" * 38),  # 78 letters
        ("ø" * 39 + " " + "Å" * 39, 78, 0, "ø" * 39 + "\n" + "Å" * 39),  # 79: wraps
        ("a 1\xa0000,00\xa0kr", 11, 0, "a\n1\xa0000,00\xa0kr"),  # never at a no-break space
        ("one two three", 10, 4, "one\n    two\n    three"),  # 6 a line after column 4
        ("one two three", 11, 4, "one two\n    three"),  # "one two" is 7
        ("z" * 100, 78, 2, "z" * 76 + "\n  " + "z" * 24),
        ("loven § 6-22.", 8, 0, "loven\n§ 6-22."),  # a section sign keeps its number
        ("a §§ 3-1 b", 6, 0, "a\n§§ 3-1\nb"),
    ],
)
def test_wrap_breaks_text_between_words_within_the_width(
    text: str, width: int, column: int, wrapped: str
) -> None:
    assert wrap_filter(text, width, column) == wrapped


def test_wrap_in_a_template_lines_up_under_its_first_line(tmp_path: Path) -> None:
    main = write(tmp_path, "t.txt.liquid", "{{ 'Reason:' | ljust: 8 }}{{ r | wrap: 20, 8 }}\n")
    text = load_template(main, autoescape=False).render({"r": "a price that was wrong"})
    # 12 a line after column 8: "a price that" (12), "was wrong".
    assert text == "Reason: a price that\n        was wrong\n"


@pytest.mark.parametrize(
    ("width", "column", "message"),
    [
        (10, 10, "wrap: the column (10) must be less than the width (10)"),
        (10, 11, "wrap: the column (11) must be less than the width (10)"),
        ("x", 0, "wrap: the width must be a whole number from 0 to 1000, found 'x'"),
        (78, 1001, "wrap: the column must be a whole number from 0 to 1000, found '1001'"),
    ],
)
def test_wrap_refuses_a_column_not_left_of_the_width(
    width: object, column: object, message: str
) -> None:
    with pytest.raises(FilterArgumentError) as info:
        wrap_filter("text", width, column)
    assert str(info.value) == message
