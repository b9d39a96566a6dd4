"""Handing the goods over at completion, and what ops do after it: claims, refunds, withdrawing
access to shared files."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fulfil.core import aftersale, claim_form
from fulfil.core.catalogue import Service
from fulfil.core.errors import ForbiddenTransition
from fulfil.core.handover import FoundFile
from fulfil.core.order import Order
from fulfil.crash import crash_point
from fulfil.usecases.deps import Deps
from fulfil.usecases.unit_of_work import Decided, Decision, transact
from integrations.ports import ShareRefused, SourceTable


def found_file(order: Order, fingerprint: str) -> FoundFile | None:
    """A judged proof file as the proof store lists it, to fetch or share it again."""
    md5 = {d.fingerprint: d.md5 for d in order.deliverables}
    proof = next((p for p in order.proofs if p.fingerprint == fingerprint), None)
    if proof is None:
        return None
    return FoundFile(proof.name, proof.size, proof.fingerprint, proof.link, md5.get(fingerprint, ""))


def prepare_handover(svc: Deps, order: Order, service: Service) -> tuple[str, dict[str, str], str]:
    """Share the files on the proof store when the service hands over by sharing (before the
    order's transaction: sharing twice returns the same grants). The method used, each file's
    "link\\ngrant" by fingerprint, and why the method fell back (empty when it did not)."""
    method = service.handover.method
    if method == aftersale.ATTACHMENT:
        return method, {}, ""
    files = aftersale.files_to_hand_over(order, service, since_claim=order.open_claim is not None)
    found = [f for f in (found_file(order, p.fingerprint) for p in files) if f is not None]
    if not found or (method == aftersale.SHARE and not order.email_reachable):
        return aftersale.ATTACHMENT, {}, ""
    try:
        shared = svc.proofs.share(
            order.order_id, found, order.buyer_email if method == aftersale.SHARE else None
        )
    except ShareRefused as exc:
        return aftersale.ATTACHMENT, {}, str(exc)
    crash_point("after-share")
    by_name = {s.name: s for s in shared}
    links = {
        f.fingerprint: f"{by_name[f.name].link}\n{by_name[f.name].grant}" for f in found if f.name in by_name
    }
    return method, links, ""


def open_claim(
    svc: Deps, order_id: str, *, reason: str, items: int | None, actor: str, override: str = ""
) -> Order:
    def decide(order: Order) -> Decided:
        service = svc.catalogue.get(order.service_code)
        if service is None:
            raise ForbiddenTransition(
                f"order {order.order_id}: service {order.service_code!r} is not sold any more"
            )
        keys = aftersale.open_claim(
            order, service, reason=reason, items=items, actor=actor, at=svc.clock(), override=override
        )
        return keys or None  # none: the same claim again, nothing to write

    return _commit(svc, order_id, decide, reason=reason, items=items)


def refund(svc: Deps, order_id: str, *, amount: int, reason: str, full: bool, actor: str) -> Order:
    def decide(order: Order) -> Decided:
        keys = aftersale.refund(order, amount=amount, reason=reason, full=full, actor=actor, at=svc.clock())
        return keys or None  # none: the same refund again, nothing to write

    done = _commit(svc, order_id, decide, amount=amount, reason=reason, full=full)
    svc.store.stock.settle(svc.clock())  # refunded before it shipped: its units back on the shelf
    return done


def _commit(svc: Deps, order_id: str, decide: Decision, **extra: Any) -> Order:
    """The claim or refund and its messages in one transaction; the order as it now stands."""
    done = transact(svc, order_id, decide, **extra)
    crash_point("after-aftersale-commit")
    return done or svc.store.get(order_id)


def withdraw_access(svc: Deps, order_id: str, *, actor: str) -> tuple[Order, int]:
    """Withdraw the buyer's access to every file shared with them; how many grants went."""
    order = svc.store.get(order_id)
    grants = aftersale.shared_grants(order)
    if grants:
        svc.proofs.unshare(order_id, grants)  # first: a crash after it is repeated harmlessly

    def decide(order: Order) -> Decided:
        return [] if aftersale.withdraw_access(order, actor=actor, at=svc.clock()) else None

    return transact(svc, order_id, decide) or svc.store.get(order_id), len(grants)


@dataclass
class ClaimImport:
    opened: list[str] = field(default_factory=list)  # "INV-0001 #1"
    unchanged: list[str] = field(default_factory=list)  # read before: the same claim again
    refused: list[str] = field(default_factory=list)  # one line each: row, order, why


def import_claims(svc: Deps, tables: list[SourceTable]) -> ClaimImport:
    """Claims buyers made on the shop's claim form: each row on its own order, by its own buyer,
    within the warranty; a row read again opens nothing new, a refused row says why in one line
    (the order is left as it was; ops may still open it with `fulfil orders claim --override`)."""
    report = ClaimImport()
    for table in tables:
        columns, missing = claim_form.column_map(table.headers)
        if missing:
            report.refused.append(f"{table.name}: no column for {', '.join(missing)}")
            continue
        for number, cells in enumerate(table.rows, start=2):
            _import_row(
                svc, report, f"{table.name} row {number}", claim_form.read_claim(number, cells, columns)
            )
    return report


def _import_row(svc: Deps, report: ClaimImport, where: str, claim: claim_form.ClaimRow | str) -> None:
    if isinstance(claim, str):
        report.refused.append(f"{where.rsplit(' row ', 1)[0]} {claim}")
        return
    order = svc.store.find(claim.order_id)
    if order is None or not claim_form.same_buyer(claim.email, order.buyer_email):
        # The same answer either way: a stranger learns nothing about other people's orders.
        report.refused.append(f"{where}: no order {claim.order_id} for the email given")
        return
    before = len(order.claims)
    try:
        after = open_claim(svc, order.order_id, reason=claim.reason, items=claim.items, actor="buyer")
    except ForbiddenTransition as exc:
        report.refused.append(f"{where}: {exc}")
        return
    label = f"{order.order_id} #{len(after.claims)}"
    (report.opened if len(after.claims) > before else report.unchanged).append(label)
