"""platform sentences stored as message keys with parameters, rendered in the reader's language

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 13:00:00

`audit_events.message` is the {"key", "params"} of the event's detail (messages.py) when the platform wrote it;
`scans.note_messages` the list of those of the scan's note, `scans.error_message` that of why it failed, `campaign_items.error_message` that of why an input never became
a scan. They
stay NULL on older rows, whose English text is shown as it is.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_events") as batch:
        batch.add_column(sa.Column("message", sa.JSON(), nullable=True))
    with op.batch_alter_table("scans") as batch:
        batch.add_column(sa.Column("note_messages", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("error_message", sa.JSON(), nullable=True))
    with op.batch_alter_table("campaign_items") as batch:
        batch.add_column(sa.Column("error_message", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("campaign_items") as batch:
        batch.drop_column("error_message")
    with op.batch_alter_table("scans") as batch:
        batch.drop_column("error_message")
        batch.drop_column("note_messages")
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_column("message")
