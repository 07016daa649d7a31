"""Append-only state the commands keep in a data dir: the invoice register and the reminder log.

:mod:`.lock` serialises the runs on one data dir (``flock`` where the system has it, an
exclusive lock file elsewhere); :mod:`.log` appends durably and verifies hash chains;
:mod:`.stamp` fingerprints a state found clean, so that an unchanged one is not verified again.
Each log keeps its own record format; this package knows only lines and hashes.
"""
