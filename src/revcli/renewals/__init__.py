"""Renewals: term ends, notice deadlines, the renewals report, calendar and reminders."""
