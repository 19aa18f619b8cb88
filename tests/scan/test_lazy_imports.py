"""A JSON scan of an APK without a privacy policy imports only what that scan uses.

The other report formats (jinja2, openpyxl, WeasyPrint), the policy readers (selectolax, charset-normalizer,
pypdf), the mini-program code reader (tree-sitter) and the supervision platform (FastAPI, SQLAlchemy) cost
import time and memory in every scan and every batch worker that imports them; each is imported inside the code
that needs it. Each check runs in a fresh interpreter, so nothing another test imported can hide an import.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

APK = "github-cn-apks/apks/co.mide.md5er.apk"  # a real app with no privacy policy inside
# Top-level packages a JSON scan without a policy never needs.
HEAVY = ["jinja2", "openpyxl", "weasyprint", "selectolax", "charset_normalizer", "pypdf", "tree_sitter",
         "fastapi", "starlette", "sqlalchemy", "uvicorn", "ray"]
# hegui's own modules of those parts (hegui.platform.cli and .config only register the platform's commands
# and are stdlib-only, so the CLI may load them; a scan itself loads no hegui.platform module at all).
HEGUI_HEAVY = ["hegui.report.html", "hegui.report.pdf", "hegui.report.xlsx", "hegui.report.sarif",
               "hegui.miniapp.code", "hegui.platform.app", "hegui.platform.db",
               # a policy is looked for (hegui.policy.locate); without one nothing reads or analyses it
               "hegui.policy.extract", "hegui.policy.analyse"]
# ... nor fetches it (the CLI loads the network code anyway: it downloads inputs named by URL)
NETWORK = ["hegui.policy.source", "ssl", "http.client"]

SCAN_THEN_LIST = """
import json, sys
from pathlib import Path
from hegui.options import ScanOptions
from hegui.pipeline import scan_path
from hegui.report.render import render
report = scan_path(Path(sys.argv[1]), ScanOptions())
assert json.loads(render(report, "json"))["policy"]["found"] is False
after_json = sorted(sys.modules)
render(report, "html")  # control: the probe does see an import that happens
print(json.dumps({"json": after_json, "html": sorted(sys.modules)}))
"""


def _loaded(names: list[str], modules: list[str]) -> list[str]:
    return [n for n in names if any(m == n or m.startswith(n + ".") for m in modules)]


def _python(code: str, *args: str) -> str:
    env_path = str(Path(__file__).resolve().parents[2] / "src")
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300,
                          env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin"}, check=True)
    return done.stdout


@pytest.mark.corpus
def test_a_json_scan_without_a_policy_imports_no_other_format_policy_reader_or_platform(corpus):
    seen = json.loads(_python(SCAN_THEN_LIST, str(corpus / APK)))
    assert _loaded(HEAVY, seen["json"]) == []
    assert _loaded(HEGUI_HEAVY, seen["json"]) == []
    assert _loaded(NETWORK, seen["json"]) == []
    assert [m for m in seen["json"] if m.startswith("hegui.platform")] == []
    assert _loaded(["jinja2", "hegui.report.html"], seen["html"]) == ["jinja2", "hegui.report.html"]


def test_every_public_name_of_the_policy_package_loads_from_the_module_that_defines_it():
    import hegui.policy

    assert sorted(hegui.policy.__all__) == sorted(hegui.policy._EXPORTS)
    for name in hegui.policy.__all__:
        value = getattr(hegui.policy, name)
        assert value.__module__ == f"hegui.policy.{hegui.policy._EXPORTS[name]}", name


@pytest.mark.corpus
def test_the_cli_json_scan_loads_no_other_format_policy_reader_or_platform_app(corpus, tmp_path):
    code = """
import json, sys
import hegui.cli
sys.argv = ["hegui", "scan", sys.argv[1], "--quiet", "--output", sys.argv[2]]
try:
    hegui.cli.main()
except SystemExit as exc:
    assert exc.code == 0, exc.code
print(json.dumps(sorted(sys.modules)))
"""
    out = tmp_path / "report.json"
    modules = json.loads(_python(code, str(corpus / APK), str(out)))
    assert json.loads(out.read_text())["policy"]["found"] is False
    assert _loaded(HEAVY, modules) == []
    assert _loaded(HEGUI_HEAVY, modules) == []
