"""Static detectors beyond PI API calls: self-start, associated start, installs, hot update, uninstall
obstruction, unused dangerous permissions, plain-text transport.

Each detector takes the `StaticContext` and returns observations; the signals come from
`knowledge/static_signals.yaml` and the judging from `knowledge/rules/static.yaml`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

from hegui import knowledge
from hegui.apk.images import icon_is_blank
from hegui.detect.apis import class_descriptor
from hegui.detect.context import StaticContext
from hegui.detect.folding import may_name, reflected_names
from hegui.detect.semantics import api_semantics
from hegui.detect.sensitive import SensitiveHit, java_member
from hegui.detect.targets import not_another_app, target_packages
from hegui.detect.url_flow import UrlApis, UrlFlow
from hegui.dex import DexIndex, MethodInfo, descriptor_to_java, java_to_descriptor
from hegui.dex.guards.bytecode import CodeReader
from hegui.model import Evidence, Observation, is_platform_subject, said

_PACKAGE_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+){1,}$")
MAX_EVIDENCE_PER_OBSERVATION = 5


@cache
def signals() -> dict[str, Any]:
    return knowledge.load_yaml("static_signals.yaml")


@cache
def wanted_call_keys() -> frozenset[tuple[str, str]]:
    """Every (class descriptor, method) a static detector looks up in `StaticContext.call_sites`."""
    from hegui.detect.apis import api_matcher, class_descriptor

    # the API lists come from static_signals.yaml's schema (fields typed ApiList), not from a list kept here
    keys = {(class_descriptor(a.partition("#")[0]), a.partition("#")[2]) for a in knowledge.static_signal_apis()}
    matcher = api_matcher()
    return frozenset(keys | set(matcher.methods) | set(matcher.reflection_calls))


def _short(values: Iterable[str], limit: int = 6) -> str:
    vals = list(values)
    more = f", … (+{len(vals) - limit})" if len(vals) > limit else ""
    return ", ".join(vals[:limit]) + more


def self_start_receivers(ctx: StaticContext, _hits: list[SensitiveHit]) -> list[Observation]:
    actions: dict[str, str] = signals()["self_start_actions"]
    ends: dict[str, int] = signals().get("manifest_broadcast_ends_at_target", {})
    target = ctx.manifest.target_sdk or 0  # no target: the oldest behaviour, every broadcast delivered
    out: list[Observation] = []
    for comp in ctx.manifest.components:
        if comp.kind != "receiver" or not comp.enabled:
            continue
        # a broadcast the platform no longer delivers to this manifest receiver starts nothing
        found = sorted({a for f in comp.intent_filters for a in f.actions
                        if a in actions and target < ends.get(a, target + 1)})
        if not found:
            continue
        strength = "high" if any(actions[a] == "high" for a in found) else "medium"
        out.append(Observation(
            kind="self_start_receiver", subject=ctx.subject_of_class(comp.name),
            evidence=[said("manifest", "receiver_listens", component=comp.name, actions=_short(found))],
            attrs={"strength": strength, "actions": found, "component": comp.name},
        ))
    return out


def keep_alive_sdks(ctx: StaticContext, _hits: list[SensitiveHit]) -> list[Observation]:
    """Push SDKs known for keep-alive (knowledge `keep_alive: true`) with services or receivers declared."""
    out: list[Observation] = []
    for sdk_id, info in ctx.sdk_info.items():
        if not info.keep_alive:
            continue
        comps = [c for c in ctx.manifest.components
                 if c.kind in ("service", "receiver") and c.enabled and ctx.subject_of_class(c.name) == sdk_id]
        if comps:
            out.append(Observation(kind="keep_alive_sdk", subject=sdk_id, evidence=[
                said("manifest", "keep_alive_component", component_kind=c.kind, component=c.name, sdk=sdk_id,
                     sdk_name=info.name)
                for c in comps[:MAX_EVIDENCE_PER_OBSERVATION]]))
    return out


def wakeup_calls(ctx: StaticContext, _hits: list[SensitiveHit]) -> list[Observation]:
    """Alarm/job/sync scheduling, per subject and API. Calls reached only through user callbacks (a "remind
    me" button) are observed apart with `user_initiated: true`: the user asked for them."""
    out: list[Observation] = []
    for api in signals()["wakeup_apis"]:
        by_subject: dict[tuple[str, bool], list[str]] = {}
        for site in ctx.calls_to(api):
            if ctx.may_run(site.caller):  # a library helper nothing calls schedules nothing
                key = (ctx.subject_of(site.caller), ctx.only_on_user_action(site.caller))
                by_subject.setdefault(key, []).append(java_member(site.caller.cls, site.caller.name))
        for (subject, user_initiated), callers in by_subject.items():
            out.append(Observation(
                kind="wakeup_schedule", subject=subject,
                evidence=[said("call", "call_from", api=api, caller=c)
                          for c in sorted(set(callers))[:MAX_EVIDENCE_PER_OBSERVATION]],
                attrs={"api": api, "user_initiated": user_initiated},
            ))
    return out


def _foreign_packages(strings: Iterable[str], own: str | None) -> list[str]:
    found = set()
    platform = tuple(signals()["associated_start"]["not_app_package_prefixes"])
    two_part_roots = tuple(signals()["associated_start"]["two_part_package_roots"])
    for s in strings:
        if len(s) > 100 or not _PACKAGE_NAME.match(s) or s.startswith(platform):
            continue
        if own and (s == own or s.startswith(own + ".")):
            continue
        if s.count(".") < 2 and not s.startswith(two_part_roots):
            continue
        found.add(s)
    return sorted(found)


def associated_start(ctx: StaticContext, _hits: list[SensitiveHit]) -> list[Observation]:
    """Code that starts a component of another app it names by package (the package argument of a targeting
    call, hegui.detect.targets), and push-SDK components other apps can wake."""
    cfg = signals()["associated_start"]
    index = ctx.index
    starters = {m.caller.id for api in cfg["start_apis"] for m in ctx.calls_to(api)}
    targeters = {m.caller.id for api in cfg["target_apis"] for m in ctx.calls_to(api)}
    target_apis = frozenset((class_descriptor(api.partition("#")[0]), api.partition("#")[2]) for api in cfg["target_apis"])
    reader = CodeReader()
    own = ctx.manifest.package
    out: list[Observation] = []
    for mid in sorted(starters & targeters):
        m = index.methods[mid]
        if not ctx.may_run(m):
            continue
        named = target_packages(index, reader, m, target_apis)
        subject = ctx.subject_of(m)
        sdk = ctx.sdk_info.get(subject)
        namespaces = [descriptor_to_java(m.cls).rpartition(".")[0], *(sdk.packages if sdk else ())]
        # code that cannot be followed keeps the method's strings as candidates
        foreign = [p for p in _foreign_packages(index.strings(m) if named is None else named, own)
                   if not not_another_app(p, own, namespaces)]
        if not foreign:
            continue
        out.append(Observation(
            kind="associated_start_code", subject=ctx.subject_of(m),
            evidence=[said("call", "starts_other_apps", caller=java_member(m.cls, m.name), targets=_short(foreign))],
            attrs={"targets": foreign, "at_startup": ctx.at_startup(m), "user_initiated": ctx.only_on_user_action(m),
                   "sdk_category": sdk.category if sdk else None},
        ))
    prefixes = tuple(cfg["wake_actions_prefixes"])
    for comp in ctx.manifest.components:
        if comp.kind not in ("service", "receiver") or not comp.effectively_exported or comp.permission:
            continue
        actions = sorted({a for f in comp.intent_filters for a in f.actions if a.startswith(prefixes)})
        if actions:
            out.append(Observation(
                kind="wakeable_component", subject=ctx.subject_of_class(comp.name),
                evidence=[said("manifest", "exported_wakeable", component_kind=comp.kind, component=comp.name,
                               actions=_short(actions))],
                attrs={"component": comp.name, "actions": actions},
            ))
    return out


def installs_packages(ctx: StaticContext, _hits: list[SensitiveHit]) -> list[Observation]:
    cfg = signals()["install"]
    out: list[Observation] = []
    declared = [p for p in ctx.manifest.uses_permissions if p in cfg["permissions"]]
    if declared:
        out.append(Observation(kind="install_permission", evidence=[
            said("manifest", "uses_permission", permission=p) for p in declared], attrs={"permissions": declared}))
    index = ctx.index
    wanted = set(cfg["strings"])
    by_subject: dict[str, list[Evidence]] = {}
    at_startup: set[str] = set()  # subjects with an install site that startup code reaches

    def add(m: MethodInfo, evidence: Evidence) -> None:
        subject = ctx.subject_of(m)
        by_subject.setdefault(subject, []).append(evidence)
        if ctx.at_startup(m):
            at_startup.add(subject)

    for api in cfg["apis"]:
        for site in ctx.calls_to(api):
            if ctx.may_run(site.caller):  # an installer helper nothing calls installs nothing
                add(site.caller, said("call", "call_from", api=api, caller=java_member(site.caller.cls, site.caller.name)))
    for m in _methods_holding(index, lambda strings: [i for i, s in enumerate(strings) if s in wanted]):
        if ctx.may_run(m):
            hit = sorted(wanted.intersection(index.strings(m)))
            add(m, said("string", "builds_install_intent", caller=java_member(m.cls, m.name), strings=hit))
    for subject, evidence in by_subject.items():
        out.append(Observation(kind="apk_install_code", subject=subject, evidence=evidence[:MAX_EVIDENCE_PER_OBSERVATION],
                               attrs={"at_startup": subject in at_startup}))
    return out


def hot_update(ctx: StaticContext, _hits: list[SensitiveHit]) -> list[Observation]:
    out: list[Observation] = []
    for sdk_id, info in ctx.sdk_info.items():
        if info.hot_update:
            out.append(Observation(kind="hot_update_sdk", subject=sdk_id, evidence=[
                said("sdk", "hot_update_engine", sdk=sdk_id, sdk_name=info.name,
                     packages=tuple(info.packages[:3]))]))
    by_subject: dict[str, list[Evidence]] = {}
    for api in signals()["dynamic_code"]["apis"]:
        for site in ctx.calls_to(api):
            if not ctx.may_run(site.caller):
                continue
            by_subject.setdefault(ctx.subject_of(site.caller), []).append(
                said("call", "call_from", api=api, caller=java_member(site.caller.cls, site.caller.name)))
    for subject, evidence in by_subject.items():
        out.append(Observation(kind="dynamic_code_loading", subject=subject,
                               evidence=evidence[:MAX_EVIDENCE_PER_OBSERVATION]))
    return out


def uninstall_obstruction(ctx: StaticContext, _hits: list[SensitiveHit]) -> list[Observation]:
    cfg = signals()["uninstall"]
    apk, manifest = ctx.apk, ctx.manifest
    out: list[Observation] = []
    if manifest.package is not None:
        label = apk.label
        invisible = "".join(cfg["invisible_label_chars"])
        if label is not None and not label.strip(" \t\r\n" + invisible):
            out.append(Observation(kind="blank_label", evidence=[
                said("resource", "blank_label", label=repr(label))]))
        if not manifest.launcher_activities():
            out.append(Observation(kind="no_launcher_entry", evidence=[
                said("manifest", "no_launcher_entry")]))
    blank_icons = []
    for name in apk.icon_files:
        try:
            data = apk.archive.read(name, max_size=4 * 2**20)
        except Exception:  # noqa: BLE001 - an unreadable icon is not evidence of a blank one
            continue
        if icon_is_blank(data, name):
            blank_icons.append(name)
    if blank_icons and len(blank_icons) == len([n for n in apk.icon_files if n.endswith(".png")]):
        out.append(Observation(kind="blank_icon", evidence=[
            said("resource", "transparent_icon", file=n) for n in blank_icons[:3]]))
    for comp in manifest.components:
        if comp.kind == "receiver" and comp.permission == cfg["device_admin_permission"]:
            out.append(Observation(kind="device_admin", subject=ctx.subject_of_class(comp.name), evidence=[
                said("manifest", "device_admin_receiver", component=comp.name)]))
    launchers = set(manifest.launcher_activities())
    for api in cfg["hide_apis"]:
        for site in ctx.calls_to(api):
            if not ctx.may_run(site.caller):
                continue
            strings = ctx.index.strings(site.caller)
            types = {descriptor_to_java(t) for t in ctx.index.types(site.caller)}
            hidden = sorted(launchers.intersection(strings) | launchers.intersection(types))
            if hidden:
                out.append(Observation(kind="hides_launcher_icon", subject=ctx.subject_of(site.caller), evidence=[
                    said("call", "hides_launcher_icon", caller=java_member(site.caller.cls, site.caller.name), api=api,
                         components=hidden)]))
    return out


def sdk_consent_switches(ctx: StaticContext, _hits: list[SensitiveHit]) -> list[Observation]:
    """SDKs in the APK that offer a privacy-consent switch the app's own code never calls."""
    offered: dict[str, list[str]] = {}
    for api in signals()["sdk_consent_apis"]:
        cls, _, name = api.partition("#")
        info = ctx.index.classes.get(java_to_descriptor(cls))
        sdk = ctx.sdk_of(cls)
        if info is None or sdk is None or not any(n == name for n, _p in info.methods):
            continue
        offered.setdefault(sdk, []).append(api)
    out: list[Observation] = []
    for sdk, apis in sorted(offered.items()):
        if any(ctx.subject_of(site.caller) == "app" for api in apis for site in ctx.calls_to(api)):
            continue
        out.append(Observation(kind="sdk_consent_switch_unused", subject=sdk, evidence=[
            said("sdk", "consent_switch_unused", sdk=sdk, apis=apis)]))
    return out


def permission_requests_at_startup(ctx: StaticContext, _hits: list[SensitiveHit]) -> list[Observation]:
    """Permission prompts reachable from startup code; several dangerous ones in one prompt are bundled."""
    perms = knowledge.permissions()
    by_subject: dict[str, list[Evidence]] = {}
    out: list[Observation] = []
    apis = signals()["permission_request_apis"]
    for api in apis:
        for site in ctx.calls_to(api):
            # ActivityCompat#requestPermissions calling Activity#requestPermissions: the request is its caller's
            if not ctx.site_at_startup(site) or (java_member(site.caller.cls, site.caller.name) in apis
                                                 and is_platform_subject(ctx.subject_of(site.caller))):
                continue
            subject = ctx.subject_of(site.caller)
            steps = ctx.startup.path_to(site.caller.id)
            asker = site.caller
            if is_platform_subject(subject):
                # a shrunk ActivityCompat (`android.support.v4.b.a#a`) forwards the request of the code that
                # called it: the request is the last non-library method's on the startup path
                asker = next((p for p in reversed(steps) if not is_platform_subject(ctx.subject_of(p))), site.caller)
                subject = ctx.subject_of(asker)
            path = [java_member(p.cls, p.name) for p in steps]
            by_subject.setdefault(subject, []).append(said("call", "call_at_startup", api=api, path=path))
            strings = {*ctx.index.strings(site.caller), *ctx.index.strings(asker)}
            asked = sorted({s for s in strings if s in perms and perms[s].dangerous})
            if len({perms[p].pi_types for p in asked}) >= 2:
                out.append(Observation(kind="bundled_permission_request", subject=subject, evidence=[said(
                    "call", "bundled_permission_request", caller=java_member(asker.cls, asker.name),
                    permissions=asked)]))
    out.extend(Observation(kind="permission_request_at_startup", subject=subject, evidence=ev[:MAX_EVIDENCE_PER_OBSERVATION])
               for subject, ev in by_subject.items())
    return out


def unused_dangerous_permissions(ctx: StaticContext, hits: list[SensitiveHit]) -> list[Observation]:
    perms = knowledge.permissions()
    used_types = {h.pi_type for h in hits}
    # A call counts for every permission that unlocks it (api_semantics requires_permission `any_of`), not only
    # for its reported PI type: LocationManager#getLastKnownLocation("network") is reported as precise location
    # yet works with ACCESS_COARSE_LOCATION alone (audit: MobSDK's LocationHelper#getLocation in moblink).
    sem = api_semantics()
    unlocked = {p for h in hits if (rule := sem.rule("requires_permission", h.api, h.pi_type)) for p in rule.any_of}
    unused = [name for name in ctx.manifest.uses_permissions
              if (info := perms.get(name)) is not None and info.dangerous and info.pi_types
              and not used_types.intersection(info.pi_types) and name not in unlocked]
    reflected = _reflectively_unlocked(ctx, unused)
    out: list[Observation] = []
    for name in unused:
        if name in reflected:
            continue
        info = perms[name]
        out.append(Observation(kind="unused_dangerous_permission", evidence=[
            said("manifest", "unused_dangerous_permission", permission=name, pi_types=tuple(info.pi_types))],
            attrs={"permission": name}))
    return out


def _reflectively_unlocked(ctx: StaticContext, permissions: list[str]) -> set[str]:
    """The permissions among `permissions` an API unlocks that live code calls by reflection under a name it
    holds or builds (hegui.detect.folding: MobTools' DeviceHelper#getIMEI concatenates "getDeviceId" for its
    reflection helper, audit glesdemo). The class the name belongs to is not known: the name alone (a getter
    of the API that needs the permission) keeps the permission from being called unused."""
    if not permissions:
        return set()
    by_name: dict[str, set[str]] = {}
    for rule in api_semantics().rules:
        if rule.kind == "requires_permission":
            for p in set(rule.any_of).intersection(permissions):
                for api in rule.apis:
                    by_name.setdefault(api.partition("#")[2], set()).add(p)
    if not by_name:
        return set()
    names = frozenset(by_name)
    reader = CodeReader()
    out: set[str] = set()
    for m in ctx.index.methods:
        if m.code.strings and may_name(ctx.index.strings(m), names) and ctx.may_run(m):
            for name in reflected_names(ctx.index, reader, m, names):
                out |= by_name[name]
    return out


def cleartext_transport(ctx: StaticContext, _hits: list[SensitiveHit]) -> list[Observation]:
    cfg = signals()["cleartext"]
    manifest = ctx.manifest
    out: list[Observation] = []
    allowed = manifest.uses_cleartext_traffic
    refused_from = cfg["refused_by_default_from_target_sdk"]
    if allowed is None and manifest.network_security_config is None and (manifest.target_sdk or 0) < refused_from:
        # no targetSdkVersion at all (old build tools) counts as an old target: say "unset", never drop the fact
        reason = said("manifest", "cleartext_old_target", refused_from=refused_from,
                      target_sdk=manifest.target_sdk if manifest.target_sdk is not None else "unset")
    elif allowed:
        reason = said("manifest", "cleartext_flag")
    else:
        return out
    ignore = tuple(cfg["ignore_url_prefixes"])
    urls_by_subject: dict[str, set[str]] = {}
    uses = UrlFlow(ctx.index, UrlApis.from_knowledge(cfg))
    plain: set[str] = set()

    def plain_urls(strings: list[str]) -> list[int]:
        picked = [i for i, s in enumerate(strings) if s and s.startswith("http://") and len(s) > 10
                  and not s.startswith(ignore)]
        plain.update(strings[i] for i in picked)
        return picked

    for m in _methods_holding(ctx.index, plain_urls):
        if not ctx.may_run(m):  # a URL only dead code holds is never requested
            continue
        urls = {s for s in ctx.index.strings(m) if s in plain}
        # a URL only shown, shared or compared is no transmission; one whose use cannot be followed stays
        requested = {u[:120] for u, use in uses.uses(m, urls).items() if use.supports}
        if requested:
            urls_by_subject.setdefault(ctx.subject_of(m), set()).update(requested)
    for subject, urls in urls_by_subject.items():
        out.append(Observation(kind="cleartext_url", subject=subject, evidence=[
            reason, *(said("string", "plain_http_url", url=u) for u in sorted(urls)[:5])]))
    return out


def _methods_holding(index: DexIndex, wanted: Callable[[list[str]], list[int]]) -> list[MethodInfo]:
    """The methods, in index order, with a string constant at one of the positions `wanted` picks from their DEX's
    string table: each table is read once and the methods are picked by string index (in C for the methods the
    extension read), rather than a list of strings made for every method."""
    return index.methods_referencing("strings", {id(dex): wanted(dex.strings) for dex in index.dex_files})


Detector = Callable[[StaticContext, list[SensitiveHit]], list[Observation]]

DETECTORS: tuple[Detector, ...] = (
    self_start_receivers, keep_alive_sdks, wakeup_calls, associated_start, installs_packages, hot_update, uninstall_obstruction,
    unused_dangerous_permissions, cleartext_transport, sdk_consent_switches, permission_requests_at_startup,
)
