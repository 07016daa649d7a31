"""Restatements: how the figures of ``revcli mrr`` changed between two revisions, and why."""
