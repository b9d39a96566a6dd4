"""Prefect flows: they only compose tasks. Every flow is safe to rerun at any time."""
