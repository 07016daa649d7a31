"""``revcli dashboard``: the HTML page in a real headless Chromium (network blocked), and
the Markdown summary through a Markdown parser and Mermaid's own parser."""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt

from revcli.output.report import group_digits
from tests.conftest import SAMPLE, Run

AS_OF = "2026-11-23"
CHROMIUM = Path(os.environ.get("REVCLI_CHROMIUM", "/usr/bin/chromium"))
MERMAID = Path(
    os.environ.get(
        "REVCLI_MERMAID",
        Path(__file__).parent / ".node" / "node_modules" / "mermaid" / "dist" / "mermaid.min.js",
    )
)
CHARTS = ("trend", "bridge", "retention", "cohorts", "renewals", "pipeline", "risk")
A4_WIDTH = 794  # 210 mm at 96 px per inch
SHOTS = Path(os.environ["REVCLI_SHOTS"]) if "REVCLI_SHOTS" in os.environ else None


def _needs(path: Path, what: str) -> None:
    """CI installs Chromium and mermaid (.ci/run): there a missing one fails the test;
    elsewhere it is skipped with how to get it."""
    if path.exists():
        return
    message = f"{what} not found at {path}"
    if os.environ.get("CI"):
        pytest.fail(f"{message}; .ci/run installs it")
    pytest.skip(f"{message}; see .ci/run for how to install it")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    _needs(CHROMIUM, "chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield chromium
        chromium.close()


def _last_row(run: Run, *args: str) -> dict[str, str]:
    result = run(*args, "--data", SAMPLE, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    return list(csv.DictReader(io.StringIO(result.stdout)))[-1]


def _dashboard(run: Run, path: Path, *args: str) -> str:
    result = run("dashboard", "--data", SAMPLE, "--as-of", AS_OF, "--out", path, *args)
    assert result.exit_code == 0, result.stderr
    return path.read_text(encoding="utf-8")


def test_the_page_references_nothing_outside_itself(run: Run, tmp_path: Path) -> None:
    html = _dashboard(run, tmp_path / "d.html")
    assert not re.search(r"https?:|url\(|@import|<script|<link|<img|<iframe", html, re.I)
    assert not re.search(r"""\b(src|href)\s*=\s*["']?\s*(//|[a-z]+:)""", html, re.I)
    for ident in CHARTS:
        assert f'<section id="{ident}">' in html


def test_dashboard_in_chromium(run: Run, browser: Any, tmp_path: Path) -> None:
    page_file = tmp_path / "dashboard.html"
    _dashboard(run, page_file)
    url = page_file.as_uri()
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    requests: list[str] = []
    problems: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    # The page itself loads; anything else it asks for fails (and is recorded above).
    page.route(
        "**/*",
        lambda route: route.continue_() if route.request.url == url else route.abort(),
    )
    page.goto(url)
    page.wait_for_load_state("load")

    assert requests == [url]  # only the page itself: nothing else was even attempted
    assert problems == []

    # Every chart drew marks with an area on screen.
    for ident in CHARTS:
        drawn = page.evaluate(
            """(id) => [...document.querySelectorAll(`#${id} svg.chart .mark`)]
                 .filter(m => { const b = m.getBBox(); return b.width > 0 || b.height > 0; })
                 .length""",
            ident,
        )
        assert drawn > 0, f"chart {ident} drew nothing"
        rows = page.locator(f"#{ident} table tbody tr").count()
        assert rows > 0, f"chart {ident} has no data table"

    # sample_data has 41 renewals in the next 90 days: the 25 with the most ARR are listed
    # and drawn (one dot per term end), the note under the table tells of the other 16.
    assert page.locator("#renewals table tbody tr").count() == 25
    assert page.locator("#renewals svg.chart circle.mark").count() == 25
    assert (
        page.locator("#renewals p.notes")
        .first.text_content()
        .startswith("… and 16 more renewals worth ARR")
    )

    # The tiles hold the CLI's numbers for the same arguments.
    mrr = _last_row(run, "mrr", "--as-of", AS_OF)
    before = _last_row(run, "mrr", "--month", "2026-10")
    nrr = _last_row(run, "nrr", "--as-of", AS_OF)
    tiles = page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('.tile')].map(
              t => [t.dataset.key, [t.dataset.value, t.querySelector('.value').textContent]]))"""
    )
    expected = {
        "mrr": mrr["mrr"],
        "arr": mrr["arr"],
        "customers": mrr["customers"],
        "nrr": nrr["nrr"],
        "grr": nrr["grr"],
        "net_new": mrr["net_new"],
        "net_change": mrr["net_change"],
        "net_change_before": before["net_change"],
    }
    assert {k: v[0] for k, v in tiles.items()} == expected
    for key in ("mrr", "arr", "customers", "net_new", "net_change", "net_change_before"):
        assert tiles[key][1] == group_digits(Decimal(expected[key]))
    # NRR 1.0111 is shown as 101.11 %
    assert tiles["nrr"][1] == f"{Decimal(expected['nrr']) * 100:.2f} %"

    # Nothing sticks out of the page, and no tile or table cell out of its box.
    overflow = """() => {
        const width = document.documentElement.clientWidth;
        const wide = [...document.querySelectorAll('body *')]
          .filter(e => e.getBoundingClientRect().right > width + 0.5)
          .map(e => e.tagName + (e.id ? '#' + e.id : ''));
        const spill = [...document.querySelectorAll('.tile, .tile *, td, th')]
          .filter(e => e.scrollWidth > e.clientWidth + 1)
          .map(e => e.tagName + ' ' + e.textContent.slice(0, 20));
        return [document.documentElement.scrollWidth - width, wide.slice(0, 5), spill.slice(0, 5)];
    }"""
    assert page.evaluate(overflow) == [0, [], []]
    # The eight tiles fill rows evenly (four and four), never seven and one left alone.
    per_row = """() => Object.values([...document.querySelectorAll('.tile')].reduce(
        (rows, t) => { const y = Math.round(t.getBoundingClientRect().top);
                       rows[y] = (rows[y] || 0) + 1; return rows; }, {}))"""
    assert sorted(page.evaluate(per_row)) == [4, 4]
    page.screenshot(path=str(tmp_path / "dashboard-1280.png"), full_page=True)
    # A phone: one tile per row; the page does not scroll sideways, wide tables do in
    # their own box.
    page.set_viewport_size({"width": 390, "height": 844})
    assert sorted(page.evaluate(per_row)) == [1] * 8
    assert page.evaluate(overflow)[0] == 0
    boxed = """() => [...document.querySelectorAll('table')].every(
        t => t.parentElement.classList.contains('scroll')
             && t.parentElement.getBoundingClientRect().right <= innerWidth + 0.5)"""
    assert page.evaluate(boxed)
    # Months and days stay on one line in a squeezed table (2025-12, not 2025- / 12).
    broken = """() => [...document.querySelectorAll('td.day')].filter(td => {
        const range = document.createRange(); range.selectNodeContents(td);
        return range.getClientRects().length > 1; }).map(td => td.textContent)"""
    assert page.evaluate("document.querySelectorAll('td.day').length") > 0
    assert page.evaluate(broken) == []
    page.set_viewport_size({"width": 1280, "height": 800})

    # A4 print: the print styles at the page width of A4 portrait.
    page.set_viewport_size({"width": A4_WIDTH, "height": 1123})
    page.emulate_media(media="print")
    assert page.evaluate(overflow) == [0, [], []]
    page.screenshot(path=str(tmp_path / "dashboard-a4.png"), full_page=True)
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF")
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        for name in ("dashboard-1280.png", "dashboard-a4.png"):
            shutil.copy(tmp_path / name, SHOTS / name)
    page.close()


def _mermaid_blocks(markdown: str) -> list[str]:
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    return [t.content for t in tokens if t.type == "fence" and t.info.strip() == "mermaid"]


def test_markdown_summary_renders_and_its_mermaid_parses(
    run: Run, browser: Any, tmp_path: Path
) -> None:
    markdown = _dashboard(run, tmp_path / "summary.md")
    html = MarkdownIt("commonmark").enable("table").render(markdown)
    # tiles, bridge, renewals and risks are tables
    assert html.count("<table>") == 4
    assert "<h2>Revenue summary 2025-12 – 2026-11 (as of 2026-11-23, NOK)</h2>" in html
    blocks = _mermaid_blocks(markdown)
    assert len(blocks) == 3
    assert all(b.startswith("xychart-beta\n") for b in blocks)
    rows = list(csv.DictReader(io.StringIO(_mrr_csv(run))))
    # the trend is the CLI's MRR, month by month
    assert f"line [{', '.join(r['mrr'] for r in rows)}]" in blocks[0]
    # gained = the uplift column; lost = the contraction column drawn positive
    # (2025-12: contraction -12660.65 → a bar of 12660.65; a 0.00 stays 0.00)
    gained = ", ".join(r["uplift"] for r in rows)
    lost = ", ".join(r["contraction"].removeprefix("-") for r in rows)
    assert f"bar [{gained}]" in blocks[1]
    assert f"bar [{lost}]" in blocks[2]
    # bars stand on 0 (Mermaid draws them up from the axis minimum), one scale for both
    top = max(Decimal(v) for v in [*gained.split(", "), *lost.split(", ")])
    assert f'y-axis "NOK" 0 --> {top}' in blocks[1]
    assert f'y-axis "NOK" 0 --> {top}' in blocks[2]

    _needs(MERMAID, "mermaid's dist bundle (npm install mermaid)")
    page = browser.new_page()
    page.route("**/*", lambda route: route.abort())
    page.set_content("<!DOCTYPE html><html><body><div id='out'></div></body></html>")
    page.add_script_tag(path=str(MERMAID))
    for block in blocks:
        outcome = page.evaluate(
            """async (text) => {
                try { await mermaid.parse(text); } catch (e) { return String(e); }
                const { svg } = await mermaid.render('chart' + Date.now(), text);
                document.getElementById('out').insertAdjacentHTML('beforeend', svg);
                return 'ok';
            }""",
            block,
        )
        assert outcome == "ok"
    assert page.locator("#out svg").count() == 3
    page.screenshot(path=str(tmp_path / "mermaid.png"), full_page=True)
    if SHOTS is not None:
        shutil.copy(tmp_path / "mermaid.png", SHOTS / "mermaid.png")
    page.close()


def _mrr_csv(run: Run) -> str:
    result = run("mrr", "--data", SAMPLE, "--as-of", AS_OF, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_dashboard_out_suffix(run: Run, tmp_path: Path) -> None:
    bad = run("dashboard", "--data", SAMPLE, "--as-of", AS_OF, "--out", tmp_path / "d.pdf")
    assert bad.exit_code == 2
    assert ".html, .md" in bad.stderr
    free = run(
        "dashboard", "--data", SAMPLE, "--as-of", AS_OF, "--format", "html",
        "--out", tmp_path / "page.txt",
    )  # fmt: skip
    assert free.exit_code == 0
    assert (tmp_path / "page.txt").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_axis_ticks_are_round_and_cover_the_values() -> None:
    from revcli.dashboard.svg import nice_ticks

    # MRR from 3,355,354.66 to 4,349,656.55: a fifth of the span is 198,860 → step 200,000;
    # from 16 × 200,000 (floor) to 22 × 200,000 (ceiling)
    assert nice_ticks(3355354.66, 4349656.55) == [
        3_200_000, 3_400_000, 3_600_000, 3_800_000, 4_000_000, 4_200_000, 4_400_000,
    ]  # fmt: skip
    # movements from -47,118.96 to 249,775.48: a fifth is 59,379 → step 100,000
    assert nice_ticks(-47118.96, 249775.48) == [-100_000, 0, 100_000, 200_000, 300_000]


def test_heat_map_colours_by_the_percent_shown() -> None:
    from revcli.dashboard.svg_rows import HEAT, heat_map

    # 100 (a share of 0.99995 shown rounded) is in the 100 % band; 99 in the 90 % band
    svg = heat_map("t", ["2026-01"], ["0", "1"], [[100, 99]])
    assert f'fill="{HEAT[0][1]}"' in svg
    assert f'fill="{HEAT[1][1]}"' in svg


def test_text_from_the_data_is_escaped() -> None:
    import polars as pl

    from revcli.dashboard.html import data_table
    from revcli.dashboard.svg_rows import hbar_chart
    from revcli.output.report import Report

    name = '<script>alert("x")</script> & [ACME]'
    report = Report(title="t", frame=pl.DataFrame({"customer_name": [name]}))
    for html in (
        data_table(report, ["customer_name"], "c"),
        hbar_chart("t", [name], [1.0], "#000"),
    ):
        assert "<script>" not in html
        assert "&lt;script&gt;" in html and "&amp;" in html


def test_the_running_month_is_marked_on_the_dashboard(run: Run) -> None:
    # As of 2026-11-23 November is not over: the summary says so; as of its last day not.
    args = ("dashboard", "--data", SAMPLE, "--from", "2026-06", "--to", "2026-11")
    running = run(*args, "--as-of", "2026-11-23", "--format", "markdown")
    assert running.exit_code == 0, running.stderr
    assert "2026-11 is not over: its figures are as of 2026-11-23" in running.stdout
    over = run(*args, "--as-of", "2026-11-30", "--format", "markdown")
    assert "not over" not in over.stdout


def _renewals_csv(run: Run, data: Path) -> list[dict[str, str]]:
    args = ("renewals", "--within", "90d", "--as-of", AS_OF, "--data", data, "--format", "csv")
    result = run(*args)
    assert result.exit_code == 0, result.stderr
    return list(csv.DictReader(io.StringIO(result.stdout)))


def _markdown_renewals(markdown: str) -> list[list[str]]:
    """The rows of the Markdown summary's renewals table (the total row included)."""
    part = markdown.split("### Renewals in the next 90 days", 1)[1].split("### Top", 1)[0]
    return [
        [c.strip() for c in line.strip("|").split(" | ")]
        for line in part.splitlines()
        if line.startswith("| ") and not line.startswith(("| contract_id", "| ---"))
    ]


