"""A real git repository built inside a test, with fixed author and committer dates."""

from __future__ import annotations

import os
import subprocess
import textwrap
from pathlib import Path


class GitRepo:
    """A repository at ``path`` whose data dir is the subfolder ``data``."""

    def __init__(self, path: Path, data: str = "data") -> None:
        self.path = path
        self.data = path / data if data else path
        self.data.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str, date: str = "2026-01-01T12:00:00+00:00") -> str:
        env = {
            **os.environ,
            "GIT_AUTHOR_NAME": "Test",
            "GIT_AUTHOR_EMAIL": "test@example.com",
            "GIT_COMMITTER_NAME": "Test",
            "GIT_COMMITTER_EMAIL": "test@example.com",
            "GIT_AUTHOR_DATE": date,
            "GIT_COMMITTER_DATE": date,
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_OPTIONAL_LOCKS": "0",  # so that our own `git status` never writes the index
            "HOME": str(self.path),
        }
        done = subprocess.run(
            ["git", "-C", str(self.path), *args],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        return done.stdout

    def write(self, files: dict[str, str]) -> None:
        """Write files (name → dedented text) into the data dir."""
        for name, text in files.items():
            path = self.data / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")

    def remove(self, name: str) -> None:
        (self.data / name).unlink()

    def commit(self, message: str, date: str, tag: str | None = None) -> str:
        """Commit everything in the work tree on ``date`` (ISO); return the hash."""
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message, date=date)
        if tag:
            self.git("tag", tag)
        return self.git("rev-parse", "HEAD").strip()
