"""``python -m tests.counted_opens NAME REVCLI_ARGS…``: run revcli in a real process and
write, as the last line of stderr, how many times a file called ``NAME`` was opened.

CPython raises the audit event ``open`` for every ``open()`` and ``os.open()``; a hook
counts those of ``NAME``. Nothing of revcli is replaced: the command runs as it does for
a user.
"""

from __future__ import annotations

import sys
from pathlib import Path

from revcli.cli import main


def run(name: str, args: list[str]) -> None:
    opened: list[str] = []

    def hook(event: str, details: tuple[object, ...]) -> None:
        path = details[0] if event == "open" else None
        if isinstance(path, str | Path) and Path(path).name == name:
            opened.append(str(path))

    sys.addaudithook(hook)
    sys.argv = ["revcli", *args]
    try:
        main()
    finally:
        print(f"opened {name}: {len(opened)}", file=sys.stderr)


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2:])
