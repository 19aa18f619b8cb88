"""platform_libraries.yaml is well-formed (see the header of the file)."""

from __future__ import annotations

import re

from hegui.knowledge import load_yaml
from hegui.knowledge.platform import api_namespaces, platform_libraries
from hegui.report.model import SEVERITY_ORDER

LIBS = platform_libraries()
DOTTED = re.compile(r"[a-z][a-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*")
ARTIFACT = re.compile(r"[a-z][a-z0-9_.-]*:[a-z][a-z0-9_.-]*")


def test_the_default_cap_keeps_critical_and_high_for_real_collections() -> None:
    assert load_yaml("platform_libraries.yaml")["severity_cap"] == "medium"
    assert {lib.severity_cap for lib in LIBS.values()} <= set(SEVERITY_ORDER) - {"high", "critical"}


def test_a_prefix_belongs_to_one_library_and_is_a_dotted_name() -> None:
    prefixes = [p for lib in LIBS.values() for p in lib.prefixes]
    assert len(prefixes) == len(set(prefixes))
    assert [p for p in prefixes if not DOTTED.fullmatch(p)] == []


def test_the_platform_roots_are_exactly_these() -> None:
    prefixes = {p for lib in LIBS.values() for p in lib.prefixes}
    roots = {p for p in prefixes if not any(p.startswith(q + ".") for q in prefixes)}
    assert roots == {"androidx", "android.support", "android.arch", "kotlin", "kotlinx", "com.google.android.material",
                     "org.jetbrains.annotations", "org.intellij.lang.annotations"}


def test_artifacts_are_maven_coordinates_and_every_entry_says_how_to_fix_it() -> None:
    assert [a for lib in LIBS.values() for a in lib.artifacts if not ARTIFACT.fullmatch(a)] == []
    assert [i for i, lib in LIBS.items() if not (lib.name and lib.upgrade_zh and lib.upgrade_en)] == []


def test_the_api_namespaces_are_the_framework_java_kotlin_and_org_json() -> None:
    assert api_namespaces() == ("android.", "androidx.", "java.", "javax.", "dalvik.", "kotlin.", "kotlinx.", "org.json.")
