"""Sentences the platform itself writes (case events, scan notes) as message keys with parameters, rendered in
the reader's language from one table, Chinese first (as knowledge/evidence.yaml does for the scanner's evidence).

A message is stored as ``{"key": …, "params": {…}}`` beside the English text it was rendered to: the audit log
keeps plain English (it is a log), pages and the API render the key in the request's language. The English
templates are the audit texts the platform wrote before messages existed, so the log reads as it always did.

Placeholders are ``str.format`` fields with two additions: a list is joined (by the format spec if given, else
"、" in Chinese and ", " in English), ``!t`` translates a vocabulary value (an escalation, …) through
i18n.MESSAGES, and a missing value (None) is shown as "?".
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hegui.platform.i18n import translate

# key → (zh, en)
MESSAGES: dict[str, tuple[str, str]] = {
    # --- case events (audit target case:<id>, shown on the case's timeline) ---
    "case.opened": ("立案：{package}，整改期限 {deadline}，涉及规则 {rules}",
                    "{package} deadline={deadline} rules={rules:,}"),
    "case.opened_sdk": ("立案：SDK {sdk}（厂商账号 {vendor}，SDK 记录 {package}），整改期限 {deadline}，涉及规则 {rules}",
                        "sdk {sdk} vendor {vendor} ({package}) deadline={deadline} rules={rules:,}"),
    "case.notice": ("{notice_date} 下发整改通知，整改期限 {deadline}，所涉问题：{rules}",
                    "{notice_date} → {deadline}: {rules:, }"),
    "case.answer": ("整改答复 {answer}（检测任务 {scan}）", "answer {answer} with scan {scan}"),
    "case.recheck_failed": ("复检版本 {version}（versionCode {version_code}）仍存在问题：{rules}",
                            "version {version} (versionCode {version_code}): {rules:,}"),
    "case.recheck_failed_after_mark": ("部分问题标记为误报后重新核定，仍存在问题：{rules}",
                                       "after a false-positive mark: {rules:,}"),
    "case.recheck_skipped_opened": (
        "不作为案件 {case} 的复检：versionCode {version_code} 不高于立案时的版本 {old_version}（versionCode {old_code}）",
        "not a re-check of case {case}: versionCode {version_code} is not newer than {old_code} "
        "(version {old_version}) the case was opened on"),
    "case.recheck_skipped_rechecked": (
        "不作为案件 {case} 的复检：versionCode {version_code} 不高于上次复检的版本 {old_version}（versionCode {old_code}）",
        "not a re-check of case {case}: versionCode {version_code} is not newer than {old_code} "
        "(version {old_version}) the case was re-checked on"),
    "case.closed_rectified": ("版本 {version} 已完成整改，复检通过", "rectified in version {version}"),
    "case.closed_false_positives": ("复检遗留的问题均已标记为误报，案件关闭",
                                    "the findings left by the re-check were marked false positives"),
    "case.escalated": ("处置方式：{escalation!t}", "{escalation}"),
    "case.escalated_early": ("整改期限届满前提前升级处置（{escalation!t}），理由：{reason}",
                             "{escalation} before the deadline: {reason}"),
    # --- scan notes (why a scan is not filed, or what filing it found) ---
    "scan.jar_no_package": ("该 JAR 的类没有共同的包名：本次检测不归入任何 SDK",
                            "the JAR's classes share no package: the scan is not filed under an SDK"),
    "scan.jar_package_too_broad": (
        "该 JAR 的类只共用包名 {package}，范围过宽，不能确定为某一个 SDK：本次检测不归入任何 SDK",
        "the JAR's classes share only the package {package}, too broad to name one SDK: the scan is not filed "
        "under an SDK"),
    "scan.no_package": ("未能读取包名：本次检测不归入任何应用",
                        "no package name could be read: the scan is not filed under an app"),
    "scan.sdk_for_vendors": ("SDK 包只归入 SDK 厂商账号及监管、审核人员名下：本次检测保留报告，但不归档",
                             "SDK packages are filed only for SDK vendor accounts and staff: this scan keeps its "
                             "report but is not filed"),
    "scan.app_for_developers": ("应用只归入开发者账号及监管、审核人员名下：本次检测保留报告，但不归档",
                                "apps are filed only for developer accounts and staff: this scan keeps its report "
                                "but is not filed"),
    "scan.registered_as_sdk": ("{package} 在平台上登记为 SDK：本次提交的 {kind} 不归入该记录",
                               "{package} is on the platform as an SDK: this {kind} is not filed under it"),
    "scan.registered_as_app": ("{package} 在平台上登记为应用：本次提交的 {kind} 不归入该记录",
                               "{package} is on the platform as an app: this {kind} is not filed under it"),
    "scan.other_account": ("该包名属于其他账号：本次检测不归入该应用",
                           "this package belongs to another account: the scan is not filed under that app"),
    "scan.held_signed": (
        "疑似仿冒：平台上的 {package} 由其他证书签名（本次签名证书 {certs}），本次检测等待监管人员判定，暂不归档",
        "possible counterfeit: {package} on the platform is signed by another certificate (signed by {certs:, }); "
        "the scan is held for a regulator's decision and not filed"),
    "scan.held_unsigned": (
        "疑似仿冒：平台上的 {package} 由其他证书签名（本次提交未签名），本次检测等待监管人员判定，暂不归档",
        "possible counterfeit: {package} on the platform is signed by another certificate (unsigned); the scan "
        "is held for a regulator's decision and not filed"),
    "scan.counterfeit": ("经监管人员判定为 {package} 的仿冒版本：不归档",
                         "counterfeit of {package} (regulator's decision): not filed"),
    "scan.changed_build": (
        "同一版本号的不同构建：versionCode {version_code} 此前已以不同内容提交（sha256 {sha256}…，版本 {version}），"
        "请监管人员比对两个构建",
        "changed build: versionCode {version_code} was filed before with other contents (sha256 {sha256}…, "
        "version {version}); a regulator should compare the two builds / 同一版本号的不同构建"),
}

LIST_SEPARATOR = {"zh": "、", "en": ", "}
NOTE_SEPARATOR = {"zh": "；", "en": "; "}  # between the several notes of one scan


class _Formatter(string.Formatter):
    def __init__(self, lang: str) -> None:
        self.lang = lang

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        if conversion == "t":
            return translate(str(value), self.lang)
        return super().convert_field(value, conversion)

    def format_field(self, value: Any, format_spec: str) -> str:
        if value is None:
            return "?"
        if isinstance(value, list | tuple):
            return (format_spec or LIST_SEPARATOR[self.lang]).join(str(v) for v in value)
        return format(value, format_spec)


def placeholders(template: str) -> set[str]:
    """The parameter names a template uses."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@dataclass(frozen=True, slots=True)
