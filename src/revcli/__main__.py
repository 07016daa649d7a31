"""Run revcli as ``python -m revcli``."""

from revcli.cli import main

main()
