"""The install hint of an optional extra names the command that works where revcli runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def hint_with(tmp_path: Path, direct_url: dict[str, object]) -> str:
    """``install_hint('pdf')`` in a fresh interpreter that finds a revcli distribution
    installed as ``direct_url`` says (PEP 610), ahead of any other on the path."""
    info = tmp_path / "site" / "revcli-9.9.9.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: revcli\nVersion: 9.9.9\n")
    (info / "direct_url.json").write_text(json.dumps(direct_url))
    code = "from revcli.extras import install_hint; print(install_hint('pdf'))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={"PYTHONPATH": f"{info.parent}:{ROOT / 'src'}", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_an_editable_checkout_is_told_to_reinstall_itself_with_the_extra(tmp_path: Path) -> None:
    url = {"url": "file:///home/kari/src/re%20vcli", "dir_info": {"editable": True}}
    assert hint_with(tmp_path, url) == "pip install -e '/home/kari/src/re vcli[pdf]'"


def test_an_installed_package_is_told_to_install_the_extra(tmp_path: Path) -> None:
    url = {"url": "https://files.example/revcli-9.9.9.whl", "archive_info": {}}
    assert hint_with(tmp_path, url) == "pip install 'revcli[pdf]'"
