"""Orders that need a person: ops alerted once each, and the list as a table artifact a manager
opens from the dashboard (Artifacts → needs-action)."""

from __future__ import annotations

from prefect.artifacts import create_table_artifact

from fulfil.core.needs_action import NeedsAction
from fulfil.usecases.deps import Deps
from fulfil.usecases.pipeline import DirectSteps
from tasks._runtime import listed, log, step_task


@step_task("alert-needing-action")
def alert_needing_action(deps: Deps) -> list[NeedsAction]:
    found = DirectSteps(deps).alert_needing_action()
    # Order IDs and reasons only: never a buyer's name or address.
    log(f"needing action: {len(found)}: " + listed([f"{n.order_id} {n.reason}" for n in found]))
    return found


@step_task("publish-needing-action")
def publish_needing_action(deps: Deps, found: list[NeedsAction]) -> None:
    rows = [{"order": n.order_id, "reason": str(n.reason), "what to do": n.detail} for n in found]
    create_table_artifact(
        key="needs-action",
        table=rows or [{"order": "-", "reason": "-", "what to do": "Tidak ada / nothing needs a person"}],
        description=f"Orders that need a person: {len(found)} (fulfil orders list --needs-action)",
    )
