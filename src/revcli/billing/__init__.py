"""Billing (SPEC §7): billing periods, exact invoices, the invoice register, templates, PDF."""
