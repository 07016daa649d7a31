"""The register's check on every run: in full only when it changed since it was last found clean.

:func:`register_issues` is what :func:`revcli.billing.register.check_register` returns
without orphans, unless the register, its HEAD and its documents are exactly as a clean
check left them (:mod:`revcli.state.stamp`): then nothing is parsed, and the billing
code is not even loaded. ``validate``, ``invoice check`` and the commands that write the
register read everything, always.
"""

from __future__ import annotations

from pathlib import Path

from revcli.billing.layout import HEAD_FILE, REGISTER_DIR, REGISTER_FILE
from revcli.errors import Issue
from revcli.state.stamp import Stamp


def register_issues(root: Path) -> list[Issue]:
    """The problems of the register of ``root`` that stop every command (SPEC §1); a
    clean register is stamped so that the next run need not read it again."""
    folder = root / REGISTER_DIR
    register = folder / REGISTER_FILE
    stamp = Stamp.of(root, (register, folder / HEAD_FILE), folder) if register.is_file() else None
    if stamp is not None and stamp.unchanged():
        return []
    from revcli.billing.register import checked_register

    contents = checked_register(root, orphans=False)
    if stamp is not None and not contents.issues:
        stamp.record(name for entry in contents.entries for name, _ in entry.documents)
    return contents.issues
