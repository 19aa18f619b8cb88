"""Fixtures of the platform tests (helpers live in `platform_kit`, importable by the test modules)."""

from __future__ import annotations

import re
import sys
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
pytest.importorskip("fastapi", reason="the platform extra is not installed")

from platform_kit import build_platform, pg_admin_url_or_none  # noqa: E402


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    url = pg_admin_url_or_none()
    if url is None:
        print("\n*** PostgreSQL could not be installed/started by scripts/test-services.sh: SKIPPING PostgreSQL "
              "tests ***\n", file=sys.stderr)
        pytest.skip("PostgreSQL not available (scripts/test-services.sh could not start it)")
    return url


@pytest.fixture
def pg_url(pg_admin_url: str):
    """A fresh, empty PostgreSQL database for one test (dropped afterwards)."""
    import psycopg

    name = "hegui_" + uuid.uuid4().hex[:12]
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    yield re.sub(r"/[^/]*$", f"/{name}", pg_admin_url)
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def sqlite_platform(tmp_path: Path):
    platform = build_platform(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path / "data")
    with platform.client:
        yield platform
    platform.app.state.engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def platform(request, tmp_path: Path):
    """The same tests against SQLite and a real PostgreSQL (each from an empty database)."""
    url = (f"sqlite:///{tmp_path / 'db.sqlite3'}" if request.param == "sqlite"
           else request.getfixturevalue("pg_url"))
    p = build_platform(url, tmp_path / "data")
    with p.client:
        yield p
    p.app.state.engine.dispose()


@pytest.fixture(scope="session")
def shop_apks(tmp_path_factory):
    """(version 1.0 with a startup IMEI read, version 1.1 without), built once per test session."""
    from apkbuild import have_apktool

    if not have_apktool():
        pytest.skip("apktool not installed (scripts/test.sh installs it)")
    from platform_kit import build_shop_apks

    return build_shop_apks(tmp_path_factory.mktemp("shop-apks"))


@pytest.fixture
def live_platform(tmp_path: Path):
    """A platform on SQLite whose background scan worker runs."""
    p = build_platform(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path / "data", start_worker=True)
    with p.client:
        yield p
    p.app.state.engine.dispose()