class Message:
    """One platform sentence: its key in MESSAGES and the facts it states."""
    key: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.key not in MESSAGES:
            raise KeyError(f"no platform message {self.key!r}")

    def render(self, lang: str) -> str:
        zh, en = MESSAGES[self.key]
        return _Formatter(lang).vformat(zh if lang == "zh" else en, (), dict(self.params))

    def english(self) -> str:
        return self.render("en")

    def as_json(self) -> dict[str, Any]:
        return {"key": self.key, "params": dict(self.params)}


def from_json(data: Any) -> Message | None:
    """A stored message, or None when there is none or its key is no longer known (then the stored English
    text is shown)."""
    if not isinstance(data, Mapping) or data.get("key") not in MESSAGES:
        return None
    params = data.get("params")
    return Message(str(data["key"]), dict(params) if isinstance(params, Mapping) else {})


def render_json(data: Any, lang: str, fallback: str | None) -> str | None:
    """The stored message `data` in `lang`; `fallback` (the stored English text) when it has none."""
    message = from_json(data)
    if message is None:
        return fallback
    try:
        return message.render(lang)
    except (KeyError, IndexError, ValueError):  # parameters of an older form of the message
        return fallback


def render_notes(data: Any, lang: str, fallback: str | None) -> str | None:
    """A scan's notes (a stored list of messages) in `lang`, one after another; `fallback` when there are none
    (a scan noted before messages existed) or one cannot be rendered."""
    if not isinstance(data, Sequence) or isinstance(data, str) or not data:
        return fallback
    rendered = [render_json(item, lang, None) for item in data]
    if any(text is None for text in rendered):
        return fallback
    return NOTE_SEPARATOR[lang].join(t for t in rendered if t is not None)


def notes_json(notes: Iterable[Message]) -> list[dict[str, Any]]:
    return [n.as_json() for n in notes]
