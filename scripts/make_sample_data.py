"""Write ``sample_data/``: four years of revenue data of Fjordsoft AS, a fictional SaaS company.

The story
---------
Fjordsoft AS is a Bergen software house, founded in 2022, that sells *Fjordsoft*, a cloud
tool for planning field work. It sells three seat-based plans (FJ-START, FJ-PRO, and
FJ-ENT priced per seat and year), add-ons (FJ-API, FJ-SSO, FJ-ANALYTICS, FJ-STORAGE), a free
test environment for enterprise accounts (FJ-SANDBOX), a premium support and maintenance
package priced per contract term (FJ-CARE), and one-time onboarding (ONBOARD) and training
days (TRAINING).

The first customers signed in January 2023: small Norwegian firms on monthly plans. In 2024
the mid-market took off (annual contracts billed quarterly or yearly, add-ons, discounts),
the first enterprise accounts signed three-year deals with support packages, and Fjordsoft
started selling abroad: Sweden in SEK, Germany, Austria, the Netherlands, Belgium and
Finland in EUR, the United States in USD. Norwegian list prices rose on 2025-01-01.

Every customer lives through one *story* (steady, monthly, expander, upgrader, plan switcher,
add-on dropper, downgrader, churner, reactivator, renewer, enterprise), its dates drawn with a
fixed seed. A hand-written *showcase* cast puts every MRR movement of SPEC section 4 into the
twelve months 2025-12..2026-11 and every renewal status of SPEC section 6 within 90 days of
2026-11-23, the day this data was exported, and covers calendar edge cases (leap days, month
ends, auto-renewals rolling since 2023, the 36,000 NOK three-year support term of SPEC
section 2, the worked example of the project's seed article).

The churn-risk signals (usage, support tickets, payments of the old accounting system, whose
invoice numbers are plain integers) cover the last twelve months; a few customers decline,
flood support or pay late.

Usage: ``python scripts/make_sample_data.py [OUT_DIR]`` (default ``sample_data/``). The same
run always writes the same bytes; it ends with a self-check that re-reads the written files,
recomputes MRR movements and renewal statuses independently, and prints a summary.
"""

from __future__ import annotations

import calendar
import csv
import io
import itertools
import json
import random
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import yaml

# --------------------------------------------------------------------------- constants

SEED = 20230101
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "sample_data"

AS_OF = date(2026, 11, 23)  # the day the data was exported
WINDOW_FIRST = date(2025, 12, 1)  # the sample's "last twelve months"
WINDOW_LAST = date(2026, 11, 1)
RENEWAL_DAYS = 90
FIRST_MONTH = date(2023, 1, 1)
LAST_MONTH = date(2027, 12, 1)
EVENT_HORIZON = date(2026, 12, 1)  # changes signed by AS_OF start no later than this
CANCEL_HORIZON = date(2027, 3, 31)  # notices given by AS_OF end service no later than this
SIGNAL_FIRST = date(2025, 12, 1)  # usage, tickets and payments start here
N_RANDOM_CUSTOMERS = 150
MIN_MOVEMENTS_PER_TYPE = 4
ONE_DAY = timedelta(days=1)
BASE = "NOK"
D0 = Decimal(0)
CENT = Decimal("0.01")

COMPANY_ORGNR_STEM = "92468135"  # + a mod-11 check digit
COMPANY_ACCOUNT_STEM = "1506234567"  # Norwegian bank account + a mod-11 check digit

OWNERS = {
    "ingrid": "ingrid.solberg@fjordsoft.no",  # key accounts, Oslo
    "magnus": "magnus.haugen@fjordsoft.no",  # Oslo and Eastern Norway
    "sofie": "sofie.lie@fjordsoft.no",  # Bergen and Western Norway
    "henrik": "henrik.dahl@fjordsoft.no",  # Rogaland, Agder, Bergen
    "jonas": "jonas.strand@fjordsoft.no",  # Trøndelag and Northern Norway
    "emma": "emma.berg@fjordsoft.no",  # international
}
REGION_OWNERS = {
    "Oslo": ("ingrid", "magnus", "magnus"),
    "Østlandet": ("magnus",),
    "Agder": ("henrik",),
    "Rogaland": ("henrik",),
    "Vestland": ("sofie", "sofie", "henrik"),
    "Møre og Romsdal": ("sofie",),
    "Trøndelag": ("jonas",),
    "Nord-Norge": ("jonas",),
    "Nordics": ("emma",),
    "DACH": ("emma",),
    "Benelux": ("emma",),
    "North America": ("emma", "ingrid"),
}

SEGMENTS = ("SMB", "Mid-Market", "Enterprise")
COUNTRY_WEIGHTS = {"NO": 80, "SE": 5, "DE": 4, "NL": 3, "FI": 2, "AT": 1, "BE": 1, "US": 4}
CURRENCY = {"NO": "NOK", "SE": "SEK", "US": "USD", "DE": "EUR", "AT": "EUR", "NL": "EUR"}
CURRENCY |= {"BE": "EUR", "FI": "EUR"}
REGION = {"SE": "Nordics", "FI": "Nordics", "DE": "DACH", "AT": "DACH", "NL": "Benelux"}
REGION |= {"BE": "Benelux", "US": "North America"}
LOCALE = {"DE": "de_DE", "AT": "de_DE", "SE": "sv_SE", "NL": "en_GB", "BE": "en_GB"}
LOCALE |= {"FI": "en_GB", "US": "en_US"}
COUNTRY_NAME = {"DE": "Germany", "AT": "Austria", "NL": "Netherlands", "BE": "Belgium"}
COUNTRY_NAME |= {"FI": "Finland", "SE": "Sweden", "US": "USA"}
EU = frozenset({"DE", "AT", "NL", "BE", "FI", "SE"})

# --------------------------------------------------------------------------- products


@dataclass(frozen=True)
class Product:
    """A price-list entry; prices are per unit and price period, in each contract currency."""

    code: str
    period: str
    nok: str
    eur: str
    usd: str
    sek: str
    text_no: str
    text_en: str
    nok_2025: str = ""  # Norwegian list price from 2025-01-01

    def price(self, currency: str, on: date) -> Decimal:
        if currency == "NOK" and self.nok_2025 and on >= date(2025, 1, 1):
            return Decimal(self.nok_2025)
        by_currency = {"NOK": self.nok, "EUR": self.eur, "USD": self.usd, "SEK": self.sek}
        return Decimal(by_currency[currency])


PRODUCTS = {
    p.code: p
    for p in (
        Product("FJ-START", "month", "290.00", "26.00", "29.00", "299.00",
                "Fjordsoft Start, per bruker", "Fjordsoft Start, per user", "299.00"),
        Product("FJ-PRO", "month", "590.00", "52.00", "59.00", "609.00",
                "Fjordsoft Pro, per bruker", "Fjordsoft Pro, per user", "619.00"),
        Product("FJ-ENT", "year", "14280.00", "1250.00", "1390.00", "14700.00",
                "Fjordsoft Enterprise, per bruker og år", "Fjordsoft Enterprise, per user and year",
                "14990.00"),
        Product("FJ-API", "month", "1500.00", "135.00", "149.00", "1550.00",
                "API-tilgang", "API access", "1590.00"),
        Product("FJ-SSO", "month", "49.00", "4.50", "4.90", "50.00",
                "Single sign-on (SAML/OIDC), per bruker", "Single sign-on (SAML/OIDC), per user",
                "52.00"),
        Product("FJ-ANALYTICS", "month", "2490.00", "220.00", "245.00", "2550.00",
                "Analysepakke", "Analytics package", "2590.00"),
        Product("FJ-STORAGE", "month", "390.00", "35.00", "39.00", "400.00",
                "Ekstra lagring, 100 GB", "Extra storage, 100 GB"),
        Product("FJ-SANDBOX", "month", "0.00", "0.00", "0.00", "0.00",
                "Testmiljø (inkludert)", "Test environment (included)"),
        Product("FJ-CARE", "term", "12000.00", "1050.00", "1190.00", "12300.00",
                "Premium support og vedlikehold, hele avtaleperioden",
                "Premium support and maintenance, whole term", "12600.00"),
        Product("ONBOARD", "once", "15000.00", "1350.00", "1490.00", "15500.00",
                "Oppstart og implementering", "Onboarding and implementation", "16500.00"),
        Product("TRAINING", "once", "9500.00", "850.00", "950.00", "9800.00",
                "Kursdag, per dag", "Training day, per day", "9900.00"),
    )
}  # fmt: skip
PLANS = ("FJ-START", "FJ-PRO", "FJ-ENT")
ADDONS = ("FJ-API", "FJ-SSO", "FJ-ANALYTICS", "FJ-STORAGE")
ONBOARD_FACTOR = {"SMB": Decimal("0.3"), "Mid-Market": Decimal(1), "Enterprise": Decimal(3)}

# --------------------------------------------------------------------------- names and places

NO_CITIES = (  # city, region, postal codes, weight
    ("Oslo", "Oslo", ("0150", "0159", "0185", "0250", "0252", "0349", "0484", "0560"), 30),
    ("Sandvika", "Østlandet", ("1337",), 3),
    ("Drammen", "Østlandet", ("3015", "3044"), 4),
    ("Fredrikstad", "Østlandet", ("1606",), 3),
    ("Hamar", "Østlandet", ("2317",), 2),
    ("Lillehammer", "Østlandet", ("2615",), 2),
    ("Tønsberg", "Østlandet", ("3110",), 2),
    ("Kristiansand", "Agder", ("4611", "4612"), 4),
    ("Stavanger", "Rogaland", ("4006", "4014"), 7),
    ("Sandnes", "Rogaland", ("4306",), 2),
    ("Haugesund", "Rogaland", ("5527",), 2),
    ("Bergen", "Vestland", ("5003", "5014", "5035", "5058", "5089"), 18),
    ("Førde", "Vestland", ("6800",), 2),
    ("Voss", "Vestland", ("5700",), 1),
    ("Ålesund", "Møre og Romsdal", ("6002", "6004"), 4),
    ("Molde", "Møre og Romsdal", ("6413",), 1),
    ("Trondheim", "Trøndelag", ("7010", "7030", "7042"), 9),
    ("Steinkjer", "Trøndelag", ("7713",), 1),
    ("Tromsø", "Nord-Norge", ("9008", "9019"), 4),
    ("Bodø", "Nord-Norge", ("8006",), 3),
    ("Longyearbyen", "Nord-Norge", ("9170",), 0),  # Svalbard: outside the VAT area
)
NO_STREETS = (
    "Storgata", "Kongens gate", "Strandkaien", "Sjøgata", "Nygårdsgaten", "Havnegata",
    "Industriveien", "Sandviksveien", "Løkkeveien", "Brattørkaia", "Kjøpmannsgata",
    "Dronningens gate", "Øvre Slottsgate", "Tollbugata", "Solheimsgaten", "Fjordalléen",
    "Kirkegata", "Torggata", "Markveien", "Drammensveien", "Åsveien", "Fjøsangerveien",
    "Kokstadveien", "Stiklestadveien", "Bryggen", "Grønnegata",
)  # fmt: skip
FOREIGN_PLACES = {  # country: (city, postal code or US state and ZIP), ...
    "DE": (("Hamburg", "20457"), ("München", "80331"), ("Berlin", "10115"), ("Köln", "50667")),
    "AT": (("Wien", "1010"), ("Graz", "8010")),
    "NL": (("Amsterdam", "1012 AB"), ("Rotterdam", "3011 AD"), ("Utrecht", "3511 AX")),
    "BE": (("Antwerpen", "2000"), ("Gent", "9000")),
    "FI": (("Helsinki", "00100"), ("Tampere", "33100"), ("Turku", "20100")),
    "SE": (("Stockholm", "111 52"), ("Göteborg", "411 05"), ("Malmö", "211 20")),
    "US": (("Seattle", "WA 98101"), ("Minneapolis", "MN 55401"), ("Boston", "MA 02110"),
           ("Austin", "TX 78701"), ("Portland", "OR 97204")),
}  # fmt: skip
FOREIGN_STREETS = {
    "DE": ("Hafenstraße", "Lindenallee", "Schillerstraße", "Am Sandtorkai", "Bahnhofstraße"),
    "AT": ("Mariahilfer Straße", "Herrengasse"),
    "NL": ("Keizersgracht", "Stationsplein", "Coolsingel", "Oudegracht"),
    "BE": ("Meir", "Korenmarkt"),
    "FI": ("Mannerheimintie", "Hämeenkatu", "Aurakatu"),
    "SE": ("Drottninggatan", "Kungsgatan", "Storgatan", "Södra Förstadsgatan"),
    "US": ("Pine Street", "Harbor Drive", "Congress Avenue", "Nicollet Mall", "State Street"),
}
NO_PREFIXES = (
    "Fjell", "Nordlys", "Havbris", "Bølge", "Skogheim", "Lysverk", "Brygge", "Vinterhav",
    "Ægir", "Solstrand", "Jøkul", "Fyrlykt", "Øyrane", "Kvitøy", "Bjørke", "Elvebakken",
    "Lofot", "Hardanger", "Sogne", "Ravnkloa", "Trolltind", "Furu", "Sølvberg", "Østmark",
    "Kystlys", "Nordkapp", "Fosen", "Hurtig", "Stålbrygga", "Fjordglimt", "Høgfjell",
    "Nordavind", "Strandby", "Åsheim", "Tyttebær", "Brattøra", "Reinsfjell", "Sjøbris",
    "Vidde", "Hav", "Tinde", "Bre", "Skjær", "Holme", "Lyng", "Marka", "Nes", "Vik",
)  # fmt: skip
NO_TRADES = (
    "Regnskap", "Logistikk", "Bygg", "Eiendom", "Helse", "Data", "Marin", "Energi",
    "Rådgivning", "Transport", "Sjømat", "Arkitekter", "Elektro", "Maskin", "Media",
    "Reiseliv", "Fysioterapi", "Handel", "Analyse", "Revisjon", "Klinikk", "Kraft",
    "Havbruk", "Verft", "Interiør", "Rør", "Anlegg", "Entreprenør", "Installasjon",
    "Renhold", "Teknikk", "Service", "Eiendomsforvaltning", "Tannhelse", "Bemanning",
)  # fmt: skip
NO_SURNAMES = (
    "Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen", "Nilsen", "Karlsen",
    "Berg", "Haugen", "Hagen", "Dahl", "Jørgensen", "Halvorsen", "Lund", "Sørensen", "Moen",
    "Strand", "Solberg", "Eide", "Knutsen", "Bakken", "Lie", "Lunde", "Solheim", "Berge",
    "Nygård", "Holm", "Lien", "Hauge", "Sæther", "Aas", "Myhre", "Ødegård", "Ruud", "Tveit",
    "Birkeland", "Vik", "Rønning", "Sandvik", "Bjørnstad", "Brekke", "Fossum", "Tangen",
)  # fmt: skip
FOREIGN_WORDS = {
    "DE": ("Nordwind", "Alpenblick", "Elbe", "Rheinland", "Isar", "Spree", "Lindenhof",
           "Weißdorn", "Hanse", "Bergmann", "Nordlicht", "Ostsee", "Mainufer", "Harzblick"),
    "AT": ("Donau", "Tirol", "Kärntner", "Wienerwald", "Salzach", "Alpenrose"),
    "NL": ("Grachtwerk", "Polder", "Van der Meer", "Tulp", "Zeeland", "Dijkstra", "Hofstad",
           "Amstel", "Vecht", "Duinzicht"),
    "BE": ("Schelde", "Brugse", "Leie", "Ardennen", "Kempen"),
    "FI": ("Revontuli", "Järvi", "Saimaa", "Kuusi", "Lumi", "Aalto", "Koivu", "Pohjola",
           "Kaamos", "Tunturi", "Sisu"),
    "SE": ("Vänern", "Öresund", "Norrsken", "Skärgård", "Gotland", "Mälar", "Fjällvind",
           "Älvdal", "Vättern", "Kullaberg", "Siljan", "Höga Kusten"),
    "US": ("Pinecrest", "Harbor Lane", "Cascade Ridge", "Lakeshore", "Granite Peak",
           "Blue Heron", "Ironwood", "Redwood", "Bayview", "Clearwater", "Stonebridge",
           "Maplewood"),
}  # fmt: skip
FOREIGN_TRADES = {
    "DE": ("Logistik", "Software", "Datentechnik", "Bau", "Energie", "Analytik"),
    "AT": ("Systeme", "Bau", "Logistik"),
    "NL": ("Logistiek", "Data", "Bouw", "Advies"),
    "BE": ("Consult", "Data", "Logistiek"),
    "FI": ("Analytics", "Rakennus", "Logistiikka", "Software"),
    "SE": ("Bygg", "Logistik", "Data", "Media", "Energi", "Konsult"),
    "US": ("Analytics", "Software", "Logistics", "Foods", "Health", "Energy"),
}
COMPANY_FORM = {"DE": "GmbH", "AT": "GmbH", "NL": "B.V.", "BE": "BV", "FI": "Oy", "SE": "AB"}
COMPANY_FORM |= {"US": "Inc."}
BILLING_MAILBOX = {"NO": ("faktura", "regnskap", "post", "okonomi"), "DE": ("rechnung",)}
BILLING_MAILBOX |= {"AT": ("rechnung",), "US": ("ap", "billing"), "SE": ("faktura", "ekonomi")}
TLD = {"NO": "no", "DE": "de", "AT": "at", "NL": "nl", "BE": "be", "FI": "fi", "SE": "se"}
TLD |= {"US": "com"}

