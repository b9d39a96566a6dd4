"""after-sale: an order keeps what was handed over to the buyer, its claims and its refunds; an
outbox message may carry attachments (the fingerprints of files fetched when it is sent)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        for name in ("handovers", "claims", "refunds"):
            batch.add_column(sa.Column(name, sa.JSON, nullable=False, server_default="[]"))
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("attachments", sa.JSON, nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("attachments")
    with op.batch_alter_table("orders") as batch:
        for name in ("refunds", "claims", "handovers"):
            batch.drop_column(name)
