"""Where the files of a data dir come from: a folder on disk, or its tree at a git revision.

The loader asks a :class:`Source` for files by their path inside the data dir
(``contracts/acme.yaml``); the source answers with bytes and with the name problems
should carry (``data/contracts.yaml`` on disk, ``v1.2:data/contracts.yaml`` in git, the
spelling ``git show`` accepts).
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO

from revcli.data.files import MAX_FILE_BYTES, UnreadableFile, read_bytes
from revcli.errors import UsageError
from revcli.filetree import Source

__all__ = ["FolderSource", "GitSource", "Revision", "Source", "resolve_revision"]


@dataclass(frozen=True)
class FolderSource:
    """The data dir as a folder on disk: the working tree."""

    root: Path

    def is_file(self, name: str) -> bool:
        return self.exists(name) and not (self.root / name).is_dir()

    def is_dir(self, name: str) -> bool:
        return (self.root / name).is_dir()

    def exists(self, name: str) -> bool:
        # lexists: a broken or self-referencing symlink is reported when read, not ignored.
        return os.path.lexists(self.root / name)

    def listdir(self, name: str) -> list[str]:
        return sorted(f"{name}/{p.name}" for p in (self.root / name).iterdir())

    def read(self, name: str) -> bytes:
        return read_bytes(self.root / name)

    def where(self, name: str) -> str:
        return str(self.root / name)


_REPOSITORY_VARIABLES = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_COMMON_DIR",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_NAMESPACE",
    "GIT_PREFIX",
    "GIT_IMPLICIT_WORK_TREE",
    "GIT_SHALLOW_FILE",
    "GIT_GRAFT_FILE",
)
"""Environment variables that point git at another repository (or other objects and refs)
than the one holding the data dir. A git hook exports some of them (``GIT_DIR=.git``,
relative to the folder git started in), so revcli run from a hook would read another
repository or none; git is always left to find the data dir's own."""


def _git_env() -> dict[str, str]:
    """The environment of every git command: the user's, less
    :data:`_REPOSITORY_VARIABLES`, taking no locks, with messages in English."""
    env = {k: v for k, v in os.environ.items() if k not in _REPOSITORY_VARIABLES}
    return {**env, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}


class GitMissing(UsageError):
    """There is no ``git`` program on ``PATH``."""


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            ["git", "-C", str(cwd), *args],
            capture_output=True,
            text=True,
            env=_git_env(),
            check=False,
        )
    except FileNotFoundError:
        raise GitMissing(
            "git is not installed (no git program on PATH); --rev, --before and diff "
            "read the data dir's history with git"
        ) from None


def _git(cwd: Path, *args: str) -> str:
    """Output of a read-only git command; :class:`UsageError` with git's message on failure."""
    done = _run(cwd, *args)
    if done.returncode != 0:
        message = done.stderr.strip().splitlines()
        raise UsageError(
            message[-1].removeprefix("fatal: ") if message else f"git {args[0]} failed"
        )
    return done.stdout


def _shallow_hint(root: Path) -> str:
    """What to add to "not found in the history" when the clone is shallow: the commit
    may exist but not have been fetched."""
    try:
        shallow = _git(root, "rev-parse", "--is-shallow-repository").strip() == "true"
    except UsageError:
        shallow = False
    if not shallow:
        return ""
    return (
        "; the clone is shallow (only the latest commits were fetched): fetch the history "
        "first, e.g. git fetch --unshallow (in CI: a checkout with fetch-depth: 0)"
    )


@dataclass(frozen=True)
class Revision:
    """A commit of the repository holding a data dir, as the user named it."""

    label: str
    """How the user named it (``v1.2``, ``HEAD~3``), or the short hash for ``--before``."""
    commit: str
    """The full commit hash."""