# --------------------------------------------------------------------------- dates and money


def add_months(d: date, n: int) -> date:
    """``d`` plus ``n`` calendar months, clamped to the last day of a shorter month."""
    y, m = divmod(d.month - 1 + n, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def month_end(d: date) -> date:
    return date(d.year, d.month, calendar.monthrange(d.year, d.month)[1])


def months(first: date, last: date) -> list[date]:
    """First days of the months from ``first`` to ``last`` inclusive."""
    out, d = [], first.replace(day=1)
    while d <= last:
        out.append(d)
        d = add_months(d, 1)
    return out


def money(x: Decimal) -> str:
    return str(x.quantize(CENT, rounding=ROUND_HALF_UP))


def mod11(stem: str, weights: tuple[int, ...]) -> str | None:
    """The mod-11 check digit Norway uses for org numbers and bank accounts, or None."""
    r = 11 - sum(int(c) * w for c, w in zip(stem, weights, strict=True)) % 11
    return None if r == 10 else str(r % 11)


ORGNR_WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)
ACCOUNT_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def org_number(rng: random.Random) -> str:
    while True:
        stem = str(rng.randint(91000000, 99999999))
        check = mod11(stem, ORGNR_WEIGHTS)
        if check is not None:
            return stem + check


# --------------------------------------------------------------------------- data model


@dataclass
class Customer:
    name: str
    country: str
    segment: str
    region: str
    city: str
    owner: str
    currency: str
    customer_id: str = ""
    billing_email: str = ""
    vat_id: str = ""
    address: str = ""
    payment_terms_days: str = ""
    tax_rate: str = ""
    reverse_charge: bool = False
    locale: str = ""
    in_yaml: bool = False
    public: bool = False

    @property
    def english(self) -> bool:
        return self.locale not in ("", "nb_NO", "nn_NO")


@dataclass
class Line:
    product: str
    quantity: int
    unit_price: Decimal
    price_period: str
    description: str
    discount_pct: str = ""
    start_date: date | None = None  # None: the contract's start
    end_date: date | None = None
    tax_rate: str = ""
    line_id: str = ""


@dataclass
class Contract:
    customer: Customer
    start_date: date
    end_date: date | None
    currency: str
    billing_period: str
    auto_renew: bool
    renewal_term_months: str = ""
    notice_days: str = ""
    notice_months: str = ""
    notice_from_month_end: str = ""
    renewal_uplift_pct: str = ""
    cancelled_on: date | None = None
    renewal_decision: str = ""
    renewal_decided_on: date | None = None
    renewal_decision_note: str = ""
    owner: str = ""
    po_number: str = ""
    signed_on: date | None = None
    notes: str = ""
    renews: Contract | None = None
    lines: list[Line] = field(default_factory=list)
    contract_id: str = ""
    form: str = "csv"  # csv | yaml (contracts.yaml) | file (contracts/*.yaml)
    omit_line_ids: bool = False
    later_lines_in_csv: bool = False

    def line_start(self, ln: Line) -> date:
        return ln.start_date or self.start_date

    def last_service_day(self) -> date | None:
        """cancelled_on, else end_date for a contract that does not auto-renew, else None."""
        if self.cancelled_on:
            return self.cancelled_on
        return None if self.auto_renew else self.end_date

    def open_on(self, d: date) -> bool:
        """True when a line may start on ``d`` (SPEC 1, contract lines)."""
        last = self.last_service_day()
        return self.start_date <= d and (last is None or d <= last)

    def renewal_term(self) -> int:
        if self.renewal_term_months:
            return int(self.renewal_term_months)
        assert self.end_date is not None
        return round(term_months(self.start_date, self.end_date))

    def term_end_on_or_after(self, d: date) -> date:
        """End of the term (first or renewal) that contains ``d`` (auto-renewing contracts)."""
        assert self.end_date is not None
        if d <= self.end_date:
            return self.end_date
        k, rt = 1, self.renewal_term()
        while add_months(self.end_date + ONE_DAY, k * rt) <= d:
            k += 1
        return add_months(self.end_date + ONE_DAY, k * rt) - ONE_DAY


def term_months(start: date, end: date) -> Decimal:
    """SPEC 2: whole months from start to end + 1 day, plus the rest in days / 30.4375."""
    stop, m = end + ONE_DAY, 0
    while add_months(start, m + 1) <= stop:
        m += 1
    return m + Decimal((stop - add_months(start, m)).days) / Decimal("30.4375")


# --------------------------------------------------------------------------- customers


def unique_name(rng: random.Random, country: str, city: str, used: set[str]) -> str:
    """A name not used yet; abroad, also a brand word not used yet."""
    for _ in range(1000):
        name = company_name(rng, country, city)
        brand = name.rsplit(" ", 2)[0]
        if country != "NO" and any(u.startswith(brand + " ") for u in sorted(used)):
            continue
        if name not in used:
            used.add(name)
            return name
    raise RuntimeError("ran out of company names")


def company_name(rng: random.Random, country: str, city: str) -> str:
    if country != "NO":
        word, trade = rng.choice(FOREIGN_WORDS[country]), rng.choice(FOREIGN_TRADES[country])
        form = "LLC" if country == "US" and rng.random() < 0.3 else COMPANY_FORM[country]
        return f"{word} {trade} {form}"
    pattern = rng.random()
    prefix, trade = rng.choice(NO_PREFIXES), rng.choice(NO_TRADES)
    if pattern < 0.40:
        return f"{prefix} {trade} AS"
    if pattern < 0.60:
        return f"{prefix}{trade.lower()} AS"
    if pattern < 0.75:
        return f"{rng.choice(NO_SURNAMES)} {trade} AS"
    if pattern < 0.83:
        a, b = rng.sample(NO_SURNAMES, 2)
        return f"{a} & {b} AS"
    if pattern < 0.88:
        return f"Advokatfirmaet {rng.choice(NO_SURNAMES)} DA"
    if pattern < 0.93:
        return f"{city} {trade} AS"
    return f"{prefix} {trade} SA"


def domain_for(name: str, country: str) -> str:
    words = name.lower().replace("&", " ").split()
    if len(words) > 1 and words[-1] in {"as", "da", "sa", "gmbh", "b.v.", "bv", "oy", "ab",
                                        "inc.", "llc", "ag", "kf", "il", "kommune"}:  # fmt: skip
        words = words[:-1]
    table = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "ä": "a", "ö": "o", "ü": "u",
                           "ß": "ss", "é": "e"})  # fmt: skip
    slug = re.sub(r"[^a-z0-9]", "", "".join(words).translate(table))
    return f"{slug}.{TLD[country]}"


def vat_id_for(rng: random.Random, country: str) -> str:
    digits = "".join(str(rng.randint(0, 9)) for _ in range(10))
    return {
        "NO": f"NO{org_number(rng)}MVA",
        "DE": f"DE{digits[:9]}",
        "AT": f"ATU{digits[:8]}",
        "NL": f"NL{digits[:9]}B01",
        "BE": f"BE0{digits[:9]}",
        "FI": f"FI{digits[:8]}",
        "SE": f"SE{digits}01",
        "US": "",
    }[country]


def address_for(rng: random.Random, country: str, city: str, postal: str) -> str:
    number = rng.randint(1, 120)
    if country == "NO":
        letter = rng.choice(("", "", "", "A", "B"))
        return f"{rng.choice(NO_STREETS)} {number}{letter}\n{postal} {city}"
    street = rng.choice(FOREIGN_STREETS[country])
    if country == "US":
        suite = f", Suite {rng.randint(1, 9)}00" if rng.random() < 0.5 else ""
        return f"{number * 10} {street}{suite}\n{city}, {postal}\n{COUNTRY_NAME[country]}"
    return f"{street} {number}\n{postal} {city}\n{COUNTRY_NAME[country]}"


def pick_no_city(rng: random.Random, city: str | None = None) -> tuple[str, str, str]:
    if city is None:
        weights = [w for *_, w in NO_CITIES]
        city = rng.choices([c for c, *_ in NO_CITIES], weights=weights)[0]
    row = next(r for r in NO_CITIES if r[0] == city)
    return row[0], row[1], rng.choice(row[2])


def make_customer(
    rng: random.Random,
    used: set[str],
    *,
    country: str,
    segment: str,
    city: str | None = None,
    name: str | None = None,
    kind: str = "company",  # company | public | club
) -> Customer:
    """A customer with a place, an owner and the invoicing fields of SPEC 1."""
    if country == "NO":
        city, region, postal = pick_no_city(rng, city)
    else:
        places = FOREIGN_PLACES[country]
        city, postal = next((p for p in places if p[0] == city), rng.choice(places))
        region = REGION[country]
    if name is None:
        if kind == "public" and f"{city} kommune" not in used:
            name = f"{city} kommune"
        elif kind == "club" and city not in ("Oslo",):
            name = f"{city} {rng.choice(('Idrettslag', 'Seilforening', 'Turlag'))}"
        else:
            name = unique_name(rng, country, city, used)
    used.add(name)
    c = Customer(
        name=name,
        country=country,
        segment=segment,
        region=region,
        city=city,
        owner=OWNERS[rng.choice(REGION_OWNERS[region])],
        currency=CURRENCY[country],
        public=kind == "public",
    )
    mailbox = rng.choice(BILLING_MAILBOX.get(country, ("invoices", "accounts")))
    c.billing_email = f"{mailbox}@{domain_for(name, country)}"
    c.vat_id = "" if kind == "club" else vat_id_for(rng, country)
    c.address = address_for(rng, country, city, postal)
    c.reverse_charge = country != "NO"  # every buyer abroad: zero-rated, reverse charge
    c.locale = LOCALE.get(country, "")
    if country == "US" or city == "Longyearbyen":
        c.tax_rate = "0"
    if segment == "Enterprise" or kind == "public" or country in ("DE", "US"):
        c.payment_terms_days = rng.choice(("30", "30", "45")) if country == "US" else "30"
    elif segment == "SMB" and rng.random() < 0.12:
        c.payment_terms_days = "10"
    return c


# --------------------------------------------------------------------------- contracts


