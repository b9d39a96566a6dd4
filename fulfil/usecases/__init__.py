"""Use cases: each step of the pipeline over a batch of orders, as plain functions of Deps.

No Prefect here: the CLI's store-only commands call these directly, and tasks/ wraps each one.
"""
