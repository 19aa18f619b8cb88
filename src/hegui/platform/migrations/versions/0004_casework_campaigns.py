"""the case from both sides, false-positive marks, SDK-vendor subjects, campaigns (issue 12)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 09:45:00

`clues`: a clue may come from a tip or a complaint about an app not on the platform (`app_id` may be NULL, then
`app_name` names it), from a campaign, or be about an SDK (`sdk_id`) and its vendor account (`vendor_id`);
`source` says where it came from (existing clues were filed from findings), `subject` the finding's subject.
`cases.sdk_id`: a case against an SDK vendor, filed on the vendor's SDK record.
`case_answers`: a developer's rectification statement and the scan of the fixed build.
`finding_marks`: a reviewer's false-positive / accepted verdict on a rule + subject of an app.
`campaigns`, `campaign_items`: special inspections and the inputs each scanned.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'campaigns',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('min_severity', sa.String(length=10), nullable=False),
        sa.Column('created_by', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['created_by'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_table(
        'campaign_items',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('source', sa.String(length=8), nullable=False),
        sa.Column('ref', sa.String(length=1000), nullable=False),
        sa.Column('scan_id', sa.Integer(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['scan_id'], ['scans.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_campaign_items_campaign_id'), 'campaign_items', ['campaign_id'], unique=False)
    op.create_index(op.f('ix_campaign_items_scan_id'), 'campaign_items', ['scan_id'], unique=False)
    op.create_table(
        'case_answers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('statement', sa.Text(), nullable=False),
        sa.Column('scan_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['scan_id'], ['scans.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_case_answers_case_id'), 'case_answers', ['case_id'], unique=False)
    op.create_table(
        'finding_marks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('app_id', sa.Integer(), nullable=False),
        sa.Column('rule_id', sa.String(length=80), nullable=False),
        sa.Column('subject', sa.String(length=120), nullable=False),
        sa.Column('verdict', sa.String(length=16), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('created_by', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['app_id'], ['apps.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['created_by'], ['users.id']),
        sa.ForeignKeyConstraint(['version_id'], ['app_versions.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('app_id', 'rule_id', 'subject'),
    )
    op.create_index(op.f('ix_finding_marks_app_id'), 'finding_marks', ['app_id'], unique=False)
    op.add_column('cases', sa.Column('sdk_id', sa.String(length=120), nullable=True))
    op.create_index(op.f('ix_cases_sdk_id'), 'cases', ['sdk_id'], unique=False)
    # No table refers to `clues`, so its copy (SQLite needs one to let app_id be NULL) can drop the old one.
    with op.batch_alter_table('clues', schema=None) as batch_op:
        batch_op.alter_column('app_id', existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column('source', sa.String(length=12), nullable=False, server_default='finding'))
        batch_op.add_column(sa.Column('app_name', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('subject', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('complaint_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('sdk_id', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('vendor_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('campaign_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_clues_complaint_id'), ['complaint_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_clues_sdk_id'), ['sdk_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_clues_vendor_id'), ['vendor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_clues_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_foreign_key('fk_clues_complaint_id_complaints', 'complaints', ['complaint_id'], ['id'],
                                    ondelete='SET NULL')
        batch_op.create_foreign_key('fk_clues_vendor_id_users', 'users', ['vendor_id'], ['id'])
        batch_op.create_foreign_key('fk_clues_campaign_id_campaigns', 'campaigns', ['campaign_id'], ['id'],
                                    ondelete='SET NULL')


def downgrade() -> None:
    # Clues without an app (tips about apps not on the platform, SDK clues) cannot exist in 0003's schema.
    op.execute("DELETE FROM clues WHERE app_id IS NULL")
    with op.batch_alter_table('clues', schema=None) as batch_op:
        batch_op.drop_constraint('fk_clues_campaign_id_campaigns', type_='foreignkey')
        batch_op.drop_constraint('fk_clues_vendor_id_users', type_='foreignkey')
        batch_op.drop_constraint('fk_clues_complaint_id_complaints', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_clues_campaign_id'))
        batch_op.drop_index(batch_op.f('ix_clues_vendor_id'))
        batch_op.drop_index(batch_op.f('ix_clues_sdk_id'))
        batch_op.drop_index(batch_op.f('ix_clues_complaint_id'))
        for column in ('campaign_id', 'vendor_id', 'sdk_id', 'complaint_id', 'subject', 'app_name', 'source'):
            batch_op.drop_column(column)
        batch_op.alter_column('app_id', existing_type=sa.Integer(), nullable=False)
    op.drop_index(op.f('ix_cases_sdk_id'), table_name='cases')
    op.drop_column('cases', 'sdk_id')
    op.drop_index(op.f('ix_finding_marks_app_id'), table_name='finding_marks')
    op.drop_table('finding_marks')
    op.drop_index(op.f('ix_case_answers_case_id'), table_name='case_answers')
    op.drop_table('case_answers')
    op.drop_index(op.f('ix_campaign_items_scan_id'), table_name='campaign_items')
    op.drop_index(op.f('ix_campaign_items_campaign_id'), table_name='campaign_items')
    op.drop_table('campaign_items')
    op.drop_table('campaigns')