class Builder:
    """Collects contracts and lines; picks the prices of the price list in force."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.contracts: list[Contract] = []

    def contract(
        self,
        c: Customer,
        start: date,
        *,
        months: int | None = None,
        end: date | None = None,
        auto_renew: bool = False,
        billing: str = "month",
        notice: str = "",
        uplift: str = "",
        renewal_term: str = "",
        cancelled_on: date | None = None,
        notes: str = "",
        renews: Contract | None = None,
    ) -> Contract:
        if months is not None and end is None:
            end = add_months(start, months) - ONE_DAY
        k = Contract(
            customer=c,
            start_date=start,
            end_date=end,
            currency=c.currency,
            billing_period=billing,
            auto_renew=auto_renew,
            renewal_term_months=renewal_term,
            notice_days=notice,
            renewal_uplift_pct=uplift,
            cancelled_on=cancelled_on,
            signed_on=start - timedelta(days=self.rng.randint(3, 40)),
            notes=notes,
            renews=renews,
        )
        if c.segment == "Enterprise" or c.public:
            k.po_number = f"45{self.rng.randint(10000000, 99999999)}"
        if c.segment == "Enterprise" and c.owner != OWNERS["ingrid"] and self.rng.random() < 0.5:
            k.owner = OWNERS["ingrid"]  # the key-account lead owns the big deals
        self.contracts.append(k)
        return k

    def line(
        self,
        k: Contract,
        product: str,
        quantity: int,
        *,
        start: date | None = None,
        end: date | None = None,
        discount: str = "",
        price: Decimal | None = None,
        description: str | None = None,
        tax_rate: str = "",
    ) -> Line:
        p = PRODUCTS[product]
        on = start or k.start_date
        if price is None:
            price = p.price(k.currency, on)
            if product == "FJ-CARE":
                assert k.end_date is not None
                price *= round(term_months(k.start_date, k.end_date)) / Decimal(12)
            if product == "ONBOARD":
                price = (price * ONBOARD_FACTOR[k.customer.segment]).quantize(Decimal(100))
        text = description or (p.text_en if k.customer.english else p.text_no)
        ln = Line(
            product=product,
            quantity=quantity,
            unit_price=price.quantize(CENT),
            price_period=p.period,
            description=text,
            discount_pct=discount,
            start_date=None if on == k.start_date else on,
            end_date=end,
            tax_rate=tax_rate,
        )
        k.lines.append(ln)
        return ln


def seats_for(c: Customer, rng: random.Random) -> int:
    if c.segment == "SMB":
        return rng.choice((1, 2, 3, 3, 4, 5, 5, 6, 8, 10, 12, 15))
    if c.segment == "Mid-Market":
        return rng.choice((15, 20, 20, 25, 30, 35, 40, 50, 60, 75))
    return rng.choice((40, 50, 60, 80, 80, 100, 120, 150, 200))


def plan_for(c: Customer, rng: random.Random) -> str:
    if c.segment == "SMB":
        return "FJ-START" if rng.random() < 0.6 else "FJ-PRO"
    return "FJ-PRO" if c.segment == "Mid-Market" else "FJ-ENT"


def discount_for(c: Customer, rng: random.Random) -> str:
    if c.segment == "Enterprise":
        return rng.choice(("15", "20", "20"))
    if c.segment == "Mid-Market":
        return rng.choice(("", "", "10", "10", "15"))
    return rng.choice(("",) * 7 + ("10",))


def subscription(
    b: Builder,
    c: Customer,
    start: date,
    *,
    months: int | None = None,
    end: date | None = None,
    auto_renew: bool | None = None,
    billing: str | None = None,
    notice: str | None = None,
    uplift: str | None = None,
    renewal_term: str | None = None,
    cancelled_on: date | None = None,
    notes: str = "",
    renews: Contract | None = None,
) -> Contract:
    """A contract with a first term of 12, 24 or 36 months that usually auto-renews.

    Every knob left at None is drawn at random for the customer's segment.
    """
    rng = b.rng
    if months is None and end is None:
        months = {"SMB": 12, "Mid-Market": rng.choice((12, 12, 24)), "Enterprise": 36}[c.segment]
        if c.segment == "Enterprise" and rng.random() < 0.3:
            months = 24
        if c.segment == "Mid-Market" and start.month <= 9 and rng.random() < 0.12:
            end = date(start.year, 12, 31)  # co-termed to the calendar year
            renewal_term = "12"
    if auto_renew is None:
        auto_renew = rng.random() < 0.85
    if billing is None:
        billing = {
            "SMB": ("year", "year", "month", "month", "quarter"),
            "Mid-Market": ("year", "year", "quarter", "quarter", "half-year", "month", "term"),
            "Enterprise": ("year", "year", "year", "quarter"),
        }[c.segment]
        billing = rng.choice(billing)
    if notice is None:
        notice = rng.choice(("", "30", "60", "90", "90")) if auto_renew else ""
        if c.segment == "SMB" and auto_renew:
            notice = rng.choice(("", "", "30"))
    if uplift is None:
        uplift = rng.choice(("", "", "3", "3", "5", "2.5")) if auto_renew else ""
    if renewal_term is None:
        renewal_term = ""
        if auto_renew and (months or 0) > 12 and rng.random() < 0.6:
            renewal_term = "12"
        elif auto_renew and months and rng.random() < 0.3:
            renewal_term = str(months)
    return b.contract(
        c,
        start,
        months=months,
        end=end,
        auto_renew=auto_renew,
        billing=billing,
        notice=notice,
        uplift=uplift,
        renewal_term=renewal_term,
        cancelled_on=cancelled_on,
        notes=notes,
        renews=renews,
    )


def evergreen(b: Builder, c: Customer, start: date, cancelled_on: date | None = None) -> Contract:
    """A month-to-month contract without an end date, billed monthly."""
    return b.contract(c, start, billing="month", cancelled_on=cancelled_on)


def default_lines(
    b: Builder,
    k: Contract,
    *,
    plan: str | None = None,
    seats: int | None = None,
    addons: bool = True,
    onboarding: bool = True,
) -> Line:
    """Add the plan line, and the add-ons and one-time fees typical of the segment.

    Returns the plan line.
    """
    rng, c = b.rng, k.customer
    plan = plan or plan_for(c, rng)
    seats = seats or seats_for(c, rng)
    main = b.line(k, plan, seats, discount=discount_for(c, rng))
    if c.segment == "Enterprise":
        b.line(k, "FJ-SANDBOX", 1)
        free_sso = "Single sign-on (included)" if c.english else "Single sign-on (inkludert)"
        b.line(k, "FJ-SSO", seats, price=D0, description=free_sso)
        if k.end_date is not None:
            b.line(k, "FJ-CARE", 1)
    if addons:
        odds = {"SMB": 0.1, "Mid-Market": 0.4, "Enterprise": 0.5}[c.segment]
        if c.segment == "Mid-Market" and rng.random() < odds:
            b.line(k, "FJ-SSO", seats)
        for product in ("FJ-API", "FJ-ANALYTICS", "FJ-STORAGE"):
            if rng.random() < odds * 0.6:
                b.line(k, product, rng.choice((1, 1, 2, 3)) if product == "FJ-STORAGE" else 1)
    onboard_odds = {"SMB": 0.3, "Mid-Market": 0.6, "Enterprise": 1.0}[c.segment]
    if onboarding and rng.random() < onboard_odds:
        b.line(k, "ONBOARD", 1)
    return main


def addon_not_in(k: Contract, rng: random.Random) -> str:
    have = {ln.product for ln in k.lines if ln.unit_price > 0}
    choices = [p for p in ("FJ-API", "FJ-ANALYTICS", "FJ-SSO", "FJ-STORAGE") if p not in have]
    return rng.choice(choices or ["FJ-STORAGE"])


def addon_line(
    b: Builder,
    k: Contract,
    product: str,
    start: date | None = None,
    seats_of: Contract | None = None,
) -> Line:
    """An add-on line; SSO is priced per seat of the plan lines (of ``seats_of``, else ``k``)."""
    plan_lines = (seats_of or k).lines
    seats = sum(ln.quantity for ln in plan_lines if ln.product in PLANS and ln.unit_price > 0)
    quantity = seats if product == "FJ-SSO" else 1
    return b.line(k, product, max(quantity, 1), start=start)


def training_days(b: Builder, k: Contract, on: date) -> None:
    """A one-time training line; courses are exempt from Norwegian VAT in some contracts."""
    tax = "0" if k.customer.country == "NO" and b.rng.random() < 0.3 else ""
    b.line(k, "TRAINING", b.rng.choice((1, 1, 2, 3)), start=on, tax_rate=tax)


# --------------------------------------------------------------------------- stories
#
# A story takes the customer, its first start date and an optional event date (the day a
# change takes effect) and writes the customer's contracts. Knobs fix what is otherwise
# drawn at random; the showcase uses them to place events precisely.


def story_steady(b: Builder, c: Customer, start: date, event: date | None, **knobs: Any) -> None:
    """Signs once and stays; sometimes books a training day later."""
    k = subscription(b, c, start, **knobs)
    default_lines(b, k)
    if event and k.open_on(event) and b.rng.random() < 0.3:
        training_days(b, k, event)


def story_monthly(b: Builder, c: Customer, start: date, event: date | None, **knobs: Any) -> None:
    """Month-to-month; may start with a free trial, add seats or leave at a month end."""
    rng = b.rng
    k = evergreen(b, c, start, cancelled_on=knobs.get("cancelled_on"))
    plan, seats = plan_for(c, rng), seats_for(c, rng)
    paid_from = None
    if knobs.get("trial") or rng.random() < 0.15:
        paid_from = start + timedelta(days=knobs.get("trial_days", 14))
        text = "Free trial seats" if c.english else "Prøvelisenser (gratis)"
        b.line(k, plan, seats, price=D0, end=paid_from - ONE_DAY, description=text)
    b.line(k, plan, seats, start=paid_from)
    if rng.random() < 0.15:
        addon_line(b, k, "FJ-STORAGE")
    if event is None or k.cancelled_on:
        return
    roll = rng.random()
    if roll < 0.5:
        b.line(k, plan, rng.randint(1, 5), start=event, description=extra_seats_text(c))
    elif roll < 0.8 and month_end(event) <= CANCEL_HORIZON:
        k.cancelled_on = month_end(event)
        k.notes = "Sagt opp av kunden" if not c.english else "Cancelled by the customer"


def extra_seats_text(c: Customer) -> str:
    return "Additional seats" if c.english else "Tilleggslisenser"


def story_expander(b: Builder, c: Customer, start: date, event: date | None, **knobs: Any) -> None:
    """Adds an add-on product later: in the same contract, or as a separate 12-month contract."""
    rng = b.rng
    addon, separate = knobs.pop("addon", None), knobs.pop("separate", None)
    k = subscription(b, c, start, **({"auto_renew": True} | knobs))
    default_lines(b, k, addons=addon is None and rng.random() < 0.5)
    if event is None:
        return
    product = addon or addon_not_in(k, rng)
    if separate if separate is not None else rng.random() < 0.3:
        extra = b.contract(c, event, months=12, billing="year", auto_renew=rng.random() < 0.5)
        extra.notes = "Tilleggsavtale" if not c.english else "Add-on agreement"
        addon_line(b, extra, product, seats_of=k)
    else:
        addon_line(b, k, product, start=event)


def story_upgrader(b: Builder, c: Customer, start: date, event: date | None, **knobs: Any) -> None:
    """Buys more seats of its plan, as an extra line from the day they start; maybe twice."""
    rng = b.rng
    fixed_extra = knobs.pop("extra_seats", None)
    if c.segment == "SMB" and rng.random() < 0.3 and not knobs:
        k = evergreen(b, c, start)
    else:
        k = subscription(b, c, start, **({"auto_renew": True} | knobs))
    main = default_lines(b, k)
    if event is None:
        return
    extra = fixed_extra or max(1, round(main.quantity * rng.uniform(0.2, 0.8)))
    b.line(k, main.product, extra, start=event, discount=main.discount_pct,
           description=extra_seats_text(c))  # fmt: skip
    second = add_months(event, rng.randint(4, 10))
    if fixed_extra is None and second <= EVENT_HORIZON and rng.random() < 0.4:
        b.line(k, main.product, max(1, extra // 2), start=second, discount=main.discount_pct,
               description=extra_seats_text(c))  # fmt: skip


def story_plan_switcher(
    b: Builder, c: Customer, start: date, event: date | None, **knobs: Any
) -> None:
    """Moves up a plan: the old plan line ends the day before the new one starts."""
    k = subscription(b, c, start, **({"auto_renew": True} | knobs))
    old = "FJ-START" if c.segment == "SMB" else "FJ-PRO"
    new = "FJ-PRO" if c.segment == "SMB" else "FJ-ENT"
    main = default_lines(b, k, plan=old)
    if event is None:
        return
    main.end_date = event - ONE_DAY
    b.line(k, new, main.quantity + b.rng.choice((0, 0, 2, 5)), start=event)


def story_addon_dropper(
    b: Builder, c: Customer, start: date, event: date | None, **knobs: Any
) -> None:
    """Stops using an add-on while keeping the plan: that product is cancelled."""
    product = knobs.pop("addon", None) or b.rng.choice(("FJ-API", "FJ-ANALYTICS", "FJ-STORAGE"))
    k = subscription(b, c, start, **({"auto_renew": True} | knobs))
    default_lines(b, k, addons=False)
    addon = addon_line(b, k, product)
    if event is not None:
        addon.end_date = event - ONE_DAY


def story_downgrader(
    b: Builder, c: Customer, start: date, event: date | None, **knobs: Any
) -> None:
    """Needs fewer seats: the line ends early and a smaller one starts the next day."""
    rng = b.rng
    fewer = knobs.pop("fewer", None)
    k = subscription(b, c, start, **({"auto_renew": True} | knobs))
    main = default_lines(b, k, seats=max(seats_for(c, rng), 4))
    if event is None:
        return
    main.end_date = event - ONE_DAY
    fewer = fewer or max(1, round(main.quantity * rng.uniform(0.15, 0.4)))
    text = "Reduced seat count" if c.english else "Redusert antall brukere"
    b.line(k, main.product, main.quantity - fewer, start=event, discount=main.discount_pct,
           description=text)  # fmt: skip
    addons = [ln for ln in k.lines if ln.product in ADDONS and ln.unit_price > 0]
    if addons and rng.random() < 0.3:
        addons[0].end_date = event - ONE_DAY


def churn_contract(
    b: Builder, c: Customer, start: date, event: date, variant: str | None, **knobs: Any
) -> Contract:
    """A contract whose service stops around ``event``; returns it (its last day is known)."""
    rng = b.rng
    variant = variant or rng.choice(
        ("monthly", "expire", "cancel") if c.segment == "SMB" else ("expire", "cancel")
    )
    if variant == "monthly":
        k = evergreen(b, c, start)
        default_lines(b, k, addons=False)
        k.cancelled_on = knobs.get("cancelled_on") or event - ONE_DAY
        return k
    if variant == "expire":
        years = max(1, round((event - start).days / 365))
        k = subscription(b, c, start, **({"months": 12 * years, "auto_renew": False} | knobs))
        default_lines(b, k)
        return k
    k = subscription(b, c, start, **({"auto_renew": True} | knobs))
    default_lines(b, k)
    last = knobs.get("cancelled_on") or k.term_end_on_or_after(event - ONE_DAY)
    if last <= CANCEL_HORIZON:
        k.cancelled_on = last
        k.notes = "Oppsigelse mottatt" if not c.english else "Notice of termination received"
    return k


def story_churner(b: Builder, c: Customer, start: date, event: date | None, **knobs: Any) -> None:
    """Leaves: a fixed term not renewed, a cancelled auto-renewal or a cancelled monthly plan."""
    if event is None:
        story_steady(b, c, start, None)
        return
    variant = knobs.pop("variant", None)
    churn_contract(b, c, start, event, variant, **knobs)


def story_reactivator(
    b: Builder, c: Customer, start: date, event: date | None, **knobs: Any
) -> None:
    """Leaves, stays away at least a month end, then signs a new contract."""
    rng = b.rng
    if event is None:
        story_steady(b, c, start, None)
        return
    comeback = knobs.pop("return_on", None)
    old = churn_contract(b, c, start, event, knobs.pop("variant", None), **knobs)
    gone = old.last_service_day()
    if gone is None:
        return
    earliest = add_months(gone.replace(day=1), 2)
    comeback = comeback or max(earliest, add_months(gone.replace(day=1), rng.randint(3, 14)))
    if comeback > EVENT_HORIZON:
        return
    note = "Returning customer" if c.english else "Kunden er tilbake"
    if c.segment == "SMB" and rng.random() < 0.5:
        k = evergreen(b, c, comeback)
        k.notes = note
        default_lines(b, k, addons=False, onboarding=False)
    else:
        k = subscription(b, c, comeback, auto_renew=True, notes=note)
        default_lines(b, k, onboarding=False)


def story_renewer(b: Builder, c: Customer, start: date, event: date | None, **knobs: Any) -> None:
    """Signs fixed terms and renews each time with a new contract (new price, new seat count)."""
    rng = b.rng
    k = subscription(b, c, start, **({"auto_renew": False} | knobs))
    main = default_lines(b, k)
    seats, plan = main.quantity, main.product
    assert k.end_date is not None
    while k.end_date is not None and k.end_date + ONE_DAY <= EVENT_HORIZON:
        seats = max(1, round(seats * rng.uniform(0.75, 1.4)))
        auto = rng.random() < 0.25
        note = f"Renewal of {{{id(k)}}}" if c.english else f"Fornyelse av {{{id(k)}}}"
        k = subscription(b, c, k.end_date + ONE_DAY, auto_renew=auto, notes=note, renews=k)
        default_lines(b, k, plan=plan, seats=seats, onboarding=False)
        if auto:
            break


def story_enterprise(
    b: Builder, c: Customer, start: date, event: date | None, **knobs: Any
) -> None:
    """A multi-year deal with support, sandbox and onboarding; grows seats or analytics later."""
    rng = b.rng
    k = subscription(b, c, start, **knobs)
    main = default_lines(b, k)
    training_days(b, k, add_months(start, rng.randint(1, 3)))
    if event is not None and k.open_on(event):
        if rng.random() < 0.6:
            extra = max(10, int(round(main.quantity * rng.uniform(0.1, 0.4), -1)))
            b.line(k, main.product, extra, start=event, discount=main.discount_pct,
                   description=extra_seats_text(c))  # fmt: skip
        else:
            addon_line(b, k, addon_not_in(k, rng), start=event)
    assert k.end_date is not None
    if not k.auto_renew and k.end_date + ONE_DAY <= EVENT_HORIZON and rng.random() < 0.8:
        note = f"Renewal of {{{id(k)}}}" if c.english else f"Fornyelse av {{{id(k)}}}"
        nxt = subscription(b, c, k.end_date + ONE_DAY, notes=note, renews=k)
        default_lines(b, nxt, plan=main.product, seats=main.quantity, onboarding=False)


def story_seed_example(b: Builder, c: Customer, start: date, event: date | None) -> None:
    """The worked example of issue 2, from 2025 into the last twelve months.

    10 licences in January, 5 more in June (upgrade), another product in March (expansion),
    3 fewer in October (downgrade), not renewed (churn in January), 5 licences the next
    March (reactivation).
    """
    y = start.year
    k = b.contract(c, start, end=date(y, 12, 31), billing="quarter")
    first = b.line(k, "FJ-PRO", 10, end=date(y, 9, 30))
    b.line(k, "FJ-PRO", 5, start=date(y, 6, 1), description=extra_seats_text(c))
    b.line(k, "FJ-ANALYTICS", 1, start=date(y, 3, 1))
    b.line(k, "FJ-PRO", first.quantity - 3, start=date(y, 10, 1),
           description="Redusert antall brukere")  # fmt: skip
    back = b.contract(c, date(y + 1, 3, 1), billing="month", notes="Kunden er tilbake")
    b.line(back, "FJ-PRO", 5)


def story_term_support(
    b: Builder, c: Customer, start: date, event: date | None, **knobs: Any
) -> None:
    """An enterprise account that later buys the three-year support term of SPEC 2 separately."""
    story_enterprise(b, c, start, None, **knobs)
    for k in b.contracts:
        if k.customer is c:
            k.lines = [ln for ln in k.lines if ln.product != "FJ-CARE"]
    assert event is not None
    care = b.contract(c, event, months=36, billing="term", notes="Treårig supportavtale")
    b.line(care, "FJ-CARE", 1, price=Decimal(36000))


STORIES = {
    "steady": story_steady,
    "monthly": story_monthly,
    "expander": story_expander,
    "upgrader": story_upgrader,
    "plan_switcher": story_plan_switcher,
    "addon_dropper": story_addon_dropper,
    "downgrader": story_downgrader,
    "churner": story_churner,
    "reactivator": story_reactivator,
    "renewer": story_renewer,
    "enterprise": story_enterprise,
    "seed_example": story_seed_example,
    "term_support": story_term_support,
}
STORY_WEIGHTS = {
    "SMB": {"monthly": 26, "steady": 18, "churner": 18, "upgrader": 10, "reactivator": 9,
            "plan_switcher": 8, "renewer": 6, "downgrader": 4, "expander": 3},
    "Mid-Market": {"steady": 18, "expander": 18, "upgrader": 14, "downgrader": 12,
                   "addon_dropper": 9, "churner": 10, "renewer": 11, "reactivator": 5,
                   "plan_switcher": 5},
    "Enterprise": {"enterprise": 70, "expander": 12, "downgrader": 8, "renewer": 10},
}  # fmt: skip
EVENT_STORIES = frozenset(STORIES) - {"steady", "seed_example"}

# --------------------------------------------------------------------------- the cast


@dataclass
class Cast:
    """One customer to be: who, when it starts, what story it lives and with which knobs."""

    customer: Customer
    story: str
    start: date
    event: date | None = None
    knobs: dict[str, Any] = field(default_factory=dict)
    form: str = "csv"  # where its contracts are written


def d(text: str) -> date:
    return date.fromisoformat(text)


def showcase(rng: random.Random, used: set[str]) -> list[Cast]:
    """Hand-placed customers: every movement in 2025-12..2026-11, every renewal status."""

    def cust(
        name: str, country: str, segment: str, city: str | None = None, **extra: Any
    ) -> Customer:
        c = make_customer(rng, used, country=country, segment=segment, city=city, name=name)
        for key, value in extra.items():
            setattr(c, key, value)
        return c

    return [
        # movements in the last twelve months
        Cast(cust("Bryggeloftet Regnskap AS", "NO", "SMB", "Bergen"), "seed_example",
             d("2025-01-01")),
        Cast(cust("Fjellbygg Entreprenør AS", "NO", "Mid-Market", "Trondheim"), "upgrader",
             d("2024-05-01"), d("2026-04-01"), {"extra_seats": 15, "billing": "quarter"}),
        Cast(cust("Öresund Logistik AB", "SE", "Mid-Market", "Malmö"), "upgrader",
             d("2024-09-01"), d("2026-09-15"), {"extra_seats": 10}),
        Cast(cust("Havbris Marin AS", "NO", "Mid-Market", "Ålesund"), "expander",
             d("2024-03-01"), d("2026-02-15"), {"addon": "FJ-API", "separate": False}),
        Cast(cust("Alpenblick Software GmbH", "DE", "Mid-Market", "München", in_yaml=True),
             "expander", d("2025-03-01"), d("2026-07-01"),
             {"addon": "FJ-ANALYTICS", "separate": True}, form="yaml"),
        Cast(cust("Tindefjell Reiseliv AS", "NO", "Mid-Market", "Tromsø"), "downgrader",
             d("2024-06-01"), d("2026-06-15"), {"fewer": 10}),
        Cast(cust("Pinecrest Analytics Inc.", "US", "Mid-Market", "Seattle"), "downgrader",
             d("2025-02-01"), d("2026-10-01"), {"fewer": 5}),
        Cast(cust("Sølvberg Klinikk AS", "NO", "SMB", "Tønsberg"), "downgrader",
             d("2024-12-01"), d("2026-01-01"), {"fewer": 3, "billing": "month"}),
        Cast(cust("Kløver Tannhelse AS", "NO", "SMB", "Drammen"), "plan_switcher",
             d("2024-11-01"), d("2026-09-01")),
        Cast(cust("Granlund Eiendomsforvaltning AS", "NO", "Mid-Market", "Oslo"), "addon_dropper",
             d("2024-04-01"), d("2026-06-01"), {"addon": "FJ-ANALYTICS"}),
        Cast(cust("Revontuli Oy", "FI", "Mid-Market", "Tampere", in_yaml=True), "addon_dropper",
             d("2025-01-15"), d("2026-11-01"), {"addon": "FJ-API"}, form="yaml"),
        Cast(cust("Vestavind Media AS", "NO", "SMB", "Stavanger"), "churner",
             d("2025-07-01"), d("2026-07-01"), {"variant": "expire", "months": 12}),
        Cast(cust("Norrsken Data AB", "SE", "Mid-Market", "Stockholm", in_yaml=True), "churner",
             d("2024-09-01"), d("2026-08-01"), {"variant": "cancel", "months": 12}, form="yaml"),
        Cast(cust("Måke Catering AS", "NO", "SMB", "Bergen"), "churner",
             d("2024-04-01"), d("2026-03-01"), {"variant": "monthly"}),
        Cast(cust("Hansen, Moe & Co AS", "NO", "SMB", "Fredrikstad"), "reactivator",
             d("2024-07-01"), d("2025-07-01"),
             {"variant": "expire", "months": 12, "return_on": d("2026-10-01")}),
        Cast(cust("Lakeshore Foods LLC", "US", "SMB", "Minneapolis"), "reactivator",
             d("2025-01-01"), d("2025-09-01"),
             {"variant": "monthly", "return_on": d("2026-05-01")}),
        Cast(cust("Sogne Reiseliv AS", "NO", "Mid-Market", "Førde"), "reactivator",
             d("2024-06-01"), d("2025-06-01"),
             {"variant": "expire", "months": 12, "return_on": d("2026-02-01")}),
        Cast(cust("Furu Handel AS", "NO", "SMB", "Steinkjer"), "reactivator",
             d("2024-03-01"), d("2025-11-01"),
             {"variant": "monthly", "return_on": d("2026-06-15")}),
        Cast(cust("Sjøsprøyt Havbruk AS", "NO", "Mid-Market", "Bodø"), "steady",
             d("2024-10-01"), None,
             {"months": 36, "auto_renew": False, "cancelled_on": d("2026-04-15"),
              "notes": "Konkurs, avtalen avsluttet av bobestyrer"}),
        Cast(cust("Elvebakken Bakeri AS", "NO", "SMB", "Hamar"), "monthly", d("2026-03-01"), None,
             {"trial": True, "trial_days": 31}),
        # renewals as of 2026-11-23, within 90 days
        Cast(cust("Ægir Energi AS", "NO", "Mid-Market", "Stavanger"), "steady", d("2025-01-01"),
             None, {"months": 12, "auto_renew": True, "notice": "30", "uplift": "3"}),
        Cast(cust("Hanse Datentechnik GmbH", "DE", "Mid-Market", "Hamburg", in_yaml=True),
             "upgrader", d("2024-02-01"), d("2026-03-01"),
             {"months": 12, "notice": "60", "uplift": "3", "extra_seats": 8}, form="yaml"),
        Cast(cust("Dovre Maskin AS", "NO", "Mid-Market", "Lillehammer"), "steady",
             d("2024-02-22"), None, {"months": 12, "auto_renew": True, "notice": "90"}),
        Cast(cust("Fyrlykt Data AS", "NO", "SMB", "Bergen", in_yaml=True), "steady",
             d("2023-01-01"), None,
             {"months": 12, "auto_renew": True, "notice": "90", "uplift": "5",
              "billing": "year"}, form="yaml"),
        Cast(cust("Brattøra Bemanning AS", "NO", "Mid-Market", "Trondheim"), "steady",
             d("2023-12-15"), None,
             {"months": 12, "auto_renew": True, "notice": "60", "renewal_term": "12"}),
        Cast(cust("Midnattsol Helse AS", "NO", "SMB", "Tromsø", in_yaml=True), "steady",
             d("2025-01-31"), None,
             {"end": d("2025-05-30"), "auto_renew": True, "renewal_term": "3",
              "notice": "30", "billing": "month"}, form="yaml"),
        Cast(cust("Storsjø Transport AS", "NO", "Mid-Market", "Hamar"), "steady", d("2024-01-01"),
             None, {"months": 36, "auto_renew": False, "billing": "year"}),
        Cast(cust("Polder Data B.V.", "NL", "Mid-Market", "Utrecht", in_yaml=True), "steady",
             d("2026-01-15"), None, {"months": 12, "auto_renew": False}, form="yaml"),
        Cast(cust("Skogheim Eiendom AS", "NO", "Mid-Market", "Sandvika"), "steady",
             d("2025-02-01"), None, {"months": 24, "auto_renew": False, "billing": "quarter"}),
        Cast(cust("Järvi Analytics Oy", "FI", "SMB", "Helsinki"), "steady", d("2026-02-21"),
             None, {"months": 12, "auto_renew": False}),
        Cast(cust("Vårsol Fysioterapi AS", "NO", "SMB", "Sandnes"), "steady", d("2024-01-01"),
             None, {"months": 12, "auto_renew": True, "cancelled_on": d("2026-12-31"),
                    "notes": "Oppsigelse mottatt 2026-10-20"}),
        Cast(cust("Blåbær Interiør AS", "NO", "SMB", "Kristiansand"), "churner",
             d("2025-05-01"), d("2026-12-01"), {"variant": "monthly"}),
        Cast(cust("Kystlys Elektro AS", "NO", "Mid-Market", "Haugesund"), "steady",
             d("2025-07-01"), None,
             {"months": 24, "auto_renew": False, "cancelled_on": d("2027-01-15"),
              "notes": "Avtalt tidlig avslutning"}),
        # calendar edges and the SPEC 2 term example
        Cast(cust("Hardanger Kraft AS", "NO", "Enterprise", "Voss", in_yaml=True),
             "term_support", d("2023-06-01"), d("2026-01-01"),
             {"months": 36, "auto_renew": True, "notice": "90", "uplift": "3",
              "renewal_term": "12"}, form="yaml"),
        Cast(cust("Lyngen Anlegg AS", "NO", "Mid-Market", "Tromsø"), "steady", d("2024-02-29"),
             None, {"end": d("2025-02-28"), "auto_renew": True, "billing": "year"}),
        Cast(cust("Gausta Rør AS", "NO", "SMB", "Drammen"), "steady", d("2023-03-01"), None,
             {"end": d("2024-02-29"), "auto_renew": True, "renewal_term": "12"}),
        Cast(cust("Rondane Klinikk AS", "NO", "Mid-Market", "Hamar"), "steady", d("2025-03-01"),
             None, {"end": d("2028-02-29"), "auto_renew": False, "billing": "half-year"}),
        Cast(cust("Snøhvit Sjømat AS", "NO", "Mid-Market", "Tromsø"), "steady", d("2026-12-01"),
             None, {"months": 12, "auto_renew": True}),
        Cast(cust("Cascade Ridge Holdings Inc.", "US", "Enterprise", "Boston", in_yaml=True),
             "enterprise", d("2027-01-01"), None, {"months": 36, "auto_renew": True},
             form="yaml"),
        # names and places that test quoting, brackets and tax
        Cast(cust("[Nordlys] Analyse AS", "NO", "Mid-Market", "Oslo", in_yaml=True),
             "expander", d("2024-10-01"), d("2026-10-01"), {"billing": "term", "months": 24},
             form="yaml"),
        Cast(cust("Svalbard Ekspedisjoner AS", "NO", "SMB", "Longyearbyen", in_yaml=True),
             "steady", d("2024-06-01"), None, {"months": 12, "auto_renew": True}, form="yaml"),
        Cast(cust("Subsea Nordic AS", "NO", "Enterprise", "Stavanger", locale="en_GB",
                  in_yaml=True), "enterprise", d("2024-09-01"), d("2026-05-01"),
             {"months": 36, "auto_renew": True, "notice": "90", "uplift": "2.5",
              "renewal_term": "12"}, form="yaml"),
        Cast(cust("Førde Sogelag", "NO", "SMB", "Førde", locale="nn_NO", vat_id="",
                  in_yaml=True), "monthly", d("2023-09-01"), None, form="yaml"),
    ]  # fmt: skip


def random_start(rng: random.Random) -> date:
    """A first start date, more of them later as the company grows."""
    starts = months(FIRST_MONTH, date(2026, 11, 1))
    month = rng.choices(starts, weights=[1 + i * 0.08 for i in range(len(starts))])[0]
    roll = rng.random()
    if roll < 0.75:
        return month
    if roll < 0.85:
        return month.replace(day=15)
    if roll < 0.97:
        return month.replace(day=rng.randint(2, 28))
    return month_end(month)  # the 28th to 31st: billing anchors that clamp


def random_event(rng: random.Random, start: date) -> date | None:
    lo = add_months(start.replace(day=1), 4)
    if lo > EVENT_HORIZON:
        return None
    month = rng.choice(months(lo, EVENT_HORIZON))
    return month if rng.random() < 0.7 else month.replace(day=15)


def churn_event(rng: random.Random, start: date) -> date | None:
    """Customers leave at a renewal, most often the first one."""
    day = add_months(start, rng.choice((6, 9, 12, 12, 12, 15, 24, 24, 36))).replace(day=1)
    return day if day <= EVENT_HORIZON else None


def random_cast(rng: random.Random, used: set[str]) -> list[Cast]:
    out = []
    for i in range(N_RANDOM_CUSTOMERS):
        countries = list(COUNTRY_WEIGHTS)
        country = rng.choices(countries, weights=list(COUNTRY_WEIGHTS.values()))[0]
        weights = (55, 33, 12) if country == "NO" else (25, 55, 20)
        segment = rng.choices(SEGMENTS, weights=weights)[0]
        kind = "company"
        if country == "NO" and i % 50 == 7:
            kind, segment = "public", "Mid-Market"
        elif country == "NO" and i % 50 == 23:
            kind, segment = "club", "SMB"
        c = make_customer(rng, used, country=country, segment=segment, kind=kind)
        start = random_start(rng)
        table = STORY_WEIGHTS[segment]
        story = rng.choices(list(table), weights=list(table.values()))[0]
        event = random_event(rng, start) if story in EVENT_STORIES else None
        if story in ("churner", "reactivator"):
            event = churn_event(rng, start)
        out.append(Cast(c, story, start, event))
    return out


def choose_yaml_forms(cast: list[Cast], rng: random.Random) -> None:
    """The four earliest random enterprise customers move to customers.yaml and
    contracts.yaml; the contracts of ten other larger customers get files of their own."""
    enterprise = [m for m in cast if m.form == "csv" and m.customer.segment == "Enterprise"]
    for m in sorted(enterprise, key=lambda m: m.start)[:4]:
        m.customer.in_yaml = True
        m.form = "yaml"
    rest = [m for m in cast if m.form == "csv" and m.customer.segment != "SMB"]
    for m in rng.sample(rest, 10):
        m.form = "file"


# --------------------------------------------------------------------------- ids


def assign_ids(cast: list[Cast], contracts: list[Contract]) -> list[Customer]:
    """Customer ids follow the first start date, contract ids the start date within a year."""
    ordered = sorted(cast, key=lambda m: (m.start, m.customer.name))
    for i, m in enumerate(ordered, 1):
        m.customer.customer_id = f"C{i:04d}"
    form = {id(m.customer): m.form for m in cast}
    seq: Counter[int] = Counter()
    for k in sorted(contracts, key=lambda k: (k.start_date, k.customer.customer_id)):
        seq[k.start_date.year] += 1
        k.contract_id = f"K-{k.start_date.year}-{seq[k.start_date.year]:04d}"
        k.form = form[id(k.customer)]
        for n, ln in enumerate(k.lines, 1):
            ln.line_id = str(n)
    for k in contracts:
        if k.renews is not None:
            k.notes = k.notes.replace(f"{{{id(k.renews)}}}", k.renews.contract_id)
    return [m.customer for m in ordered]


# --------------------------------------------------------------------------- fx rates

FX_START = {"EUR": 11.45, "USD": 10.55, "SEK": 0.99}
FX_BOUNDS = {"EUR": (11.2, 11.9), "USD": (10.0, 11.0), "SEK": (0.95, 1.05)}
FX_STEP = {"EUR": 0.09, "USD": 0.13, "SEK": 0.011}


def fx_rates(rng: random.Random) -> list[tuple[date, str, Decimal]]:
    """Monthly NOK rates, a bounded random walk per currency."""
    rows, level = [], dict(FX_START)
    for day in months(date(2022, 12, 1), LAST_MONTH):
        for cur in ("EUR", "SEK", "USD"):
            lo, hi = FX_BOUNDS[cur]
            x = level[cur] + rng.gauss(0, FX_STEP[cur])
            x = lo + abs(x - lo) if x < lo else hi - abs(x - hi) if x > hi else x
            level[cur] = x
            rows.append((day, cur, Decimal(str(x)).quantize(Decimal("0.0001"))))
    return rows


def rate_on(rates: list[tuple[date, str, Decimal]], currency: str, day: date) -> Decimal:
    if currency == BASE:
        return Decimal(1)
    return max((r for r in rates if r[1] == currency and r[0] <= day), key=lambda r: r[0])[2]


# --------------------------------------------------------------------------- signals


def line_active(k: Contract, ln: Line, day: date) -> bool:
    ends = [x for x in (ln.end_date, k.cancelled_on) if x]
    if not k.auto_renew and k.end_date:
        ends.append(k.end_date)
    return k.line_start(ln) <= day and (not ends or day <= min(ends))


def monthly_mrr(k: Contract, ln: Line) -> Decimal:
    """Line MRR in the contract currency, without uplift (good enough for signals)."""
    if ln.price_period == "once":
        return D0
    per = {"month": 1, "quarter": 3, "half-year": 6, "year": 12}.get(ln.price_period)
    assert k.end_date is not None or per is not None
    period = Decimal(per) if per else term_months(k.start_date, k.end_date)  # type: ignore[arg-type]
    disc = Decimal(ln.discount_pct or 0)
    return ln.quantity * ln.unit_price * (1 - disc / 100) / period


def seats_on(contracts: list[Contract], day: date) -> int:
    return sum(
        ln.quantity
        for k in contracts
        for ln in k.lines
        if ln.product in PLANS and ln.unit_price > 0 and line_active(k, ln, day)
    )


def usage_rows(
    rng: random.Random, by_customer: dict[str, list[Contract]], decliners: set[str]
) -> list[list[str]]:
    """Monthly active users (and API calls) per paying customer, 2025-12..2026-11."""
    rows = []
    for cid, ks in sorted(by_customer.items()):
        utilisation = rng.uniform(0.55, 0.95)
        has_api = any(ln.product == "FJ-API" for k in ks for ln in k.lines)
        calls = rng.randint(20, 400) * 1000
        for i, month in enumerate(months(SIGNAL_FIRST, WINDOW_LAST)):
            seats = seats_on(ks, month_end(month))
            if seats == 0:
                continue
            factor = utilisation * rng.uniform(0.93, 1.05)
            if cid in decliners and i >= 9:
                factor *= (0.7, 0.5, 0.35)[i - 9]
            users = max(1, min(seats, round(seats * factor)))
            rows.append([cid, month.strftime("%Y-%m"), "active_users", str(users)])
            if has_api:
                calls = round(calls * rng.uniform(0.9, 1.15))
                if cid in decliners and i >= 9:
                    calls = round(calls * 0.6)
                rows.append([cid, month.strftime("%Y-%m"), "api_calls", str(calls)])
    return rows


SEVERITIES = ("low", "normal", "normal", "normal", "high", "urgent")


def ticket_rows(
    rng: random.Random, by_customer: dict[str, list[Contract]], spikers: set[str]
) -> list[list[str]]:
    """Support tickets: a quiet baseline per customer, a burst in Oct-Nov 2026 for spikers."""
    rows = []
    for cid, ks in sorted(by_customer.items()):
        rate = min(2.5, 0.15 + seats_on(ks, AS_OF) / 60)
        for month in months(SIGNAL_FIRST, WINDOW_LAST):
            if seats_on(ks, month_end(month)) == 0:
                continue
            count = sum(1 for _ in range(6) if rng.random() < rate / 6)
            if cid in spikers and month >= date(2026, 10, 1):
                count += rng.randint(4, 7)
            last = min(month_end(month), AS_OF).day
            for _ in range(count):
                day = month.replace(day=rng.randint(1, last))
                severity = rng.choice(SEVERITIES)
                if cid in spikers and month >= date(2026, 10, 1):
                    severity = rng.choice(("normal", "high", "high", "urgent"))
                rows.append([cid, day.isoformat(), severity])
    return sorted(rows, key=lambda r: (r[1], r[0], r[2]))


def billing_starts(k: Contract, until: date) -> list[date]:
    """Billing period starts anchored on the contract start, up to ``until``."""
    if k.billing_period == "term":
        assert k.end_date is not None
        out, day = [k.start_date], k.end_date + ONE_DAY
        while k.auto_renew and day <= until:
            out.append(day)
            day = add_months(day, k.renewal_term())
        return out
    step = {"month": 1, "quarter": 3, "half-year": 6, "year": 12}[k.billing_period]
    out, n = [], 0
    while (day := add_months(k.start_date, n * step)) <= until:
        out.append(day)
        n += 1
    return out


def invoice_amount(k: Contract, start: date) -> Decimal:
    """Gross amount of the invoice of the period starting ``start`` (approximate, no proration)."""
    if k.billing_period == "term":
        assert k.end_date is not None
        span = term_months(k.start_date, k.end_date) if start == k.start_date else k.renewal_term()
        nxt = k.end_date + ONE_DAY if start == k.start_date else add_months(start, int(span))
    else:
        span = Decimal({"month": 1, "quarter": 3, "half-year": 6, "year": 12}[k.billing_period])
        nxt = add_months(start, int(span))
    net = D0
    for ln in k.lines:
        if ln.price_period == "once":
            if start <= k.line_start(ln) < nxt:
                net += ln.quantity * ln.unit_price * (1 - Decimal(ln.discount_pct or 0) / 100)
        elif line_active(k, ln, start):
            net += monthly_mrr(k, ln) * span
    c = k.customer
    no_tax = c.reverse_charge or c.tax_rate == "0"
    return (net * (Decimal(1) if no_tax else Decimal("1.25"))).quantize(CENT)


def payment_rows(
    rng: random.Random, contracts: list[Contract], late: set[str], overdue: set[str]
) -> list[list[str]]:
    """Invoices of the old accounting system since 2025-12 and when they were paid."""
    invoices = []
    for k in contracts:
        for start in billing_starts(k, AS_OF):
            last = k.last_service_day()
            if start < SIGNAL_FIRST or (last and start > last):
                continue
            amount = invoice_amount(k, start)
            if amount > 0:
                invoices.append((start, k.contract_id, k.customer, amount))
    rows = []
    for n, (issued, _, c, amount) in enumerate(sorted(invoices, key=lambda r: r[:2]), 10001):
        due = issued + timedelta(days=int(c.payment_terms_days or 14))
        if c.customer_id in overdue and due >= AS_OF - timedelta(days=75):
            paid = None
        elif c.customer_id in late:
            paid = due + timedelta(days=rng.randint(12, 40))
        else:
            paid = due - timedelta(days=rng.randint(0, 9)) if rng.random() < 0.9 else due + ONE_DAY
            paid = max(paid, issued)
        if paid is not None and paid > AS_OF:
            paid = None
        paid_text = paid.isoformat() if paid else ""
        rows.append([str(n), c.customer_id, due.isoformat(), paid_text, money(amount)])
    return rows


# --------------------------------------------------------------------------- opportunities

STAGES = (("Qualified", 20), ("Proposal", 40), ("Negotiation", 60), ("Verbal yes", 80))
PROSPECTS = (
    ("P0001", "Bjørkelia Barnehager AS", "NOK"), ("P0002", "Nordhavn Shipping AS", "NOK"),
    ("P0003", "Weserblick Logistik GmbH", "EUR"), ("P0004", "Haaglanden Zorg B.V.", "EUR"),
    ("P0005", "Solsiden Eiendom AS", "NOK"), ("P0006", "Kotka Marine Oy", "EUR"),
    ("P0007", "Trollfjord Turistsenter AS", "NOK"), ("P0008", "Rhein-Main Analytik GmbH", "EUR"),
    ("P0009", "Lindesnes Fyr og Fisk AS", "NOK"), ("P0010", "Northgate Robotics Inc.", "USD"),
)  # fmt: skip
LOST = (("P0011", "Vinje Bygg AS"), ("P0012", "Sortland Sjøtransport AS"),
        ("P0013", "Kongsberg Presisjon AS"))  # fmt: skip


def opportunity_rows(
    rng: random.Random,
    customers: list[Customer],
    contracts: list[Contract],
    renewing: list[str],
) -> list[list[str]]:
    """~40 deals: won new business, lost deals, open new, expansion and renewal deals."""
    rows: list[list[str]] = []
    by_id = {c.customer_id: c for c in customers}

    def add(cid: str, name: str, stage: tuple[str, int], close: date, *, mrr: Decimal,
            currency: str, kind: str, owner: str, status: str) -> None:  # fmt: skip
        oid = f"OPP-{len(rows) + 1:04d}"
        cur = "" if currency == BASE and rng.random() < 0.5 else currency
        rows.append([oid, cid, name, stage[0], str(stage[1]), close.isoformat(), money(mrr),
                     cur, kind, owner, status])  # fmt: skip

    firsts: dict[str, Contract] = {}
    for k in sorted(contracts, key=lambda k: k.start_date):
        firsts.setdefault(k.customer.customer_id, k)
    won = [k for k in firsts.values() if date(2026, 1, 1) <= k.start_date <= date(2026, 12, 1)]
    for k in won[:10]:
        c = k.customer
        mrr = sum((monthly_mrr(k, ln) for ln in k.lines if ln.start_date is None), D0)
        add(c.customer_id, f"{c.name} - new", ("Closed Won", 100), k.signed_on or k.start_date,
            mrr=mrr, currency=k.currency, kind="new", owner=c.owner, status="won")  # fmt: skip
    upsells = sorted(
        ((ln.start_date, k.contract_id, k, ln) for k in contracts for ln in k.lines
         if ln.product in ADDONS and ln.start_date and ln.start_date >= date(2026, 1, 1)),
        key=lambda r: r[:2],
    )  # fmt: skip
    for day, _, k, ln in upsells[:: max(1, len(upsells) // 5)][:5]:
        c = k.customer
        add(c.customer_id, f"{c.name} - {ln.product}", ("Closed Won", 100),
            day - timedelta(days=rng.randint(7, 30)), mrr=monthly_mrr(k, ln),
            currency=k.currency, kind="expansion", owner=c.owner, status="won")  # fmt: skip
    for pid, name, cur in PROSPECTS:
        mrr = Decimal(rng.choice((2950, 5900, 8850, 14750, 29500)))
        if cur != "NOK":
            mrr = (mrr / 11).quantize(Decimal(10))
        stage = rng.choice(STAGES)
        close = add_months(date(2026, 9, 1), rng.randint(0, 9)).replace(day=rng.randint(1, 28))
        rep = "emma" if cur != "NOK" else rng.choice(("ingrid", "magnus", "sofie"))
        add(pid, f"{name} - new", stage, close, mrr=mrr, currency=cur, kind="new",
            owner=OWNERS[rep], status="open")  # fmt: skip
    for cid, name in LOST:
        close = date(2026, rng.randint(2, 10), rng.randint(1, 28))
        mrr = Decimal(rng.choice((1770, 4130, 5900)))
        add(cid, f"{name} - new", ("Closed Lost", 0), close, mrr=mrr, currency="NOK",
            kind="new", owner=OWNERS["magnus"], status="lost")  # fmt: skip
    active = sorted({k.customer.customer_id for k in contracts if k.open_on(AS_OF)})
    for cid in rng.sample(active, 9):
        c = by_id[cid]
        product = rng.choice(("FJ-ANALYTICS", "FJ-API", "FJ-SSO", "more seats"))
        mrr = PRODUCTS["FJ-PRO"].price(c.currency, AS_OF) * rng.choice((5, 10, 20))
        if product != "more seats":
            mrr = PRODUCTS[product].price(c.currency, AS_OF) * (20 if product == "FJ-SSO" else 1)
        close = add_months(date(2026, 10, 1), rng.randint(0, 8)).replace(day=rng.randint(1, 28))
        status = "lost" if len(rows) % 7 == 0 else "open"
        stage = ("Closed Lost", 0) if status == "lost" else rng.choice(STAGES)
        add(cid, f"{c.name} - {product}", stage, close, mrr=mrr, currency=c.currency,
            kind="expansion", owner=c.owner, status=status)  # fmt: skip
    for contract_id in renewing:
        k = next(k for k in contracts if k.contract_id == contract_id)
        c = k.customer
        mrr = sum((monthly_mrr(k, ln) for ln in k.lines if line_active(k, ln, AS_OF)), D0)
        term = k.cancelled_on or k.term_end_on_or_after(AS_OF) if k.end_date else AS_OF
        add(c.customer_id, f"{c.name} - renewal {(term + ONE_DAY).year}",
            rng.choice(STAGES[1:]), term - timedelta(days=rng.randint(5, 30)), mrr=mrr,
            currency=c.currency, kind="renewal", owner=k.owner or c.owner,
            status="open")  # fmt: skip
    return rows


# --------------------------------------------------------------------------- writers

CUSTOMER_COLUMNS = (
    "customer_id", "name", "country", "segment", "region", "owner", "billing_email", "vat_id",
    "address", "payment_terms_days", "tax_rate", "reverse_charge", "locale",
)  # fmt: skip
CONTRACT_COLUMNS = (
    "contract_id", "customer_id", "start_date", "end_date", "currency", "billing_period",
    "auto_renew", "renewal_term_months", "notice_days", "notice_months", "notice_from_month_end",
    "renewal_uplift_pct", "cancelled_on", "renewal_decision", "renewal_decided_on",
    "renewal_decision_note", "owner", "po_number", "signed_on", "notes",
)  # fmt: skip
LINE_COLUMNS = (
    "contract_id", "line_id", "product", "description", "quantity", "unit_price",
    "price_period", "discount_pct", "start_date", "end_date", "tax_rate",
)  # fmt: skip


def iso(day: date | None) -> str:
    return day.isoformat() if day else ""


def customer_record(c: Customer, *, csv_form: bool) -> dict[str, str]:
    return {
        "customer_id": c.customer_id,
        "name": c.name,
        "country": c.country,
        "segment": c.segment,
        "region": c.region,
        "owner": c.owner,
        "billing_email": c.billing_email,
        "vat_id": c.vat_id,
        "address": c.address.replace("\n", ", ") if csv_form else c.address,
        "payment_terms_days": c.payment_terms_days,
        "tax_rate": c.tax_rate,
        "reverse_charge": "true" if c.reverse_charge else ("false" if csv_form else ""),
        "locale": c.locale,
    }


def contract_record(k: Contract, *, csv_form: bool) -> dict[str, str]:
    yaml_nok = not csv_form and k.currency == BASE
    return {
        "contract_id": k.contract_id,
        "customer_id": k.customer.customer_id,
        "start_date": iso(k.start_date),
        "end_date": iso(k.end_date),
        "currency": "" if yaml_nok else k.currency,  # YAML relies on the base-currency default
        "billing_period": k.billing_period,
        "auto_renew": "true" if k.auto_renew else "false",
        "renewal_term_months": k.renewal_term_months,
        "notice_days": k.notice_days,
        "notice_months": k.notice_months,
        "notice_from_month_end": k.notice_from_month_end,
        "renewal_uplift_pct": k.renewal_uplift_pct,
        "cancelled_on": iso(k.cancelled_on),
        "renewal_decision": k.renewal_decision,
        "renewal_decided_on": iso(k.renewal_decided_on),
        "renewal_decision_note": k.renewal_decision_note,
        "owner": k.owner,
        "po_number": k.po_number,
        "signed_on": iso(k.signed_on),
        "notes": k.notes,
    }


def line_record(k: Contract, ln: Line) -> dict[str, str]:
    return {
        "contract_id": k.contract_id,
        "line_id": ln.line_id,
        "product": ln.product,
        "description": ln.description,
        "quantity": str(ln.quantity),
        "unit_price": money(ln.unit_price),
        "price_period": ln.price_period,
        "discount_pct": ln.discount_pct,
        "start_date": iso(ln.start_date),
        "end_date": iso(ln.end_date),
        "tax_rate": ln.tax_rate,
    }


def csv_text(header: tuple[str, ...] | list[str], rows: list[list[str]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def yaml_scalar(text: str) -> str:
    """Plain when a YAML parser reads it back as the same text, else double-quoted."""
    if text and "\n" not in text and text == text.strip():
        try:
            if yaml.load(f"k: {text}", Loader=yaml.BaseLoader) == {"k": text}:  # noqa: S506
                return text
        except yaml.YAMLError:
            pass
    return json.dumps(text, ensure_ascii=False)


def yaml_mapping(record: dict[str, Any], indent: int, bullet: bool) -> list[str]:
    """A mapping as YAML lines; empty values are left out, ``lines`` nest, addresses are blocks."""
    out: list[str] = []
    pad = " " * indent
    for key, value in record.items():
        if value in ("", None, []):
            continue
        lead = (pad[:-2] + "- ") if bullet and not out else pad
        if isinstance(value, list):
            out.append(f"{lead}{key}:")
            for item in value:
                out.extend(yaml_mapping(item, indent + 4, bullet=True))
        elif "\n" in value:
            out.append(f"{lead}{key}: |")
            out.extend(f"{pad}  {part}" for part in value.split("\n"))
        else:
            out.append(f"{lead}{key}: {yaml_scalar(value)}")
    return out


def yaml_contract(k: Contract, lines: list[Line]) -> dict[str, Any]:
    rec: dict[str, Any] = contract_record(k, csv_form=False)
    items = []
    for ln in lines:
        item = line_record(k, ln)
        del item["contract_id"]
        if k.omit_line_ids:
            del item["line_id"]
        if item["price_period"] == "month":
            item["price_period"] = ""  # the default
        items.append(item)
    rec["lines"] = items
    return rec


def split_lines(k: Contract) -> tuple[list[Line], list[Line]]:
    """(lines written in YAML, lines written to contract_lines.csv) of a YAML contract."""
    if not k.later_lines_in_csv:
        return k.lines, []
    return [ln for ln in k.lines if ln.start_date is None], [ln for ln in k.lines if ln.start_date]


def norwegian_iban(account: str) -> str:
    """The IBAN of an 11-digit Norwegian account: NO, two check digits (ISO 13616:
    98 − the account followed by N=23, O=24 and 00, modulo 97), the account."""
    check = 98 - int(account + "2324" + "00") % 97
    return f"NO{check:02d}{account}"


def settings_text() -> str:
    orgnr = COMPANY_ORGNR_STEM + (mod11(COMPANY_ORGNR_STEM, ORGNR_WEIGHTS) or "0")
    account = COMPANY_ACCOUNT_STEM + (mod11(COMPANY_ACCOUNT_STEM, ACCOUNT_WEIGHTS) or "0")
    iban = norwegian_iban(account)
    return f"""\
