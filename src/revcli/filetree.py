"""The files of a data dir as revcli reads them, wherever they are: the interface only.

Its implementations (a folder on disk, a git revision's tree) are in
:mod:`revcli.data.source`; the interface sits at the bottom of the layers so that the
settings, which name files (templates) to be looked up in the same place as the data,
can take one without importing the data layer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol


class Source(Protocol):
    """Read-only files of a data dir, named by their POSIX path inside it."""

    @property
    def root(self) -> Path:
        """The data dir on disk (also for a git revision: it names the folder)."""

    def is_file(self, name: str) -> bool:
        """Whether ``name`` exists and is not a folder."""

    def is_dir(self, name: str) -> bool:
        """Whether ``name`` is a folder."""

    def exists(self, name: str) -> bool:
        """Whether ``name`` exists (file or folder)."""

    def listdir(self, name: str) -> list[str]:
        """Paths (inside the data dir) of the entries of folder ``name``, sorted."""

    def read(self, name: str) -> bytes:
        """The bytes of file ``name``; ``revcli.data.files.UnreadableFile`` (saying why)
        when it is no regular file, is larger than the limit, or cannot be read."""

    def where(self, name: str) -> str:
        """How problems name the file ``name``."""
