"""Crash points: named places where a test can kill the process like a power cut.

    FULFIL_CRASH_AT=after-crm-write fulfil watch --once     # dies at the 1st time it gets there
    FULFIL_CRASH_AT=after-crm-write:2 fulfil watch --once   # dies at the 2nd time

The process ends on the spot with os._exit(137), the code a SIGKILL leaves: no exception to
catch, no `finally`, no atexit, no buffered output flushed. Anything not committed is lost,
exactly as when the power goes. Unset (production), a crash point costs one dict lookup.

Stdlib only: it sits in the use cases, under every adapter, and must not drag Prefect,
SQLAlchemy or Google into what imports it.
"""

from __future__ import annotations

import os

ENV = "FULFIL_CRASH_AT"
EXIT_CODE = 137  # 128 + SIGKILL: what a killed worker or an OOM kill looks like to its parent

# Every crash point in the code, in pipeline order; tests/reliability/ dies at each of them.
CRASH_POINTS: tuple[str, ...] = (
    # fulfil/usecases/intake.py: a new order and its messages are committed, nothing after.
    "after-intake-commit",
    # fulfil/usecases/dispatch.py: the proof folder exists, the order is not dispatched yet.
    "after-folder-created",
    # fulfil/usecases/dispatch.py: the order is dispatched, its dispatch message queued, unsent.
    "after-dispatch-queued",
    # fulfil/usecases/proofs.py: the order is proof_received; the feed cursor is not saved yet.
    "after-proof-accepted",
    # fulfil/usecases/crm.py: the CRM rows are written, their orders still flagged as stale.
    "after-crm-write",
    # fulfil/usecases/crm.py: the rows are written and marked synced, the orders not yet recorded.
    "after-crm-synced",
    # fulfil/usecases/notify.py: the message is delivered but not marked sent; it is sent
    # again on the next pass (same Message-ID): the one documented at-least-once window.
    "after-send-before-mark",
    # fulfil/usecases/aftersale.py: the files are shared with the buyer, the order not completed.
    # fulfil/usecases/invoicing.py: the invoice number is taken, the PDF not written nor sent.
    "after-invoice-numbered",
    "after-share",
    # fulfil/usecases/aftersale.py: a claim or refund and its messages are committed, unsent.
    "after-aftersale-commit",
)

# name -> the hit that kills; read from the environment on the first call, once per process.
_armed: dict[str, int] | None = None
_hits: dict[str, int] = {}


def _parse(value: str) -> dict[str, int]:
    value = value.strip()
    if not value:
        return {}
    name, _, nth = value.partition(":")
    if name not in CRASH_POINTS:
        # A typo would otherwise never crash and a reliability test would pass for nothing.
        raise ValueError(f"{ENV}={value!r}: unknown crash point; known: {', '.join(CRASH_POINTS)}")
    try:
        count = int(nth) if nth else 1
    except ValueError:
        count = 0
    if count < 1:
        raise ValueError(f"{ENV}={value!r}: the hit number after ':' must be 1 or more")
    return {name: count}


def crash_point(name: str) -> None:
    """Die here, like a power cut, if FULFIL_CRASH_AT names this point (and this hit)."""
    global _armed
    if _armed is None:
        _armed = _parse(os.environ.get(ENV, ""))
    kill_at = _armed.get(name)
    if kill_at is None:
        return
    _hits[name] = _hits.get(name, 0) + 1
    if _hits[name] >= kill_at:
        os._exit(EXIT_CODE)


def reset() -> None:
    """Read FULFIL_CRASH_AT again on the next call and forget the hits (for in-process tests)."""
    global _armed
    _armed = None
    _hits.clear()
