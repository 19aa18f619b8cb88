"""Without the `platform` extra, `hegui serve` and `hegui user add` say so in one line (exit 2)."""

from __future__ import annotations

import importlib

import pytest
import typer
from typer.testing import CliRunner

from hegui.platform import cli as platform_cli

real_import = importlib.import_module


def _no_fastapi(name: str, *args):
    if name == "fastapi":
        raise ModuleNotFoundError("No module named 'fastapi'", name="fastapi")
    return real_import(name, *args)


@pytest.mark.parametrize("args", [["serve"], ["user", "add", "bob", "--role", "developer"]])
def test_missing_platform_extra_is_one_line(monkeypatch, tmp_path, args):
    app = typer.Typer()
    platform_cli.register(app)
    monkeypatch.setattr(platform_cli.importlib, "import_module", _no_fastapi)
    monkeypatch.setenv("HEGUI_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert result.stderr == "hegui: the platform needs extra packages: pip install 'hegui[platform]' (fastapi missing)\n"