# revcli settings of Fjordsoft AS, a fictional Norwegian SaaS company (generated by
# scripts/make_sample_data.py; regenerate instead of editing by hand).
company:
  name: Fjordsoft AS
  country: NO
  vat_id: NO{orgnr}MVA
  address: "Bryggen 14\\n5003 Bergen\\nNorway"
  email: faktura@fjordsoft.no
  bank_account: "{account[:4]}.{account[4:6]}.{account[6:]}"
  iban: "{iban[:4]} {iban[4:8]} {iban[8:12]} {iban[12:]}"  # for invoices not in NOK
  bic: DNBANOKK
base_currency: NOK
locale: nb_NO
invoice:
  number_format: "{{year}}-{{seq:05d}}"
  payment_terms_days: 14
  default_tax_rate: 25
  template: templates/invoice.html.liquid
renewals:
  default_notice_days: 30
reminders:                  # revcli remind: e-mails to contract owners before deadlines
  lead_days: [90, 30, 7]    # days before the notice deadline of an auto-renewing contract
  from: revenue@fjordsoft.no
  fallback_to: finance@fjordsoft.no
  smtp:
    host: smtp.fjordsoft.no
    port: 587
    security: starttls
    user: revenue@fjordsoft.no
    password_env: REVCLI_SMTP_PASSWORD   # the password itself is never written here
