"""Settings are checked like data (issue 8, item 1): every numeric setting has the range of
the column it stands in for, and nothing ``validate`` accepts makes ``invoice issue``
write a register that ``invoice check`` rejects."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from revcli.billing.documents import DocumentFiles
from revcli.billing.issue import issue_invoices
from revcli.billing.register import check_register
from revcli.checks import check_data_dir, load_dataset
from revcli.scaffold import scaffold
from tests.conftest import Run

SETTINGS = """\
company:
  name: Fjordsoft AS
  country: NO
  vat_id: NO921111118MVA
  address: "Storgata 1\\n0155 Oslo"
  email: billing@example.no
  bank_account: "1503.11.11118"
base_currency: NOK
locale: {locale}
invoice:
  number_format: "{number_format}"
  payment_terms_days: {terms}
  default_tax_rate: {tax}
renewals:
  default_notice_days: {notice}
"""


def settings_text(**values: str) -> str:
    base = {
        "locale": "nb_NO",
        "number_format": "{year}-{seq:05d}",
        "terms": "14",
        "tax": "25",
        "notice": "30",
    }
    return SETTINGS.format(**{**base, **values})


@pytest.mark.parametrize(
    ("where", "value", "message"),
    [
        (("tax", 13), "-25", "'-25' must be between 0 and 100 (as tax_rate in the data)"),
        (("tax", 13), "500", "'500' must be between 0 and 100 (as tax_rate in the data)"),
        (
            ("tax", 13),
            "1" * 53,
            f"'{'1' * 53}' is too large; at most 28 digits before the decimal point "
            "(as tax_rate in the data)",
        ),
        (
            ("tax", 13),
            "12.12345678901",  # 11 decimals; data cells take at most 10
            "'12.12345678901' has more than 10 decimal places (as tax_rate in the data)",
        ),
        (
            ("terms", 12),
            "3651",
            "'3651' must be between 0 and 3650 (as payment_terms_days in the data)",
        ),
        (
            ("terms", 12),
            "-1",
            "'-1' must be between 0 and 3650 (as payment_terms_days in the data)",
        ),
        (("notice", 15), "9999", "'9999' must be between 0 and 3650 (as notice_days in the data)"),
    ],
)
def test_numeric_settings_have_the_range_of_their_column(
    tmp_path: Path, run: Run, where: tuple[str, int], value: str, message: str
) -> None:
    key, line = where
    root = tmp_path / "data"
    scaffold(root)
    (root / "revcli.yaml").write_text(settings_text(**{key: value}), encoding="utf-8")
    result = run("validate", "--data", root)
    assert result.exit_code == 1
    setting = {
        "tax": "invoice.default_tax_rate",
        "terms": "invoice.payment_terms_days",
        "notice": "renewals.default_notice_days",
    }[key]
    assert result.stdout == f"{root}/revcli.yaml:{line}: {setting}: {message}\n"


def test_boundaries_of_the_ranges_are_accepted(tmp_path: Path, run: Run) -> None:
    root = tmp_path / "data"
    scaffold(root)
    text = settings_text(tax="100", terms="3650", notice="0")
    (root / "revcli.yaml").write_text(text, encoding="utf-8")
    assert run("validate", "--data", root).exit_code == 0


ODD = st.sampled_from(["", "+5", "1e2", "NaN", "Infinity", "1" * 40, "٣", "0.00000000001"])
"""Values a hand edit may leave: empty, signed, exponents, NaN, huge, non-ASCII digits."""


def numbers(low: int, high: int) -> st.SearchStrategy[str]:
    """Mostly values in the column's range, some just outside it and some odd ones."""
    return st.one_of(
        st.integers(low, high).map(str),
        st.decimals(low, high, places=2, allow_nan=False, allow_infinity=False).map(str),
        st.integers(low - 50, high + 50).map(str),
        ODD,
    )


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    tax=numbers(0, 100),
    terms=numbers(0, 3650),
    notice=numbers(0, 3650),
    locale=st.sampled_from(["nb_NO", "en_GB", "de_DE", "ja_JP"]),
    number_format=st.sampled_from(["{year}-{seq:05d}", "INV{seq}", "{seq:03d}", "F{year}{seq}"]),
)
@example(tax="-25", terms="14", notice="30", locale="nb_NO", number_format="{year}-{seq:05d}")
@example(tax="500", terms="14", notice="30", locale="nb_NO", number_format="{year}-{seq:05d}")
@example(tax="1" * 53, terms="14", notice="30", locale="nb_NO", number_format="{year}-{seq:05d}")
def test_what_validate_accepts_issue_records_and_check_accepts(
    tax: str, terms: str, notice: str, locale: str, number_format: str
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "data"
        scaffold(root)
        text = settings_text(
            tax=tax, terms=terms, notice=notice, locale=locale, number_format=number_format
        )
        (root / "revcli.yaml").write_text(text, encoding="utf-8")
        if any(i.is_error for i in check_data_dir(root)):
            return  # refused up front: nothing can be issued
        data = load_dataset(root)
        files = DocumentFiles(data.settings, root, ["md", "xml"])
        month = dt.date(2026, 1, 1)
        result = issue_invoices(data, month, month, files, on=month, today=month)
        assert result.issued
        assert check_register(root) == []


@pytest.mark.parametrize(
    "email",
    [
        '"a@b.no\\r\\nX-Evil: 1"',
        '"billing at example.no"',
        '"a@b.no, c@d.no"',
        '"a@b.no\\e[2J\\0"',  # an escape sequence and a NUL
        '"a\\u200b@b.no"',  # a zero-width space
        '"<a@b.no>"',
        '"a@b.no;x"',
        '"a@b..no"',
    ],
)
def test_company_email_is_one_address(tmp_path: Path, run: Run, email: str) -> None:
    # The company e-mail goes into calendar UIDs and invoices: a line break in it would
    # start a new iCalendar property; a second address or none at all is a typo.
    root = tmp_path / "d"
    scaffold(root)
    path = root / "revcli.yaml"
    text = path.read_text(encoding="utf-8")
    line = next(i for i, s in enumerate(text.splitlines(), 1) if s.strip().startswith("email:"))
    path.write_text(
        "\n".join(
            f"  email: {email}" if i == line else s for i, s in enumerate(text.splitlines(), 1)
        )
        + "\n",
        encoding="utf-8",
    )
    result = run("validate", "--data", root)
    assert result.exit_code == 1
    assert f"{path}:{line}: company.email: expected one e-mail address" in result.stdout


def test_a_list_or_section_where_a_value_belongs_is_named_at_its_key(
    tmp_path: Path, run: Run
) -> None:
    # Each problem stands on the line of its key, counted by hand in the text below; a
    # list or a section has no value of its own to point at, so its key's line is used
    # (formats: on 8, not its items on 9-10; number_format: on 11, not its item on 12).
    root = tmp_path / "d"
    scaffold(root)
    path = root / "revcli.yaml"
    path.write_text(
        "company: [1, 2]\n"  # 1
        "renewals: {default_notice_days: [1]}\n"  # 2
        "base_currency: [NOK]\n"  # 3
        "locale: {a: 1}\n"  # 4
        "metrics:\n"  # 5
        "  policy: {a: 1}\n"  # 6
        "invoice:\n"  # 7
        "  formats:\n"  # 8
        "    - html\n"  # 9
        "    - exe\n"  # 10
        "  number_format:\n"  # 11
        '    - "a"\n',  # 12
        encoding="utf-8",
    )
    result = run("validate", "--data", root)
    assert result.exit_code == 1
    expected = [
        "1: company: expected a section of settings (key: value)",
        "3: base_currency: expected a single value",
        "4: locale: expected a single value",
        "8: invoice.formats: expected a list of distinct formats",
        "11: invoice.number_format: expected a single value",
        "2: renewals.default_notice_days: expected a single value",
        "6: metrics.policy: expected a single value",
    ]
    assert [e for e in expected if f"{path}:{e}" not in result.stdout] == [], result.stdout
    assert f"{path}: " not in result.stdout  # no message without a line
