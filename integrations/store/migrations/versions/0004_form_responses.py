"""form responses: the order each response key became, and its row

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

from integrations.store.tables import UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "form_responses",
        sa.Column("response_key", sa.String(64), primary_key=True),
        sa.Column("order_id", sa.String(64), sa.ForeignKey("orders.order_id"), nullable=False),
        sa.Column("row_number", sa.Integer, nullable=False),
        sa.Column("buyer", sa.String(320), nullable=False),
        sa.Column("answers", sa.String(64), nullable=False),
        sa.Column("seen_at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_form_responses_order_id", "form_responses", ["order_id"])
    op.create_index("ix_form_responses_row_number", "form_responses", ["row_number"])
    op.create_index("ix_form_responses_answers", "form_responses", ["answers"])


def downgrade() -> None:
    op.drop_table("form_responses")
