"""campaign URL items fetched by the background workers, not inside the request

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 11:10:00

A URL item of a campaign is stored `pending` with its URL (query string included: a presigned URL needs it; it
is cleared once fetched or failed and never shown), claimed by a worker (`fetching`, under a lease naming the
server, like scan leases), and becomes a queued scan or a failed item with its reason.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("campaign_items") as batch:
        batch.add_column(sa.Column("fetch_url", sa.Text(), nullable=True))
        batch.add_column(sa.Column("fetch_status", sa.String(length=10), nullable=True))
        batch.add_column(sa.Column("fetch_worker", sa.String(length=120), nullable=True))
        batch.add_column(sa.Column("fetch_lease_until", sa.DateTime(), nullable=True))
    op.create_index("ix_campaign_items_fetch_status", "campaign_items", ["fetch_status"])


def downgrade() -> None:
    op.drop_index("ix_campaign_items_fetch_status", table_name="campaign_items")
    with op.batch_alter_table("campaign_items") as batch:
        for column in ("fetch_lease_until", "fetch_worker", "fetch_status", "fetch_url"):
            batch.drop_column(column)
