"""team notes, counted deliverables, and the CRM sync flag

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("team_notes", sa.JSON, nullable=False, server_default=sa.text("'[]'")))
        batch.add_column(sa.Column("deliverables", sa.JSON, nullable=False, server_default=sa.text("'[]'")))
        batch.add_column(sa.Column("crm_dirty", sa.Boolean, nullable=False, server_default=sa.false()))
        batch.create_index("ix_orders_crm_dirty", ["crm_dirty"])


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_index("ix_orders_crm_dirty")
        batch.drop_column("crm_dirty")
        batch.drop_column("deliverables")
        batch.drop_column("team_notes")
