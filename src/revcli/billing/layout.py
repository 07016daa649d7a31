"""Where the invoice register lives in a data dir (a module without imports, so that a
command can tell whether there is a register without loading the billing code)."""

from __future__ import annotations

from pathlib import Path

REGISTER_DIR = "invoices"
REGISTER_FILE = "register.jsonl"
HEAD_FILE = "HEAD"
LOCK_FILE = ".lock"


def has_register_dir(root: Path) -> bool:
    """Whether ``root`` has an ``invoices/`` entry at all (a broken symlink counts: it is
    reported). Without one there is no register, HEAD or document to check."""
    return (root / REGISTER_DIR).is_symlink() or (root / REGISTER_DIR).exists()
