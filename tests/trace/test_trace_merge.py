"""Static and runtime evidence of the same rule and subject make one finding carrying both."""

from __future__ import annotations

from tracekit import observe, report_of

from hegui.model import Evidence, Observation
from hegui.rules.engine import evaluate


def test_a_static_call_and_a_traced_call_merge_into_one_finding_with_both_evidence_kinds(report_validator):
    static = Observation(
        kind="sensitive_call", subject="umeng",
        evidence=[Evidence("call", "com.umeng.commonsdk.statistics.common.DeviceConfig#getImeiNew calls "
                                   "android.telephony.TelephonyManager#getDeviceId")],
        attrs={"pi_type": "imei", "api": "android.telephony.TelephonyManager#getDeviceId", "at_startup": True,
               "via_reflection": False, "sensitivity": "personal", "resettable": False,
               "category": "device_identifier"},
    )
    found = evaluate([static, *observe("umeng_before_consent.trace.jsonl")])
    report_validator(report_of(found))
    merged = [f for f in found if f.rule_id == "PI-SDK-COLLECT-BEFORE-CONSENT" and f.subject == "umeng"]
    assert len(merged) == 1
    assert [e.kind for e in merged[0].evidence] == ["call", "trace", "trace", "trace"]
    assert merged[0].severity == "critical"
