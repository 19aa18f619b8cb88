"""The static scan of one APK or SDK package (AAR/JAR): read → index → detect → judge, filling a `Report` in place.

Each stage records what went wrong in `report.errors` and the scan goes on with what it has, so a partly
unreadable APK still yields a report. The time and memory budget is checked between stages and during the
DEX sweep; when it runs out, the report keeps everything computed so far plus a "budget" error.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import psutil

from hegui import knowledge
from hegui.apk import Apk
from hegui.apk.aar import SdkPackage, open_package
from hegui.apk.archive import ArchiveLimits
from hegui.detect.apis import api_matcher
from hegui.detect.behaviours import DETECTORS, wanted_call_keys
from hegui.detect.context import SdkOf, StaticContext
from hegui.detect.platform import PlatformAttributor, PlatformUse, platform_uses
from hegui.detect.sdks import SdkAttributor, SdkMatch, app_code_namespaces, identify_sdks, sdk_catalog
from hegui.detect.semantics import COLLECTING
from hegui.detect.sensitive import SensitiveHit, find_sensitive_calls, java_member, sensitive_observations
from hegui.detect.startup import startup_reachability
from hegui.dex import DexIndex, descriptor_to_java
from hegui.errors import BudgetExceeded, InputError
from hegui.jvm import Allowance, read_program
from hegui.knowledge import Trigger
from hegui.knowledge.platform import platform_library_of_subject
from hegui.model import APP_SUBJECT, Observation, is_platform_subject, is_sdk_subject
from hegui.options import ScanOptions
from hegui.report.model import (
    AppInfo,
    ErrorItem,
    EvidenceItem,
    Finding,
    Permission,
    PlatformLibraryUse,
    Policy,
    Remediation,
    Report,
    Sdk,
    SensitiveCall,
    Signer,
    Stats,
)
from hegui.rules import evaluate

if TYPE_CHECKING:  # the policy package is imported when a scan reaches its stage
    from hegui.policy import PolicyAnalysis, PolicyDocument

MAX_DEX_BYTES = 512 * 2**20  # all classes*.dex of one APK together


class Budget:
    def __init__(self, seconds: float, memory_mb: int) -> None:
        self.deadline = time.monotonic() + seconds
        self.seconds = seconds
        self.memory_bytes = memory_mb * 2**20
        self._proc = psutil.Process()
        self._base_rss = self._proc.memory_info().rss

    def check(self, stage: str) -> None:
        if time.monotonic() > self.deadline:
            raise BudgetExceeded(f"time budget of {self.seconds:g} s ran out during {stage}")
        used = self._proc.memory_info().rss - self._base_rss
        if used > self.memory_bytes:
            raise BudgetExceeded(
                f"memory budget of {self.memory_bytes // 2**20} MB ran out during {stage} ({used // 2**20} MB used)")


def analyse_package(path: Path, report: Report, options: ScanOptions) -> None:
    """Scan an APK, or an SDK package (AAR/JAR): which one is decided by the container's entries."""
    # The code index is millions of objects in no reference cycle; every collection of the oldest generation
    # during the analysis would walk them all again (a quarter of a large scan). Once built they are frozen
    # out of the collector's sight, and handed back to it when the scan ends.
    frozen = gc.get_freeze_count()
    try:
        _analyse_package(path, report, options)
    finally:
        if gc.get_freeze_count() > frozen:
            gc.unfreeze()


@dataclass
class _Scan:
    """What the phases of one scan hand on to each other, filled in as they run: when the budget stops a phase,
    the later ones do not run and the report is judged on what is there."""

    report: Report
    options: ScanOptions
    budget: Budget
    apk: Apk
    sdk: SdkPackage | None  # the SDK package (AAR/JAR) being scanned; None for an APK
    observations: list[Observation] = field(default_factory=list)
    own_subject: str | None = None  # an SDK package's subject: its catalog id or package name


