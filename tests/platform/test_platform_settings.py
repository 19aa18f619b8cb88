"""Settings (config.py, pydantic-settings): every setting comes from a ``HEGUI_*`` variable, the flags of
`hegui serve` win over the environment, a malformed variable is refused in one line naming it, and the
database password never shows in what the settings print."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
import typer
import uvicorn
from typer.testing import CliRunner

from hegui.platform import cli as platform_cli
from hegui.platform.config import Settings

MB = 1024 * 1024
PASSWORD = "s3cret-pw-7Q"


def serve(monkeypatch, tmp_path: Path, *args: str) -> tuple[Any, Settings | None]:
    seen: dict[str, Settings] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: seen.update(settings=app.state.settings))
    app = typer.Typer()
    platform_cli.register(app)
    result = CliRunner().invoke(app, ["serve", "--data-dir", str(tmp_path / "data"), *args])
    return result, seen.get("settings")


def chosen(settings: Settings) -> tuple:
    return (settings.scan_lease_s, settings.max_upload_bytes, settings.scan_workers, settings.keep_alive_s,
            settings.queued_quota, settings.fetch_policy)


@pytest.fixture
def environment(monkeypatch):
    monkeypatch.delenv("HEGUI_DB", raising=False)
    for name, value in {"HEGUI_SCAN_LEASE_S": "5", "HEGUI_MAX_UPLOAD_MB": "10", "HEGUI_SCAN_WORKERS": "3",
                        "HEGUI_KEEP_ALIVE_S": "90", "HEGUI_QUEUED_QUOTA": "7", "HEGUI_FETCH_POLICY": "1"}.items():
        monkeypatch.setenv(name, value)


def test_settings_come_from_hegui_variables(monkeypatch, tmp_path, environment):
    result, settings = serve(monkeypatch, tmp_path)
    assert result.exit_code == 0, result.output
    assert chosen(settings) == (5.0, 10 * MB, 3, 90, 7, True)


def test_the_flags_of_hegui_serve_win_over_the_environment(monkeypatch, tmp_path, environment):
    result, settings = serve(monkeypatch, tmp_path, "--scan-lease", "2", "--max-upload-mb", "3", "--workers", "1",
                             "--keep-alive", "120")
    assert result.exit_code == 0, result.output
    assert chosen(settings) == (2.0, 3 * MB, 1, 120, 7, True)


def test_without_variables_or_flags_the_defaults_hold(monkeypatch, tmp_path):
    for name in ("HEGUI_DB", "HEGUI_SCAN_LEASE_S", "HEGUI_MAX_UPLOAD_MB", "HEGUI_SCAN_WORKERS", "HEGUI_KEEP_ALIVE_S",
                 "HEGUI_QUEUED_QUOTA", "HEGUI_FETCH_POLICY"):
        monkeypatch.delenv(name, raising=False)
    result, settings = serve(monkeypatch, tmp_path)
    assert result.exit_code == 0, result.output
    assert chosen(settings) == (60.0, 300 * MB, 2, 75, 20, False)
    assert settings.database_url == f"sqlite:///{tmp_path / 'data' / 'hegui.sqlite3'}"


@pytest.mark.parametrize(("name", "value", "message"), [
    ("HEGUI_SCAN_WORKERS", "two", "HEGUI_SCAN_WORKERS: Input should be a valid integer, unable to parse string as "
                                  "an integer"),
    ("HEGUI_QUEUED_QUOTA", "-1", "HEGUI_QUEUED_QUOTA must be a whole number of at least 0, not '-1'"),
    ("HEGUI_MAX_UPLOAD_MB", "0", "HEGUI_MAX_UPLOAD_MB must be a whole number of at least 1, not '0'"),
    ("HEGUI_SCAN_LEASE_S", "0.1", "HEGUI_SCAN_LEASE_S must be at least 0.5 seconds"),
])
def test_a_malformed_variable_is_refused_in_one_line_naming_it(monkeypatch, tmp_path, name, value, message):
    monkeypatch.setenv(name, value)
    result, settings = serve(monkeypatch, tmp_path)
    assert (result.exit_code, result.stderr, settings) == (2, f"hegui: {message}\n", None)


def test_the_database_password_is_masked_wherever_the_settings_are_shown(tmp_path):
    url = f"postgresql://hegui:{PASSWORD}@db.example/hegui"
    settings = Settings(db_url=url, data_dir=tmp_path)
    shown = [repr(settings), str(settings), settings.model_dump_json(), str(settings.model_dump())]
    assert [PASSWORD in text for text in shown] == [False] * 4
    assert settings.database_url == url


def test_a_database_that_refuses_the_server_is_reported_without_its_password(monkeypatch, tmp_path, caplog):
    monkeypatch.setenv("HEGUI_DB", f"postgresql://hegui:{PASSWORD}@127.0.0.1:1/hegui")  # nothing listens on port 1
    with caplog.at_level(logging.DEBUG):
        result, settings = serve(monkeypatch, tmp_path)
    assert (result.exit_code, settings) == (2, None)
    assert result.stderr.startswith("hegui: cannot open the database: ")
    assert PASSWORD not in result.output + result.stderr + caplog.text
