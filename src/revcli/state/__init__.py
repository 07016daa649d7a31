"""Append-only state the commands keep in a data dir: the invoice register and the reminder log.

:mod:`.lock` serialises the runs on one data dir (``flock`` where the system has it, an
exclusive lock file elsewhere); :mod:`.log` appends durably and verifies hash chains.
Each log keeps its own record format; this package knows only lines and hashes.
"""