def test_the_dashboard_lists_the_renewals_with_the_most_arr_and_counts_all(run: Run) -> None:
    # The CLI lists 41 renewals of sample_data in the next 90 days; the dashboard keeps the
    # 25 with the most ARR in the CLI's order (term end), and says what the other 16 are
    # worth; the total row and the ARR per status still add up all 41.
    from revcli.dashboard.build import TOP_RENEWALS

    assert TOP_RENEWALS == 25
    every = _renewals_csv(run, SAMPLE)
    assert len(every) == 41
    by_arr = sorted(every, key=lambda r: Decimal(r["arr"]), reverse=True)  # stable: ties in order
    kept = {r["contract_id"] for r in by_arr[:25]}
    # the CLI's own total row (it adds the unrounded ARR: 6,635,010.55, a cent more than
    # the 41 rounded cells); likewise the 16 left out are worth 376,384.52 unrounded, a cent
    # less than their rounded cells (376,384.53): the note adds as the total row does.
    cli = run(
        "renewals", "--within", "90d", "--as-of", AS_OF, "--data", SAMPLE, "--format", "markdown"
    )
    total = Decimal(cli.stdout.split("| **Total** |", 1)[1].split("**")[1])
    assert sum(Decimal(r["arr"]) for r in by_arr[25:]) == Decimal("376384.53")
    import datetime as dt

    from revcli.checks import load_dataset
    from revcli.renewals.report import RenewalQuery, renewals_report
    from revcli.renewals.terms import parse_window

    query = RenewalQuery(as_of=dt.date.fromisoformat(AS_OF), within=parse_window("90d"))
    exact = renewals_report(load_dataset(SAMPLE), query).frame  # every row, unrounded ARR
    left = exact.filter(~exact["contract_id"].is_in(list(kept)))["arr"].to_list()
    rest = sum(Decimal(repr(a)) for a in left).quantize(Decimal("0.01"))
    assert rest == Decimal("376384.52")
    result = run("dashboard", "--data", SAMPLE, "--as-of", AS_OF, "--format", "markdown")
    assert result.exit_code == 0, result.stderr
    table = _markdown_renewals(result.stdout)
    assert [r[0] for r in table[:-1]] == [
        r["contract_id"] for r in every if r["contract_id"] in kept
    ]
    assert table[-1][0] == "**Total**" and table[-1][-1] == f"**{total}**"
    assert (
        f"… and 16 more renewals worth ARR {rest:,} NOK: run `revcli renewals --as-of "
        f"{AS_OF} --within 90d` for all. Shown: the 25 with the most ARR; totals and ARR per "
        "status count all 41."
    ) in result.stdout
    assert f"; total {total:,}." in result.stdout  # ARR up for renewal: all 41


