"""The lookout as Prefect sees it: the events it emits and the triggers that turn them into runs.

`fulfil serve` starts `fulfil lookout` beside the runner. Each look that finds a proof or a form
answer emits `fulfil.proofs.arrived` or `fulfil.orders.arrived` on the resource `fulfil.lookout`;
the `watch-proofs` and `intake` deployments carry a trigger on those events, so Prefect starts a
run of them at once (the runner polls every second under `fulfil serve`). The runs are the
deployments' own: in the UI with their order IDs, as a scheduled run would be. A look that finds
nothing emits nothing and starts no run.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from types import FrameType

from prefect.events import DeploymentEventTrigger, emit_event

from fulfil.bootstrap import arrival_feed
from fulfil.settings import Settings
from fulfil.usecases.lookout import Lookout
from integrations.ports import Arrival

RESOURCE = {"prefect.resource.id": "fulfil.lookout", "prefect.resource.name": "fulfil lookout"}


def event_name(arrival: Arrival) -> str:
    return f"fulfil.{arrival.value}.arrived"


def trigger(arrival: Arrival) -> DeploymentEventTrigger:
    """Run the deployment once for each announcement of `arrival` by the lookout."""
    return DeploymentEventTrigger(
        name=f"fulfil lookout: {arrival.value} arrived",
        description="Started by `fulfil serve`'s lookout as soon as it sees new "
        + ("proofs in an order's folder" if arrival == Arrival.PROOFS else "form answers or an export"),
        expect={event_name(arrival)},
        match={"prefect.resource.id": RESOURCE["prefect.resource.id"]},
    )


def announce(arrival: Arrival) -> None:
    # The event carries what arrived, never which order or whose: a run reads that from the source.
    emit_event(event=event_name(arrival), resource=dict(RESOURCE))


def run_lookout(settings: Settings, ready_fd: int | None = None) -> Lookout:
    """Look every `settings.lookout_seconds` until SIGTERM or SIGINT; the lookout, for its figures.
    With `ready_fd`, a byte is written to it (and it is closed) once the first look is done."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    lookout = Lookout(arrival_feed(settings), announce, settings.lookout_seconds)
    stop = threading.Event()

    def stopping(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, stopping)
    signal.signal(signal.SIGINT, stopping)
    lookout.run(stop, None if ready_fd is None else lambda: _say_ready(ready_fd))
    return lookout


def _say_ready(fd: int) -> None:
    try:
        os.write(fd, b"1")
    finally:
        os.close(fd)