"""


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")


def write_contract_files(out: Path, files: list[Contract]) -> None:
    """Under contracts/: one file per contract, except two kept as a list in one file and
    the last written as ``.yml``."""
    folder = out / "contracts"
    folder.mkdir(parents=True, exist_ok=True)
    for old in sorted(folder.glob("*.y*ml")):
        old.unlink()
    header = "# One contract per file, as the sales team keeps its larger deals.\n"
    singles, group, yml = files[:-3], files[-3:-1], files[-1]
    for k in singles:
        text = "\n".join(yaml_mapping(yaml_contract(k, k.lines), 0, bullet=False))
        write(folder / f"{k.contract_id}.yaml", header + text + "\n")
    parts = ["# Two partner-led deals kept together as a list of contracts."]
    for k in group:
        parts.extend(yaml_mapping(yaml_contract(k, k.lines), 2, bullet=True))
    write(folder / "partner-deals.yaml", "\n".join(parts) + "\n")
    text = "\n".join(yaml_mapping(yaml_contract(yml, yml.lines), 0, bullet=False))
    write(folder / f"{yml.contract_id.lower()}.yml", header + text + "\n")


def write_all(out: Path, world: World) -> None:
    """Every file of the data dir."""
    csv_customers = [c for c in world.customers if not c.in_yaml]
    yaml_customers = [c for c in world.customers if c.in_yaml]
    write(out / "revcli.yaml", settings_text())
    rows = [list(customer_record(c, csv_form=True).values()) for c in csv_customers]
    write(out / "customers.csv", csv_text(CUSTOMER_COLUMNS, rows))
    body = ["# Key accounts and international customers, kept in YAML.", "customers:"]
    for c in yaml_customers:
        body.extend(yaml_mapping(customer_record(c, csv_form=False), 4, bullet=True))
    write(out / "customers.yaml", "\n".join(body) + "\n")

    contracts = sorted(world.contracts, key=lambda k: k.contract_id)
    csv_contracts = [k for k in contracts if k.form == "csv"]
    rows = [list(contract_record(k, csv_form=True).values()) for k in csv_contracts]
    write(out / "contracts.csv", csv_text(CONTRACT_COLUMNS, rows))
    line_rows = [list(line_record(k, ln).values()) for k in csv_contracts for ln in k.lines]
    body = ["# Contracts of the key accounts. Lines added later to some of them are in",
            "# contract_lines.csv (exported from the CRM).", "contracts:"]  # fmt: skip
    for k in (k for k in contracts if k.form == "yaml"):
        in_yaml, in_csv = split_lines(k)
        body.extend(yaml_mapping(yaml_contract(k, in_yaml), 4, bullet=True))
        line_rows.extend(list(line_record(k, ln).values()) for ln in in_csv)
    write(out / "contracts.yaml", "\n".join(body) + "\n")
    line_rows.sort(key=lambda r: (r[0], int(r[1])))
    write(out / "contract_lines.csv", csv_text(LINE_COLUMNS, line_rows))
    write_contract_files(out, [k for k in contracts if k.form == "file"])

    fx = [[day.isoformat(), cur, str(rate)] for day, cur, rate in world.fx]
    write(out / "fx_rates.csv", csv_text(["date", "currency", "rate"], fx))
    header = ["opportunity_id", "customer_id", "name", "stage", "probability",
              "expected_close", "mrr", "currency", "type", "owner", "status"]  # fmt: skip
    write(out / "opportunities.csv", csv_text(header, world.opportunities))
    write(out / "usage.csv", csv_text(["customer_id", "month", "metric", "value"], world.usage))
    write(out / "tickets.csv", csv_text(["customer_id", "opened_on", "severity"], world.tickets))
    header = ["invoice_number", "customer_id", "due_date", "paid_on", "amount"]
    write(out / "payments.csv", csv_text(header, world.payments))


# --------------------------------------------------------------------------- the world


@dataclass
class World:
    """Everything the data dir holds, before it is written."""

    customers: list[Customer]
    contracts: list[Contract]
    fx: list[tuple[date, str, Decimal]]
    opportunities: list[list[str]] = field(default_factory=list)
    usage: list[list[str]] = field(default_factory=list)
    tickets: list[list[str]] = field(default_factory=list)
    payments: list[list[str]] = field(default_factory=list)


def rng_for(concern: str) -> random.Random:
    """One generator per concern, so changing one part leaves the others' draws alone."""
    return random.Random(f"{SEED}:{concern}")