def _analyse_package(path: Path, report: Report, options: ScanOptions) -> None:
    scan = _open(path, report, options)
    try:
        scan.budget.check("reading the APK")
        index, sdk_of, namespaces = _index_apk(scan) if scan.sdk is None else _index_sdk_package(scan, scan.sdk)
        _static_stage(scan, index, sdk_of, namespaces)
        if options.trace is not None:
            scan.observations.extend(_trace_stage(options.trace, scan.apk, report, sdk_of))
        scan.budget.check("policy analysis")
        scan.observations.extend(_policy_stage(scan.apk, index, report, options, scan.observations))
    except BudgetExceeded as exc:
        report.errors.append(ErrorItem(stage="budget", message=str(exc)))
    _listing(scan)
    _judge(scan)


def _open(path: Path, report: Report, options: ScanOptions) -> _Scan:
    """Read the container; the report gets what the manifest says (app, permissions) and what was unreadable."""
    budget = Budget(options.time_budget_s, options.memory_budget_mb)
    opened = open_package(path, ArchiveLimits())  # InputError: nothing readable at all
    sdk = opened if isinstance(opened, SdkPackage) else None
    apk = opened.apk if isinstance(opened, SdkPackage) else opened
    report.input.kind = sdk.kind if sdk else "apk"
    _errors(report, apk.problems, sdk.kind if sdk else "apk")
    report.app = _app_info(apk)
    report.permissions = _permissions(apk)
    return _Scan(report=report, options=options, budget=budget, apk=apk, sdk=sdk)


def _index_apk(scan: _Scan) -> tuple[DexIndex, SdkOf, tuple[str, ...]]:
    """The APK's DEX files as one index, and who owns each class (an SDK, a platform library, else the app)."""
    report, apk = scan.report, scan.apk
    index = DexIndex.build(_dex_blobs(apk, report, scan.budget))
    gc.freeze()
    _errors(report, index.problems, "dex")
    if not index.classes and apk.dex_names:
        report.errors.append(ErrorItem(stage="dex", message="no class could be read from the DEX files"))
    scan.budget.check("DEX indexing")
    attributor, namespaces = _attributor(apk, index)
    return index, _code_owner(attributor, PlatformAttributor()), namespaces


def _index_sdk_package(scan: _Scan, sdk: SdkPackage) -> tuple[DexIndex, SdkOf, tuple[str, ...]]:
    """An SDK package's class files as one index; its own code is the package's subject."""
    report = scan.report
    index = _jvm_index(sdk, report, scan.budget)
    scan.budget.check("class indexing")
    attributor = SdkAttributor()
    if report.app.package is None:
        report.app.package = _common_package(index)
    scan.own_subject = _own_subject(report.app.package, attributor)
    return index, _package_code_owner(attributor, scan.own_subject, PlatformAttributor()), ()


def _static_stage(scan: _Scan, index: DexIndex, sdk_of: SdkOf, namespaces: tuple[str, ...]) -> None:
    """SDKs, platform libraries, sensitive calls and every static detector's observations."""
    report, apk, budget = scan.report, scan.apk, scan.budget
    matches = _identify_sdks(apk, index, namespaces, app_package=None if scan.sdk else apk.manifest.package)
    report.sdks = _sdk_report(matches)
    ctx = _context(apk, index, sdk_of, matches)
    report.platform_libraries = [_platform_report(u) for u in _platform_uses(apk, index)]
    ctx.app_manifest = scan.sdk is None
    budget.check("call graph")
    all_hits = _outside_catalog_wrappers(find_sensitive_calls(ctx))
    # a sensitive call in code nothing reaches collects nothing: counted, never a finding
    hits = [h for h in all_hits if ctx.may_run(h.caller)]
    report.stats = Stats(methods=len(index.methods), startup_reachable_methods=len(ctx.startup.parent),
                         live_methods=len(ctx.live.parent) if ctx.app_manifest else None,
                         dead_sensitive_calls=len(all_hits) - len(hits) if ctx.app_manifest else None)
    report.sensitive_calls = [_sensitive_call_report(h) for h in hits]
    observations = scan.observations  # extended in place: a budget stop keeps what the earlier detectors saw
    observations.extend(sensitive_observations(ctx, hits))
    for detect in DETECTORS:
        budget.check(detect.__name__)
        observations.extend(detect(ctx, all_hits))  # a dead call still marks its permission as used
    # an SDK whose code is absent cannot run: what its declared components would do is not judged
    absent = {s.id for s in report.sdks if s.declared_only}
    observations[:] = [o for o in observations if o.subject not in absent]


