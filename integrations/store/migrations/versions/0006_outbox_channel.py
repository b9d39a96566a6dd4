"""outbox channel: each message says which channel it goes by ("email", or a registered buyer
channel such as "wa"); rows addressed `whatsapp:+62…` become channel "wa" to "+62…"

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_PREFIX = "whatsapp:"


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("channel", sa.String(20), nullable=False, server_default="email"))
    outbox = sa.table("outbox", sa.column("recipient", sa.Text), sa.column("channel", sa.String))
    op.execute(
        outbox.update()
        .where(outbox.c.recipient.like(_PREFIX + "%"))
        .values(channel="wa", recipient=sa.func.substr(outbox.c.recipient, len(_PREFIX) + 1))
    )


def downgrade() -> None:
    outbox = sa.table("outbox", sa.column("recipient", sa.Text), sa.column("channel", sa.String))
    op.execute(outbox.update().where(outbox.c.channel == "wa").values(recipient=_PREFIX + outbox.c.recipient))
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("channel")