def build_world() -> World:
    used: set[str] = set()
    people = rng_for("customers")
    cast = showcase(people, used) + random_cast(people, used)
    choose_yaml_forms(cast, rng_for("forms"))
    b = Builder(rng_for("contracts"))
    for m in cast:
        STORIES[m.story](b, m.customer, m.start, m.event, **dict(m.knobs))
    customers = assign_ids(cast, b.contracts)
    mark_yaml_details(b.contracts)
    renewal_showcase(b.contracts)
    world = World(customers, b.contracts, fx_rates(rng_for("fx")))
    add_signals(world)
    return world


def mark_yaml_details(contracts: list[Contract]) -> None:
    """One YAML contract keeps its later lines in contract_lines.csv; two omit line ids."""
    yaml_ks = [k for k in sorted(contracts, key=lambda k: k.contract_id) if k.form == "yaml"]
    split = next(k for k in yaml_ks if any(ln.start_date for ln in k.lines if ln.product in PLANS))
    split.later_lines_in_csv = True
    plain = [k for k in yaml_ks if k is not split and not any(ln.start_date for ln in k.lines)]
    for k in plain[:2]:
        k.omit_line_ids = True


def notice_months_deadline(term: date, months: int, from_month_end: bool) -> date:
    """The last day to give notice of ``months`` months before ``term`` (issue 3).

    Counted from the end of the month notice is given in: the last month-end whose
    notice period (ending on a month-end) ends by ``term``; else ``term`` minus the
    months, clamped. Written as a search, independent of revcli's closed form.
    """
    if not from_month_end:
        return add_months(term, -months)
    candidate = month_end(term)
    while month_end(add_months(candidate.replace(day=1), months)) > term:
        candidate = candidate.replace(day=1) - ONE_DAY
    return candidate


