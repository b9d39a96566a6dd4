"""What every task shares: the process's services and a logger that never sees personal data."""

from __future__ import annotations

from prefect import get_run_logger

from fulfil import bootstrap
from fulfil.bootstrap import Services


def services() -> Services:
    """The process's services; a flow run started by a deployment builds them here, blocks too."""
    if bootstrap.current() is None:
        from fulfil.settings import load_settings
        from tasks._blocks import apply_blocks

        bootstrap.use(bootstrap.build(apply_blocks(load_settings())))
    return bootstrap.services()


def log(message: str) -> None:
    """Log order IDs, counts and statuses only; callers never pass names, emails or phones."""
    get_run_logger().info(message)
