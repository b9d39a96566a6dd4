"""Tables. The unique keys carry idempotency: one order per ID, one message per (order, kind)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, on SQLite (which keeps no zone) and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use UTC-aware times")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()

orders = Table(
    "orders",
    metadata,
    Column("order_id", String(64), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("status", String(32), nullable=False, index=True),
    Column("service_code", String(64), nullable=False, default=""),
    Column("buyer_name", Text, nullable=False, default=""),
    Column("buyer_email", Text, nullable=False, default=""),
    Column("phone_raw", String(64), nullable=False, default=""),
    Column("phone", String(32), nullable=False, default=""),
    Column("quantity", Integer),
    Column("deadline", UtcDateTime),
    Column("timezone", String(64), nullable=False),
    Column("notes", Text, nullable=False, default=""),
    Column("paid", Boolean, nullable=False, default=False),
    Column("lang", String(8), nullable=False, default="id"),
    Column("received_at", UtcDateTime),
    Column("source", JSON, nullable=False),
    Column("source_hash", String(64), nullable=False, default=""),
    Column("problems", JSON, nullable=False),
    Column("overdue", Boolean, nullable=False, default=False),
    Column("overdue_at", UtcDateTime),
    Column("assignee", Text, nullable=False, default=""),
    Column("proofs", JSON, nullable=False),
    Column("team_notes", JSON, nullable=False),
    Column("deliverables", JSON, nullable=False),
    Column("handovers", JSON, nullable=False, default=list, server_default="[]"),
    Column("claims", JSON, nullable=False, default=list, server_default="[]"),
    Column("refunds", JSON, nullable=False, default=list, server_default="[]"),
    # The buyer's form answers edited after dispatch, held until ops apply them (or the next edit).
    Column("held_change", JSON, nullable=False, default=dict, server_default="{}"),
    Column("paid_confirmed_by", Text, nullable=False, default="", server_default=""),
    # An online store's orders (issue 20): where goods go, the form's price, cash on delivery,
    # the courier shipments and the returns.
    Column("address", Text, nullable=False, default="", server_default=""),
    Column("unit_price", Integer),
    Column("cod", Boolean, nullable=False, default=False, server_default=false()),
    Column("shipments", JSON, nullable=False, default=list, server_default="[]"),
    Column("returns", JSON, nullable=False, default=list, server_default="[]"),
    # Set whenever an order with a CRM row changes; cleared once the row shows that version.
    Column("crm_dirty", Boolean, nullable=False, default=False, index=True),
    Column("updated_at", UtcDateTime, nullable=False),
)

history = Table(
    "order_history",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("order_id", String(64), ForeignKey("orders.order_id"), nullable=False, index=True),
    Column("seq", Integer, nullable=False),
    Column("status", String(32), nullable=False),
    Column("comment", Text, nullable=False),
    Column("actor", String(128), nullable=False),
    Column("notified", Boolean, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    # The outbox kind whose delivery turns `notified` true: the history says "buyer told" only
    # once the message is out, never for one that failed.
    Column("awaits", String(64)),
    UniqueConstraint("order_id", "seq", name="uq_history_order_seq"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("order_id", String(64), ForeignKey("orders.order_id"), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("recipient", Text, nullable=False),
    # "email", or the code of a buyer channel registered in the wiring ("wa"): who sends it.
    Column("channel", String(20), nullable=False, default="email", server_default="email"),
    Column("subject", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("state", String(16), nullable=False, index=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("error", Text, nullable=False, default=""),
    Column("created_at", UtcDateTime, nullable=False),
    Column("sent_at", UtcDateTime),
    # Who is sending it (host:pid:nonce) and until when: a second sender leaves it alone.
    Column("claimed_by", String(160), nullable=False, default="", server_default=""),
    Column("claim_expires", UtcDateTime),
    # When the sender began handing it to its channel: past this point a sender that dies may have
    # delivered it, so nobody sends it again by themselves (it becomes "unsure", for ops).
    Column("attempt_started", UtcDateTime),
    # Fingerprints of the order's files to attach, fetched from the proof store when sent: the
    # outbox never holds a file's contents (a delivered file may hold passwords).
    Column("attachments", JSON, nullable=False, default=list, server_default="[]"),
    UniqueConstraint("order_id", "kind", name="uq_outbox_order_kind"),
)

cursors = Table(
    "cursors",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

# Order changes whose Prefect artifact version is still to be written: a run writes a bounded
# number itself and leaves the rest here for the `publish-traces` flow.
trace_backlog = Table(
    "trace_backlog",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("order_id", String(64), ForeignKey("orders.order_id"), nullable=False),
    Column("first_seq", Integer, nullable=False),
    Column("run_name", String(128), nullable=False),
    Column("queued_at", UtcDateTime, nullable=False),
)

# Goods handed over, so none goes to two orders: a delivered file's checksum (`file:<md5>`) and
# a keyed digest of each of its rows (fulfil/core/goods.py), each held by one order.
goods = Table(
    "goods",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("order_id", String(64), ForeignKey("orders.order_id"), nullable=False, index=True),
)

# Form responses as fulfil named them (the responses sheet has no response ID): each response
# key seen, the order it became, and the row it stood in when last read. A response edited in
# Google Forms keeps its row and gets a new key; a re-sort moves the row and keeps the key.
form_responses = Table(
    "form_responses",
    metadata,
    Column("response_key", String(64), primary_key=True),
    Column("order_id", String(64), ForeignKey("orders.order_id"), nullable=False, index=True),
    Column("row_number", Integer, nullable=False, index=True),
    Column("buyer", String(320), nullable=False),
    Column("answers", String(64), nullable=False, index=True),
    Column("seen_at", UtcDateTime, nullable=False),
)

# Where each order's row was last read: a source table's name (an export file's name, or the form
# sheet's tab). An intake that reads that table again in full and finds the row gone notes it in
# the order's history once, and the order leaves this table until its row is read again.
order_origins = Table(
    "order_origins",
    metadata,
    Column("order_id", String(64), ForeignKey("orders.order_id"), primary_key=True),
    Column("origin", String(255), nullable=False, index=True),
    Column("seen_at", UtcDateTime, nullable=False),
)

# Invoice numbers: one per order, never reused. Within a period (`2026/11`) the sequence has no
# gap: a number exists only once its row is committed, and a rerun finds its order's row.
invoices = Table(
    "invoices",
    metadata,
    Column("number", String(64), primary_key=True),
    Column("order_id", String(64), ForeignKey("orders.order_id"), nullable=False, unique=True),
    Column("period", String(16), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("issued_at", UtcDateTime, nullable=False),
    Column("voided_at", UtcDateTime),
    Column("void_reason", Text, nullable=False, default="", server_default=""),
    UniqueConstraint("period", "seq", name="uq_invoices_period_seq"),
)

# Stock per service: the units not held by any order. Reserving subtracts with a guarded UPDATE
# (`available >= units`), so two processes can never both take the last unit.
stock_levels = Table(
    "stock_levels",
    metadata,
    Column("service_code", String(64), primary_key=True),
    Column("available", Integer, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

# What each order holds: one row per order (a rerun finds it), its units and where they stand.
stock_reservations = Table(
    "stock_reservations",
    metadata,
    # No foreign key: a new order reserves before its row is first saved (a crash in between
    # leaves the reservation for the rerun to find).
    Column("order_id", String(64), primary_key=True),
    Column("service_code", String(64), nullable=False, index=True),
    Column("units", Integer, nullable=False),
    Column("state", String(16), nullable=False, index=True),
    # This reservation took the service under its low-stock threshold: its order carries the alert.
    Column("crossed_low", Boolean, nullable=False, default=False),
    Column("at", UtcDateTime, nullable=False),
)
