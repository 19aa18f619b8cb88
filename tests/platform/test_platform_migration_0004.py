"""Migration 0004 on a database that already has data (SQLite and PostgreSQL): existing clues keep their app and
read as filed from findings, existing cases have no SDK subject; downgrading drops what 0003 cannot hold."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import text

from hegui.platform.db import Case, Clue, make_engine, session_factory
from hegui.platform.migrate import alembic_config, current_revision, upgrade_head

SEED = (
    "INSERT INTO users (id, name, role, created_at, disabled) VALUES (1, 'reg', 'regulator', CURRENT_TIMESTAMP, false)",
    "INSERT INTO apps (id, package, kind, repeat_offender, created_at) VALUES (1, 'com.old', 'app', false, "
    "CURRENT_TIMESTAMP)",
    "INSERT INTO app_versions (id, app_id, sha256, scan_id, created_at) VALUES (1, 1, 'ab', 1, CURRENT_TIMESTAMP)",
    "INSERT INTO clues (id, app_id, rule_id, version_id, note, status, created_by, created_at) "
    "VALUES (1, 1, 'PI-COLLECT-BEFORE-CONSENT', 1, 'old', 'open', 1, CURRENT_TIMESTAMP)",
    "INSERT INTO cases (id, app_id, version_id, rule_ids, status, notice_date, deadline, deadline_approximate, "
    "note, created_by, created_at) VALUES (1, 1, 1, '[\"PI-COLLECT-BEFORE-CONSENT\"]', 'notice_sent', "
    "'2026-09-28', '2026-10-10', false, '', 1, CURRENT_TIMESTAMP)",
    "INSERT INTO repeat_offences (id, app_id, rule_id, case_id, version_id, created_at) "
    "VALUES (1, 1, 'PI-COLLECT-BEFORE-CONSENT', 1, 1, CURRENT_TIMESTAMP)",
)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    return f"sqlite:///{tmp_path / 'db.sqlite3'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")


def migrate_to(engine, revision: str, down: bool = False) -> None:
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, revision)


def test_upgrading_a_populated_0003_database(db_url):
    engine = make_engine(db_url)
    migrate_to(engine, "0003")
    with engine.begin() as conn:
        for statement in SEED:
            conn.execute(text(statement))
    upgrade_head(engine)
    assert current_revision(engine) == "0007"
    with session_factory(engine)() as db:
        clue = db.get(Clue, 1)
        assert (clue.app_id, clue.source, clue.app_name, clue.sdk_id, clue.note) == (1, "finding", None, None, "old")
        assert db.get(Case, 1).sdk_id is None
    engine.dispose()


def test_downgrading_to_0003_drops_the_clues_without_an_app(db_url):
    engine = make_engine(db_url)
    upgrade_head(engine)
    with engine.begin() as conn:
        for statement in SEED:
            conn.execute(text(statement))
        conn.execute(text("INSERT INTO clues (id, app_id, app_name, rule_id, note, status, source, created_by, "
                          "created_at) VALUES (2, NULL, 'tip app', 'PI-POLICY-ABSENT', 'tip', 'open', 'tip', 1, "
                          "CURRENT_TIMESTAMP)"))
    migrate_to(engine, "0003", down=True)
    assert current_revision(engine) == "0003"
    with engine.connect() as conn:
        assert conn.execute(text("SELECT id, app_id FROM clues")).all() == [(1, 1)]
        assert conn.execute(text("SELECT id FROM cases")).scalars().all() == [1]
    engine.dispose()
