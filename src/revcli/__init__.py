"""revcli: MRR, ARR, renewals and invoices from a folder of contract files."""

__version__ = "0.1.0"
"""The one place the version is written; pyproject.toml reads it from here (hatch)."""
