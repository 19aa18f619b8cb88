"""The scan of a mini-program (.wxapkg or folder), quick app (.rpk) or HarmonyOS module (.hap): read → declarations
→ code → observations → the same rule engine as APKs, with the rules whose `applies_to` names the form."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from hegui import knowledge
from hegui.detect.miniapp import (
    FORM_OF_KIND,
    harmony_modules,
    harmony_user_grant,
    miniapp_observations,
    open_types,
    wanted_names,
    wechat_apis,
)
from hegui.errors import InputError
from hegui.knowledge import Trigger
from hegui.miniapp import open_miniapp
from hegui.miniapp.code import read_code
from hegui.miniapp.declarations import read_declarations
from hegui.options import ScanOptions
from hegui.report.model import AppInfo, ErrorItem, Permission, Policy, Report, Sdk, SensitiveCall
from hegui.rules import evaluate

_NOT_ID = re.compile(r"[^a-z0-9_.-]+")
_NOT_MEMBER = re.compile(r"[^\w.$]+")


@cache
def form_triggers(form: str) -> list[Trigger]:
    applies = {rule.id for rule in knowledge.rulebook().values() if form in rule.applies_to}
    return [t for t in knowledge.triggers() if t.rule in applies]


def analyse_miniapp(path: Path, report: Report, options: ScanOptions) -> None:
    pkg = open_miniapp(path, getattr(options, "appid", None))  # InputError: nothing readable at all
    try:
        report.input.kind = pkg.kind
        decl = read_declarations(pkg)
        code = read_code(pkg, decl, wanted_names(), open_types())
        for stage, problems in (("miniapp", pkg.problems), ("declarations", decl.problems), ("code", code.problems)):
            report.errors.extend(ErrorItem(stage=stage, message=p) for p in problems)
        if decl.config_file is None and pkg.kind in ("wxapkg", "miniapp_dir"):
            report.errors.append(ErrorItem(stage="declarations", message="no app-config.json/app.json: a subpackage "
                                           "(its declarations are in the main package) or a partial package"))
        report.app = AppInfo(package=decl.package or pkg.appid, version_name=decl.version_name,
                             version_code=decl.version_code, label=decl.name)
        report.permissions = _permissions(pkg.kind, decl)
        report.sdks = [Sdk(id=_NOT_ID.sub("-", f"mp-plugin.{p.alias.lower()}"), name=p.alias, company=p.provider,
                           category="mini-program plugin", packages=[p.provider],
                           evidence=[f"{decl.config_file}: plugins.{p.alias}"
                                     + (f" (subpackage {p.subpackage})" if p.subpackage else "")])
                       for p in decl.plugins]
        apis = wechat_apis()
        report.sensitive_calls = [
            SensitiveCall(pi_type=apis[c.name].pi_type, api=f"{c.receiver}#{c.name}",
                          caller=f"{_NOT_MEMBER.sub('.', c.module)}#"
                                 f"{c.launch_root.rsplit('.', 1)[-1] if c.launch_root else '<module>'}",
                          sdk=None, at_startup=c.launch_root is not None, via_reflection=False)
            for c in code.calls if c.name in apis]
        modules = harmony_modules()
        report.sensitive_calls += [  # a HAP's bytecode is not parsed: an imported PI module is what it shows
            SensitiveCall(pi_type=modules[m], api=f"ohos.{m}#import", caller="modules.abc#<module>", sdk=None,
                          at_startup=False, via_reflection=False)
            for m in code.ohos_modules if m in modules]
        policy_text = _policy(report, options)
        observations = miniapp_observations(pkg.kind, decl, code, policy_text)
        report.findings = evaluate(observations, form_triggers(FORM_OF_KIND[pkg.kind]))
    finally:
        pkg.close()


def _permissions(kind: str, decl) -> list[Permission]:
    if kind == "hap":
        grant = harmony_user_grant()
        return [Permission(name=p.name, dangerous=p.name in grant) for p in decl.permissions]
    # a scope is asked for in a dialog the user answers, as a dangerous Android permission is
    return [Permission(name=scope, dangerous=True) for scope in decl.scopes]


def _policy(report: Report, options) -> str | None:
    """The text of the policy named with --policy (a package carries none we could find reliably)."""
    if not getattr(options, "policy", None):
        return None
    from hegui import policy

    try:
        data, source = policy.load_policy_source(options.policy)
        document = policy.extract_policy(data, source)
    except InputError as exc:
        report.errors.append(ErrorItem(stage="policy", message=f"{options.policy}: {exc}"))
        report.policy = Policy(found=False, source=options.policy)
        return None
    analysis = policy.analyse_policy(document)
    report.policy = Policy(found=True, source=source,
                           elements={k: hit.present for k, hit in analysis.elements.items()},
                           excerpts={k: hit.excerpt for k, hit in analysis.elements.items() if hit.excerpt},
                           declared_pi_types=sorted(analysis.declared_pi_types),
                           declared_sdks=sorted(analysis.declared_sdks),
                           declared_permissions=sorted(analysis.declared_permissions))
    return document.text