def _sensitive_call_report(h: SensitiveHit) -> SensitiveCall:
    return SensitiveCall(pi_type=h.pi_type, api=h.api, caller=java_member(h.caller.cls, h.caller.name),
                         sdk=h.subject if is_sdk_subject(h.subject) else None, at_startup=h.at_startup,
                         via_reflection=h.via_reflection,
                         platform_library=h.subject.partition(":")[2] if is_platform_subject(h.subject) else None,
                         collects=h.collects,
                         collects_reason=f"{h.reason.en} / {h.reason.zh}" if h.reason else None)


def _listing(scan: _Scan) -> None:
    """A store listing describes an app; it needs only the manifest, so it is judged even when the budget ran out."""
    listing, report = scan.options.listing, scan.report
    if listing is None:
        return
    if scan.sdk is not None:
        report.errors.append(ErrorItem(stage="listing", message=f"{listing}: not applied: a store listing "
                                                                "describes an app, not an SDK package"))
    else:
        scan.observations.extend(_listing_stage(listing, report))


def _judge(scan: _Scan) -> None:
    """The rules over every observation: an APK's with all triggers, an SDK package's as the package's own."""
    if scan.sdk is None:
        findings = evaluate(scan.observations)
    else:
        findings = evaluate(_as_package_subject(scan.observations, scan.own_subject or LIBRARY_SUBJECT),
                            sdk_triggers())
    scan.report.findings = _name_platform_libraries(findings, scan.report)


# An SDK package's code and manifest belong to the SDK, named by its catalog id when it is a known one, else
# by its package name; with no package name at all (a JAR of unrelated packages) by this word.
LIBRARY_SUBJECT = "sdk"


@cache
def sdk_triggers() -> list[Trigger]:
    """The triggers of rules that apply to SDKs (rulebook.yaml `applies_to`): an SDK package has no launcher,
    label, icon or app privacy policy of its own, so rules about those do not judge it."""
    applies = {rule.id for rule in knowledge.rulebook().values() if "sdk" in rule.applies_to}
    return [t for t in knowledge.triggers() if t.rule in applies]


def _as_package_subject(observations: list[Observation], subject: str) -> list[Observation]:
    """In an SDK package there is no app: what the detectors say of "the app" (its manifest's permissions,
    its policy) is said of the package."""
    for obs in observations:
        if obs.subject == APP_SUBJECT:
            obs.subject = subject
    return observations


def _jvm_index(sdk: SdkPackage, report: Report, budget: Budget) -> DexIndex:
    """The package's class files as one program: classes.jar first, then libs/*.jar (the first definition of
    a class wins, as with DEX files)."""
    index = DexIndex()
    allowance = Allowance(check=budget.check)  # one for the package: its limits hold across all its JARs
    try:
        for jar in sdk.jar_names:
            index.add_parsed(read_program(jar, sdk.class_entries(jar), allowance))
            budget.check(f"reading {jar}")
    finally:  # a budget stop still reports what went wrong before it
        _errors(report, sdk.problems, sdk.kind)
        _errors(report, index.problems, "jvm")
    if not index.classes:
        report.errors.append(ErrorItem(stage="jvm", message="no class could be read from the package"))
    return index


def _common_package(index: DexIndex) -> str | None:
    """The longest package that holds every class of a JAR (None when they share none)."""
    common: list[str] | None = None
    for desc in index.classes:
        parts = descriptor_to_java(desc).split(".")[:-1]
        if common is None:
            common = parts
        else:
            n = 0
            while n < min(len(common), len(parts)) and common[n] == parts[n]:
                n += 1
            common = common[:n]
        if not common:
            return None
    return ".".join(common) if common else None


