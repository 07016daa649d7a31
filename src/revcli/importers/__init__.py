"""Imports from Stripe, Baremetrics CSV and mapped spreadsheets into data-dir files."""
