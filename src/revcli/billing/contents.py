"""A register as read: its records with their lines, the problems found reading them, and
where its files are."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from revcli.billing.layout import HEAD_FILE, LOCK_FILE, REGISTER_DIR, REGISTER_FILE
from revcli.billing.model import Invoice
from revcli.errors import Issue
from revcli.state.log import StateLog


def documents_of(rec: dict[str, Any]) -> list[tuple[str, str]]:
    """(file name, SHA-256) of every file a record names: ``documents`` (format 2) or
    ``document`` (format 1)."""
    if "documents" in rec:
        files = rec["documents"]
        if not isinstance(files, list):
            return []
        return [
            (str(f.get("name", "")), str(f.get("sha256", ""))) for f in files if isinstance(f, dict)
        ]
    return [(str(rec.get("document", "")), str(rec.get("document_sha256", "")))]


@dataclass(frozen=True)
class Entry:
    """One record of the register, with the line it is on."""

    line: int
    record: dict[str, Any]
    invoice: Invoice

    @property
    def documents(self) -> list[tuple[str, str]]:
        """(file name, SHA-256) of each of the document's files."""
        return documents_of(self.record)

    @property
    def formats(self) -> tuple[str, ...]:
        """The formats it was issued in: its files' extensions."""
        return tuple(name.rpartition(".")[2] for name, _ in self.documents)


@dataclass
class Contents:
    """The records of a register and every problem found reading them."""

    source: str
    entries: list[Entry] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    last_hash: str = ""
    hashes: list[str | None] = field(default_factory=list)
    """The hash of every record by line (``None`` for an unreadable line)."""
    merged: bool = False
    """The register holds a git merge conflict: its records were not read."""

    def problem(self, line: int | None, column: str, message: str) -> None:
        self.issues.append(Issue(self.source, line, column, message))


def state_log(root: Path) -> StateLog:
    """The register of ``root`` as a state log: the file, its lock and its HEAD."""
    folder = root / REGISTER_DIR
    return StateLog(folder / REGISTER_FILE, folder / LOCK_FILE, folder / HEAD_FILE)
