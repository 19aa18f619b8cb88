"""Turning a runtime trace into observations the rule engine judges (`knowledge/rules/trace.yaml`).

Time is judged against the consent timeline: before the first consent event (or with none at all) an event
is ``before_consent``; after a refusal and until an agreement it is ``after_refusal``. Numbers (re-request
cooldown, exit window, collection rate, start-up window) come from `knowledge/thresholds.yaml`.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hegui import knowledge
from hegui.model import APP_SUBJECT, Evidence, Observation, said
from hegui.trace.apis import api_index, base_api, trace_knowledge
from hegui.trace.attribution import Frame, caller_frames, describe_frames, subject_of
from hegui.trace.reader import TraceEvent

MAX_HOST_CHARS = 253


@dataclass(frozen=True, slots=True)
class TraceLimits:
    """The thresholds the trace rules use; `from_catalog()` reads them, tests and callers may override."""

    rerequest_cooldown_ms: int
    rerequest_max_prompts: int
    exit_window_ms: int
    startup_window_ms: int
    reads_per_minute: float
    rate_window_minutes: float

    @classmethod
    def from_catalog(cls) -> TraceLimits:
        th = knowledge.thresholds()
        cooldown = th["permission_rerequest_cooldown"]
        rate = th["silent_collection_rate"]["value"]
        return cls(
            rerequest_cooldown_ms=int(_to_ms(cooldown["value"], cooldown["unit"])),
            rerequest_max_prompts=int(cooldown["max_prompts"]),
            exit_window_ms=int(_to_ms(th["exit_after_refusal_window"]["value"], th["exit_after_refusal_window"]["unit"])),
            startup_window_ms=int(_to_ms(th["permission_startup_window"]["value"], th["permission_startup_window"]["unit"])),
            reads_per_minute=float(rate["same_pi_reads_per_minute"]),
            rate_window_minutes=float(rate["window_minutes"]),
        )


def _to_ms(value: float, unit: str) -> float:
    factor = {"seconds": 1000, "minutes": 60_000, "hours": 3_600_000, "days": 86_400_000}.get(unit)
    if factor is None:
        raise ValueError(f"threshold unit {unit!r} is not a duration")
    return float(value) * factor


def short_api(api: str) -> str:
    """``android.telephony.TelephonyManager#getDeviceId`` → ``TelephonyManager#getDeviceId``."""
    cls, _, method = base_api(api).partition("#")
    return f"{cls.rsplit('.', 1)[-1]}#{method}" if method else cls


# ---- the consent timeline ------------------------------------------------------------------------------

@dataclass(slots=True)
class ConsentTimeline:
    times: list[int] = field(default_factory=list)
    states: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, events: Iterable[TraceEvent]) -> ConsentTimeline:
        tl = cls()
        for ev in events:
            if ev.kind == "consent":
                tl.times.append(ev.t)
                tl.states.append(ev.data["state"])
        return tl

    def phase(self, t: int) -> str:
        i = bisect.bisect_right(self.times, t) - 1
        if i < 0:
            return "before_consent"
        return "after_consent" if self.states[i] == "agreed" else "after_refusal"

    def next_agreement(self, t: int) -> int | None:
        for ct, state in zip(self.times, self.states, strict=True):
            if ct > t and state == "agreed":
                return ct
        return None

    def last_refusal(self, t: int) -> int | None:
        i = bisect.bisect_right(self.times, t) - 1
        return self.times[i] if i >= 0 and self.states[i] == "refused" else None

    def facts(self, t: int) -> dict[str, object]:
        """The consent clause of an evidence line (templates trace_*: consent_at, no_consent_recorded, refused_at)."""
        phase = self.phase(t)
        if phase == "before_consent":
            nxt = self.next_agreement(t)
            return {"consent_at": nxt} if nxt is not None else {"no_consent_recorded": "yes"}
        if phase == "after_refusal":
            return {"refused_at": self.last_refusal(t)}
        return {}


# ---- helpers ---------------------------------------------------------------------------------------------

