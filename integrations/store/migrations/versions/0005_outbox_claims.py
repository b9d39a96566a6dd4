"""outbox claims: a message is claimed (owner, lease) before it is sent; history entries say
"buyer told" only once their message is delivered

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

from integrations.store.tables import UtcDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(160), nullable=False, server_default=""))
        batch.add_column(sa.Column("claim_expires", UtcDateTime, nullable=True))
    with op.batch_alter_table("order_history") as batch:
        batch.add_column(sa.Column("awaits", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("order_history") as batch:
        batch.drop_column("awaits")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("claim_expires")
        batch.drop_column("claimed_by")