def test_the_dashboard_stays_small_whatever_the_number_of_renewals(
    run: Run, tmp_path: Path
) -> None:
    # 3,000 generated contract lines have 179 renewals in the next 90 days (the CLI lists
    # them all); the page draws 25 rows on the timeline (28 + 25 × 16 + 8 = 436 units
    # high) and lists 25, the summary too, and names at most 25 urgent contracts.
    import subprocess
    import sys

    data = tmp_path / "data"
    bench = Path(__file__).parent.parent / "bench" / "generate.py"
    subprocess.run(
        [sys.executable, bench, "--lines", "3000", "--out", data], check=True, capture_output=True
    )
    assert len(_renewals_csv(run, data)) == 179
    page = tmp_path / "d.html"
    result = run("dashboard", "--data", data, "--as-of", AS_OF, "--out", page)
    assert result.exit_code == 0, result.stderr
    html = page.read_text(encoding="utf-8")
    part = html.split('<section id="renewals">', 1)[1].split("</section>", 1)[0]
    assert 'viewBox="0 0 900 436"' in part
    assert part.count('class="mark"></circle>') == 25
    assert part.count("<tr>") == 1 + 25 + 1  # header, rows, total
    assert "the 25 with the most ARR: notice deadline" in part
    assert "… and 154 more renewals worth ARR" in part
    summary = run("dashboard", "--data", data, "--as-of", AS_OF, "--format", "markdown").stdout
    assert len(_markdown_renewals(summary)) == 25 + 1
    assert "… and 154 more renewals worth ARR" in summary
    urgent = summary.split("Notice deadline within 14 days: ", 1)[1].split("\n", 1)[0]
    assert urgent.count(" (20") <= 25


