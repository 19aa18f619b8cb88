"""The architecture as the imports show it: readers know nothing of rules, rules nothing of the web.

Each part of `hegui` may import only the parts listed here (read from every `import` statement, including
those inside functions). A new edge is an architectural decision: add it here deliberately, with the layer
that justifies it, or move the code.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "hegui"

FOUNDATION = {"errors", "model", "__version__"}  # shared by every layer: one-line errors, observations, version
ALLOWED: dict[str, set[str]] = {
    # reading an APK
    "apk": {"errors"},
    "dex": {"errors"},
    "jvm": {"errors", "dex"},  # JVM class files, presented to the DEX index in its table form
    "miniapp": {"errors", "apk"},  # mini-programs, quick apps, HAPs (reuses the bounded ZIP reader)
    # data
    "knowledge": set(),
    # detecting: readers + knowledge → observations
    "detect": {"apk", "dex", "knowledge", "miniapp"},
    "policy": {"knowledge"},
    "trace": {"knowledge"},
    "listing": set(),
    # judging and reporting
    "rules": {"knowledge", "report"},
    "report": {"knowledge"},
    # one scan, many scans, the platform, the command line
    # the options of one scan, typed, below everything that runs a scan
    "options": {"report"},
    "analysis": {"apk", "dex", "jvm", "knowledge", "detect", "policy", "trace", "listing", "rules", "report", "options"},
    "pipeline": {"analysis", "report", "miniapp", "miniapp_analysis", "options"},
    # the scan of a mini-program, quick app or HAP: its readers, detector, the rule engine
    "miniapp_analysis": {"miniapp", "detect", "knowledge", "policy", "rules", "report", "options"},
    # batch/warm.py preloads the scanner's packages by name before forking workers
    "batch": {"pipeline", "analysis", "report", "knowledge", "apk", "dex", "detect", "policy", "rules"},
    # policy: campaigns fetch URLs through the scanner's public-address connection guard (policy.source)
    "platform": {"pipeline", "report", "knowledge", "rules", "listing", "policy"},
    # the inputs a user names with an option, read before a scan starts so a bad one is refused out loud
    "named_inputs": {"listing", "policy", "trace", "report"},
    "cli": {"pipeline", "report", "batch", "trace", "platform", "named_inputs",
            "knowledge"},  # `hegui rules check` checks the knowledge files for someone editing them
}


PARTS = {p.name.removesuffix(".py") for p in SRC.iterdir() if p.suffix == ".py" or (p / "__init__.py").is_file()}
PARTS |= FOUNDATION


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "hegui"


def _imports_by_part() -> dict[str, dict[str, str]]:
    """part → {imported part: first file that imports it}"""
    found: dict[str, dict[str, str]] = {}
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC)
        part = rel.parts[0].removesuffix(".py")
        if part == "__init__":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and node.module.startswith("hegui"):
                if node.module == "hegui":
                    targets = [alias.name for alias in node.names]
                else:
                    targets = [_part(node.module)]
            elif isinstance(node, ast.Import):
                targets = [_part(a.name) for a in node.names if a.name.split(".")[0] == "hegui"]
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("hegui."):
                targets = [_part(node.value)]  # importlib.import_module("hegui.x") by name
            for target in targets:
                if target in PARTS and target != part:
                    found.setdefault(part, {}).setdefault(target, str(rel))
    return found


IMPORTS = _imports_by_part()


@pytest.mark.parametrize("part", sorted(ALLOWED))
def test_each_part_imports_only_the_layers_below_it(part):
    unexpected = {target: where for target, where in IMPORTS.get(part, {}).items()
                  if target not in ALLOWED[part] | FOUNDATION}
    assert unexpected == {}


def test_every_part_of_the_package_has_a_place_in_the_table():
    assert set(IMPORTS) - set(ALLOWED) == set()


# Inside the platform: the two surfaces (REST routers, web pages) sit on the same services and never on each
# other. Only the application assembles them; api.py is the routers' old import name (hegui.platform.api.router).
SURFACES = {"hegui.platform.web", "hegui.platform.api", "hegui.platform.routers"}
ASSEMBLERS = {"platform/app.py", "platform/api.py"}


def _platform_imports(path: Path) -> set[str]:
    """The hegui.platform modules a file imports, by their full names (``from hegui.platform import web`` too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return {name for name in found if name.startswith("hegui.platform.")}


def _surface(module: str) -> str | None:
    # web_<part>.py modules are more of the web pages (web_casework.py: the case from both sides, campaigns)
    return next((s for s in SURFACES if module == s or module.startswith((s + ".", s + "_"))), None)


def test_only_the_application_assembles_the_platforms_surfaces():
    offenders: dict[str, list[str]] = {}
    for path in sorted((SRC / "platform").rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        own = "hegui." + rel.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
        if rel in ASSEMBLERS:
            continue
        used = {_surface(m) for m in _platform_imports(path)} - {None, _surface(own)}
        if used:
            offenders[rel] = sorted(used)
    assert offenders == {}
