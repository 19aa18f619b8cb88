"""knowledge/observations.yaml is the one registry of observation kinds: exactly what the code emits, exactly
what the triggers may name."""

from __future__ import annotations

import ast
from importlib import resources
from pathlib import Path

import pytest

from hegui import knowledge
from hegui.knowledge import load_yaml
from hegui.knowledge.schema_rules import SCALAR_TYPES
from hegui.model import Observation

SRC = Path(knowledge.__file__).resolve().parents[1]
REGISTRY: dict[str, dict] = load_yaml("observations.yaml")["observations"]


def _emitted() -> dict[str, tuple[str, frozenset[str]]]:
    """kind → (module, attribute names) of every `Observation(...)` the package's source constructs."""
    found: dict[str, tuple[str, set[str]]] = {}
    for path in sorted(SRC.rglob("*.py")):
        module = "hegui." + ".".join(path.relative_to(SRC).with_suffix("").parts)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Observation"):
                continue
            kw = {k.arg: k.value for k in node.keywords}
            kind = kw.get("kind", node.args[0] if node.args else None)
            attrs = kw.get("attrs", node.args[3] if len(node.args) > 3 else None)
            assert isinstance(kind, ast.Constant), f"{module}: an observation kind must be a literal string"
            assert attrs is None or (isinstance(attrs, ast.Dict) and all(isinstance(k, ast.Constant) for k in attrs.keys)), \
                f"{module}: {kind.value} attrs must be a dict literal with literal keys (the registry test reads them)"
            entry = found.setdefault(kind.value, (module, set()))
            assert entry[0] == module, f"{kind.value} is emitted by {entry[0]} and {module}"
            entry[1].update(k.value for k in (attrs.keys if attrs is not None else ()))
    return {k: (m, frozenset(a)) for k, (m, a) in found.items()}


def test_the_registry_lists_exactly_the_kinds_the_code_emits_with_their_producer_and_attributes() -> None:
    registered = {k: (v["producer"], frozenset(v.get("attrs") or ())) for k, v in REGISTRY.items()}
    assert registered == _emitted()


def test_every_registered_kind_has_a_trigger_and_every_trigger_names_a_registered_kind() -> None:
    assert {t.observation for t in knowledge.triggers()} == set(REGISTRY)


def test_the_trigger_files_the_engine_reads_are_all_the_rules_folder_holds() -> None:
    folder = resources.files("hegui.knowledge").joinpath("rules")
    assert {p.name for p in folder.iterdir() if p.name.endswith(".yaml")} == set(knowledge.TRIGGER_FILES)


def _type_problems(obs: Observation) -> list[str]:
    spec = REGISTRY[obs.kind].get("attrs") or {}
    problems = [f"{obs.kind}.{a}: not registered" for a in obs.attrs if a not in spec]
    for name, value in obs.attrs.items():
        if name not in spec or (value is None and spec[name].get("nullable")):
            continue
        t = spec[name]["type"]
        item = t.removesuffix("_list")
        values = list(value) if t.endswith("_list") and isinstance(value, list | tuple) else [value]
        if t.endswith("_list") and not isinstance(value, list | tuple):
            problems.append(f"{obs.kind}.{name}: {value!r} is not a list")
        problems += [f"{obs.kind}.{name}: {v!r} is not {item}" for v in values
                     if not isinstance(v, SCALAR_TYPES[item]) or (item != "bool" and isinstance(v, bool))]
    return problems


TRACES = SRC.parents[1] / "tests/data/traces"
GAPPY_LISTING = """\
store: 小米应用商店
version_name: 1.1.0
developer_name: 演示科技有限公司
developer_contact: 没有
permissions:
  android.permission.INTERNET: ''
"""


@pytest.fixture(scope="module")
def scanned_observations(tmp_path_factory) -> list[Observation]:
    """Everything the scans of the bundled sample observe: on its own, with each recorded trace, with a store
    listing full of gaps."""
    import hegui.analysis as analysis
    from hegui.pipeline import ScanOptions, scan_path

    listing = tmp_path_factory.mktemp("listing") / "listing.yaml"
    listing.write_text(GAPPY_LISTING, encoding="utf-8")
    runs = [ScanOptions(listing=listing)] + [ScanOptions(trace=t) for t in sorted(TRACES.glob("*.jsonl"))]
    seen: list[Observation] = []
    real = analysis.evaluate

    def spy(observations, *args, **kwargs):
        observations = list(observations)
        seen.extend(observations)
        return real(observations, *args, **kwargs)

    mp = pytest.MonkeyPatch()
    mp.setattr(analysis, "evaluate", spy)
    try:
        for options in runs:
            scan_path(SRC / "samples" / "demo-shop.apk", options)
    finally:
        mp.undo()
    return seen


def test_real_scans_exercise_static_policy_trace_and_listing_kinds(scanned_observations: list[Observation]) -> None:
    # (the sample's install intent sits in MainActivity#upgrade, which nothing calls: dead code, no apk_install_code)
    assert {o.kind for o in scanned_observations} == {
        "install_permission", "self_start_receiver", "sensitive_call",
        "unused_dangerous_permission",
        "permission_no_purpose", "pi_undeclared", "policy_element_missing", "sdk_undeclared",
        "trace_associated_start", "trace_collect_rate", "trace_exit_after_refusal", "trace_launch",
        "trace_permission_request", "trace_permission_rerequest", "trace_pi_collection", "trace_pi_transmission",
        "listing_contact_invalid", "listing_field_missing", "listing_permission_no_purpose",
        "listing_permission_undeclared", "listing_version_mismatch"}


def test_observations_of_real_scans_carry_registered_attributes_of_the_registered_types(
        scanned_observations: list[Observation]) -> None:
    assert [p for o in scanned_observations for p in _type_problems(o)] == []


def test_every_function_of_the_behaviour_detectors_that_emits_observations_is_in_detectors() -> None:
    """A detector written but not listed would emit nothing; the list is checked against the code."""
    from hegui.detect import behaviours

    tree = ast.parse((SRC / "detect/behaviours.py").read_text(encoding="utf-8"))
    emitting = {f.name for f in tree.body if isinstance(f, ast.FunctionDef)
                and any(isinstance(n, ast.Call) and getattr(n.func, "id", None) == "Observation" for n in ast.walk(f))}
    assert emitting == {d.__name__ for d in behaviours.DETECTORS}
