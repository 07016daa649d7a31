"""Churn risk: the signal files, their settings, and the transparent weighted score."""
