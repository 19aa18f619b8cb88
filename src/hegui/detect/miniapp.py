"""Observations of a mini-program, quick app or HarmonyOS module: what its code calls against what it declares.

Observation kinds (subject ``app``, or ``plugin:<alias>`` for a mini-program plugin):
  mp_api_call          a call of a catalogued API (knowledge/miniapp_apis.yaml). attrs: api, pi_type, privacy,
                       private_info, declared (in requiredPrivateInfos), at_launch, collects, authorised (a privacy-flow call
                       runs first in the same launch code, or the package registers onNeedPrivacyAuthorization),
                       background, form
  mp_scope_without_purpose  a permission scope (or a HAP user_grant permission) with no purpose the user can
                       read; attrs: scope, missing (no entry at all although the code calls an API of that scope)
  mp_privacy_check_off privacy interfaces called, `__usePrivacyCheck__` not true and no privacy-flow call anywhere
  mp_plugin            a plugin (the mini-program's SDK); attrs: alias, provider, disclosed (None without a policy)
  qa_feature_undeclared a quick-app `@system.*` module required in code but missing from manifest `features`
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from hegui import knowledge
from hegui.miniapp.code import CodeFacts
from hegui.miniapp.declarations import Declarations
from hegui.miniapp.js import ApiCall
from hegui.model import APP_SUBJECT, Evidence, Observation, said

FORM_OF_KIND = {"wxapkg": "mini-program", "miniapp_dir": "mini-program", "rpk": "quick-app", "hap": "harmony-app"}


@dataclass(frozen=True, slots=True)
class MiniApi:
    name: str
    pi_type: str
    privacy: bool
    private_info: bool
    scope: str | None
    background: bool
    collects: bool
    zh: str
    en: str


@cache
def wechat_apis() -> dict[str, MiniApi]:
    data = knowledge.load_yaml("miniapp_apis.yaml")["wechat"]
    return {k: MiniApi(k, v["pi_type"], bool(v.get("privacy")), bool(v.get("private_info")), v.get("scope"),
                       bool(v.get("background")), v.get("collects", True), v["zh"], v["en"]) for k, v in data.items()}


@cache
def _data() -> dict:
    return knowledge.load_yaml("miniapp_apis.yaml")


def wanted_names() -> frozenset[str]:
    return frozenset(wechat_apis()) | frozenset(_data()["wechat_privacy_flow"])


def open_types() -> dict[str, dict]:
    return dict(_data()["wechat_open_types"])


def quick_app_modules() -> dict[str, dict]:
    return dict(_data()["quick_app"])


def plugins_known() -> dict[str, dict]:
    return dict(_data()["wechat_plugins"])


def harmony_modules() -> dict[str, str]:
    return dict(_data()["harmony_modules"])


def harmony_user_grant() -> dict[str, str]:
    return dict(_data()["harmony_user_grant"])


def _call_facts(call: ApiCall) -> dict[str, object]:
    api = wechat_apis().get(call.name)
    return {"file": call.file, "line": call.line, "column": call.column,
            "module": call.module if call.module != call.file else None, "api": f"{call.receiver}.{call.name}",
            "launch_root": call.launch_root, "pi_type": api.pi_type if api else None,
            "pi_name_zh": api.zh if api else None}


def _call_evidence(call: ApiCall) -> Evidence:
    return said("call", "mp_call", **_call_facts(call))


def miniapp_observations(kind: str, decl: Declarations, code: CodeFacts,
                         policy_text: str | None) -> list[Observation]:
    form = FORM_OF_KIND[kind]
    if kind == "hap":
        return _hap(decl, form)
    if kind == "rpk":
        return _quick_app(decl, code, form)
    return _mini_program(decl, code, form, policy_text)


def _mini_program(decl: Declarations, code: CodeFacts, form: str, policy_text: str | None) -> list[Observation]:
    apis = wechat_apis()
    flow = set(_data()["wechat_privacy_flow"])
    flow_calls = [c for c in code.calls if c.name in flow]
    registers_flow = any(c.name == "onNeedPrivacyAuthorization" for c in flow_calls)
    guarded_roots = {c.launch_root for c in flow_calls if c.launch_root}
    has_config = decl.config_file is not None
    out: list[Observation] = []
    used_scopes: dict[str, list[ApiCall]] = {}
    privacy_calls: list[ApiCall] = []
    for call in code.calls:
        api = apis.get(call.name)
        if api is None:
            continue
        if api.privacy:
            privacy_calls.append(call)
        if api.scope:
            used_scopes.setdefault(api.scope, []).append(call)
        out.append(Observation(kind="mp_api_call", evidence=[_call_evidence(call)], attrs={
            "api": api.name, "pi_type": api.pi_type, "privacy": api.privacy, "private_info": api.private_info,
            "declared": (api.name in decl.required_private_infos) if has_config else None,
            "at_launch": call.launch_root is not None,
            "authorised": registers_flow or call.launch_root in guarded_roots,
            "background": api.background, "collects": api.collects, "form": form}))
    for value, file, line in code.open_types:
        info = open_types().get(value)
        if info is not None:
            privacy_calls.append(ApiCall("button", value, file, file, line, 1))
            out.append(Observation(kind="mp_api_call", evidence=[
                said("resource", "mp_open_type", file=file, line=line, value=value, pi_type=info["pi_type"],
                     pi_name_zh=info["zh"])], attrs={
                "api": f"open-type={value}", "pi_type": info["pi_type"], "privacy": True, "private_info": False,
                "declared": None, "at_launch": False, "authorised": False, "background": False, "collects": True,
                "form": form}))
    if not has_config:
        return out  # a subpackage: its main package holds the declarations
    for scope, desc in decl.scopes.items():
        if desc is None:
            out.append(Observation(kind="mp_scope_without_purpose", attrs={"scope": scope, "missing": False},
                                   evidence=[said("manifest", "mp_scope_no_desc", file=decl.config_file,
                                                  scope=scope)]))
    needs_desc = set(_data()["wechat_scopes_needing_desc"])
    for scope, calls in sorted(used_scopes.items()):
        if scope in needs_desc and scope not in decl.scopes:
            facts = _call_facts(calls[0])
            facts["call_file"] = facts.pop("file")
            facts.pop("pi_name_zh")
            out.append(Observation(kind="mp_scope_without_purpose", attrs={"scope": scope, "missing": True},
                                   evidence=[said("manifest", "mp_scope_missing", file=decl.config_file, scope=scope,
                                                  **facts)]))
    if privacy_calls and decl.use_privacy_check is not True and not flow_calls:
        first = privacy_calls[0]
        out.append(Observation(kind="mp_privacy_check_off", evidence=[
            said("manifest", "mp_privacy_check_off", file=decl.config_file,
                 state="false" if decl.use_privacy_check is False else "absent"),
            said("call", "mp_privacy_calls", file=first.file, line=first.line, column=first.column,
                 api=f"{first.receiver}.{first.name}", count=len(privacy_calls))]))
    text = policy_text.lower() if policy_text is not None else None
    for plugin in decl.plugins:
        known = plugins_known().get(plugin.provider, {})
        names = [plugin.alias, plugin.provider, *known.get("names", ())]
        disclosed = None if text is None else any(n.lower() in text for n in names)
        out.append(Observation(kind="mp_plugin", subject=APP_SUBJECT, attrs={
            "alias": plugin.alias, "provider": plugin.provider, "disclosed": disclosed}, evidence=[
            said("sdk", "mp_plugin_not_in_policy", file=decl.config_file, plugin=plugin.alias,
                 provider=plugin.provider, version=plugin.version, subpackage=plugin.subpackage)]))
    return out


def _quick_app(decl: Declarations, code: CodeFacts, form: str) -> list[Observation]:
    modules = quick_app_modules()
    features = set(decl.features)
    out: list[Observation] = []
    seen: set[str] = set()
    for name, file, line in code.requires:
        module = name.removeprefix("@app-module/").removeprefix("@")
        if not module.startswith(("system.", "service.")):
            continue
        info = modules.get(module)
        if info is not None:
            out.append(Observation(kind="mp_api_call", evidence=[said("call", "qa_require", file=file, line=line,
                                                                       module=module, pi_type=info["pi_type"])],
                                   attrs={"api": module, "pi_type": info["pi_type"], "privacy": True,
                                          "private_info": False, "declared": module in features,
                                          "at_launch": False, "authorised": False, "background": False,
                                          "collects": True, "form": form}))
        if module not in features and module not in seen:
            seen.add(module)
            out.append(Observation(kind="qa_feature_undeclared", attrs={"module": module, "pi": info is not None},
                                   evidence=[said("call", "qa_feature_undeclared", file=file, line=line,
                                                  module=module)]))
    return out


def _hap(decl: Declarations, form: str) -> list[Observation]:
    user_grant = harmony_user_grant()
    out: list[Observation] = []
    for perm in decl.permissions:
        if perm.name not in user_grant:
            continue  # system_grant permissions are granted at install: no dialog shows a reason
        if perm.reason is None:
            evidence = said("manifest", "hap_permission_no_reason", file="module.json", permission=perm.name)
        elif perm.reason_is_app_name:
            evidence = said("manifest", "hap_reason_is_app_name", file="module.json", permission=perm.name,
                            reason_ref=perm.reason_ref, reason=perm.reason)
        else:
            continue
        out.append(Observation(kind="mp_scope_without_purpose", attrs={"scope": perm.name, "missing": False,
                                                                       "form": form}, evidence=[evidence]))
    return out
