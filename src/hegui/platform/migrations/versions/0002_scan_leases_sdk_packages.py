"""scan leases (several servers on one database) and SDK packages

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 10:00:00

`scans.worker_id` / `scans.lease_until`: the server holding a running scan and until when; a scan whose lease
ran out belongs to a server that died and goes back to the queue. `scans.kind`: what the scanner found the upload
to be (apk | aar | jar). `apps.kind`: "app" or "sdk", so an SDK package is never filed under an app of the same
name, nor the other way round. Scans running under an older server have no lease and are re-queued at once,
as that server re-queued them on start.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('scans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('worker_id', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('lease_until', sa.DateTime(), nullable=True))
    with op.batch_alter_table('apps', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=8), nullable=False, server_default='app'))


def downgrade() -> None:
    with op.batch_alter_table('apps', schema=None) as batch_op:
        batch_op.drop_column('kind')
    with op.batch_alter_table('scans', schema=None) as batch_op:
        batch_op.drop_column('lease_until')
        batch_op.drop_column('worker_id')
        batch_op.drop_column('kind')
