"""Knowledge files are checked when they load: a typo is an error naming the file and the entry, never a rule
silently switched on or off (issue 15's experiments: `wher:`, `pi_typ:`, `observation: sensitive_calls`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from hegui import knowledge
from hegui.knowledge import KnowledgeError
from hegui.knowledge.schema import check, knowledge_files, schema_for
from hegui.knowledge.schema_rules import TraceTriggerFile, TriggerFile
from knowledgekit import PACKAGE

# the start of the PI-CLIPBOARD-READ trigger, up to its pi_type value (other filters may follow it)
CLIPBOARD = "  - rule: PI-CLIPBOARD-READ\n    observation: sensitive_call\n    where: {pi_type: clipboard"
# where PI-CLIPBOARD-READ sits among the triggers of rules/static.yaml (the messages name the index)
CLIPBOARD_INDEX = next(i for i, t in enumerate(yaml.safe_load(
    (Path(__file__).resolve().parents[2] / "src/hegui/knowledge/rules/static.yaml").read_text(encoding="utf-8"))["triggers"])
    if t["rule"] == "PI-CLIPBOARD-READ")


def _load_error(load_from: Callable[[Path], None], root: Path) -> list[str]:
    load_from(root)
    with pytest.raises(KnowledgeError) as caught:
        knowledge.triggers()
    return caught.value.messages


def test_hegui_own_knowledge_passes_every_check() -> None:
    assert check() == []


def test_every_knowledge_file_has_a_registered_schema() -> None:
    assert [name for name in knowledge_files(PACKAGE) if schema_for(name) is None] == []


def test_a_new_trigger_file_gets_the_trigger_schema_and_trace_yaml_its_own() -> None:
    assert (schema_for("rules/harmony.yaml"), schema_for("rules/trace.yaml")) == (TriggerFile, TraceTriggerFile)


def test_a_misspelt_where_fails_at_load_naming_file_trigger_and_the_expected_keys(edited, load_from) -> None:
    root = edited("rules/static.yaml", CLIPBOARD, CLIPBOARD.replace("where:", "wher:"))
    assert _load_error(load_from, root) == [
        f"knowledge/rules/static.yaml: triggers[{CLIPBOARD_INDEX}] (PI-CLIPBOARD-READ): unknown key 'wher' "
        "(expected: observation, rule, severity, where)"]


def test_a_misspelt_attribute_fails_at_load_listing_the_kinds_attributes(edited, load_from) -> None:
    root = edited("rules/static.yaml", CLIPBOARD, CLIPBOARD.replace("pi_type:", "pi_typ:"))
    attrs = ", ".join(knowledge.load_yaml("observations.yaml")["observations"]["sensitive_call"]["attrs"])
    assert attrs.startswith("pi_type, api, at_startup, via_reflection, sensitivity, resettable, category")
    assert _load_error(load_from, root) == [
        f"knowledge/rules/static.yaml: triggers[{CLIPBOARD_INDEX}] (PI-CLIPBOARD-READ): where: sensitive_call has "
        f"no attribute 'pi_typ' (expected: subject, {attrs})"]


def test_a_misspelt_observation_kind_fails_at_load_with_the_near_kind(edited, load_from) -> None:
    root = edited("rules/static.yaml", CLIPBOARD, CLIPBOARD.replace("sensitive_call", "sensitive_calls"))
    assert _load_error(load_from, root) == [
        f"knowledge/rules/static.yaml: triggers[{CLIPBOARD_INDEX}] (PI-CLIPBOARD-READ): unknown observation kind "
        "'sensitive_calls' (observations.yaml); did you mean 'sensitive_call'?"]


def test_a_misspelt_value_of_a_vocabulary_attribute_fails(edited, load_from) -> None:
    root = edited("rules/static.yaml", CLIPBOARD, CLIPBOARD.replace("clipboard", "clipbord"))
    [message] = _load_error(load_from, root)
    assert message.startswith(f"knowledge/rules/static.yaml: triggers[{CLIPBOARD_INDEX}] (PI-CLIPBOARD-READ): "
                              "where.pi_type: unknown value 'clipbord' (expected one of: ")


def test_an_unknown_operator_fails(edited, load_from) -> None:
    old = "observation: trace_collect_rate\n    where: {exceeds_limit: true}"
    root = edited("rules/trace.yaml", old, old.replace("true}", "{is: true}}"))
    assert _load_error(load_from, root) == [
        "knowledge/rules/trace.yaml: triggers[8] (PI-COLLECT-EXCESSIVE-FREQUENCY): where.exceeds_limit: unknown "
        "operator 'is' (expected: in, not_in, gte, lte, exists, not)"]


def test_a_comparison_on_a_non_number_attribute_fails(edited, load_from) -> None:
    root = edited("rules/static.yaml", CLIPBOARD, CLIPBOARD.replace("clipboard", "{gte: 2}"))
    assert _load_error(load_from, root) == [
        f"knowledge/rules/static.yaml: triggers[{CLIPBOARD_INDEX}] (PI-CLIPBOARD-READ): where.pi_type: gte needs a "
        "number attribute and a number (attribute is str)"]


def test_a_trigger_for_a_rule_the_rulebook_lacks_fails(edited, load_from) -> None:
    root = edited("rules/static.yaml", CLIPBOARD, CLIPBOARD.replace("PI-CLIPBOARD-READ", "PI-CLIPBOARD-REED"))
    assert _load_error(load_from, root) == [
        f"knowledge/rules/static.yaml: triggers[{CLIPBOARD_INDEX}] (PI-CLIPBOARD-REED): unknown rule id "
        "'PI-CLIPBOARD-REED' (rulebook.yaml)"]


def test_a_subject_that_is_neither_app_sdk_nor_an_sdk_id_fails(edited, load_from) -> None:
    root = edited("rules/static.yaml", CLIPBOARD, CLIPBOARD.replace("{pi_type:", "{subject: sdks, pi_type:"))
    assert _load_error(load_from, root) == [
        f"knowledge/rules/static.yaml: triggers[{CLIPBOARD_INDEX}] (PI-CLIPBOARD-READ): where.subject: 'sdks' is "
        "neither app, sdk, platform nor an SDK id of sdks.yaml"]


def test_a_rulebook_entry_with_an_unknown_severity_fails_when_the_rulebook_loads(edited, load_from) -> None:
    old = "- id: PI-POLICY-ABSENT\n  title_zh: 未公开个人信息收集使用规则\n  title_en: No privacy policy, or the policy has " \
          "no PI collection/use rules\n  severity: high\n"
    root = edited("rulebook.yaml", old, old.replace("severity: high", "severity: hihg"))
    load_from(root)
    with pytest.raises(KnowledgeError) as caught:
        knowledge.rulebook()
    assert caught.value.messages == [
        "knowledge/rulebook.yaml: rules[0] (PI-POLICY-ABSENT).severity: Input should be 'low', 'medium', 'high' or "
        "'critical' (got 'hihg')"]


def test_a_rule_citing_an_unknown_document_fails(edited) -> None:
    root = edited("rulebook.yaml", "  - {doc: CAC-2025-SPECIAL, clause: 1 (no PI rules)}\n",
                  "  - {doc: CAC-2025-SPECIALL, clause: 1 (no PI rules)}\n")
    assert check(root) == [
        "knowledge/rulebook.yaml: rules[0] (PI-POLICY-ABSENT): unknown document 'CAC-2025-SPECIALL' (documents.yaml)"]


def test_an_sdk_entry_with_an_unknown_key_names_the_sdk(edited) -> None:
    old = "  - id: aarki\n    name_zh: Aarki\n    name_en: Aarki\n    company: null\n    category: ads\n"
    root = edited("sdks.yaml", old, old.replace("category:", "categroy:"))
    assert check(root) == [
        "knowledge/sdks.yaml: sdks[1] (aarki).category: missing",
        "knowledge/sdks.yaml: sdks[1] (aarki): unknown key 'categroy' (expected: aliases, category, collects, "
        "company, components, hot_update, id, keep_alive, library, meta_data, name_en, name_zh, native_libs, "
        "obfuscated_in, packages, parent, policy_url)"]


def test_a_policy_pattern_that_is_no_regular_expression_fails_the_check(edited) -> None:
    root = edited("policy_lexicon.yaml", "    patterns:\n    - '(有限|股份|责任)公司'",
                  "    patterns:\n    - '(有限|股份|责任公司'")
    assert check(root) == [
        "knowledge/policy_lexicon.yaml: elements.operator_identity.patterns: not a regular expression (missing ), "
        "unterminated subpattern at position 0): '(有限|股份|责任公司'"]


def test_a_file_that_is_not_yaml_names_the_file(edited) -> None:
    root = edited("rules/listing.yaml", "- {rule: PI-STORE-REVIEW-LAX, observation: listing_contact_invalid}",
                  "- {rule: PI-STORE-REVIEW-LAX, observation: listing_contact_invalid")
    [message] = check(root)
    assert message.startswith("knowledge/rules/listing.yaml: not YAML: while parsing a flow mapping")


def test_a_new_file_without_a_schema_is_reported(edited) -> None:
    root = edited("api_context.yaml", "needs_context:", "needs_context:")
    (root / "consent_copy.yaml").write_text("entry_methods: [onCreate]\n", encoding="utf-8")
    assert check(root) == ["knowledge/consent_copy.yaml: no schema registered for this file (hegui.knowledge.schema)"]


def test_a_new_trigger_file_is_checked_like_the_others(edited) -> None:
    root = edited("api_context.yaml", "needs_context:", "needs_context:")
    (root / "rules/harmony.yaml").write_text(
        "triggers:\n  - rule: PI-CLIPBOARD-READ\n    observation: hap_api_call\n    where: {api: getClipboardData}\n",
        encoding="utf-8")
    assert check(root) == ["knowledge/rules/harmony.yaml: triggers[0] (PI-CLIPBOARD-READ): unknown observation kind "
                           "'hap_api_call' (observations.yaml); did you mean 'mp_api_call'?"]


def test_the_apis_the_static_scan_indexes_are_every_api_list_of_static_signals() -> None:
    cfg = knowledge.load_yaml("static_signals.yaml")
    assert knowledge.static_signal_apis() == (
        *cfg["wakeup_apis"], *cfg["associated_start"]["start_apis"], *cfg["associated_start"]["target_apis"],
        *cfg["install"]["apis"], *cfg["install"]["download_apis"], *cfg["dynamic_code"]["apis"],
        *cfg["uninstall"]["hide_apis"], *cfg["sdk_consent_apis"], *cfg["permission_request_apis"])


def test_a_scan_with_a_broken_knowledge_file_exits_2_naming_the_problem(edited, load_from, monkeypatch, capsys) -> None:
    from hegui import cli

    load_from(edited("rules/static.yaml", CLIPBOARD, CLIPBOARD.replace("where:", "wher:")))
    monkeypatch.setattr("sys.argv", ["hegui", "scan", str(PACKAGE.parent / "samples/demo-shop.apk")])
    with pytest.raises(SystemExit) as exited:
        cli.main()
    [line] = capsys.readouterr().err.splitlines()  # one line, whichever process (scan child or CLI) met the error
    assert exited.value.code == 2
    assert line.endswith(f"knowledge/rules/static.yaml: triggers[{CLIPBOARD_INDEX}] (PI-CLIPBOARD-READ): unknown key "
                         "'wher' (expected: observation, rule, severity, where)")


def test_a_startup_file_with_a_misspelt_entry_kind_is_refused(edited) -> None:
    root = edited("startup.yaml", "  application:", "  aplication:")
    assert check(root) == [
        "knowledge/startup.yaml: entries.application: missing",
        "knowledge/startup.yaml: entries: unknown key 'aplication' (expected: application, component_factory, "
        "launcher, provider, startup_initializer)"]


def test_a_startup_method_listed_twice_is_refused(edited) -> None:
    root = edited("startup.yaml", '  launcher: ["<init>", "<clinit>",', '  launcher: ["<init>", "<init>",')
    assert check(root) == ["knowledge/startup.yaml: entries.launcher: listed twice: <init>"]


def test_a_kind_of_startup_entry_without_methods_is_refused(edited) -> None:
    root = edited("startup.yaml", '  provider: ["<init>", "<clinit>", onCreate, attachInfo]', "  provider: []")
    assert check(root) == ["knowledge/startup.yaml: entries.provider: List should have at least 1 item after "
                           "validation, not 0 (got [])"]


def test_the_startup_knowledge_gives_each_kind_its_methods_and_user_callback_types_as_descriptors() -> None:
    startup = knowledge.startup()
    assert list(startup.entries) == ["application", "provider", "launcher", "component_factory",
                                     "startup_initializer"]
    assert startup.entries["provider"] == ("<init>", "<clinit>", "onCreate", "attachInfo")
    raw = knowledge.load_yaml("startup.yaml")["user_callbacks"]
    assert startup.user_callback_types == {"L" + t.replace(".", "/") + ";" for t in raw["types"]}
    assert startup.user_callback_methods == set(raw["methods"])


def test_the_evidence_templates_are_parsed_once_per_process(load_from, monkeypatch) -> None:
    # the load-time check of evidence.yaml parses the templates; the renderer reuses that parse
    from hegui.knowledge import evidence

    texts: list[str] = []
    facts_of = evidence._facts_of
    monkeypatch.setattr(evidence, "_facts_of", lambda text: texts.append(text) or facts_of(text))
    load_from(PACKAGE)
    evidence._catalog.cache_clear()
    evidence.render("call_from", {"api": "a.B#c", "caller": "d.E#f"}, "en")
    shipped = knowledge.load_yaml("evidence.yaml")["templates"].values()
    assert sorted(texts) == sorted(t[lang] for t in shipped for lang in ("zh", "en"))
    evidence._catalog.cache_clear()


def test_a_scope_needing_a_purpose_that_no_wechat_api_has_is_refused(edited) -> None:
    root = edited("miniapp_apis.yaml", "scope.userFuzzyLocation, scope.userLocationBackground]",
                  "scope.userFuzyLocation, scope.userLocationBackground]")
    assert check(root) == ["knowledge/miniapp_apis.yaml: wechat_scopes_needing_desc[1]: 'scope.userFuzyLocation' "
                           "is the scope of no API under wechat"]


def test_a_mini_program_interface_with_an_unknown_pi_type_is_refused(edited) -> None:
    root = edited("miniapp_apis.yaml", "chooseInvoiceTitle: {pi_type: invoice,", "chooseInvoiceTitle: {pi_type: invoce,")
    assert check(root) == ["knowledge/miniapp_apis.yaml: wechat.chooseInvoiceTitle: unknown PI type 'invoce' "
                           "(pi_types.yaml)"]


def test_a_harmony_permission_with_an_unknown_pi_type_is_refused(edited) -> None:
    root = edited("miniapp_apis.yaml", "ohos.permission.READ_MESSAGES: sms", "ohos.permission.READ_MESSAGES: sms_inbox")
    assert check(root) == ["knowledge/miniapp_apis.yaml: harmony_user_grant.ohos.permission.READ_MESSAGES: "
                           "unknown PI type 'sms_inbox' (pi_types.yaml)"]
