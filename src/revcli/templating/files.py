"""Template files: where revcli's own and a data dir's templates are, reading one as UTF-8,
and :class:`TemplateError`."""

from __future__ import annotations

import os
from pathlib import Path

from revcli.data.files import UnreadableFile, read_bytes
from revcli.errors import RevcliError
from revcli.settings import SETTINGS_FILE, inside_data_dir


class TemplateError(RevcliError):
    """A template cannot be found, read, parsed or rendered; the message names the file
    and, where known, ``LINE:COLUMN``."""


def shipped_templates() -> Path:
    """The folder of the templates revcli ships: ``revcli/templates`` in an installed
    wheel, else ``templates/`` at the root of the source tree."""
    here = Path(__file__).resolve().parent  # src/revcli/templating, or revcli/templating
    for folder in (here.parent / "templates", here.parents[2] / "templates"):
        if (folder / "invoice.html.liquid").is_file():
            return folder
    return here.parents[2] / "templates"


def find_template(root: Path, configured: str, default: str, *, setting: bool = True) -> Path:
    """The template a data dir asks for: ``configured`` relative to the data dir, which
    must stay inside it, symlinks resolved (:class:`TemplateError` otherwise, naming
    revcli.yaml when a ``setting`` names the file, else the file). When ``configured``
    is the ``default`` name and the data dir has no such file, revcli's own copy. A
    configured file that does not exist is returned as it is (the caller reports it)."""
    if not inside_data_dir(root, configured):
        if not setting:  # the Markdown and text faces' place, which no setting names
            raise TemplateError(
                f"{root / configured}: leads outside the data dir (symlinks resolved); a "
                "template in the data dir must be a file inside it"
            )
        raise TemplateError(
            f"{root / SETTINGS_FILE}: '{configured}' is outside the data dir; a template "
            f"named in {SETTINGS_FILE} must be a file inside it (symlinks resolved)"
        )
    path = root / configured
    if not os.path.lexists(path) and configured == default:
        return shipped_templates() / Path(default).name
    return path


def read_template(path: Path) -> str:
    """The text of a template file; :class:`TemplateError` when it cannot be read or is
    not UTF-8 (naming the line of the first bad byte)."""
    try:
        data = read_bytes(path)
    except UnreadableFile as exc:
        raise TemplateError(f"{path}: the template {exc}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise TemplateError(
            f"{path}:{line}: the template is not UTF-8 text (byte 0x{data[exc.start]:02x}); "
            "save it as UTF-8"
        ) from None
