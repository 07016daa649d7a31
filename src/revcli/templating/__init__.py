"""Liquid templates for invoices and reminders: where they are, one strict environment,
and errors that name ``FILE:LINE:COLUMN``.

Templates are python-liquid 2 files rendered with ``StrictUndefined`` (a misspelt
variable is an error, not an empty string) and strict filters, autoescaped for HTML.
Every problem — a missing or unreadable file, a file that is not UTF-8, a syntax error,
an undefined variable, a bad filter argument — is a :class:`~.files.TemplateError` whose
message names the file (the included one when the error is in an ``{% include %}``d
file) and, where known, the line and column, counted from 1.
"""