def test_a_tile_shows_the_net_new_mrr(run: Run, make_data_dir: Any, tmp_path: Path) -> None:
    # The headline tiles include net new MRR: new + expansion + reactivation + cancellation
    # + churn of the last month, upgrades and downgrades left out (docs/rules.md). In
    # February A upgrades from 100 to 150 (+50) and B starts at 30 (new): net new 30.00,
    # while the net change is 80.00.
    data = make_data_dir(
        {
            "customers.csv": "customer_id,name\nA,Alpha\nB,Beta\n",
            "contracts.yaml": (
                "contracts:\n"
                "  - {contract_id: A1, customer_id: A, start_date: 2026-01-01,\n"
                "     lines: [{product: P, unit_price: 100, end_date: 2026-01-31},\n"
                "             {product: P, unit_price: 150, start_date: 2026-02-01}]}\n"
                "  - {contract_id: B1, customer_id: B, start_date: 2026-02-01,\n"
                "     lines: [{product: P, unit_price: 30}]}\n"
            ),
        }
    )
    args = ("dashboard", "--data", data, "--from", "2026-01", "--to", "2026-02")
    page = tmp_path / "d.html"
    result = run(*args, "--as-of", "2026-03-01", "--out", page)
    assert result.exit_code == 0, result.stderr
    html = page.read_text(encoding="utf-8")
    assert '<div class="tile" data-key="net_new" data-value="30.00">' in html
    assert '<div class="label">Net new MRR 2026-02</div>' in html
    assert 'data-key="net_change" data-value="80.00"' in html
    summary = run(*args, "--as-of", "2026-03-01", "--format", "markdown")
    tiles = [line for line in summary.stdout.splitlines() if line.startswith("| ")][:3]
    labels = [c.strip() for c in tiles[0].strip("|").split(" | ")]
    values = [c.strip() for c in tiles[2].strip("|").split(" | ")]
    assert dict(zip(labels, values, strict=True))["Net new MRR 2026-02"] == "30.00"


