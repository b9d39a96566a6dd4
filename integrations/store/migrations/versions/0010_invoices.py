"""invoices: one number per order (`INV/2026/11/0001`), the month's sequence without gaps, never
reused (a cancelled order's invoice is voided, not deleted).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from integrations.store.tables import UtcDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "invoices",
        sa.Column("number", sa.String(64), primary_key=True),
        sa.Column("order_id", sa.String(64), sa.ForeignKey("orders.order_id"), nullable=False, unique=True),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("issued_at", UtcDateTime, nullable=False),
        sa.Column("voided_at", UtcDateTime),
        sa.Column("void_reason", sa.Text, nullable=False, server_default=""),
        sa.UniqueConstraint("period", "seq", name="uq_invoices_period_seq"),
    )


def downgrade() -> None:
    op.drop_table("invoices")
