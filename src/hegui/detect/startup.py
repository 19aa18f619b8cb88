"""Entry points that run as the process starts, before any user interaction (CONTRACT.md `at_startup`).

Application.attachBaseContext/onCreate (the declared application class and its superclasses), every
ContentProvider.onCreate (SDKs auto-initialise there), androidx.startup initializers, static initialisers
they reach, and the launcher activity's onCreate/onStart/onResume.

Code those entry points run only behind a check of the stored consent flag (`if (isPrivacyAgreed())
init();`, `if (App.sAgreed) init();`) is left out (hegui.dex.guards; the words are in
knowledge/consent_guards.yaml): it runs once the user agreed, which is not "before any user interaction" in the sense of CONTRACT.md's `at_startup`.
"""

from __future__ import annotations

from functools import cache

from hegui import knowledge
from hegui.apk import Manifest
from hegui.dex import DexIndex, MethodInfo
from hegui.dex.callgraph import Reachability, methods_named
from hegui.dex.guards import ConsentGuards, ConsentLexicon
from hegui.dex.index import java_to_descriptor

APPLICATION_ENTRIES = ("<init>", "<clinit>", "attachBaseContext", "onCreate")
PROVIDER_ENTRIES = ("<init>", "<clinit>", "onCreate", "attachInfo")
LAUNCHER_ENTRIES = ("<init>", "<clinit>", "attachBaseContext", "onCreate", "onPostCreate", "onStart", "onResume",
                    "onPostResume")
COMPONENT_FACTORY_ENTRIES = ("<init>", "<clinit>", "instantiateApplication", "instantiateClassLoader",
                             "instantiateProvider", "instantiateActivity")
STARTUP_INITIALIZER_PROVIDER = "androidx.startup.InitializationProvider"


def startup_entries(manifest: Manifest, index: DexIndex) -> tuple[list[MethodInfo], list[str]]:
    """(entry methods, classes the framework instantiates) for the startup reachability."""
    entries: list[MethodInfo] = []
    classes: list[str] = []

    def add(java_name: str | None, names: tuple[str, ...]) -> None:
        if not java_name:
            return
        desc = java_to_descriptor(java_name)
        if desc in index.classes:
            classes.append(desc)
            entries.extend(methods_named(index, desc, names))

    add(manifest.application_class, APPLICATION_ENTRIES)
    add(manifest.app_component_factory, COMPONENT_FACTORY_ENTRIES)
    for comp in manifest.components:
        if comp.kind == "provider" and comp.enabled:
            add(comp.name, PROVIDER_ENTRIES)
            if comp.name == STARTUP_INITIALIZER_PROVIDER:
                for key, value in comp.meta_data.items():
                    if value == "androidx.startup":
                        add(key, ("<init>", "<clinit>", "create", "dependencies"))
    for activity in manifest.launcher_activities():
        add(activity, LAUNCHER_ENTRIES)
    return entries, classes


@cache
def consent_lexicon() -> ConsentLexicon:
    """What a stored consent flag looks like (knowledge/consent_guards.yaml)."""
    return ConsentLexicon.from_data(knowledge.load_yaml("consent_guards.yaml"))


def startup_reachability(manifest: Manifest, index: DexIndex) -> Reachability:
    entries, classes = startup_entries(manifest, index)
    return Reachability(index, entries, classes, guards=ConsentGuards(index, consent_lexicon()))