HOSTILE = (
    "</script><script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "{{7*7}} {% raw %}",
    "javascript:alert(1)",
    "\u202eevil\u202c",
    "W" * 10_000,
    '"><svg onload=alert(1)>',
    "</text></svg><script>alert(2)</script>",
    "</style><script>alert(3)</script>",
)
"""Texts a customer name, segment, owner or product may hold: markup, a template, a
``javascript:`` URL, a right-to-left override and a 10,000-character name."""


def _hostile_copy(root: Path) -> Path:
    """sample_data with :data:`HOSTILE` texts in names, segments, owners, products, deal
    names and the company name (each row gets one, in turn, before its own text)."""
    shutil.copytree(SAMPLE, root)
    for name, columns in (
        ("customers.csv", ("name", "segment", "region", "owner")),
        ("contract_lines.csv", ("product", "description")),
        ("opportunities.csv", ("name", "owner")),
    ):
        path = root / name
        table = list(csv.DictReader(path.open(encoding="utf-8", newline="")))
        for i, row in enumerate(table):
            for column in columns:
                row[column] = f"{HOSTILE[i % len(HOSTILE)]} {row[column]}".strip()
        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=list(table[0]))
            writer.writeheader()
            writer.writerows(table)
    settings = root / "revcli.yaml"
    text = settings.read_text(encoding="utf-8")
    company = '"</title><script>alert(9)</script><img src=x onerror=alert(8)>"'
    settings.write_text(text.replace("name: Fjordsoft AS", f"name: {company}"), "utf-8")
    return root


