"""Migration 0003 on a database that already has data (SQLite and PostgreSQL): existing users stay enabled and
keep their tokens, existing apps are unbound until their next signed version, existing scans are not held."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import text

from hegui.platform.accounts import user_for_token
from hegui.platform.db import App, Scan, make_engine, session_factory
from hegui.platform.migrate import alembic_config, current_revision, upgrade_head
from hegui.platform.security import token_digest


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    return f"sqlite:///{tmp_path / 'db.sqlite3'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")


def test_upgrading_a_populated_0002_database(db_url):
    engine = make_engine(db_url)
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0002")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO users (id, name, role, created_at) VALUES (1, 'old', 'developer', "
                          "CURRENT_TIMESTAMP)"))
        conn.execute(text("INSERT INTO api_tokens (id, user_id, token_sha256, created_at, revoked) "
                          "VALUES (1, 1, :digest, CURRENT_TIMESTAMP, false)"), {"digest": token_digest("hg_old")})
        conn.execute(text("INSERT INTO apps (id, package, kind, owner_id, repeat_offender, created_at) "
                          "VALUES (1, 'com.old', 'app', 1, false, CURRENT_TIMESTAMP)"))
        conn.execute(text("INSERT INTO scans (id, uploader_id, sha256, size, filename, status, attempts, created_at) "
                          "VALUES (1, 1, :sha, 1, 'a.apk', 'done', 1, CURRENT_TIMESTAMP)"), {"sha": "0" * 64})
    upgrade_head(engine)
    assert current_revision(engine) == "0007"
    with session_factory(engine)() as db:
        user = user_for_token(db, "hg_old")
        assert (user.name, user.disabled) == ("old", False)
        assert db.get(App, 1).signing_certs is None
        scan = db.get(Scan, 1)
        assert (scan.review, scan.held_app_id, scan.started_at) == (None, None, None)
    engine.dispose()


def test_downgrading_a_populated_database_to_0002(db_url):
    engine = make_engine(db_url)
    upgrade_head(engine)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO users (id, name, role, created_at) VALUES (1, 'u', 'developer', "
                          "CURRENT_TIMESTAMP)"))
        conn.execute(text("INSERT INTO apps (id, package, kind, owner_id, repeat_offender, created_at) "
                          "VALUES (1, 'com.x', 'app', 1, false, CURRENT_TIMESTAMP)"))
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0002")
    assert current_revision(engine) == "0002"
    with engine.connect() as conn:
        assert conn.execute(text("SELECT name FROM users")).scalars().all() == ["u"]
    engine.dispose()