def resolve_revision(root: Path, rev: str | None, before: dt.date | None = None) -> Revision:
    """The commit ``rev`` names (a tag, ``HEAD~3``, a hash), or with ``before`` the last
    commit in its history (default ``HEAD``) made on or before that day, as ``git rev-list
    -1 --before`` picks it. Reflog names (``main@{…}``) are refused: a fresh clone has no
    reflog, so the answer would depend on the machine. So are an empty name (an unset CI
    variable, never ``HEAD``) and one that is both a tag and a branch (git would take the
    tag and only warn). A bad name is a usage error; in a shallow clone it says so."""
    if rev is not None and "@{" in rev:
        raise UsageError(
            f"'{rev}': reflog names (@{{…}}) depend on the local clone; "
            "use a tag, a hash, HEAD~N, or --before DATE"
        )
    if rev is not None and rev.startswith("-"):
        raise UsageError(f"'{rev}' is not a revision")
    if rev is not None and not rev.strip():
        raise UsageError("an empty revision names no commit; use a tag, a hash or HEAD~N")
    try:
        # A bare repository or the .git folder itself answers "false": it has no data dir.
        inside = _git(root, "rev-parse", "--is-inside-work-tree").strip() == "true"
    except GitMissing:
        raise
    except UsageError:
        inside = False
    if not inside:
        raise UsageError(
            f"{root} is not in a git repository's working tree; "
            "--rev, --before and diff read its history"
        )
    start = rev or "HEAD"
    done = _run(root, "rev-parse", "--verify", "--end-of-options", f"{start}^{{commit}}")
    if done.returncode != 0:
        raise UsageError(
            f"'{start}' is not a commit of the git repository at {root}{_shallow_hint(root)}"
        )
    if "ambiguous" in done.stderr:
        # git picks one (a tag before a branch) and only warns: the user may mean the other.
        raise UsageError(
            f"'{start}' is ambiguous: more than one ref (a tag and a branch, say) or a ref "
            f"and a hash have that name; write it in full, e.g. refs/tags/{start} or "
            f"refs/heads/{start}"
        )
    commit = done.stdout.strip()
    if before is None:
        return Revision(start, commit)
    # A bare date means "now on that day" to git; the whole day is meant (local time, as
    # git reads a date without a zone). Given as git's internal "<seconds> <zone>" form:
    # git's date parser does not read years from 2100 on.
    end = int(dt.datetime.combine(before, dt.time(23, 59, 59)).timestamp())
    found = _git(root, "rev-list", "-1", f"--before={end} +0000", commit).strip()
    if not found:
        raise UsageError(
            f"no commit of {start} was made on or before {before.isoformat()}{_shallow_hint(root)}"
        )
    return Revision(found[:12], found)


_SYMLINK = "120000"
"""The mode git gives a symbolic link; its blob holds the link's target."""

_LINK_ROUNDS = 8
"""How many levels of symlinked folders inside symlinked folders are followed."""

_BROKEN_LINKS = {
    "symlink": "is a symbolic link out of the repository; git keeps only the link, "
    "so what it points to cannot be read at this revision",
    "dangling": "is a broken symbolic link at this revision",
    "notdir": "is a broken symbolic link at this revision",
    "missing": "is a broken symbolic link at this revision",
    "loop": "is a symbolic link that points to itself at this revision",
}
"""What ``git cat-file --follow-symlinks`` answers for a link it cannot follow, and how
revcli says it (as a folder on disk says it of the same link)."""

Entry = tuple[str, str, int]
"""A tree entry: ``blob``, ``tree`` or ``broken``; its object (for ``broken``: why it
cannot be read); its size in bytes."""


def _tree_entries(toplevel: Path, tree: str, *paths: str) -> list[tuple[str, Entry, bool]]:
    """``git ls-tree -r -t -l`` of ``tree`` (limited to ``paths``): each entry's path,
    :data:`Entry` and whether it is a symbolic link."""
    listing = _git(toplevel, "ls-tree", "-r", "-t", "-l", "-z", tree, "--", *paths)
    found = []
    for item in listing.split("\0"):
        if not item:
            continue
        meta, path = item.split("\t", 1)
        mode, kind, obj, size = meta.split()
        found.append((path, (kind, obj, int(size) if size.isdigit() else 0), mode == _SYMLINK))
    return found


def _follow(toplevel: Path, commit: str, paths: list[str]) -> list[Entry]:
    """Where the symbolic links at ``paths`` (from the repository's top) lead at
    ``commit``, as ``git cat-file --batch-check --follow-symlinks`` follows them inside
    the repository."""
    if any("\n" in p for p in paths):
        return [("broken", _BROKEN_LINKS["missing"], 0) for _ in paths]
    done = subprocess.run(
        ["git", "-C", str(toplevel), "cat-file", "--batch-check", "--follow-symlinks"],
        input="".join(f"{commit}:{p}\n" for p in paths),
        capture_output=True,
        text=True,
        env=_git_env(),
        check=False,
    )
    answers = iter(done.stdout.splitlines())
    entries: list[Entry] = []
    for _ in paths:
        words = next(answers, "missing").split()
        if words[-1] == "missing" or words[0] not in _BROKEN_LINKS:
            if len(words) == 3 and words[1] in ("blob", "tree"):
                entries.append((words[1], words[0], int(words[2])))
            else:
                entries.append(("broken", _BROKEN_LINKS["missing"], 0))
            continue
        next(answers, None)  # the link's target, or the name asked for
        entries.append(("broken", _BROKEN_LINKS[words[0]], 0))
    return entries


