"""The optional extras (``pdf``, …) and the pip command that installs one here."""

from __future__ import annotations

import json
from importlib import metadata
from urllib.parse import unquote, urlparse


def _editable_checkout() -> str | None:
    """The folder revcli is installed from in editable mode (``pip install -e``), else None."""
    try:
        text = metadata.distribution("revcli").read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        return None
    if not text:
        return None
    try:
        info = json.loads(text)
    except ValueError:
        return None
    if not info.get("dir_info", {}).get("editable"):
        return None
    url = urlparse(info.get("url", ""))
    return unquote(url.path) if url.scheme == "file" else None


def install_hint(extra: str) -> str:
    """The command that adds ``extra``: ``pip install -e '/path/to/checkout[pdf]'`` when
    revcli runs from an editable checkout, else ``pip install 'revcli[pdf]'``."""
    checkout = _editable_checkout()
    if checkout:
        return f"pip install -e '{checkout}[{extra}]'"
    return f"pip install 'revcli[{extra}]'"
