"""The use cases end to end on the in-memory store: the same tests as
tests/integration/test_usecases_pipeline.py (imported, not copied), with the order store swapped
for fulfil.testing.memory_store, which keeps the store's contract (tests/integration/
test_store_contract.py). No database: the service-layer tier runs in seconds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fulfil import bootstrap
from fulfil.settings import Settings
from fulfil.testing.memory_store import MemoryStore
from fulfil.usecases.deps import Deps
from tests.integration.test_usecases_pipeline import (  # noqa: F401  (collected here too)
    taken_in,
    test_a_change_to_a_dispatched_order_is_held_for_ops_once_then_applied_by_hand,
    test_a_completed_needs_info_row_is_checked_again_and_dispatched,
    test_a_proof_with_a_disguised_name_is_shown_defused_and_rejected,
    test_a_quantity_written_with_a_thousands_dot_is_not_taken_as_one,
    test_a_run_that_stopped_after_recording_is_finished_by_the_next,
    test_a_second_intake_of_the_same_file_changes_nothing,
    test_an_empty_proof_is_rejected_with_a_reason_and_the_order_keeps_waiting,
    test_an_order_finished_after_its_deadline_is_marked_late_in_the_crm,
    test_an_order_goes_from_proof_to_a_told_buyer_once,
    test_buyer_names_reach_the_crm_and_the_buyer_as_written,
    test_intake_sorts_the_example_export,
)


@pytest.fixture
def svc(home: Path) -> Iterator[Deps]:
    """Deps on the local adapters in `home`, the order store in memory."""
    services = bootstrap.build(Settings(home=home), store=MemoryStore())
    yield services
    services.close()
