"""What every task shares: the process's services and a logger that never sees personal data."""

from __future__ import annotations

from typing import Any

from prefect import get_run_logger

from fulfil import bootstrap
from fulfil.bootstrap import Services
from fulfil.core.errors import FulfilError
from integrations.ports import AdapterError


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


def worth_retrying(task: Any, task_run: Any, state: Any) -> bool:
    """A task's retry condition: try again after a failure that may pass (a timeout, a 503, a
    rate limit), never after a refusal a person must fix (a permission, Google's storage refusal
    of a service account, a bad setting): that one fails the run at once, in one line."""
    try:
        state.result()
    except AdapterError as exc:
        return exc.retryable
    except FulfilError:
        return False
    except Exception:
        return True
    return False
