"""the trace backlog: order changes whose Prefect artifact version is still to be written

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

from integrations.store.tables import UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "trace_backlog",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("order_id", sa.String(64), sa.ForeignKey("orders.order_id"), nullable=False),
        sa.Column("first_seq", sa.Integer, nullable=False),
        sa.Column("run_name", sa.String(128), nullable=False),
        sa.Column("queued_at", UtcDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("trace_backlog")
