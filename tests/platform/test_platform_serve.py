"""`hegui serve` hands uvicorn the keep-alive timeout: idle connections outlive the pools of clients and proxies
(httpx 5 s, nginx upstream 60 s), so a reused connection is never one the server is closing at that moment."""

from __future__ import annotations

from typing import Any

import pytest
import typer
import uvicorn
from typer.testing import CliRunner

from hegui.platform import cli as platform_cli


def serve_with(monkeypatch, tmp_path, *args: str) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: seen.update(options))
    app = typer.Typer()
    platform_cli.register(app)
    result = CliRunner().invoke(app, ["serve", "--data-dir", str(tmp_path), *args])
    assert result.exit_code == 0, result.output
    return seen


@pytest.mark.parametrize(("args", "keep_alive"), [((), 75), (("--keep-alive", "120"), 120)])
def test_serve_keeps_idle_connections_open_longer_than_client_pools(monkeypatch, tmp_path, args, keep_alive):
    options = serve_with(monkeypatch, tmp_path, *args)
    assert (options["timeout_keep_alive"], options["access_log"]) == (keep_alive, False)
