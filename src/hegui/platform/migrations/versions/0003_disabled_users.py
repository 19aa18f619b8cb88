"""disabled users

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 07:30:00

`users.disabled`: set by `hegui user disable NAME`; a disabled user's tokens and sessions are refused and the
user cannot log in. Existing users stay enabled.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('disabled', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('disabled')
