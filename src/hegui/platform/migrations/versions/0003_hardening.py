"""disabled users, signing-certificate binding of apps, held (possibly counterfeit) scans, scan start times

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 07:30:00

`users.disabled`: set by `hegui user disable NAME`; a disabled user's tokens and sessions are refused and the
user cannot log in. Existing users stay enabled.
`apps.signing_certs`: certificate digests of the first signed version filed under the app; existing apps are
bound by their next signed version. `scans.review` / `scans.held_app_id`: a version signed by another
certificate waits ("held") for a regulator's decision ("counterfeit" or "genuine") about that app.
`scans.started_at`: when a scan was last claimed; the fair queue serves first the account served longest ago.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE ADD COLUMN, not a batch: on SQLite a batch may copy the table, and dropping the old
    # `users` or `apps` fails while other tables' rows refer to them (foreign keys are on).
    op.add_column('users', sa.Column('disabled', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column('apps', sa.Column('signing_certs', sa.JSON(), nullable=True))
    # No table refers to `scans`, so its copy (SQLite needs one for the new foreign key) can drop the old one.
    with op.batch_alter_table('scans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('review', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('held_app_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('started_at', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_scans_review'), ['review'], unique=False)
        batch_op.create_foreign_key('fk_scans_held_app_id_apps', 'apps', ['held_app_id'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('scans', schema=None) as batch_op:
        batch_op.drop_constraint('fk_scans_held_app_id_apps', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_scans_review'))
        batch_op.drop_column('started_at')
        batch_op.drop_column('held_app_id')
        batch_op.drop_column('review')
    op.drop_column('apps', 'signing_certs')
    op.drop_column('users', 'disabled')
