"""Shared test helpers: data dirs written from small text snippets, and the CLI runner."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner, Result

from revcli.cli import app

if TYPE_CHECKING:
    from tests.einvoice_support import Validator

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"

SETTINGS = """\
company:
  name: Fjordsoft AS
  country: NO
  vat_id: NO999999999MVA
base_currency: NOK
locale: nb_NO
"""

MakeDir = Callable[..., Path]


def write_data_dir(root: Path, files: dict[str, str], settings: str | None = SETTINGS) -> Path:
    """Write ``files`` (name → dedented text) into ``root``, plus a revcli.yaml."""
    root.mkdir(parents=True, exist_ok=True)
    if settings is not None and "revcli.yaml" not in files:
        (root / "revcli.yaml").write_text(settings, encoding="utf-8")
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


@pytest.fixture
def make_data_dir(tmp_path: Path) -> MakeDir:
    """``make_data_dir({"customers.csv": "...", ...})`` → a fresh data dir path."""
    counter = iter(range(1_000_000))

    def make(files: dict[str, str], settings: str | None = SETTINGS) -> Path:
        return write_data_dir(tmp_path / f"data{next(counter)}", files, settings)

    return make


Run = Callable[..., Result]


@pytest.fixture(autouse=True, scope="session")
def hermetic_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The user's cache folder (``XDG_CACHE_HOME``) is one of the test run, for this process
    and every process it starts: the stamps of verified state (:mod:`revcli.state.stamp`)
    never go to the real home. The terminal's size is none: a table fits ``$COLUMNS`` when
    it is set (pytest-xdist's workers set 80), so the tests that want a width set their own."""
    folder = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(folder))
        patch.delenv("COLUMNS", raising=False)
        patch.delenv("LINES", raising=False)
        yield folder


@pytest.fixture
def run() -> Run:
    """``run("mrr", "--data", d)`` → the CliRunner result (stdout and stderr apart)."""
    runner = CliRunner()

    def invoke(*args: str | Path, env: dict[str, str] | None = None) -> Result:
        return runner.invoke(app, [str(a) for a in args], env=env, catch_exceptions=False)

    return invoke


GOLDEN = Path(__file__).resolve().parent / "golden"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="Rewrite golden files from the current output (review the diff like code).",
    )


Golden = Callable[[str, str], None]


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Golden:
    """``golden("mrr/sample.csv", text)`` compares ``text`` with tests/golden/mrr/sample.csv."""
    update = bool(request.config.getoption("--update-golden"))

    def check(name: str, text: str) -> None:
        path = GOLDEN / name
        if update or not path.exists():
            if not update:
                pytest.fail(f"golden file {path} is missing; run pytest --update-golden")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            return
        expected = path.read_text(encoding="utf-8")
        assert text == expected, f"output differs from {path}; if intended, run --update-golden"

    return check


@pytest.fixture(scope="session")
def ehf_validator() -> Validator:
    """The UBL 2.1 schema + CEN EN 16931 validator, compiled once per session
    (tests/einvoice_support.py)."""
    from tests.einvoice_support import Validator

    return Validator()


INVOICE_TODAY = "2026-12-20"
"""The day the invoice tests run on: issue and credit notes are dated today by default
(SPEC §7), so the tests pin the clock the CLI reads (``revcli.cli.options.today``)."""


@pytest.fixture
def pinned_today(monkeypatch: pytest.MonkeyPatch) -> str:
    """Pin the CLI's today to :data:`INVOICE_TODAY`."""
    import datetime as dt

    import revcli.cli.options

    monkeypatch.setattr(revcli.cli.options, "today", lambda: dt.date.fromisoformat(INVOICE_TODAY))
    return INVOICE_TODAY


@pytest.fixture(scope="module")
def issued(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """sample_data with the December 2026 billing run issued (NOK, EUR and USD invoices),
    once per test module."""
    root = tmp_path_factory.mktemp("issued") / "data"
    shutil.copytree(SAMPLE, root)
    result = CliRunner().invoke(
        app, ["invoice", "issue", "--data", str(root), "--period", "2026-12"]
    )
    assert result.exit_code == 0, result.stderr
    return root
