"""the SDK-by-version table, backfilled from the stored reports; trigram indexes for list searches

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 10:00:00

`sdk_usages`: one row per third-party SDK in each filed version (sdk_usage.py), with the counts the SDK pages,
the SDK API and the dashboard read: findings about the SDK (all, before consent, worst severity) and its PI call
sites. Filing writes the rows from now on; this migration writes them for every version already filed, from
its scan's stored report, with the same function (`usage_rows`) filing uses, and marks each app's latest version.

On PostgreSQL, trigram indexes (pg_trgm, GIN) on the columns the findings and apps lists search with `q`
(`ILIKE '%…%'`, which no B-tree serves): on 100,000 findings a search took ~370 ms of sequential scan and
takes ~5 ms with them. Creating the extension needs the CREATE privilege on the database (pg_trgm is a trusted
extension); where it is refused the indexes are left out, searches still work, only slower. They are not in the
models (db.py) since SQLite has no such index: `TRIGRAM_INDEXES` names them. `ix_findings_severity_id`: the
findings list filtered by severity pages through it in id order.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'  # chained after the workflow branch's 0004
branch_labels = None
depends_on = None

BATCH = 500  # versions read (with their reports) per query
# (index name, table, column) of the PostgreSQL-only trigram indexes
TRIGRAM_INDEXES = (
    ("ix_trgm_findings_rule_id", "findings", "rule_id"), ("ix_trgm_findings_subject", "findings", "subject"),
    ("ix_trgm_findings_title_zh", "findings", "title_zh"), ("ix_trgm_findings_title_en", "findings", "title_en"),
    ("ix_trgm_apps_package", "apps", "package"), ("ix_trgm_apps_label", "apps", "label"),
)

_versions = sa.table('app_versions', sa.column('id', sa.Integer), sa.column('app_id', sa.Integer),
                     sa.column('version_name', sa.String), sa.column('version_code', sa.BigInteger),
                     sa.column('scan_id', sa.Integer))
_scans = sa.table('scans', sa.column('id', sa.Integer), sa.column('report_json', sa.JSON))
_apps = sa.table('apps', sa.column('id', sa.Integer), sa.column('kind', sa.String))


def upgrade() -> None:
    usages = op.create_table(
        'sdk_usages',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('sdk_id', sa.String(length=120), nullable=False),
        sa.Column('sdk_name', sa.String(length=255), nullable=False),
        sa.Column('sdk_version', sa.String(length=100), nullable=True),
        sa.Column('app_id', sa.Integer(), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('latest', sa.Boolean(), nullable=False),
        sa.Column('findings', sa.Integer(), nullable=False),
        sa.Column('before_consent_findings', sa.Integer(), nullable=False),
        sa.Column('worst_rank', sa.Integer(), nullable=False),
        sa.Column('pi_call_sites', sa.Integer(), nullable=False),
        sa.Column('startup_call_sites', sa.Integer(), nullable=False),
        sa.Column('calls', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['app_id'], ['apps.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['version_id'], ['app_versions.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('version_id', 'sdk_id'),
    )
    op.create_index('ix_sdk_usages_sdk_id', 'sdk_usages', ['sdk_id'])
    op.create_index('ix_sdk_usages_app_id', 'sdk_usages', ['app_id'])
    op.create_index('ix_sdk_usages_latest_sdk', 'sdk_usages', ['latest', 'sdk_id'])
    _backfill(op.get_bind(), usages)
    op.create_index('ix_findings_severity_id', 'findings', ['severity', 'id'])
    _trigram_indexes(op.get_bind())


def _trigram_indexes(conn: sa.Connection) -> None:
    if conn.dialect.name != "postgresql":
        return
    try:
        with conn.begin_nested():
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError:  # no privilege, or the contrib package is not installed
        import logging

        logging.getLogger("hegui.platform").warning(
            "pg_trgm could not be created: list searches (q) will scan their tables (slower on large databases)")
        return
    for name, table, column in TRIGRAM_INDEXES:
        op.create_index(name, table, [column], postgresql_using="gin", postgresql_ops={column: "gin_trgm_ops"})


def _backfill(conn: sa.Connection, usages: sa.Table) -> None:
    from hegui.platform.sdk_usage import latest_version_id, usage_rows

    sdk_records = {row.id for row in conn.execute(sa.select(_apps.c.id).where(_apps.c.kind == 'sdk'))}
    by_app: dict[int, list[tuple[int, int | None]]] = {}
    after = 0
    while True:
        batch = conn.execute(
            sa.select(_versions.c.id, _versions.c.app_id, _versions.c.version_name, _versions.c.version_code,
                      _scans.c.report_json)
            .join(_scans, _scans.c.id == _versions.c.scan_id).where(_versions.c.id > after)
            .order_by(_versions.c.id).limit(BATCH)).all()
        if not batch:
            break
        rows = []
        for v in batch:
            by_app.setdefault(v.app_id, []).append((v.id, v.version_code))
            sdk_version = v.version_name if v.app_id in sdk_records else None
            rows += [{**row, 'app_id': v.app_id, 'version_id': v.id, 'latest': False}
                     for row in usage_rows(v.report_json or {}, sdk_version)]
        if rows:
            conn.execute(usages.insert(), rows)
        after = batch[-1].id
    latest = [latest_version_id(versions) for versions in by_app.values()]
    for start in range(0, len(latest), BATCH):
        conn.execute(usages.update().where(usages.c.version_id.in_(latest[start:start + BATCH]))
                     .values(latest=True))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, _table, _column in TRIGRAM_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")  # absent where pg_trgm could not be created
    op.drop_index('ix_findings_severity_id', table_name='findings')
    op.drop_index('ix_sdk_usages_latest_sdk', table_name='sdk_usages')
    op.drop_index('ix_sdk_usages_app_id', table_name='sdk_usages')
    op.drop_index('ix_sdk_usages_sdk_id', table_name='sdk_usages')
    op.drop_table('sdk_usages')