def renewal_showcase(contracts: list[Contract]) -> None:
    """Renewal terms as Nordic contracts write them, and recorded decisions (issue 3).

    Among the auto-renewing contracts whose notice deadline as of AS_OF is still ahead
    and whose term ends within RENEWAL_DAYS (so every status stays as it was): one gets
    "1 month's notice from the end of the month", one "2 months' notice" (clamped to
    30 November), and three record a decision: renew, renegotiate (both with a notice
    deadline within 14 days) and cancel.
    """
    ahead = []
    for k in sorted(contracts, key=lambda k: k.contract_id):
        if not k.auto_renew or k.cancelled_on or k.end_date is None:
            continue
        term = k.term_end_on_or_after(AS_OF)
        deadline = term - timedelta(days=int(k.notice_days or 30))
        if term <= AS_OF + timedelta(days=RENEWAL_DAYS) and deadline >= AS_OF:
            ahead.append((k, term, deadline))
    soon = [k for k, _, deadline in ahead if deadline <= AS_OF + timedelta(days=14)]
    later = [(k, term) for k, term, deadline in ahead if deadline > AS_OF + timedelta(days=14)]
    assert len(soon) >= 2 and len(later) >= 3, "too few upcoming auto-renewals to showcase"
    for (k, term), (months, from_end) in zip(later, [("1", "true"), ("2", "")], strict=False):
        assert notice_months_deadline(term, int(months), bool(from_end)) >= AS_OF
        k.notice_days, k.notice_months, k.notice_from_month_end = "", months, from_end
    decisions = [
        (soon[0], "renew", 3, "Budget for next year approved by the customer"),
        (soon[1], "renegotiate", 5, "Asks for a volume discount; meeting booked"),
        (later[-1][0], "cancel", 2, "Moving to an in-house tool; send written notice"),
    ]
    for k, decision, days_ago, note in decisions:
        k.renewal_decision, k.renewal_decision_note = decision, note
        k.renewal_decided_on = AS_OF - timedelta(days=days_ago)


def add_signals(world: World) -> None:
    """Usage, tickets, payments and opportunities, with a few customers at risk."""
    rng = rng_for("signals")
    by_customer: dict[str, list[Contract]] = defaultdict(list)
    for k in sorted(world.contracts, key=lambda k: k.contract_id):
        by_customer[k.customer.customer_id].append(k)
    paying = sorted(cid for cid, ks in by_customer.items() if seats_on(ks, month_end(AS_OF)))
    renewing = renewal_candidates(world.contracts)
    at_risk = [k.customer.customer_id for k in renewing if k.customer.customer_id in paying]
    decliners = set(at_risk[:3]) | set(rng.sample(paying, 4))
    spikers = set(at_risk[3:5]) | set(rng.sample(paying, 3))
    late = set(rng.sample(paying, 4))
    overdue = set(at_risk[:1]) | set(rng.sample(paying, 3))
    world.usage = usage_rows(rng, by_customer, decliners)
    world.tickets = ticket_rows(rng, by_customer, spikers)
    world.payments = payment_rows(rng, sorted(world.contracts, key=lambda k: k.contract_id),
                                  late, overdue)  # fmt: skip
    with_opportunity = [k.contract_id for k in renewing[5:]][::2][:7]
    world.opportunities = opportunity_rows(rng, world.customers, world.contracts, with_opportunity)


def renewal_candidates(contracts: list[Contract]) -> list[Contract]:
    """Contracts with a term end or cancellation within the renewal window, soonest first."""
    out = []
    for k in contracts:
        if k.end_date is None or (k.cancelled_on and k.cancelled_on < AS_OF):
            continue
        term = k.cancelled_on or (k.term_end_on_or_after(AS_OF) if k.auto_renew else k.end_date)
        if AS_OF <= term <= AS_OF + timedelta(days=RENEWAL_DAYS):
            out.append((term, k.contract_id, k))
    return [k for *_, k in sorted(out, key=lambda r: r[:2])]


# --------------------------------------------------------------------------- self-check
#
# Re-reads the written files with the csv module and PyYAML's BaseLoader (every value as
# text, as SPEC 1 requires) and recomputes, independently of the generator above, the
# structure rules, each month's MRR movements (SPEC 2-4) and the renewal statuses (SPEC 6).


def read_csv(path: Path) -> list[dict[str, str | None]]:
    with path.open(encoding="utf-8", newline="") as f:
        return [{k: (v if v != "" else None) for k, v in row.items()} for row in csv.DictReader(f)]


def read_yaml(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)  # noqa: S506


def unset(v: str | None) -> str | None:
    return None if v in (None, "", "~", "null") else v