def _own_subject(package: str | None, attributor: SdkAttributor) -> str:
    if not package:
        return LIBRARY_SUBJECT
    return attributor.sdk_of(f"{package}.Any") or package


def _package_code_owner(attributor: SdkAttributor, own: str, platform: PlatformAttributor) -> SdkOf:
    """Classes of other known SDKs bundled in the package keep their SDK, platform libraries (an AAR that embeds
    AndroidX) theirs; all other code is the package's."""
    def sdk_of(class_name: str) -> str:
        return attributor.sdk_of(class_name) or platform.subject_of(class_name) or own
    return sdk_of


def _outside_catalog_wrappers(hits: list[SensitiveHit]) -> list[SensitiveHit]:
    """Leaves out the calls a platform library makes *inside* a catalog API it defines
    (FingerprintManagerCompat#authenticate calling FingerprintManager#authenticate): the call to that wrapper is
    reported where its caller makes it, with the caller's subject, so the library is not blamed a second time
    for its caller's act."""
    wrappers = api_matcher().methods
    return [h for h in hits if not (is_platform_subject(h.subject) and (h.caller.cls, h.caller.name) in wrappers)]


def _code_owner(attributor: SdkAttributor, platform: PlatformAttributor) -> SdkOf:
    """A class's subject in an APK: its third-party SDK, else its platform library (``platform:androidx.core``),
    else None (the app's own code)."""
    def sdk_of(class_name: str) -> str | None:
        return attributor.sdk_of(class_name) or platform.subject_of(class_name)
    return sdk_of


def _platform_uses(apk: Apk, index: DexIndex) -> list[PlatformUse]:
    return platform_uses(index.classes.keys(), apk.archive.names,
                         lambda name: apk.archive.read(name, max_size=4096))


def _platform_report(use: PlatformUse) -> PlatformLibraryUse:
    return PlatformLibraryUse(id=use.id, name=use.name, subject=f"platform:{use.id}", classes=use.classes,
                              versions=dict(sorted((use.versions or {}).items())))


def _name_platform_libraries(findings: list[Finding], report: Report) -> list[Finding]:
    """A finding on a platform library says which library (and version, when the APK records it) and that the
    fix is an upgrade or a different use of it, never a change to "the app's" code."""
    used = {u.subject: u for u in report.platform_libraries}
    for f in findings:
        lib = platform_library_of_subject(f.subject)
        if lib is None:
            continue
        use = used.get(f.subject)
        version = ", ".join(f"{a} {v}" for a, v in use.versions.items()) if use and use.versions else ""
        label_en = f"{lib.name} ({version})" if version else f"{lib.name} (version not recorded in the APK)"
        label_zh = f"{lib.name}（{version}）" if version else f"{lib.name}（APK 未记录版本）"
        f.evidence.insert(0, EvidenceItem(
            kind="sdk", detail=f"platform library {label_en}: the call sites are library code, not the app's own code",
            zh=f"平台库 {label_zh}：调用点位于库代码中，并非应用自身代码"))
        rule_zh, rule_en = (f.remediation.zh, f.remediation.en) if isinstance(f.remediation, Remediation) \
            else (f.remediation, f.remediation)
        f.remediation = Remediation(zh=f"{lib.upgrade_zh} {rule_zh}", en=f"{lib.upgrade_en} {rule_en}")
    return findings


def _listing_stage(listing_path: Path, report: Report) -> list[Observation]:
    from hegui.listing import ScannedFacts, listing_observations, read_listing

    try:
        listing = read_listing(listing_path)
    except InputError as exc:
        report.errors.append(ErrorItem(stage="listing", message=f"{listing_path}: {exc}"))
        return []
    scanned = ScannedFacts(permissions=tuple((p.name, p.dangerous) for p in report.permissions),
                           version_name=report.app.version_name if report.app else None)
    return listing_observations(listing, scanned)


