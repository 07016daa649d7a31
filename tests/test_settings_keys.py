"""An unknown key anywhere in ``revcli.yaml`` is a warning with the closest known key
(QA: a typo in ``invoice:``, ``renewals:``, ``metrics:`` … was silently ignored, so the
default applied)."""

from __future__ import annotations

from revcli.checks import load_dataset
from tests.conftest import MakeDir, Run

FILES = {
    "customers.csv": "customer_id,name\nA,Acme AS\n",
    "contracts.csv": "contract_id,customer_id,start_date\nC1,A,2026-01-01\n",
    "contract_lines.csv": "contract_id,product,unit_price\nC1,LIC,100\n",
}

TYPOS = """\
company:
  name: Test AS
  contry: NO
base_currency: NOK
invoce:
  default_tax_rate: 0
invoice:
  payment_term_days: 10
renewals:
  default_notice_day: 90
metrics:
  grian: customer
cohorts:
  min_customer: 3
forecast:
  months: 3
webhook_url: https://example.com
"""

# By hand, line by line: each key one letter off a known key of its section gets that
# key as the suggestion; `invoce:` (line 5) is a section, named at its key. `months` is
# too far from forecast's only key, `run_rate_months`, and `webhook_url` from every
# top-level key, so those list what is known instead.
TOP = (
    "company, base_currency, locale, invoice, renewals, metrics, reminders, risk, cohorts, forecast"
)
EXPECTED = [
    "warning: revcli.yaml:3: company.contry: unknown setting; did you mean 'country'?",
    "warning: revcli.yaml:5: invoce: unknown setting; did you mean 'invoice'?",
    "warning: revcli.yaml:8: invoice.payment_term_days: unknown setting; did you mean 'payment_terms_days'?",
    "warning: revcli.yaml:10: renewals.default_notice_day: unknown setting; did you mean 'default_notice_days'?",
    "warning: revcli.yaml:12: metrics.grian: unknown setting; did you mean 'grain'?",
    "warning: revcli.yaml:14: cohorts.min_customer: unknown setting; did you mean 'min_customers'?",
    "warning: revcli.yaml:16: forecast.months: unknown setting; expected one of run_rate_months",
    f"warning: revcli.yaml:17: webhook_url: unknown setting; expected one of {TOP}",
]


def test_unknown_keys_in_every_section_are_warnings(make_data_dir: MakeDir) -> None:
    root = make_data_dir(FILES, settings=TYPOS)
    shown = sorted(
        (str(w).replace(f"{root}/", "") for w in load_dataset(root).warnings),
        key=lambda text: int(text.split(":")[2]),
    )
    assert shown == EXPECTED


def test_validate_shows_them_and_still_passes(run: Run, make_data_dir: MakeDir) -> None:
    root = make_data_dir(FILES, settings=TYPOS)
    result = run("validate", "--data", root)
    assert result.exit_code == 0, result.stdout
    assert sorted(result.stdout.replace(f"{root}/", "").splitlines()) == sorted(EXPECTED)


def test_every_key_revcli_reads_is_known(make_data_dir: MakeDir) -> None:
    # Every documented setting once (docs/rules.md "Settings", metrics-policy.md,
    # retention.md, renewals.md): no warning at all.
    settings = """\
company:
  name: Test AS
  country: NO
  vat_id: NO999999999MVA
  address: Storgata 1
  email: billing@example.no
  bank_account: "1234.56.78903"
  iban: NO9386011117947
  bic: DNBANOKK
base_currency: NOK
locale: nb_NO
invoice:
  number_format: "{year}-{seq:05d}"
  payment_terms_days: 14
  default_tax_rate: 25
  template: templates/invoice.html.liquid
  formats: [html, xml]
renewals:
  default_notice_days: 30
metrics:
  policy: revcli
  version: "1"
  reactivation_window_days: 90
  free_to_paid: new
  fx: booking
  grain: product
cohorts:
  min_customers: 5
forecast:
  run_rate_months: 6
reminders:
  lead_days: [90, 30, 7]
  from: revenue@example.no
risk:
  usage:
    weight: 30
"""
    root = make_data_dir(FILES, settings=settings)
    assert load_dataset(root).warnings == ()
