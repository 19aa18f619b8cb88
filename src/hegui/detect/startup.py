"""Entry points that run as the process starts, before any user interaction (CONTRACT.md `at_startup`).

Application.attachBaseContext/onCreate (the declared application class and its superclasses), every
ContentProvider.onCreate (SDKs auto-initialise there), androidx.startup initializers, static initialisers
they reach, and the launcher activity's onCreate/onStart/onResume (the method names per kind of component are
in knowledge/startup.yaml, with the user-driven callbacks that are never startup).

Code those entry points run only behind a check of the stored consent flag (`if (isPrivacyAgreed())
init();`, `if (App.sAgreed) init();`) is left out (hegui.dex.guards; the words are in
knowledge/consent_guards.yaml): it runs once the user agreed, which is not "before any user interaction" in the sense of CONTRACT.md's `at_startup`.
"""

from __future__ import annotations

from functools import cache

from hegui import knowledge
from hegui.apk import Manifest
from hegui.apk.code_names import ResourceCodeNames
from hegui.dex import DexIndex, MethodInfo
from hegui.dex.callgraph import Reachability, methods_named
from hegui.dex.framework import FrameworkHierarchy
from hegui.dex.guards import ConsentGuards, ConsentLexicon
from hegui.names import java_to_descriptor

STARTUP_INITIALIZER_PROVIDER = "androidx.startup.InitializationProvider"


def startup_entries(manifest: Manifest, index: DexIndex) -> tuple[list[MethodInfo], list[str]]:
    """(entry methods, classes the framework instantiates) for the startup reachability."""
    names = knowledge.startup().entries
    entries: list[MethodInfo] = []
    classes: list[str] = []

    def add(java_name: str | None, names: tuple[str, ...]) -> None:
        if not java_name:
            return
        desc = java_to_descriptor(java_name)
        if desc in index.classes:
            classes.append(desc)
            entries.extend(_entry_methods(index, desc, names))

    add(manifest.application_class, names["application"])
    add(manifest.app_component_factory, names["component_factory"])
    for comp in manifest.components:
        if comp.kind == "provider" and comp.enabled:
            add(comp.name, names["provider"])
            if comp.name == STARTUP_INITIALIZER_PROVIDER:
                for key, value in comp.meta_data.items():
                    if value == "androidx.startup":
                        add(key, names["startup_initializer"])
    for activity in manifest.launcher_activities():
        add(activity, names["launcher"])
    return entries, classes


def _entry_methods(index: DexIndex, desc: str, names: tuple[str, ...]) -> list[MethodInfo]:
    """The methods of `desc` (and its defined superclasses) the framework calls by these names. A constructor is
    only the class's own no-argument one: the framework creates a component by reflection that way, and the
    superclass constructors run only as that one calls them (AppCompatActivity(int) stays out unless it does)."""
    own = index.classes[desc].methods.get(("<init>", "()V"))
    return [m for m in methods_named(index, desc, names) if m.name != "<init>" or m.id == own]


@cache
def consent_lexicon() -> ConsentLexicon:
    """What a stored consent flag looks like (knowledge/consent_guards.yaml)."""
    return ConsentLexicon.from_data(knowledge.load_yaml("consent_guards.yaml"))


@cache
def framework_hierarchy() -> FrameworkHierarchy:
    """The Android framework's types (knowledge/framework_hierarchy.json.gz), loaded once per process."""
    return FrameworkHierarchy.from_data(knowledge.framework_hierarchy_data())


def startup_reachability(manifest: Manifest, index: DexIndex) -> Reachability:
    entries, classes = startup_entries(manifest, index)
    user = knowledge.startup()
    return Reachability(index, entries, classes, guards=ConsentGuards(index, consent_lexicon()),
                        hierarchy=framework_hierarchy(), user_methods=user.user_callback_methods,
                        user_types=user.user_callback_types)


def live_reachability(manifest: Manifest, index: DexIndex, resources: ResourceCodeNames | None = None,
                      native: frozenset[str] = frozenset()) -> Reachability:
    """What can run at all: every manifest component created by the framework, all its framework callbacks
    (user-driven ones included), and what they reach. Code outside it is reached from nothing: a library's
    helper the app never calls (AndroidX's AlarmManagerCompat) raises nothing.

    The framework also creates classes that no code allocates: Views and Fragments named in layouts (and
    their `android:onClick` handlers), classes named in manifest meta-data (initializers, Glide modules,
    Firebase registrars); a `const-class` may be handed to a factory that creates it by reflection, a name
    handed to `Method.invoke` may name a method of any created object; native
    libraries call any method of the classes they name for JNI (`native`: Java names). All of those count as
    created (JNI's classes with every method reached): liveness errs towards keeping code. User callbacks
    (knowledge/startup.yaml) are followed last, so `reached_without_user` tells code that runs only because
    the user acted (a tap that opens another app is no associated start)."""
    classes: list[str] = []
    for name in (manifest.application_class, manifest.app_component_factory, *(c.name for c in manifest.components)):
        desc = java_to_descriptor(name) if name else None
        if desc in index.classes:
            classes.append(desc)
    entries = [index.methods[mid] for desc in classes for (n, _p), mid in index.classes[desc].methods.items()
               if n in ("<init>", "<clinit>")]
    jni = [d for name in sorted(native) if (d := java_to_descriptor(name)) in index.classes]
    entries += [index.methods[mid] for desc in jni for mid in index.classes[desc].methods.values()]
    named = _named_by_resources_and_manifest(manifest, index, resources) + jni
    user = knowledge.startup()
    return Reachability(index, entries, classes, hierarchy=framework_hierarchy(), callbacks_of_entries=True,
                        created_by_name=named, click_handlers=resources.click_handlers if resources else frozenset(),
                        const_class_creates=True, invoke_by_name_anywhere=True, user_methods=user.user_callback_methods,
                        user_types=user.user_callback_types, defer_user_callbacks=True)


def _named_by_resources_and_manifest(manifest: Manifest, index: DexIndex,
                                     resources: ResourceCodeNames | None) -> list[str]:
    """Defined classes that resource XML or manifest meta-data name (keys and values; a Firebase registrar's
    key is ``com.google.firebase.components:<class>``)."""
    names: set[str] = set(resources.classes) if resources else set()
    for meta in (manifest.app_meta_data, *(c.meta_data for c in manifest.components)):
        for key, value in meta.items():
            names.update((key, key.rpartition(":")[2], value))
    package = manifest.package or ""
    out: list[str] = []
    for name in sorted(names):
        if name.startswith(".") and package:
            name = package + name
        if "." not in name or " " in name:
            continue
        desc = java_to_descriptor(name)
        if desc in index.classes:
            out.append(desc)
    return out
