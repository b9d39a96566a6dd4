"""Tasks retry what may pass and fail at once on what a person must fix (tasks/_runtime.py)."""

from __future__ import annotations

import pytest

from fulfil.core.errors import FulfilError
from integrations.ports import AdapterError
from tasks._runtime import worth_retrying

pytestmark = pytest.mark.prefect


@pytest.mark.parametrize(
    ("error", "tries"),
    [
        (AdapterError("HTTP 503", retryable=True), 3),
        (AdapterError("storageQuotaExceeded: a service account cannot own files", retryable=False), 1),
        (FulfilError("the CRM sheet's header is not fulfil's"), 1),
        (TimeoutError("read timed out"), 3),
    ],
)
def test_a_task_retries_only_what_may_pass(prefect_api: str, error: Exception, tries: int) -> None:
    from prefect import flow, task

    calls: list[int] = []

    @task(retries=2, retry_delay_seconds=0, retry_condition_fn=worth_retrying)
    def step() -> None:
        calls.append(1)
        raise error

    @flow
    def run() -> None:
        step()

    with pytest.raises(type(error)):
        run()
    assert len(calls) == tries