def _strs(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _opt_bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _registrable(labels: Sequence[str]) -> str:
    """Last two labels, or three under a second-level public suffix (``com.cn``, ``co.uk``)."""
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in trace_knowledge().second_level_labels:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def app_domain(app_package: str | None) -> str | None:
    """``com.demo.shop`` → ``demo.com``: the domain an app's own servers are most likely under."""
    if not app_package or "." not in app_package:
        return None
    return _registrable(list(reversed(app_package.lower().split("."))))


def host_owner(host: str, app_package: str | None, sdk_hosts: dict[str, str]) -> str:
    host = host.lower().rstrip(".")
    labels = host.split(".")
    for i in range(len(labels) - 1):
        owner = sdk_hosts.get(".".join(labels[i:]))
        if owner:
            return owner
    own = app_domain(app_package)
    if own and len(labels) >= 2 and _registrable(labels) == own:
        return APP_SUBJECT
    return "unknown"


def _evidence(template: str, **facts: object) -> list[Evidence]:
    return [said("trace", template, **facts)]


# ---- sensitive calls -------------------------------------------------------------------------------------

@dataclass(slots=True)
class _CallGroup:
    subject: str
    api: str
    frames: list[Frame]
    phase: str
    foreground: bool | None
    foreground_service: bool | None
    denied: tuple[str, int] | None
    pi_types: list[str]
    first_t: int
    last_t: int = 0
    count: int = 0
    threw: int = 0


class _Denials:
    """Runtime permissions currently refused, and which PI types each one covers."""

    def __init__(self) -> None:
        self.refused: dict[str, int] = {}
        self.perm_pi = {name: set(info.pi_types) for name, info in knowledge.permissions().items()}

    def update(self, ev: TraceEvent) -> None:
        perm = ev.data["permission"]
        if ev.data["granted"]:
            self.refused.pop(perm, None)
        else:
            self.refused.setdefault(perm, ev.t)

    def covering(self, pi_types: Sequence[str]) -> tuple[str, int] | None:
        for perm, t in self.refused.items():
            if self.perm_pi.get(perm, set()) & set(pi_types):
                return perm, t
        return None


def _collection_observations(groups: Iterable[_CallGroup], consent: ConsentTimeline) -> list[Observation]:
    out: list[Observation] = []
    for g in groups:
        evidence = _evidence(
            "trace_collection", t=g.first_t, api=short_api(g.api), pi_types=list(g.pi_types),
            background="yes" if g.foreground is False and not g.foreground_service else None,
            denied=g.denied[0].rsplit(".", 1)[-1] if g.denied else None, denied_t=g.denied[1] if g.denied else None,
            frames=describe_frames(g.frames) if g.frames else None, count=g.count,
            last_t=g.last_t if g.count > 1 else None, all_threw="yes" if g.threw == g.count else None,
            **consent.facts(g.first_t))
        out.append(Observation(
            kind="trace_pi_collection", subject=g.subject, evidence=evidence,
            attrs={"api": base_api(g.api), "pi_type": list(g.pi_types), "phase": g.phase,
                   "foreground": g.foreground, "foreground_service": bool(g.foreground_service),
                   "after_permission_denial": g.denied is not None,
                   "denied_permission": g.denied[0] if g.denied else None,
                   "count": g.count, "first_t": g.first_t, "threw": g.threw == g.count},
        ))
    return out


def _rate_observations(reads: dict[tuple[str, str, bool], list[int]], limits: TraceLimits) -> list[Observation]:
    out: list[Observation] = []
    window_ms = int(limits.rate_window_minutes * 60_000)
    allowed = limits.reads_per_minute * limits.rate_window_minutes
    for (subject, pi_type, foreground), times in reads.items():
        times.sort()
        best, best_start, lo = 0, 0, 0
        for hi, t in enumerate(times):
            while t - times[lo] >= window_ms:
                lo += 1
            if hi - lo + 1 > best:
                best, best_start = hi - lo + 1, times[lo]
        if best <= allowed:
            continue
        evidence = _evidence("trace_collect_rate", t=best_start, reads=best, pi_type=pi_type,
                             where="foreground" if foreground else "background",
                             window=f"{limits.rate_window_minutes:g}", limit=f"{limits.reads_per_minute:g}")
        out.append(Observation(
            kind="trace_collect_rate", subject=subject, evidence=evidence,
            attrs={"pi_type": pi_type, "foreground": foreground, "reads": best,
                   "window_minutes": limits.rate_window_minutes, "exceeds_limit": True},
        ))
    return out


# ---- the entry point -------------------------------------------------------------------------------------

def trace_observations(
    events: list[TraceEvent], *, sdk_of: Callable[[str], str | None], app_package: str | None,
    dangerous_permissions: set[str], declared_sdk_hosts: dict[str, str] | None = None,
    limits: TraceLimits | None = None,
) -> list[Observation]:
    """Observations of one recorded trace (see the kinds documented in `knowledge/rules/trace.yaml`)."""
    limits = limits or TraceLimits.from_catalog()
    sdk_hosts = {k.lower().rstrip("."): v for k, v in (declared_sdk_hosts or {}).items()}
    walk = _TraceWalk(sorted(events, key=lambda e: (e.t, e.line)), sdk_of=sdk_of, app_package=app_package,
                      dangerous=dangerous_permissions, sdk_hosts=sdk_hosts, limits=limits)
    return walk.run()


class _TraceWalk:
    """One pass over a trace's events in time order. Each kind of event has its handler; what a later event is
    judged against (refusals in force, the last launch, calls grouped so far) is the walk's state."""

    def __init__(self, ordered: list[TraceEvent], *, sdk_of: Callable[[str], str | None], app_package: str | None,
                 dangerous: set[str], sdk_hosts: dict[str, str], limits: TraceLimits) -> None:
        self.ordered = ordered
        self.sdk_of = sdk_of
        self.app_package = app_package
        self.dangerous = dangerous
        self.sdk_hosts = sdk_hosts
        self.limits = limits
        self.tk = trace_knowledge()
        self.index = api_index()
        self.pi_info = knowledge.pi_types()
        self.consent = ConsentTimeline.of(ordered)
        self.denials = _Denials()
        self.out: list[Observation] = []
        self.groups: dict[tuple[Any, ...], _CallGroup] = {}
        self.reads: dict[tuple[str, str, bool], list[int]] = {}
        self.refusals: dict[str, int] = {}           # permission -> time of the refusal now in force
        self.reprompts: dict[str, list[int]] = {}    # permission -> times of automatic prompts since that refusal
        self.last_launch_t = 0
        self.startup_groups: set[str] = set()

    def run(self) -> list[Observation]:
        handlers: dict[str, Callable[[TraceEvent], None]] = {
            "api": self._on_api, "permission_result": self._on_permission_result,
            "permission_request": self._on_permission_request, "app_exit": self._on_app_exit,
            "launch": self._on_launch, "network": self._on_network,
        }
        for ev in self.ordered:
            handler = handlers.get(ev.kind)
            if handler is not None:
                handler(ev)
        self.out[:0] = _collection_observations(self.groups.values(), self.consent)
        self.out.extend(_rate_observations(self.reads, self.limits))
        return self.out

    def _frames(self, ev: TraceEvent, api: str | None = None) -> list[Frame]:
        return caller_frames(_strs(ev.data.get("stack")), self.tk.framework_prefixes, api)

    def _on_api(self, ev: TraceEvent) -> None:
        api = ev.data["api"]
        name = base_api(api)
        frames = self._frames(ev, api)
        subject = subject_of(frames, self.sdk_of)
        target = ev.data.get("target_package")
        if name in self.tk.associated_start_apis and isinstance(target, str) and target != self.app_package:
            self._associated_start(ev, name, target, frames, subject)
            return
        pis = self.index.resolve(api, _strs(ev.data.get("args")), self.app_package)
        if pis:
            self._collection(ev, name, pis, frames, subject)

    def _associated_start(self, ev: TraceEvent, name: str, target: str, frames: list[Frame], subject: str) -> None:
        evidence = _evidence("trace_associated_start", t=ev.t, api=short_api(name), target=target,
                             frames=describe_frames(frames) if frames else None)
        self.out.append(Observation(
            kind="trace_associated_start", subject=subject, evidence=evidence,
            attrs={"api": name, "target_package": target, "phase": self.consent.phase(ev.t),
                   "user_action": _opt_bool(ev.data.get("user_action"))},
        ))

    def _collection(self, ev: TraceEvent, name: str, pis: Sequence[str], frames: list[Frame], subject: str) -> None:
        """A PI-reading call: grouped with its like (same caller, phase, state), counted for the rate check."""
        data = ev.data
        fg, fgs = _opt_bool(data.get("foreground")), _opt_bool(data.get("foreground_service"))
        phase = self.consent.phase(ev.t)
        denied = self.denials.covering(pis)
        key = (subject, name, frames[0] if frames else None, phase, fg, fgs, denied)
        group = self.groups.get(key)
        if group is None:
            group = self.groups[key] = _CallGroup(subject, name, frames, phase, fg, fgs, denied, list(pis), ev.t)
        group.count += 1
        group.last_t = ev.t
        group.threw += 1 if isinstance(data.get("error"), str) else 0
        background = fg is False and not fgs
        for pi in pis:
            category = self.pi_info[pi].category if pi in self.pi_info else ""
            if background or (fg is not False and category in self.tk.frequency_foreground_categories):
                self.reads.setdefault((subject, pi, not background), []).append(ev.t)

    def _on_permission_result(self, ev: TraceEvent) -> None:
        self.denials.update(ev)
        perm = ev.data["permission"]
        if ev.data["granted"]:
            self.refusals.pop(perm, None)
        else:
            self.refusals[perm] = ev.t
            self.reprompts[perm] = []

    def _on_permission_request(self, ev: TraceEvent) -> None:
        self.out.extend(_permission_request(ev, self._frames(ev), self.sdk_of, self.dangerous, self.consent,
                                            self.limits, self.last_launch_t, self.startup_groups))
        self.out.extend(_rerequests(ev, self.refusals, self.reprompts, self.limits))

    def _on_app_exit(self, ev: TraceEvent) -> None:
        recent = [(t, p) for p, t in self.refusals.items() if 0 <= ev.t - t <= self.limits.exit_window_ms]
        if not recent:
            return
        t_ref, perm = max(recent)
        secs = (ev.t - t_ref) / 1000
        evidence = _evidence("trace_exit_after_refusal", t=ev.t, seconds=f"{secs:g}", permission=perm,
                             permission_name=perm.rsplit(".", 1)[-1], refused_t=t_ref)
        self.out.append(Observation(kind="trace_exit_after_refusal", evidence=evidence,
                                    attrs={"permission": perm, "seconds_after_refusal": secs}))

    def _on_launch(self, ev: TraceEvent) -> None:
        self.last_launch_t = ev.t
        self.startup_groups = set()
        self.out.append(_launch(ev))

    def _on_network(self, ev: TraceEvent) -> None:
        obs = _transmission(ev, self._frames(ev), self.sdk_of, self.app_package, self.sdk_hosts, self.consent)
        if obs:
            self.out.append(obs)


def _permission_request(
    ev: TraceEvent, frames: list[Frame], sdk_of: Callable[[str], str | None], dangerous: set[str],
    consent: ConsentTimeline, limits: TraceLimits, last_launch_t: int, startup_groups: set[str],
) -> list[Observation]:
    tk = trace_knowledge()
    perms = _strs(ev.data["permissions"])
    risky = [p for p in perms if p in dangerous]
    groups = {tk.permission_group.get(p, p) for p in risky}
    user_action = _opt_bool(ev.data.get("user_action")) is True
    at_startup = not user_action and ev.t - last_launch_t <= limits.startup_window_ms
    if at_startup:
        startup_groups |= groups  # shared with the caller: accumulates until the next launch
    phase = consent.phase(ev.t)
    evidence = _evidence("trace_permission_prompt", t=ev.t, permission_names=[p.rsplit(".", 1)[-1] for p in perms[:12]],
                         after_start=f"{(ev.t - last_launch_t) / 1000:g}" if at_startup else None,
                         frames=describe_frames(frames) if frames else None, **consent.facts(ev.t))
    return [Observation(
        kind="trace_permission_request", subject=subject_of(frames, sdk_of), evidence=evidence,
        attrs={"permissions": perms, "dangerous_count": len(risky), "dangerous_groups": len(groups),
               "startup_groups": len(startup_groups) if at_startup else 0, "at_startup": at_startup,
               "before_consent": phase == "before_consent", "user_action": user_action},
    )]


def _rerequests(ev: TraceEvent, refusals: dict[str, int], reprompts: dict[str, list[int]],
                limits: TraceLimits) -> list[Observation]:
    out: list[Observation] = []
    user_action = _opt_bool(ev.data.get("user_action")) is True
    for perm in _strs(ev.data["permissions"]):
        t_ref = refusals.get(perm)
        if t_ref is None or ev.t < t_ref or ev.t - t_ref > limits.rerequest_cooldown_ms:
            continue
        if not user_action:  # a prompt the user started by tapping a feature is exempt (GB/T 42574 9.5 c) 注2)
            reprompts[perm].append(ev.t)
        prompts = 1 + len(reprompts[perm])
        secs = (ev.t - t_ref) / 1000
        within_exit = not user_action and ev.t - t_ref <= limits.exit_window_ms
        exceeds = not user_action and prompts > limits.rerequest_max_prompts
        evidence = _evidence("trace_permission_rerequest", t=ev.t, permission=perm,
                             permission_name=perm.rsplit(".", 1)[-1], seconds=f"{secs:g}", refused_t=t_ref,
                             prompts=prompts, hours=limits.rerequest_cooldown_ms // 3_600_000,
                             user_action="yes" if user_action else None)
        out.append(Observation(
            kind="trace_permission_rerequest", evidence=evidence,
            attrs={"permission": perm, "seconds_after_refusal": secs, "prompts_in_window": prompts,
                   "exceeds_limit": exceeds, "within_exit_window": within_exit, "user_action": user_action},
        ))
    return out


def _launch(ev: TraceEvent) -> Observation:
    by = ev.data["by"]
    user = _opt_bool(ev.data.get("user_initiated"))
    if user is None:
        user = by == "self"  # the contract's "self" is the ordinary start; boot and other apps are not the user
    component = ev.data.get("component") or "?"
    evidence = _evidence("trace_launch", t=ev.t, by=by, component=component,
                         no_user_action="yes" if not user and by == "self" else None)
    return Observation(kind="trace_launch", evidence=evidence,
                       attrs={"by": by, "component": ev.data.get("component"), "user_initiated": user})


def _transmission(ev: TraceEvent, frames: list[Frame], sdk_of: Callable[[str], str | None],
                  app_package: str | None, sdk_hosts: dict[str, str], consent: ConsentTimeline) -> Observation | None:
    pis = sorted(set(_strs(ev.data.get("payload_pi_types"))))
    if not pis:
        return None
    host = ev.data["host"][:MAX_HOST_CHARS]
    owner = host_owner(host, app_package, sdk_hosts)
    subject = subject_of(frames, sdk_of)
    if subject == APP_SUBJECT and owner not in (APP_SUBJECT, "unknown"):
        subject = owner  # SDK network threads often carry no SDK frame; the SDK's own host does
    phase = consent.phase(ev.t)
    evidence = _evidence("trace_transmission", t=ev.t, pi_types=pis, host=host,
                         own_host="yes" if owner == APP_SUBJECT else None,
                         third_party_host="yes" if owner == "unknown" else None,
                         sdk=owner if owner not in (APP_SUBJECT, "unknown") else None,
                         frames=describe_frames(frames) if frames else None, **consent.facts(ev.t))
    return Observation(
        kind="trace_pi_transmission", subject=subject, evidence=evidence,
        attrs={"host": host, "payload_pi_types": pis, "host_owner": owner, "first_party": owner == APP_SUBJECT,
               "phase": phase},
    )