def _trace_stage(trace_path: Path, apk: Apk, report: Report, sdk_of: SdkOf) -> list[Observation]:
    from hegui.trace import read_trace, trace_observations

    try:
        result = read_trace(trace_path)
    except InputError as exc:
        report.errors.append(ErrorItem(stage="trace", message=f"{trace_path}: {exc}"))
        return []
    _errors(report, result.errors, "trace")
    return trace_observations(result.events, sdk_of=sdk_of, app_package=apk.manifest.package,
                              dangerous_permissions=_dangerous(apk))


def _policy_stage(apk: Apk, index: DexIndex, report: Report, options: ScanOptions,
                  observations: list[Observation]) -> list[Observation]:
    """The privacy policy (named by the user, or found in the APK) read, reported and held against what the
    app does."""
    from hegui.policy.consistency import BehaviourFacts, consistency_observations

    document, source = _find_policy(apk, index, report, options)
    analysis = None
    if document is not None:
        from hegui.policy.analyse import analyse_policy

        analysis = analyse_policy(document)
    report.policy = _policy_report(analysis, source)
    category = _app_category(document, apk, report, options)
    embedded = [s for s in report.sdks if not s.declared_only]
    facts = BehaviourFacts(
        pi_types_by_subject=_collected_pi_types(observations), sdk_ids={s.id for s in embedded},
        sdk_categories={s.id: s.category or "" for s in embedded}, dangerous_permissions=_dangerous(apk),
        app_category=category,
    )
    return consistency_observations(analysis, facts, source)


def _find_policy(apk: Apk, index: DexIndex, report: Report,
                 options: ScanOptions) -> tuple[PolicyDocument | None, str | None]:
    """The policy's text and where it came from (source without text: found, e.g. a URL not fetched)."""
    from hegui import policy  # its parts load when used: a scan without a policy needs only `locate`
    from hegui.policy import locate

    document = None
    source: str | None = None
    try:
        if options.policy:
            source = options.policy  # named by the user: an unreadable one is an error, never "no policy"
            data, source = policy.load_policy_source(options.policy)
            document = policy.extract_policy(data, source)
        else:
            table = apk.resources
            # only long strings and URLs can be a policy: the others are not even decoded
            wanted = table.strings.long_or_holding(locate.MIN_STRING_POLICY_CHARS, locate.URL_MARK) \
                if table is not None and table.strings is not None else None
            candidate = locate.find_policy_in_apk(
                apk.archive.names, lambda name: apk.archive.read(name, max_size=locate.MAX_ENTRY_BYTES),
                table.string_values(wanted) if table is not None else (), index.all_strings())
            if candidate is not None:
                source = candidate.source
                if candidate.data is not None:
                    document = policy.extract_policy(candidate.data, candidate.source)
                elif candidate.url and options.fetch_policy:
                    document = policy.extract_policy(policy.fetch_found_policy(candidate.url), candidate.url)
    except InputError as exc:
        report.errors.append(ErrorItem(stage="policy", message=f"{source or options.policy}: {exc}"))
    return document, source


def _policy_report(analysis: PolicyAnalysis | None, source: str | None) -> Policy:
    out = Policy(found=source is not None, source=source)
    if analysis is not None:
        out.elements = {k: hit.present for k, hit in analysis.elements.items()}
        out.excerpts = {k: hit.excerpt for k, hit in analysis.elements.items() if hit.excerpt}
        out.declared_pi_types = sorted(analysis.declared_pi_types)
        out.declared_sdks = sorted(analysis.declared_sdks)
        out.declared_permissions = sorted(analysis.declared_permissions)
    return out


def _collected_pi_types(observations: list[Observation]) -> dict[str, set[str]]:
    """Subject → the PI types it collects, statically or in the trace."""
    out: dict[str, set[str]] = {}
    for obs in observations:
        pi_type = obs.attrs.get("pi_type")
        if obs.kind == "sensitive_call" and obs.attrs.get("collects", "yes") not in COLLECTING:
            continue  # a call that cannot or does not read the data (detect/semantics.py) collects nothing
        if isinstance(pi_type, str) and obs.kind in ("sensitive_call", "trace_pi_collection"):
            out.setdefault(obs.subject, set()).add(pi_type)
    return out