def test_hostile_text_in_the_data_is_shown_as_text_and_runs_nothing(
    run: Run, browser: Any, tmp_path: Path
) -> None:
    data = _hostile_copy(tmp_path / "data")
    page_file = tmp_path / "dashboard.html"
    result = run("dashboard", "--data", data, "--as-of", AS_OF, "--out", page_file)
    assert result.exit_code == 0, result.stderr
    html = page_file.read_text(encoding="utf-8")
    assert not re.search(r"<(script|img|iframe|svg onload)", html, re.I)

    url = page_file.as_uri()
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    events: list[str] = []
    page.on("dialog", lambda d: (events.append(f"dialog {d.message}"), d.dismiss()))
    page.on("console", lambda m: events.append(f"console {m.type} {m.text}"))
    page.on("pageerror", lambda e: events.append(f"error {e}"))
    page.on("request", lambda r: None if r.url == url else events.append(f"request {r.url}"))
    page.route(
        "**/*",
        lambda route: route.continue_() if route.request.url == url else route.abort(),
    )
    page.goto(url)
    page.wait_for_load_state("load")
    assert events == []  # no dialog, script error, console message or request of its own
    active = """() => [...document.querySelectorAll('*')].filter(e =>
        ['SCRIPT', 'IMG', 'IFRAME', 'OBJECT', 'EMBED', 'A', 'FOREIGNOBJECT']
          .includes(e.tagName.toUpperCase())
        || [...e.attributes].some(a => a.name.startsWith('on') || /^\\s*javascript:/i.test(a.value))
      ).map(e => e.tagName)"""
    assert page.evaluate(active) == []

    cells = page.evaluate("() => [...document.querySelectorAll('td')].map(td => td.textContent)")
    for text in HOSTILE:
        shown = text.replace("\u202e", "<U+202E>").replace("\u202c", "<U+202C>")
        assert any(c.startswith(f"{shown} ") for c in cells), text[:40]
    # The 10,000-character name keeps every table inside its box (the cell breaks it).
    wide = """() => [...document.querySelectorAll('table')].filter(t =>
        t.getBoundingClientRect().width > t.parentElement.clientWidth + 0.5
      ).map(t => [t.closest('section').id, Math.round(t.getBoundingClientRect().width)])"""
    assert page.evaluate(wide) == []
    page.close()