def read_back(out: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    customers = read_csv(out / "customers.csv")
    for rec in read_yaml(out / "customers.yaml")["customers"]:
        customers.append({k: unset(v) for k, v in rec.items()})
    contracts = read_csv(out / "contracts.csv")
    lines = read_csv(out / "contract_lines.csv")
    yaml_records = list(read_yaml(out / "contracts.yaml")["contracts"])
    for path in sorted((out / "contracts").glob("*.y*ml")):
        doc = read_yaml(path)
        yaml_records += doc if isinstance(doc, list) else [doc]
    for rec in yaml_records:
        items = rec.pop("lines", [])
        contracts.append({k: unset(v) for k, v in rec.items()})
        for pos, item in enumerate(items, 1):
            row = {k: unset(v) for k, v in item.items()}
            row.setdefault("line_id", str(pos))
            lines.append(row | {"contract_id": rec["contract_id"]})
    return customers, contracts, lines  # fmt: skip


@dataclass
class K:
    """A contract as the checker understands it."""

    cid: str
    customer: str
    start: date
    end: date | None
    currency: str
    auto: bool
    rt: int
    notice: int
    uplift: Decimal
    notice_months: int | None
    cancelled: date | None
    billing: str
    month_end_notice: bool = False
    lines: list[dict[str, Any]] = field(default_factory=list)

    def renewal_day(self, k: int) -> date:
        assert self.end is not None
        return add_months(self.end + ONE_DAY, (k - 1) * self.rt)


def parse_contract(r: dict[str, Any]) -> K:
    def opt(name: str) -> date | None:
        return date.fromisoformat(r[name]) if r.get(name) else None

    start, end = date.fromisoformat(r["start_date"]), opt("end_date")
    rt = int(r["renewal_term_months"]) if r.get("renewal_term_months") else 0
    if not rt and end:
        rt = int(term_months(start, end).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return K(
        cid=r["contract_id"],
        customer=r["customer_id"],
        start=start,
        end=end,
        currency=r.get("currency") or BASE,
        auto=(r.get("auto_renew") or "false").lower() in ("true", "yes", "1"),
        rt=rt,
        notice=int(r.get("notice_days") or 30),
        uplift=Decimal(r.get("renewal_uplift_pct") or 0),
        notice_months=int(r["notice_months"]) if r.get("notice_months") else None,
        month_end_notice=(r.get("notice_from_month_end") or "").lower() in ("true", "yes", "1"),
        cancelled=opt("cancelled_on"),
        billing=r.get("billing_period") or "month",
    )


def check_structure(
    customers: list[dict[str, Any]], ks: dict[str, K], lines: list[dict[str, Any]],
    fx: list[tuple[date, str, Decimal]], n_contract_rows: int,
) -> None:  # fmt: skip
    ids = [c["customer_id"] for c in customers]
    assert len(ids) == len(set(ids)), "duplicate customer_id"
    assert len(ks) == n_contract_rows, "duplicate contract_id"
    assert all(c["country"] and len(c["country"]) == 2 for c in customers)
    seen = set()
    for ln in lines:
        key = (ln["contract_id"], ln["line_id"])
        assert key not in seen, f"duplicate line {key}"
        seen.add(key)
        k = ks[ln["contract_id"]]
        k.lines.append(ln)
        start = date.fromisoformat(ln["start_date"]) if ln.get("start_date") else k.start
        end = date.fromisoformat(ln["end_date"]) if ln.get("end_date") else None
        last = k.cancelled or (None if k.auto else k.end)
        assert k.start <= start and (last is None or start <= last), f"line outside {key}"
        assert end is None or (start <= end and (last is None or end <= last)), f"end {key}"
        assert Decimal(ln["quantity"] or 1) >= 0 and Decimal(ln["unit_price"]) >= 0
        assert 0 <= Decimal(ln.get("discount_pct") or 0) <= 100
        assert re.fullmatch(r"\d+(\.\d{1,2})?", ln["unit_price"]), key
        if "term" in (ln.get("price_period"), k.billing):
            assert k.end is not None, f"term without end_date {key}"
    for k in ks.values():
        assert k.customer in set(ids), f"unknown customer in {k.cid}"
        assert k.end is None or k.end >= k.start
        assert k.cancelled is None or k.cancelled >= k.start
        assert not (k.cancelled and not k.auto and k.end and k.cancelled > k.end), k.cid
        assert k.lines, f"contract without lines {k.cid}"
        if k.currency != BASE:
            assert any(r[1] == k.currency and r[0] <= k.start for r in fx), f"no rate {k.cid}"


def line_mrr_base(k: K, ln: dict[str, Any], fx: list[tuple[date, str, Decimal]]) -> Decimal:
    period = ln.get("price_period") or "month"
    if period == "once":
        return D0
    if period == "term":
        assert k.end is not None
        per = term_months(k.start, k.end)
    else:
        per = Decimal({"month": 1, "quarter": 3, "half-year": 6, "year": 12}[period])
    qty, price = Decimal(ln.get("quantity") or 1), Decimal(ln["unit_price"])
    disc = Decimal(ln.get("discount_pct") or 0)
    return qty * price * (1 - disc / 100) / per * rate_on(fx, k.currency, k.start)


def checker_mrr(
    k: K, ln: dict[str, Any], day: date, fx: list[tuple[date, str, Decimal]]
) -> Decimal:
    """SPEC 3: the line's MRR on ``day`` (0 when inactive), renewal uplift included."""
    start = date.fromisoformat(ln["start_date"]) if ln.get("start_date") else k.start
    ends = [date.fromisoformat(ln["end_date"])] if ln.get("end_date") else []
    ends += [x for x in (k.cancelled, None if k.auto else k.end) if x]
    if day < start or (ends and day > min(ends)):
        return D0
    value = line_mrr_base(k, ln, fx)
    if k.auto and k.end and k.uplift:
        n = 1
        while k.renewal_day(n) <= day:
            if start < k.renewal_day(n):
                value *= 1 + k.uplift / 100
            n += 1
    return value


Movement = tuple[date, str, str, str, Decimal]
"""month, movement, customer_id, product, signed amount (MRR after less MRR before)."""

MOVEMENT_KINDS = ("new", "expansion", "upgrade", "reactivation", "downgrade", "cancellation",
                  "churn")  # fmt: skip


def mrr_grid(
    ks: dict[str, K], fx: list[tuple[date, str, Decimal]]
) -> dict[date, dict[tuple[str, str], Decimal]]:
    """SPEC 3: MRR per (customer, product) at every month end from 2022-12 to 2027-12."""
    grid: dict[date, dict[tuple[str, str], Decimal]] = {}
    for month in months(date(2022, 12, 1), LAST_MONTH):
        day, cell = month_end(month), defaultdict(lambda: D0)
        for k in ks.values():
            for ln in k.lines:
                cell[(k.customer, ln["product"])] += checker_mrr(k, ln, day, fx)
        grid[month] = cell
    return grid


def movements(grid: dict[date, dict[tuple[str, str], Decimal]]) -> list[Movement]:
    """Every (month, movement, customer, product, amount) of SPEC 4 from 2023-01 to 2027-12."""
    out, ever = [], set()
    for prev_m, cur_m in itertools.pairwise(sorted(grid)):
        prev, cur = grid[prev_m], grid[cur_m]
        tot_p: dict[str, Decimal] = defaultdict(Decimal)
        tot_c: dict[str, Decimal] = defaultdict(Decimal)
        for (c, _), v in prev.items():
            tot_p[c] += v
        for (c, _), v in cur.items():
            tot_c[c] += v
        if any(v > 0 for v in tot_p.values()):
            ever |= {c for c, v in tot_p.items() if v > 0}
        for c, p in sorted(set(prev) | set(cur)):
            a, z = prev.get((c, p), D0), cur.get((c, p), D0)
            kind = classify(tot_p[c], tot_c[c], a, z, c in ever)
            if kind:
                out.append((cur_m, kind, c, p, z - a))
    return out


def monthly_summary(
    grid: dict[date, dict[tuple[str, str], Decimal]],
) -> dict[date, dict[str, Decimal | int]]:
    """Per month from 2023-01: MRR, paying customers and the signed sum of each movement
    (the columns ``revcli mrr`` reports), exact."""
    out: dict[date, dict[str, Decimal | int]] = {}
    for month in sorted(grid)[1:]:
        totals: dict[str, Decimal] = defaultdict(Decimal)
        for (c, _), v in grid[month].items():
            totals[c] += v
        row: dict[str, Decimal | int] = {"mrr": sum(totals.values(), D0)}
        row["customers"] = sum(1 for v in totals.values() if v > 0)
        out[month] = row | dict.fromkeys(MOVEMENT_KINDS, D0)
    for month, kind, _, _, amount in movements(grid):
        out[month][kind] += amount
    return out


def checked_books(out: Path) -> tuple[dict[str, K], list[tuple[date, str, Decimal]]]:
    """The contracts (with their lines) and FX rates of a written data dir, re-read and
    checked against the structure rules."""
    customers, contract_rows, lines = read_back(out)
    fx = [(date.fromisoformat(r["date"]), r["currency"], Decimal(r["rate"]))
          for r in read_csv(out / "fx_rates.csv")]  # fmt: skip
    ks = {r["contract_id"]: parse_contract(r) for r in contract_rows}
    check_structure(customers, ks, lines, fx, len(contract_rows))
    return ks, fx


def classify(cp: Decimal, cc: Decimal, a: Decimal, z: Decimal, was_active: bool) -> str:
    """The movement of one (customer, product) cell, per the table of SPEC 4."""
    if cp == 0 and cc > 0:
        return "" if z == 0 else ("reactivation" if was_active else "new")
    if cp > 0 and cc == 0:
        return "churn" if a > 0 else ""
    if a == 0 and z > 0:
        return "expansion"
    if a > 0 and z == 0:
        return "cancellation"
    if z > a:
        return "upgrade"
    return "downgrade" if a > z else ""


def renewals(ks: dict[str, K]) -> list[tuple[date, str, str, str]]:
    """SPEC 6 as of AS_OF within 90 days: (term end, status, contract, customer)."""
    out = []
    for k in ks.values():
        if k.cancelled and k.cancelled < AS_OF:
            continue
        if k.cancelled and not (not k.auto and k.end and k.cancelled > k.end):
            term, status = k.cancelled, "cancelled"
        elif k.end is None:
            continue
        elif k.end >= AS_OF or not k.auto:
            term = k.end
            status = "expires" if not k.auto else ""
        else:
            n = 1
            while k.renewal_day(n + 1) <= AS_OF:
                n += 1
            term = k.renewal_day(n + 1) - ONE_DAY
            status = ""
        if not status:
            deadline = (
                term - timedelta(days=k.notice)
                if k.notice_months is None
                else notice_months_deadline(term, k.notice_months, k.month_end_notice)
            )
            status = "auto-renews" if deadline >= AS_OF else "locked-in"
        if AS_OF <= term <= AS_OF + timedelta(days=RENEWAL_DAYS):
            out.append((term, status, k.cid, k.customer))
    return sorted(out)


def risk_signals(out: Path) -> dict[str, list[str]]:
    """Customers for whom each churn-risk signal of issue 5 plainly fires, from the files."""
    users: dict[str, dict[str, int]] = defaultdict(dict)
    for r in read_csv(out / "usage.csv"):
        if r["metric"] == "active_users":
            users[r["customer_id"]][r["month"]] = int(r["value"])
    declining = []
    for cid, series in sorted(users.items()):
        before = sum(series.get(f"2026-{m:02d}", 0) for m in (6, 7, 8))
        after = sum(series.get(f"2026-{m:02d}", 0) for m in (9, 10, 11))
        if before and after <= 0.7 * before:
            declining.append(cid)
    per_month: dict[str, Counter[str]] = defaultdict(Counter)
    for r in read_csv(out / "tickets.csv"):
        per_month[r["customer_id"]][r["opened_on"][:7]] += 1
    spiking = []
    for cid, counts in sorted(per_month.items()):
        recent = counts["2026-10"] + counts["2026-11"]
        baseline = sum(v for m, v in counts.items() if m < "2026-10") / 10
        if recent >= 4 and recent >= 3 * 2 * baseline:
            spiking.append(cid)
    overdue, late = set(), Counter[str]()
    for r in read_csv(out / "payments.csv"):
        due = date.fromisoformat(r["due_date"])
        if r["paid_on"] is None and due < AS_OF:
            overdue.add(r["customer_id"])
        elif r["paid_on"] and date.fromisoformat(r["paid_on"]) > due + timedelta(days=10):
            late[r["customer_id"]] += 1
    return {
        "usage down >= 30 %": declining,
        "ticket spike": spiking,
        "overdue invoices": sorted(overdue),
        "paid late (2+ invoices)": sorted(c for c, n in late.items() if n >= 2),
    }


def self_check(out: Path) -> None:
    customers, _, lines = read_back(out)
    ks, fx = checked_books(out)
    known = {c["customer_id"] for c in customers}
    for name in ("usage.csv", "tickets.csv", "payments.csv"):
        assert {r["customer_id"] for r in read_csv(out / name)} <= known, name
    opps = read_csv(out / "opportunities.csv")
    for o in opps:
        if o["status"] == "open" and o["currency"] not in (None, BASE):
            rate_on(fx, o["currency"], date.fromisoformat(o["expected_close"]))

    moves = [m for m in movements(mrr_grid(ks, fx)) if WINDOW_FIRST <= m[0] <= WINDOW_LAST]
    kinds = MOVEMENT_KINDS
    counts = Counter(kind for _, kind, *_ in moves)
    statuses = renewals(ks)
    status_counts = Counter(s for _, s, _, _ in statuses)

    files = sorted(p.name for p in (out / "contracts").glob("*.y*ml"))
    n_yaml = len(read_yaml(out / "customers.yaml")["customers"])
    print(f"customers      {len(customers)} ({n_yaml} in customers.yaml)")
    n_rows = {name: len(read_csv(out / f"{name}.csv")) for name in ("usage", "tickets", "payments")}
    print(f"contracts      {len(ks)} ({len(files)} files under contracts/)")
    print(
        f"contract lines {len(lines)}; products {len({ln['product'] for ln in lines})}; "
        f"currencies {sorted({k.currency for k in ks.values()})}"
    )
    print(
        f"fx rows {len(fx)}; opportunities {len(opps)}; usage {n_rows['usage']}; "
        f"tickets {n_rows['tickets']}; payments {n_rows['payments']}"
    )
    print(f"movements {WINDOW_FIRST:%Y-%m}..{WINDOW_LAST:%Y-%m} (customer-product cells):")
    for kind in kinds:
        examples = sorted({(m.strftime("%Y-%m"), c) for m, k, c, *_ in moves if k == kind})[:5]
        shown = ", ".join(f"{c} {m}" for m, c in examples)
        print(f"  {kind:<13}{counts[kind]:>4}   e.g. {shown}")
    print(f"renewals as of {AS_OF} within {RENEWAL_DAYS} days: {len(statuses)}")
    for status in ("expires", "auto-renews", "locked-in", "cancelled"):
        examples = [f"{cid}/{cust} {term}" for term, s, cid, cust in statuses if s == status][:4]
        print(f"  {status:<12}{status_counts[status]:>4}   e.g. {', '.join(examples)}")
    print(f"churn-risk signals as of {AS_OF}:")
    signals = risk_signals(out)
    for name, ids in signals.items():
        print(f"  {name:<24}{len(ids):>3}   {', '.join(ids)}")
    for kind in kinds:
        assert counts[kind] >= MIN_MOVEMENTS_PER_TYPE, f"too few {kind} movements"
    for name, ids in signals.items():
        assert len(ids) >= 2, f"signal {name} fires for too few customers"
    for status in ("expires", "auto-renews", "locked-in", "cancelled"):
        assert status_counts[status] >= 2, f"too few renewals with status {status}"


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else DEFAULT_OUT
    world = build_world()
    write_all(out, world)
    self_check(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
