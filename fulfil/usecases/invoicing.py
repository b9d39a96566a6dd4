"""Invoices: numbered once per order by the store, printed by the PDF adapter, kept in
$FULFIL_HOME/invoices (and Drive's `Faktur` folder), attached to the buyer's message, listed in
the CRM row; voided, never deleted, when the order is cancelled."""

from __future__ import annotations

from dataclasses import dataclass

from fulfil.core.invoice import Invoice, Line, bill
from fulfil.core.order import Order
from fulfil.crash import crash_point
from fulfil.usecases.deps import Deps
from integrations.ports import IssuedInvoice


@dataclass(frozen=True)
class InvoiceFile:
    name: str
    data: bytes


def lines_of(svc: Deps, order: Order) -> tuple[Line, ...]:
    """What the invoice bills (fulfil/core/invoice.py's bill); nothing without a price."""
    return bill(order, svc.catalogue.get(order.service_code))


def total_of(svc: Deps, order: Order) -> int:
    """What the buyer pays for the order, in rupiah (0: it has no price)."""
    return sum(line.amount for line in lines_of(svc, order))


def invoiced(svc: Deps, order: Order) -> bool:
    """Whether the shop invoices this order at all."""
    return svc.catalogue.invoices is not None and bool(lines_of(svc, order))


def issue(svc: Deps, order_id: str) -> InvoiceFile | None:
    """The order's invoice as a PDF: numbered now if it has no number yet (a rerun, or another
    process, gets the same number), printed and kept. None when the order is not invoiced."""
    order = svc.store.get(order_id)
    policy = svc.catalogue.invoices
    if policy is None or not invoiced(svc, order):
        return None
    issued = svc.store.invoices.issue(order_id, policy.prefix, svc.clock())
    crash_point("after-invoice-numbered")
    return _keep(svc, order, issued)


def void(svc: Deps, order_id: str, reason: str) -> InvoiceFile | None:
    """A cancelled order's invoice: marked void (its number stays taken) and printed so."""
    issued = svc.store.invoices.void(order_id, svc.clock(), reason)
    if issued is None:
        return None
    return _keep(svc, svc.store.get(order_id), issued)


def _keep(svc: Deps, order: Order, issued: IssuedInvoice) -> InvoiceFile:
    invoice = Invoice(
        number=issued.number,
        order_id=order.order_id,
        issued_at=issued.issued_at,
        buyer_name=order.buyer_name,
        lines=lines_of(svc, order),
        shop_name=svc.settings.shop_name,
        voided_at=issued.voided_at,
        void_reason=issued.void_reason,
    )
    data = svc.render_invoice(invoice, order.lang)
    folder = svc.settings.home / "invoices"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / invoice.file_name
    if not path.is_file() or path.read_bytes() != data:  # the same invoice prints the same bytes
        path.write_bytes(data)
        svc.invoice_shelf.put([path])
    return InvoiceFile(invoice.file_name, data)
