"""outbox attempts and held form changes.

An order keeps the buyer's answers edited after dispatch (`held_change`) until ops apply them,
and who of ops confirmed its payment by hand.
The outbox records when a sender began handing a message to its channel: a sender that dies after
that point may have delivered it, so the message is not sent again by itself; it is set aside as
"unsure" and ops decide (`fulfil outbox retry ID`).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from integrations.store.tables import UtcDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("attempt_started", UtcDateTime, nullable=True))
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("held_change", sa.JSON, nullable=False, server_default="{}"))
        batch.add_column(sa.Column("paid_confirmed_by", sa.Text, nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("held_change")
        batch.drop_column("paid_confirmed_by")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("attempt_started")
