"""The Frida agent: it compiles with frida's compiler, and its event formatting (run under node with fake
inputs) produces lines the trace schema and hegui's trace reader accept."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from tracekit import APP

from hegui import knowledge
from hegui.trace import read_trace
from hegui.trace.apis import api_index, hook_specs
from hegui.trace.capture import AGENT_DIR, AGENT_FILES, CaptureError, compile_agent

SCHEMA = AGENT_DIR.parent / "trace.schema.json"
NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed")

JAVA_STACK = "\n".join([
    "java.lang.Throwable",
    "\tat android.telephony.TelephonyManager.getDeviceId(Native Method)",
    "\tat com.umeng.commonsdk.statistics.common.DeviceConfig.getImeiNew(DeviceConfig.java:287)",
    "\tat com.umeng.commonsdk.UMConfigure.init(UMConfigure.java:486)",
    "\tat com.demoshop.mall.MallApplication.onCreate(MallApplication.java:58)",
])

DRIVER = """
import * as f from %(module)s;
const config = %(config)s;
const stack = f.stackFromTrace(%(java_stack)s, "android.telephony.TelephonyManager.getDeviceId");
const values = new f.ValueIndex(config.placeholders, config.min_length);
values.record("866123045678912", ["imei"]);
values.record("02:00:00:00:00:00", ["mac_address"]);
values.record("9774d56d682e549c", ["android_id"]);
values.record(39.904211, ["location_precise"]);
values.record("C4:6A:B7:12:9F:3E", ["mac_address"]);
const events = [
  f.apiEvent({ t: 318.4, api: "android.telephony.TelephonyManager#getDeviceId", stack, foreground: true,
               foregroundService: false, pid: 8123, thread: "main" }),
  f.apiEvent({ t: 321, api: "android.provider.Settings$Secure#getString", stack, foreground: true,
               args: f.formatArgs([{ toString() { return "resolver@1"; } }, "android_id", null, 7]),
               error: "java.lang.SecurityException: denied" }),
  f.apiEvent({ t: 5120, api: "android.content.Context#startService", stack, targetPackage: "com.example.videoapp",
               userAction: false }),
  f.consentEvent(3012, f.consentStateForClick("同意并继续", false, config.agree, config.refuse), "click"),
  f.consentEvent(3013, "refused", "tester"),
  f.permissionRequestEvent(1920, ["android.permission.CAMERA", "android.permission.READ_PHONE_STATE"], stack, false),
  ...f.permissionResultEvents(4310, ["android.permission.CAMERA", "android.permission.READ_PHONE_STATE"], [0, -1]),
  f.launchEvent(0, f.classifyLaunch({ componentType: "receiver", action: "android.intent.action.BOOT_COMPLETED",
                                      ownPackage: config.pkg }), "com.demoshop.mall/cn.jpush.android.service.PushReceiver"),
  f.networkEvent(1480, f.hostFromUrl("https://ULOGS.umeng.com:443/unify_logs?imei=866123045678912"),
                 values.find("https://ulogs.umeng.com/unify_logs?imei=866123045678912&lat=39.90421188"), stack,
                 { via: "okhttp", port: 443, pid: 8123 }),
  f.exitEvent(6720, "Runtime.exit(0)"),
];
const checks = {
  stack,
  clicks: [["不同意", false], ["同意", false], ["我已阅读并同意《隐私政策》", false], ["同意", true], ["Agree", false],
           ["下一步", false]].map(([text, checkable]) => f.consentStateForClick(text, checkable, config.agree, config.refuse)),
  launches: [
    { componentType: "activity", action: "android.intent.action.MAIN", categories: ["android.intent.category.LAUNCHER"] },
    { componentType: "activity", action: "android.intent.action.VIEW", referrer: "com.tencent.mm" },
    { componentType: "service", caller: "com.example.newsreader" },
    { componentType: "service", caller: config.pkg },
    { componentType: "receiver", action: "android.net.conn.CONNECTIVITY_CHANGE", sender: "com.example.pushhub" },
    { componentType: "service", startReason: "JOB" },
  ].map((facts) => f.classifyLaunch({ ownPackage: config.pkg, ...facts })),
  payload_none: values.find("https://api.demoshop.com/cart?mac=02:00:00:00:00:00"),
  payload_encoded: values.find("mac=C4%%3A6A%%3AB7%%3A12%%3A9F%%3A3E&ssaid=9774d56d682e549c"),
  mac: f.macFromBytes([196, 106, 183, 18, 159, 62]),
  context: %(context_cases)s.map((args) => f.matchesContext(args, %(query_context)s)),
};
console.log(JSON.stringify({ events, checks }));
"""

CONTEXT_CASES = [
    ["content://com.android.contacts/data/phones", "null"],
    ["content://sms/inbox"],
    ["content://com.demoshop.mall.cart/items"],
    ["content://media/external/images/media", "_id"],
]


@pytest.fixture(scope="module")
def node_run(tmp_path_factory) -> dict:
    if NODE is None:
        pytest.skip("node is not installed")
    from hegui.trace.apis import trace_knowledge

    tk = trace_knowledge()
    (query,) = [s for s in hook_specs() if s["api"] == "android.content.ContentResolver#query"]
    driver = tmp_path_factory.mktemp("agent") / "driver.mjs"
    driver.write_text(DRIVER % {
        "module": json.dumps((AGENT_DIR / "format.js").as_uri()),
        "config": json.dumps({"pkg": APP, "agree": list(tk.consent_texts), "refuse": list(tk.refusal_texts),
                              "placeholders": sorted(tk.placeholder_values), "min_length": tk.min_value_length}),
        "java_stack": json.dumps(JAVA_STACK),
        "context_cases": json.dumps(CONTEXT_CASES),
        "query_context": json.dumps(query["context"]),
    }, encoding="utf-8")
    done = subprocess.run([NODE, str(driver)], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@needs_node
def test_every_agent_file_passes_node_syntax_check():
    for name in AGENT_FILES:
        if name.endswith(".js"):
            done = subprocess.run([NODE, "--check", str(AGENT_DIR / name)], capture_output=True, text=True, timeout=60,
                                  check=False)
            assert done.returncode == 0, f"{name}: {done.stderr}"


def test_the_agent_compiles_with_fridas_compiler(tmp_path: Path):
    frida = pytest.importorskip("frida")
    for name in AGENT_FILES:
        shutil.copyfile(AGENT_DIR / name, tmp_path / name)
    # The Java bridge is an npm package fetched at capture time; here it stays an external import so the
    # build needs no network, and everything hegui wrote is bundled and checked.
    bundle = compile_agent(frida, tmp_path, externals=("frida-java-bridge",))
    assert 'from "frida-java-bridge"' in bundle
    assert "function createAgent(" in bundle and "function classifyLaunch(" in bundle


def test_a_syntax_error_in_the_agent_is_a_one_line_capture_error(tmp_path: Path):
    frida = pytest.importorskip("frida")
    for name in AGENT_FILES:
        shutil.copyfile(AGENT_DIR / name, tmp_path / name)
    (tmp_path / "format.js").write_text("export function broken( {\n", encoding="utf-8")
    with pytest.raises(CaptureError) as err:
        compile_agent(frida, tmp_path, externals=("frida-java-bridge",))
    assert str(err.value) == ("agent does not compile: compilation failed "
                              "(format.js:2: Expected identifier but found end of file)")


def test_events_formatted_by_the_agent_are_valid_against_the_trace_schema(node_run):
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))
    assert len(node_run["events"]) == 11
    for event in node_run["events"]:
        errors = list(validator.iter_errors(event))
        assert not errors, f"{event['kind']}: {errors[0].message}"


def test_events_formatted_by_the_agent_are_read_back_without_error(node_run, tmp_path: Path):
    trace = tmp_path / "agent.trace.jsonl"
    trace.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in node_run["events"]), encoding="utf-8")
    result = read_trace(trace)
    assert result.errors == []
    assert [e.kind for e in result.events] == ["api", "api", "api", "consent", "consent", "permission_request",
                                               "permission_result", "permission_result", "launch", "network",
                                               "app_exit"]
    first = result.events[0].data
    assert (first["t"], first["foreground"], first["pid"]) == (318, True, 8123)
    assert result.events[1].data["args"] == ["resolver@1", "android_id", "null", "7"]
    assert [(e.data["permission"], e.data["granted"]) for e in result.events[6:8]] == [
        ("android.permission.CAMERA", True), ("android.permission.READ_PHONE_STATE", False)]
    assert result.events[8].data["by"] == "boot"
    network = result.events[9].data
    assert (network["host"], network["payload_pi_types"]) == ("ulogs.umeng.com", ["imei", "location_precise"])


def test_the_agent_stack_starts_below_the_hooked_method(node_run):
    assert node_run["checks"]["stack"] == [
        "com.umeng.commonsdk.statistics.common.DeviceConfig.getImeiNew(DeviceConfig.java:287)",
        "com.umeng.commonsdk.UMConfigure.init(UMConfigure.java:486)",
        "com.demoshop.mall.MallApplication.onCreate(MallApplication.java:58)"]


def test_consent_taps_are_recognised_refusal_first_and_never_on_checkboxes_or_paragraphs(node_run):
    assert node_run["checks"]["clicks"] == ["refused", "agreed", None, None, "agreed", None]


def test_process_start_causes_are_classified(node_run):
    assert [(c["by"], c["userInitiated"]) for c in node_run["checks"]["launches"]] == [
        ("self", True), ("other_app", True), ("other_app", False), ("self", False), ("other_app", False),
        ("self", False)]


def test_payload_matching_ignores_placeholders_and_finds_url_encoded_values(node_run):
    assert node_run["checks"]["payload_none"] == []
    assert node_run["checks"]["payload_encoded"] == ["android_id", "mac_address"]
    assert node_run["checks"]["mac"] == "c4:6a:b7:12:9f:3e"


def test_the_agent_and_the_judge_agree_on_which_queries_read_pi(node_run):
    index = api_index()
    judged = [bool(index.resolve("android.content.ContentResolver#query", args, APP)) for args in CONTEXT_CASES]
    assert node_run["checks"]["context"] == judged == [True, True, False, True]


def test_the_hook_list_is_generated_from_every_catalog_method_api():
    specs = hook_specs()
    catalog = {api.split("(")[0] for pi in knowledge.pi_types().values() for api in pi.apis if "#" in api}
    assert {s["api"] for s in specs} == catalog
    assert len(specs) == len(catalog)
    (init,) = [s for s in specs if s["api"] == "android.media.AudioRecord#<init>"]
    assert (init["class"], init["method"], init["pi_types"]) == ("android.media.AudioRecord", "$init", ["microphone"])
    (device_id,) = [s for s in specs if s["api"] == "android.telephony.TelephonyManager#getDeviceId"]
    assert device_id["pi_types"] == ["imei", "meid"] and device_id["context"] == []