@dataclass
class GitSource:
    """The data dir as it was at a git revision, read from git objects: neither the
    working tree nor the index is read or touched. Use it as a context manager (it keeps
    one ``git cat-file --batch`` process for all reads).

    Symbolic links are followed as on disk, as long as they stay inside the repository
    (git keeps a link, not what it points to outside)."""

    root: Path
    revision: Revision
    _prefix: str = ""
    _toplevel: Path = field(default_factory=Path)
    _entries: dict[str, Entry] = field(default_factory=dict)
    _batch: subprocess.Popen[bytes] | None = None

    @classmethod
    def open(cls, root: Path, revision: Revision) -> GitSource:
        """List the data dir's tree at ``revision`` (``root`` may be a subfolder of the
        repository)."""
        toplevel = Path(_git(root, "rev-parse", "--show-toplevel").strip())
        prefix = _git(root, "rev-parse", "--show-prefix").strip()
        entries: dict[str, Entry] = {}
        links: list[str] = []
        for path, entry, link in _tree_entries(toplevel, revision.commit, prefix or "."):
            if prefix and not path.startswith(prefix):
                continue
            name = path.removeprefix(prefix)
            entries[name] = entry
            if link:
                links.append(name)
        if prefix and not entries:  # git keeps no empty folder: nothing there, no folder
            raise UsageError(
                f"data dir {root} does not exist at git revision {revision.label} "
                f"(its tree has no folder {prefix.rstrip('/')})"
            )
        # A link becomes what it points to; a linked folder brings its entries (and its
        # own links, followed in the next round).
        for _ in range(_LINK_ROUNDS):
            if not links:
                break
            targets = _follow(toplevel, revision.commit, [prefix + n for n in links])
            found: list[str] = []
            for name, target in zip(links, targets, strict=True):
                entries[name] = target
                if target[0] != "tree":
                    continue
                for path, entry, link in _tree_entries(toplevel, target[1]):
                    entries[f"{name}/{path}"] = entry
                    if link:
                        found.append(f"{name}/{path}")
            links = found
        return cls(root, revision, prefix, toplevel, entries)

    def __enter__(self) -> GitSource:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """End the ``git cat-file`` process, if one was started."""
        if self._batch is not None:
            assert self._batch.stdin is not None
            self._batch.stdin.close()
            self._batch.wait()
            self._batch = None

    def is_file(self, name: str) -> bool:
        # A broken link is a file that cannot be read, as :class:`FolderSource` has it.
        return name in self._entries and self._entries[name][0] != "tree"

    def is_dir(self, name: str) -> bool:
        return name in self._entries and self._entries[name][0] == "tree"

    def exists(self, name: str) -> bool:
        return name in self._entries

    def listdir(self, name: str) -> list[str]:
        folder = f"{name}/"
        return sorted(
            n for n in self._entries if n.startswith(folder) and "/" not in n[len(folder) :]
        )

    def _pipes(self) -> tuple[IO[bytes], IO[bytes]]:
        if self._batch is None:
            self._batch = subprocess.Popen(
                ["git", "-C", str(self._toplevel), "cat-file", "--batch"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=_git_env(),
            )
        assert self._batch.stdin is not None
        assert self._batch.stdout is not None
        return self._batch.stdin, self._batch.stdout

    def read(self, name: str) -> bytes:
        kind, obj, size = self._entries.get(name, ("", "", 0))
        if kind == "tree":
            raise UnreadableFile("is a directory, expected a file")
        if kind == "broken":
            raise UnreadableFile(obj)
        if kind != "blob":
            raise UnreadableFile("cannot be read: not a file at this revision")
        if size > MAX_FILE_BYTES:
            raise UnreadableFile(
                f"is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB, "
                "the most revcli reads from one file"
            )
        stdin, stdout = self._pipes()
        stdin.write(obj.encode() + b"\n")
        stdin.flush()
        header = stdout.readline().split()
        if len(header) != 3:
            raise UnreadableFile("cannot be read: git cat-file could not read the object")
        data = stdout.read(int(header[2]))
        stdout.read(1)  # the newline after the contents
        return data

    def where(self, name: str) -> str:
        return f"{self.revision.label}:{self._prefix}{name}"
