"""Stripe import (SPEC §11) on hand-made fixtures in the API's documented object shapes.

tests/fixtures/stripe/ holds a list object of customers, a list object of subscriptions
and a plain array of products, mixing API versions: `current_period_end` on the
subscription (old) and on items (2025-03-31.basil), a singular `discount.coupon`
(old) and an expanded `discounts[]` entry with `source.coupon` (2025-09-30.clover).
Base currency NOK; fx_rates.csv: EUR 11.50, USD 10.00, JPY 0.07 from 2026-01-01.
Every timestamp is UTC midnight of the day named below.

| subscription   | what it shows                    | line (contract currency)           | MRR NOK        |
| sub_monthly    | monthly, from 2026-01-10         | Pro 1 × 490.00 / month             | 490            |
| sub_yearly     | yearly, cancel_at 2027-03-01     | Pro 1 × 12000.00 / year            | 12000/12=1000  |
|                |  → cancelled_on 2027-02-28       |                                    |                |
| sub_quarter    | 3-month interval, EUR            | Team 1 × 300.00 / quarter          | 100 × 11.5=1150|
| sub_qty        | quantity 5, unit_amount_decimal  | Seat 5 × 99.00 / month, from 04-01 | 495            |
| sub_coupon     | 20 % forever coupon (clover)     | Pro 1 × 100.00, 20 % off, EUR      | 80 × 11.5=920  |
| sub_period_end | cancel at period end (basil:     | Pro 1 × 50.00 USD, from 06-15      | 50 × 10=500    |
|                |  item current_period_end         |  cancelled_on 2027-01-14           |                |
|                |  2027-01-15)                     |                                    |                |
| sub_ended      | canceled, ended_at 2026-04-01    | 1 × 200.00, 2025-10-01..2026-03-31 | 200 until Mar  |
| sub_trial      | trial 2026-11-20 → 2026-12-04    | 1 × 300.00 from 2026-12-04         | 300 from Dec   |
| sub_metered    | licensed + metered item, USD     | 1 × 20.00 USD (metered reported)   | 20 × 10=200    |
| sub_jpy        | zero-decimal JPY: 5000 = ¥5000   | 1 × 5000 JPY from 2026-05-01       | 5000×0.07=350  |
| sub_amount_off | amount-off coupon (reported)     | 1 × 100.00, no discount            | 100            |
| sub_weekly     | weekly price (reported)          | — skipped                          | —              |
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

from revcli.data.csvio import decode
from revcli.importers.plan import plan_import
from revcli.importers.plan_output import write_plan
from revcli.importers.sources import read_stripe_files
from revcli.importers.stripe import import_stripe
from revcli.importers.stripe_objects import StripeObject
from revcli.importers.textfiles import read_yaml_contracts
from tests.conftest import ROOT, Run
from tests.helpers import mrr_of, row

FIXTURES = ROOT / "tests" / "fixtures" / "stripe"
FILES = sorted(FIXTURES.glob("*.json"))
TODAY = dt.date(2026, 12, 6)


def _import(root: Path, *, country: str | None = "SE") -> None:
    batch = import_stripe(read_stripe_files(FILES))
    plan = plan_import(root, batch, today=TODAY, country=country, fx_file=FIXTURES / "fx_rates.csv")
    write_plan(plan)


def _contracts(root: Path) -> dict[str, dict[str, object]]:
    text, _ = decode(root / "contracts" / "stripe.yaml", "stripe.yaml")
    contracts, issues = read_yaml_contracts(text or "", "stripe.yaml")
    assert issues == []
    return {c.values["contract_id"]: {**c.values, "lines": c.lines} for c in contracts}


def test_every_subscription_maps_as_derived_by_hand(tmp_path: Path) -> None:
    root = tmp_path / "data"
    _import(root)
    got = _contracts(root)
    assert sorted(got) == [
        "sub_amount_off",
        "sub_coupon",
        "sub_ended",
        "sub_jpy",
        "sub_metered",
        "sub_monthly",
        "sub_period_end",
        "sub_qty",
        "sub_quarter",
        "sub_trial",
        "sub_yearly",
    ]  # sub_weekly skipped
    line = {cid: c["lines"][0] for cid, c in got.items()}  # type: ignore[index]
    # monthly: unit_amount 49000 øre = 490.00 NOK, month × 1.
    assert got["sub_monthly"]["start_date"] == "2026-01-10"
    assert line["sub_monthly"] == {
        "line_id": "si_monthly",
        "product": "Pro",  # name from products.json
        "quantity": "1",
        "unit_price": "490.00",
        "price_period": "month",
        "source_id": "stripe:si_monthly",
    }
    assert got["sub_monthly"]["source_id"] == "stripe:sub_monthly"
    assert "cancelled_on" not in got["sub_monthly"]
    # yearly, cancel_at 2027-03-01 → last day of service 2027-02-28.
    assert line["sub_yearly"]["price_period"] == "year"
    assert got["sub_yearly"]["billing_period"] == "year"
    assert got["sub_yearly"]["cancelled_on"] == "2027-02-28"
    # 3-month interval → quarter; 30000 cents = 300.00 EUR; currency upper case.
    assert (line["sub_quarter"]["price_period"], line["sub_quarter"]["unit_price"]) == (
        "quarter",
        "300.00",
    )
    assert got["sub_quarter"]["currency"] == "EUR"
    assert line["sub_quarter"]["product"] == "Team"
    # quantity 5 of unit_amount_decimal "9900" = 99.00.
    assert (line["sub_qty"]["quantity"], line["sub_qty"]["unit_price"]) == ("5", "99.00")
    # clover's discounts[].source.coupon: 20 % forever.
    assert line["sub_coupon"]["discount_pct"] == "20"
    # basil: cancel_at_period_end with current_period_end 2027-01-15 on the item.
    assert got["sub_period_end"]["cancelled_on"] == "2027-01-14"
    # ended_at 2026-04-01 → cancelled_on 2026-03-31 (canceled_at 2026-03-10 unused).
    assert got["sub_ended"]["cancelled_on"] == "2026-03-31"
    # the trial ran until 2026-12-04: service that pays starts then.
    assert got["sub_trial"]["start_date"] == "2026-12-04"
    # metered item left out, licensed item kept.
    assert [x["line_id"] for x in got["sub_metered"]["lines"]] == ["si_licensed"]  # type: ignore[attr-defined]
    # JPY is zero-decimal at Stripe: 5000 means ¥5000.
    assert line["sub_jpy"]["unit_price"] == "5000"
    # amount-off coupon is reported, the line keeps its full price.
    assert "discount_pct" not in line["sub_amount_off"]


def test_mrr_of_the_imported_data_by_hand(tmp_path: Path) -> None:
    root = tmp_path / "data"
    _import(root)
    table = mrr_of(root, "2026-01", "2027-03")
    # Jan 2026: monthly 490 (from 01-10) + yearly 1000 + ended 200 + amount_off 100 = 1790.
    assert row(table, "2026-01")["mrr"] == pytest.approx(1790)
    # Mar 2026: + quarter 1150 (Feb) + coupon 920 (Mar) = 1790 + 1150 + 920 = 3860.
    assert row(table, "2026-03")["mrr"] == pytest.approx(3860)
    # Apr 2026: ended churns (−200), seats start (+495): 3860 − 200 + 495 = 4155.
    assert row(table, "2026-04")["mrr"] == pytest.approx(4155)
    assert row(table, "2026-04")["churn"] == pytest.approx(0)  # Delta still has seats
    # Dec 2026: 490 + 1000 + 1150 + 495 + 920 + 500 + 300 + 200 + 350 + 100 = 5505.
    assert row(table, "2026-12")["mrr"] == pytest.approx(5505)
    # Jan 2027: the USD subscription ended 2027-01-14 → −500 = 5005.
    assert row(table, "2027-01")["mrr"] == pytest.approx(5005)
    # Mar 2027: yearly ended 2027-02-28 → −1000 = 4005.
    assert row(table, "2027-03")["mrr"] == pytest.approx(4005)


def test_summary_mrr_before_and_after(tmp_path: Path) -> None:
    root = tmp_path / "data"
    batch = import_stripe(read_stripe_files(FILES))
    plan = plan_import(root, batch, today=TODAY, country="SE", fx_file=FIXTURES / "fx_rates.csv")
    assert plan.mrr_before is None  # no data dir yet
    assert plan.mrr_after == Decimal(5505)
    assert (plan.counts["contracts"].added, plan.counts["lines"].added) == (11, 11)
    assert plan.counts["customers"].added == 5


def test_unsupported_things_are_reported_per_object(tmp_path: Path) -> None:
    batch = import_stripe(read_stripe_files(FILES))
    reports = sorted(str(i) for i in batch.issues)
    source = str(FIXTURES / "subscriptions.json")
    assert reports == [
        f"warning: {source}: sub_amount_off: discount.coupon.amount_off: an amount-off coupon cannot be expressed as a discount_pct; skipped",
        f"warning: {source}: sub_metered: items.data[1].price.recurring.usage_type: a metered price has no fixed MRR; skipped",
        f"warning: {source}: sub_weekly: items.data: no item revcli can express; the subscription is skipped",
        f"warning: {source}: sub_weekly: items.data[0].price.recurring.interval: week × 1 cannot be expressed; revcli takes month × 1, 3, 6 or 12 and year × 1; skipped",
    ]


def test_customers_country_from_address_else_option(tmp_path: Path) -> None:
    root = tmp_path / "data"
    _import(root, country="SE")
    text = (root / "customers.csv").read_text()
    assert "cus_B,Beta GmbH,DE,rechnung@beta.example,stripe:cus_B" in text  # address
    assert "cus_D,Delta AB,SE,ekonomi@delta.example,stripe:cus_D" in text  # --country


def _sub(**extra: object) -> StripeObject:
    data = {
        "id": "sub_x",
        "object": "subscription",
        "customer": {"id": "cus_x", "object": "customer", "name": "X"},
        "currency": "usd",
        "status": "active",
        "start_date": 1767225600,  # 2026-01-01T00:00:00Z
        "items": {
            "object": "list",
            "data": [
                {
                    "id": "si_x",
                    "object": "subscription_item",
                    "quantity": 1,
                    "price": {
                        "id": "price_x",
                        "object": "price",
                        "currency": "usd",
                        "unit_amount": 1000,
                        "product": {"id": "prod_x", "object": "product", "name": "Widget"},
                        "recurring": {"interval": "month", "interval_count": 1},
                    },
                }
            ],
        },
    }
    data.update(extra)
    return StripeObject(data, "x.json")


def test_timezone_turns_timestamps_into_local_days() -> None:
    from zoneinfo import ZoneInfo

    # 2026-01-01T00:00Z is still 2025-12-31 in New York.
    batch = import_stripe([_sub()], ZoneInfo("America/New_York"))
    assert batch.contracts[0].values["start_date"] == "2025-12-31"
    assert import_stripe([_sub()]).contracts[0].values["start_date"] == "2026-01-01"


def test_expanded_customer_and_product_name() -> None:
    batch = import_stripe([_sub()])
    assert batch.customers[0]["customer_id"] == "cus_x"
    assert batch.contracts[0].lines[0]["product"] == "Widget"


def test_a_subscription_whose_items_list_has_more_is_an_error() -> None:
    # Stripe lists the first items of a subscription and "has_more": true when there are
    # more: importing the one item shown would leave the rest out of MRR without a word.
    sub = _sub()
    sub.data["items"]["has_more"] = True  # type: ignore[index]
    batch = import_stripe([sub])
    assert batch.contracts == []
    assert [str(i) for i in batch.issues] == [
        "x.json: sub_x: items.has_more: the subscription lists 1 of its items and says it "
        "has more; save it with every item (Stripe's subscription items, listed in full)"
    ]
    # A complete list says "has_more": false: imported as before.
    sub.data["items"]["has_more"] = False  # type: ignore[index]
    assert [len(c.lines) for c in import_stripe([sub]).contracts] == [1]


def test_once_and_repeating_coupons_are_reported() -> None:
    coupon = {"percent_off": 50, "duration": "repeating", "duration_in_months": 3}
    batch = import_stripe([_sub(discount={"id": "di", "coupon": coupon})])
    assert "discount_pct" not in batch.contracts[0].lines[0]
    assert [str(i) for i in batch.issues] == [
        "warning: x.json: sub_x: discount.coupon.duration: a repeating coupon does not lower MRR for good; skipped"
    ]


def _two_items(coupon_products: list[object]) -> StripeObject:
    """sub_x with two 10.00 items, Widget (prod_x) and Gadget (prod_y, its product an id),
    and a 50 % forever coupon on the subscription limited to ``coupon_products``."""
    sub = _sub()
    items = sub.data["items"]["data"]  # type: ignore[index]
    gadget = json.loads(json.dumps(items[0]))
    gadget["id"] = "si_y"
    gadget["price"]["product"] = "prod_y"
    items.append(gadget)
    coupon = {
        "percent_off": 50,
        "duration": "forever",
        "applies_to": {"products": coupon_products},
    }
    sub.data["discounts"] = [{"id": "di", "source": {"type": "coupon", "coupon": coupon}}]
    return sub


@pytest.mark.parametrize(
    ("products", "discounted"),
    [
        # Limited to prod_y: only si_y (its price's product the id "prod_y") gets 50 %.
        (["prod_y"], {"si_y"}),
        # Limited to prod_x, given as an expanded product: only si_x (expanded too).
        ([{"id": "prod_x", "object": "product"}], {"si_x"}),
        # Both products: both items.
        (["prod_x", "prod_y"], {"si_x", "si_y"}),
    ],
)
def test_a_coupon_limited_to_products_lowers_only_their_items(
    products: list[object], discounted: set[str]
) -> None:
    batch = import_stripe([_two_items(products)])
    assert batch.issues == []
    lines = {x["line_id"]: x.get("discount_pct") for x in batch.contracts[0].lines}
    assert lines == {i: ("50" if i in discounted else None) for i in ("si_x", "si_y")}


def test_a_product_limited_coupon_sets_mrr_of_its_items_only(tmp_path: Path) -> None:
    # Two items of 10.00 USD a month; the 50 % coupon applies to prod_y only:
    # MRR = 10.00 + 10.00 × 50 % = 15.00 USD (it was 10.00: both items discounted).
    # USD at 10 NOK → 150.00 NOK.
    (fx := tmp_path / "fx.csv").write_text("date,currency,rate\n2026-01-01,USD,10\n")
    root = tmp_path / "d"
    batch = import_stripe([_two_items(["prod_y"])])
    write_plan(plan_import(root, batch, today=TODAY, country="NO", fx_file=fx))
    assert row(mrr_of(root, "2026-01", "2026-01"), "2026-01")["mrr"] == pytest.approx(150)


def test_a_malformed_applies_to_is_an_error() -> None:
    batch = import_stripe([_two_items("prod_y")])  # type: ignore[arg-type]
    assert [str(i) for i in batch.issues] == [
        'x.json: sub_x: discounts[0].coupon.applies_to.products: "prod_y" is not a list of '
        "product ids"
    ]


def test_three_decimal_currency_uses_stripe_minor_units() -> None:
    sub = _sub(currency="kwd")
    sub.data["items"]["data"][0]["price"].update(currency="kwd", unit_amount=12340)  # type: ignore[index]
    batch = import_stripe([sub])
    assert batch.contracts[0].lines[0]["unit_price"] == "12.340"


def test_bad_object_names_file_id_and_field(tmp_path: Path, run: Run) -> None:
    bad = tmp_path / "subs.json"
    sub = _sub(start_date="yesterday")
    bad.write_text(json.dumps({"object": "list", "data": [sub.data]}))
    result = run("import", "stripe", bad, "--data", tmp_path / "d")
    assert result.exit_code == 1
    assert f"{bad}: sub_x: start_date: is required: a Unix timestamp" in result.stderr
    assert not (tmp_path / "d").exists()


def test_not_json_is_reported_with_its_line(tmp_path: Path, run: Run) -> None:
    bad = tmp_path / "subs.json"
    bad.write_text('{"object": "list",\n "data": [}\n')
    result = run("import", "stripe", bad, "--data", tmp_path / "d")
    assert result.exit_code == 1
    assert f"{bad}:2: not valid JSON" in result.stderr


def test_json_numbers_with_a_fraction_are_read_exactly(tmp_path: Path) -> None:
    # 1234567890123.456789 cents (19 significant digits; a float keeps 17) are
    # 12345678901.23456789 dollars: every digit kept, 8 decimals (at most 10 are allowed).
    sub = _sub()
    price = sub.data["items"]["data"][0]["price"]
    del price["unit_amount"]
    text = json.dumps({"object": "list", "data": [sub.data]}).replace(
        '"currency": "usd", "product"',
        '"currency": "usd", "unit_amount_decimal": 1234567890123.456789, "product"',
    )
    assert "1234567890123.456789" in text
    path = tmp_path / "subs.json"
    path.write_text(text)
    batch = import_stripe(read_stripe_files([path]))
    assert batch.issues == []
    [line] = batch.contracts[0].lines
    assert line["unit_price"] == "12345678901.23456789"


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        # In cents; the message shows dollars (the amount ÷ 100).
        ('"1e999999999"', "1E+999999997 is too large; at most 28 digits before the decimal point"),
        ('"1e-999999999"', "1E-1000000001 has more than 10 decimal places"),
        ("1e999999999", "1E+999999997 is too large; at most 28 digits before the decimal point"),
        ('"0.000000001"', "1E-11 has more than 10 decimal places"),
    ],
)
def test_an_amount_of_a_huge_exponent_is_refused_before_it_is_written_out(
    tmp_path: Path, amount: str, expected: str
) -> None:
    # Written out, 1e999999999 is a billion digits: the import ran out of memory on it.
    sub = _sub()
    del sub.data["items"]["data"][0]["price"]["unit_amount"]
    text = json.dumps({"object": "list", "data": [sub.data]}).replace(
        '"currency": "usd", "product"',
        f'"currency": "usd", "unit_amount_decimal": {amount}, "product"',
    )
    path = tmp_path / "subs.json"
    path.write_text(text)
    batch = import_stripe(read_stripe_files([path]))
    assert [str(i) for i in batch.issues] == [
        f"{path}: sub_x: items.data[0].price.unit_amount_decimal: {expected}",
        f"warning: {path}: sub_x: items.data: no item revcli can express; the subscription "
        "is skipped",
    ]


def test_a_fetched_nan_percent_off_is_no_percentage() -> None:
    # Objects fetched from the API (or an --api-base) are read by the stripe package, whose
    # JSON reader takes NaN as a float; it compared as no number and ended in an internal
    # error.
    sub = _sub(discounts=[{"coupon": {"percent_off": float("nan"), "duration": "forever"}}])
    batch = import_stripe([sub])
    assert [str(i) for i in batch.issues] == [
        f"{sub.source}: sub_x: discounts[0].coupon.percent_off: 'nan' is not a percentage "
        "from 0 to 100"
    ]


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_no_json_numbers(tmp_path: Path, run: Run, constant: str) -> None:
    # Python's JSON reader takes them (a NaN percent_off used to end in an internal error);
    # RFC 8259 has no such numbers.
    sub = _sub(discounts=[{"coupon": {"percent_off": 0, "duration": "forever"}}])
    # The same words in a string before it (with an escaped quote) are no number and not
    # the place: the message names the line of the number, which Python's reader does not.
    sub.data["customer"]["name"] = 'NaN "Infinity" -Infinity'
    bad = tmp_path / "subs.json"
    text = json.dumps({"object": "list", "data": [sub.data]}, indent=1)
    bad.write_text(text.replace('"percent_off": 0', f'"percent_off": {constant}'))
    lines = text.splitlines()
    line = next(n for n, t in enumerate(lines, 1) if '"percent_off": 0' in t)
    assert line > next(n for n, t in enumerate(lines, 1) if "Infinity" in t) > 1
    result = run("import", "stripe", bad, "--data", tmp_path / "d")
    assert result.exit_code == 1
    assert f"{bad}:{line}: not valid JSON: {constant} is not a JSON number" in result.stderr
    assert "internal error" not in result.stderr
    assert not (tmp_path / "d").exists()


def test_missing_fx_rates_fail_naming_currencies_and_dates(tmp_path: Path, run: Run) -> None:
    result = run("import", "stripe", *FILES, "--data", tmp_path / "d", "--country", "SE")
    assert result.exit_code == 1
    # EUR first needed by sub_quarter (2026-02-01), USD by sub_period_end (2026-06-15),
    # JPY by sub_jpy (2026-05-01).
    assert "no exchange rate for EUR on or before 2026-02-01" in result.stderr
    assert "no exchange rate for JPY on or before 2026-05-01" in result.stderr
    assert "no exchange rate for USD on or before 2026-06-15" in result.stderr
    assert not (tmp_path / "d").exists()


def test_fetch_needs_the_key_from_the_environment(tmp_path: Path, run: Run) -> None:
    result = run(
        "import", "stripe", "--fetch", "--data", tmp_path / "d", env={"STRIPE_API_KEY": ""}
    )
    assert result.exit_code == 2
    assert "STRIPE_API_KEY" in result.stderr


def test_reimport_is_byte_identical_and_keeps_hand_edits(tmp_path: Path) -> None:
    root = tmp_path / "data"
    _import(root)
    first = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    _import(root)
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == first
    # A person adds an owner and notes to a contract and a segment to a customer.
    path = root / "contracts" / "stripe.yaml"
    text = path.read_text().replace(
        "  - contract_id: sub_monthly\n",
        '  - contract_id: sub_monthly\n    owner: kari@example.no\n    notes: "renegotiate: 2027"\n',
    )
    path.write_text(text)
    customers = root / "customers.csv"
    customers.write_text(
        "customer_id,name,country,billing_email,source_id,segment\n"
        "cus_A,Alfa AS,NO,billing@alfa.example,stripe:cus_A,Enterprise\n"
        "cus_B,Beta GmbH,DE,rechnung@beta.example,stripe:cus_B,\n"
        "cus_C,Gamma Inc,US,,stripe:cus_C,\n"
        "cus_D,Delta AB,SE,ekonomi@delta.example,stripe:cus_D,SMB\n"
        "cus_E,Epsilon KK,JP,,stripe:cus_E,\n"
        "HAND-1,Hand Written AS,NO,,,SMB\n"
    )
    before_customers = customers.read_bytes()
    _import(root)
    assert customers.read_bytes() == before_customers
    got = _contracts(root)
    assert got["sub_monthly"]["owner"] == "kari@example.no"
    assert got["sub_monthly"]["notes"] == "renegotiate: 2027"


def test_canceled_subscription_needs_ended_at() -> None:
    batch = import_stripe([_sub(status="canceled")])
    assert batch.contracts == []
    assert [str(i) for i in batch.issues] == [
        "x.json: sub_x: ended_at: is required for a canceled subscription (a Unix timestamp)"
    ]


def test_unknown_timezone_is_a_usage_error(tmp_path: Path, run: Run) -> None:
    result = run("import", "stripe", *FILES, "--data", tmp_path / "d", "--timezone", "Mars/Olympus")
    assert result.exit_code == 2
    assert "Mars/Olympus" in result.stderr


def test_fetch_reads_every_list_through_the_stripe_package() -> None:
    # The official client against a loopback server that answers like the API: list
    # objects, the second page of subscriptions after `starting_after`.
    import threading
    import urllib.parse
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    pytest.importorskip("stripe")
    from revcli.importers.sources import fetch_stripe

    saved = {
        name: json.loads((FIXTURES / f"{name}.json").read_text())
        for name in ("customers", "subscriptions")
    }
    products = json.loads((FIXTURES / "products.json").read_text())
    seen: list[tuple[str, dict[str, list[str]]]] = []

    class Api(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urllib.parse.urlsplit(self.path)
            query = urllib.parse.parse_qs(url.query)
            seen.append((url.path, query))
            name = url.path.rsplit("/", 1)[-1]
            data = products if name == "products" else saved[name]["data"]
            if name == "subscriptions":  # two pages of 6
                after = query.get("starting_after", [None])[0]
                start = 0 if after is None else [d["id"] for d in data].index(after) + 1
                page = data[start : start + 6]
                more = start + 6 < len(data)
            else:
                page, more = data, False
            body = json.dumps({"object": "list", "data": page, "has_more": more, "url": url.path})
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Request-Id", "req_test")
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Api)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        objects = fetch_stripe("sk_test_123", f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        server.server_close()
    kinds = [o.data["object"] for o in objects]
    assert kinds.count("customer") == 5 and kinds.count("subscription") == 12
    assert kinds.count("product") == 3
    subs = [q for path, q in seen if path == "/v1/subscriptions"]
    assert len(subs) == 2  # paged
    assert subs[0]["status"] == ["all"] and subs[0]["expand[0]"] == ["data.discounts"]
    assert subs[1]["starting_after"] == ["sub_period_end"]  # the last id of page one
    # The fetched objects import exactly like the saved ones.
    fetched = import_stripe(objects)
    saved_batch = import_stripe(read_stripe_files(FILES))
    assert [c.values["contract_id"] for c in fetched.contracts] == [
        c.values["contract_id"] for c in saved_batch.contracts
    ]
    assert [c.lines for c in fetched.contracts] == [c.lines for c in saved_batch.contracts]


def _stripe_into(root: Path, sub: StripeObject) -> list[str]:
    """Import one subscription (USD, the data dir's base currency); its warnings."""
    plan = plan_import(root, import_stripe([sub]), today=TODAY, base_currency="USD", country="US")
    write_plan(plan)
    return [str(w) for w in plan.warnings]


def _cancel_by_hand(root: Path) -> None:
    path = root / "contracts" / "stripe.yaml"
    text = path.read_text()
    assert "    billing_period: month\n" in text
    path.write_text(
        text.replace(
            "    billing_period: month\n",
            "    billing_period: month\n    cancelled_on: 2026-06-30\n",
        )
    )


@pytest.mark.parametrize("status", ["past_due", "unpaid", "paused"])
def test_hand_set_cancellation_of_an_unpaid_subscription_survives_a_reimport(
    tmp_path: Path, status: str
) -> None:
    # docs/import.md: an unpaid subscription is imported as running, so a person sets
    # cancelled_on by hand; Stripe sends no cancellation for it, so the hand date stays.
    root = tmp_path / "data"
    _stripe_into(root, _sub(status=status))
    _cancel_by_hand(root)
    edited = (root / "contracts" / "stripe.yaml").read_bytes()
    warnings = _stripe_into(root, _sub(status=status))
    assert (root / "contracts" / "stripe.yaml").read_bytes() == edited
    assert not [w for w in warnings if "cancelled_on" in w]
    # 10.00 USD a month from 2026-01-01; cancelled 2026-06-30 → June paid, July not.
    table = mrr_of(root, "2026-06", "2026-07")
    assert row(table, "2026-06")["mrr"] == pytest.approx(10)
    assert row(table, "2026-07")["mrr"] == pytest.approx(0)


def test_a_cancellation_stripe_sends_wins_over_the_hand_set_one(tmp_path: Path) -> None:
    root = tmp_path / "data"
    _stripe_into(root, _sub(status="past_due"))
    _cancel_by_hand(root)
    # cancel_at 2026-09-01T00:00:00Z → last day of service 2026-08-31.
    _stripe_into(root, _sub(status="past_due", cancel_at=1788220800))
    assert _contracts(root)["sub_x"]["cancelled_on"] == "2026-08-31"


def test_removing_a_cancellation_in_the_file_is_a_warning(tmp_path: Path) -> None:
    root = tmp_path / "data"
    _stripe_into(root, _sub())
    _cancel_by_hand(root)
    warnings = _stripe_into(root, _sub())  # active, no cancellation: the source wins
    assert "cancelled_on" not in _contracts(root)["sub_x"]
    # Line 10 of the file: 3 comment lines, `contracts:`, then contract_id, customer_id,
    # start_date, currency, billing_period, and the hand-set cancelled_on.
    assert [w for w in warnings if "cancelled_on" in w] == [
        f"warning: {root}/contracts/stripe.yaml:10: sub_x: cancelled_on 2026-06-30 removed: "
        "stripe sends no cancellation for it any more (to stop the contract for good, "
        "cancel it in stripe)"
    ]


def test_a_discounts_entry_that_is_neither_object_nor_id_is_reported() -> None:
    forever = {"id": "di_1", "coupon": {"percent_off": 10, "duration": "forever"}}
    batch = import_stripe([_sub(discounts=[5, forever, None])])
    # The 10 % coupon still applies; 5 and null are reported, not dropped silently.
    assert batch.contracts[0].lines[0]["discount_pct"] == "10"
    assert [str(i) for i in batch.issues] == [
        "warning: x.json: sub_x: discounts[0]: 5 is neither a discount object nor a discount "
        "id; skipped",
        "warning: x.json: sub_x: discounts[2]: null is neither a discount object nor a "
        "discount id; skipped",
    ]
    batch = import_stripe([_sub(discounts=7)])
    assert [str(i) for i in batch.issues] == [
        "warning: x.json: sub_x: discounts: 7 is not a list of discounts; skipped"
    ]


def test_a_hand_written_contract_of_the_same_id_is_kept_not_doubled(tmp_path: Path) -> None:
    # A contract written by hand in contracts.yaml under the id of a Stripe subscription
    # (sub_monthly, 490 NOK a month) is kept, as a hand-written customer is: the import
    # leaves that subscription out with a warning instead of failing on a repeated id.
    # MRR of Dec 2026: 5505 - 490 + the hand contract's 700 = 5715.
    root = tmp_path / "data"
    _import(root)
    (root / "contracts" / "stripe.yaml").unlink()
    (root / "contracts.yaml").write_text(
        "contracts:\n"
        "  - contract_id: sub_monthly\n"
        "    customer_id: cus_A\n"
        "    start_date: 2026-01-01\n"
        "    currency: NOK\n"
        "    lines:\n"
        "      - product: Hand-made\n"
        "        unit_price: 700\n",
        encoding="utf-8",
    )
    batch = import_stripe(read_stripe_files(FILES))
    plan = plan_import(root, batch, today=TODAY, country="SE", fx_file=FIXTURES / "fx_rates.csv")
    assert plan.mrr_after == Decimal(5715)
    assert plan.counts["contracts"].added == 10
    (warning,) = [w for w in plan.warnings if "sub_monthly" in w.message]
    assert warning.message.startswith(
        "'sub_monthly' already exists in another contract file without stripe:sub_monthly"
    )
    write_plan(plan)
    assert "sub_monthly" not in _contracts(root)
    assert row(mrr_of(root, "2026-12", "2026-12"), "2026-12")["mrr"] == pytest.approx(5715)


def test_a_subscription_canceled_in_its_trial_after_an_import_says_it_still_counts(
    tmp_path: Path,
) -> None:
    root = tmp_path / "data"
    # Started 2026-01-01 with a trial to 2026-03-01 (1772323200): imported from 03-01.
    _stripe_into(root, _sub(status="trialing", trial_end=1772323200))
    # Canceled during the trial: ended_at 2026-02-10 (1770681600), no paid day. Stripe
    # still sends it, so it is not "no longer in the import"; the warning says what the
    # file still holds.
    warnings = _stripe_into(
        root, _sub(status="canceled", trial_end=1772323200, ended_at=1770681600)
    )
    assert warnings == [
        "warning: x.json: sub_x: ended_at: ended before its first paid day (2026-03-01); skipped",
        # Line 5: 3 comment lines, `contracts:`, then sub_x's contract_id.
        f"warning: {root}/contracts/stripe.yaml:5: source_id: contract stripe:sub_x: stripe "
        "sends it as ended on 2026-02-10, before its first paid day (2026-03-01), but an "
        "earlier import wrote it, and it is kept as it is: it counts from 2026-03-01 until "
        "you delete it by hand",
    ]


def test_subscriptions_without_customer_objects_report_no_customer_gone(
    tmp_path: Path,
) -> None:
    # Customers and subscriptions are separate lists: an input of subscriptions alone
    # (their customers expanded) does not hold every customer, so none is "gone"; the
    # subscription it no longer has is.
    root = tmp_path / "data"
    _stripe_into(root, _sub())
    other = _sub(id="sub_y", customer={"id": "cus_y", "object": "customer", "name": "Y"})
    assert _stripe_into(root, other) == [
        f"warning: {root}/contracts/stripe.yaml:5: source_id: contract stripe:sub_x is no "
        "longer in the import; kept as it is (delete it by hand if it ended)"
    ]
