"""Platform libraries (``platform_libraries.yaml``): AndroidX, the support library, Kotlin, Material.

Loaded here, beside the data, because both the detectors (who owns a call site) and the rule engine (how severe
a finding resting only on such a call site may be) read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from hegui.knowledge import load_yaml
from hegui.model import PLATFORM_SUBJECT_PREFIX


@dataclass(frozen=True, slots=True)
class PlatformLibrary:
    id: str
    name: str
    prefixes: tuple[str, ...]
    artifacts: tuple[str, ...]  # Maven group:artifact, for the META-INF/<group>_<artifact>.version file
    upgrade_zh: str
    upgrade_en: str
    severity_cap: str

    @property
    def subject(self) -> str:
        return PLATFORM_SUBJECT_PREFIX + self.id


@cache
def platform_libraries() -> dict[str, PlatformLibrary]:
    """All platform libraries by id. Keys, ids, prefixes, severities and uniqueness are checked when the file
    loads (`hegui.knowledge.schema_catalog.PlatformLibraries`)."""
    data = load_yaml("platform_libraries.yaml")
    return {entry["id"]: PlatformLibrary(
        id=entry["id"], name=entry["name"], prefixes=tuple(entry["prefixes"]),
        artifacts=tuple(entry.get("artifacts") or ()), upgrade_zh=entry["upgrade_zh"], upgrade_en=entry["upgrade_en"],
        severity_cap=entry.get("severity_cap") or data["severity_cap"]) for entry in data["platform_libraries"]}


@cache
def api_namespaces() -> tuple[str, ...]:
    """Dotted prefixes of the platform's own APIs (``android.``, ``java.``…): a method there is a callee."""
    return tuple(load_yaml("platform_libraries.yaml")["api_namespaces"])


def platform_library_of_subject(subject: str) -> PlatformLibrary | None:
    """The library a ``platform:<id>`` subject names (None for the app, an SDK or an unknown id)."""
    if not subject.startswith(PLATFORM_SUBJECT_PREFIX):
        return None
    return platform_libraries().get(subject[len(PLATFORM_SUBJECT_PREFIX):])