def _app_category(document: PolicyDocument | None, apk: Apk, report: Report, options: ScanOptions) -> int | None:
    """The app type of the necessary-PI rule: the user's, else inferred (and recorded in the report)."""
    from hegui.policy.category import infer_app_category

    category = options.category or infer_app_category(document, apk.label, apk.manifest.package)
    if report.app is not None and category is not None:
        report.app.app_type = category
        report.app.app_type_source = "option" if options.category else "inferred"
    return category


def _dangerous(apk: Apk) -> set[str]:
    known = knowledge.permissions()
    return {p for p in apk.manifest.uses_permissions if p in known and known[p].dangerous}


def _errors(report: Report, problems: list[str], stage: str) -> None:
    report.errors.extend(ErrorItem(stage=stage, message=p) for p in problems)


def _app_info(apk: Apk) -> AppInfo:
    m = apk.manifest
    return AppInfo(
        package=m.package, version_name=m.version_name, version_code=m.version_code, label=apk.label,
        min_sdk=m.min_sdk, target_sdk=m.target_sdk,
        signers=[Signer(sha256=s.sha256, subject=s.subject, scheme=s.scheme) for s in apk.signers],
    )


def _permissions(apk: Apk) -> list[Permission]:
    known = knowledge.permissions()
    return [
        Permission(name=p, dangerous=bool(known.get(p) and known[p].dangerous))
        for p in apk.manifest.uses_permissions
    ]


def _dex_blobs(apk: Apk, report: Report, budget: Budget) -> Iterator[tuple[str, bytes]]:
    total = 0
    for name in apk.dex_names:
        try:
            data = apk.archive.read(name, max_size=MAX_DEX_BYTES - total)
        except InputError as exc:
            report.errors.append(ErrorItem(stage="dex", message=f"{name}: {exc}"))
            continue
        total += len(data)
        budget.check(f"reading {name}")
        yield name, data


def _attributor(apk: Apk, index: DexIndex) -> tuple[SdkAttributor, tuple[str, ...]]:
    """SDK attribution that knows where the app's own code lives (its namespace can differ from the
    manifest package: `com.jiguang.jmlinkdemo` ships its code in `cn.jiguang.jmlinkdemo`)."""
    manifest = apk.manifest
    entries = [manifest.application_class, *manifest.launcher_activities()]
    namespaces = app_code_namespaces(manifest.package, entries, (descriptor_to_java(d) for d in index.classes))
    return SdkAttributor(app_package=manifest.package, app_namespaces=namespaces), namespaces


def _identify_sdks(apk: Apk, index: DexIndex, namespaces: tuple[str, ...], *,
                   app_package: str | None) -> list[SdkMatch]:
    manifest = apk.manifest
    class_names = [descriptor_to_java(d) for d in index.classes]
    component_names = [c.name for c in manifest.components]
    meta_keys = list(manifest.app_meta_data) + [k for c in manifest.components for k in c.meta_data]
    return identify_sdks(class_names, app_package=app_package, app_namespaces=namespaces,
                         component_names=component_names,
                         meta_data_keys=meta_keys, native_libs=apk.native_libs)


def _sdk_report(matches: list[SdkMatch]) -> list[Sdk]:
    catalog = sdk_catalog()
    return [
        Sdk(id=m.id, name=catalog[m.id].name, company=catalog[m.id].company, category=catalog[m.id].category,
            packages=m.packages, evidence=m.evidence, declared_only=m.declared_only)
        for m in matches
    ]


def _context(apk: Apk, index: DexIndex, sdk_of: SdkOf, matches: list[SdkMatch]) -> StaticContext:
    catalog = sdk_catalog()
    return StaticContext(apk=apk, index=index, sdk_of=sdk_of,
                         startup=startup_reachability(apk.manifest, index),
                         sdk_info={m.id: catalog[m.id] for m in matches if not m.declared_only},
                         wanted_calls=wanted_call_keys())
