"""What every task shares: the process's services and a logger that never sees personal data."""

from __future__ import annotations

from prefect import get_run_logger

from fulfil import bootstrap
from fulfil.bootstrap import Services


def services() -> Services:
    return bootstrap.services()


def log(message: str) -> None:
    """Log order IDs, counts and statuses only; callers never pass names, emails or phones."""
    get_run_logger().info(message)
