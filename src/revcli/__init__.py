"""revcli: MRR, ARR, renewals and invoices from a folder of contract files."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("revcli")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0+source"
