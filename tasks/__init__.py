"""Prefect tasks: each wraps one use case (one side effect) and carries its retry policy."""
