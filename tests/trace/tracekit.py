"""Helpers of the runtime-trace tests: recorded traces in tests/data/traces, an SDK attributor, a report."""

from __future__ import annotations

from pathlib import Path

from hegui import __version__, knowledge
from hegui.report.model import InputInfo, Report, Tool
from hegui.rules.engine import evaluate
from hegui.trace import read_trace, trace_observations

TRACES = Path(__file__).resolve().parent.parent / "data" / "traces"
APP = "com.demoshop.mall"
# SDK package prefixes as hegui's SDK knowledge names them (real packages of these SDKs).
SDK_PREFIXES = {"com.umeng": "umeng", "cn.jpush": "jpush", "cn.jiguang": "jpush", "com.amap.api": "amap",
                "com.bytedance.sdk.openadsdk": "pangle"}
SDK_HOSTS = {"umeng.com": "umeng", "jpush.cn": "jpush", "amap.com": "amap"}


def sdk_of(class_name: str) -> str | None:
    for prefix, sdk in SDK_PREFIXES.items():
        if class_name == prefix or class_name.startswith(prefix + "."):
            return sdk
    return None


def dangerous() -> set[str]:
    return {name for name, info in knowledge.permissions().items() if info.dangerous}


def observe(name: str, **kwargs):
    result = read_trace(TRACES / name)
    assert result.errors == [], result.errors
    return trace_observations(result.events, sdk_of=sdk_of, app_package=APP, dangerous_permissions=dangerous(),
                              declared_sdk_hosts=SDK_HOSTS, **kwargs)


def findings(name: str, **kwargs):
    return evaluate(observe(name, **kwargs))


def rules(found) -> set[tuple[str, str]]:
    return {(f.rule_id, f.subject) for f in found}


def report_of(found) -> dict:
    report = Report(tool=Tool(version=__version__), input=InputInfo(path="trace", sha256="0" * 64, size=0),
                    findings=found)
    return report.model_dump(mode="json")

