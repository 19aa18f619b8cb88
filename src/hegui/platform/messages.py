"""Sentences the platform itself writes (case events, scan notes) as message keys with parameters, rendered in
the reader's language from one table, Chinese first (as knowledge/evidence.yaml does for the scanner's evidence).

A message is stored as ``{"key": …, "params": {…}}`` beside the English text it was rendered to: the audit log
keeps plain English (it is a log), pages and the API render the key in the request's language. The English
templates are the audit texts the platform wrote before messages existed, so the log reads as it always did.

Placeholders are ``str.format`` fields with these additions: a stored message ({"key", "params"}) is rendered
in the same language, a list is joined (by the format spec if given, else
"、" in Chinese and ", " in English), ``!t`` translates a vocabulary value (an escalation, a role, …) through
i18n.MESSAGES, ``!w`` writes one as words ("sdk_vendor" → "sdk vendor"), and a missing value (None) is shown
as "?".
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
    # --- list parameters a list refuses (answered 422) ---
    "list.unknown_parameter": ("此列表没有参数 {name}，可用参数：{accepted}", "unknown parameter {name}; this list takes {accepted}"),
    "list.number_up_to": ("参数 {name} 须为不超过 {high} 的整数", "{name} must be a whole number up to {high}"),
    "list.query_too_long": ("搜索词 {name} 超过 {max} 个字符", "{name} is longer than {max} characters"),
    "list.sort_one_of": ("排序参数 {name} 须为 {sorts} 之一（前加 - 为降序）",
                         "{name} must be one of {sorts} (prefix - for descending)"),
    "list.number": ("参数 {name} 须为整数", "{name} must be a whole number"),
    "list.date": ("参数 {name} 须为日期（YYYY-MM-DD）", "{name} must be a date (YYYY-MM-DD)"),
    "list.one_of": ("参数 {name} 须为 {allowed} 之一", "{name} must be one of {allowed}"),
    # --- downloads and forms a page refuses ---
    "report.no_such_format": ("没有 {format} 格式的报告（可选：{formats}）", "no such report format {format} (one of {formats})"),
    "report.not_yet": ("该检测任务尚无报告", "the scan has no report yet"),
    "report.renderer_missing": ("服务器无法生成该格式的报告：{reason}", "{reason}"),
    "clues.month_format": ("月份须为 YYYY-MM 格式", "month must be YYYY-MM"),
    "web.csrf": ("表单校验失败（CSRF 令牌缺失或不符），请刷新页面后重新提交", "CSRF token missing or wrong"),
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
    # --- why a scan failed (the scanner's own reason, an input it cannot read, stays as it wrote it) ---
    "scan.error.missing_blob": ("上传的文件已不在平台存储中", "the uploaded file is missing from the platform's storage"),
    "scan.error.timeout": ("检测超过 {seconds} 秒，已停止", "the scan took longer than {seconds} s and was stopped"),
    "scan.error.crashed_signal": ("检测程序异常退出（信号 {signal}）{output}",
                                  "the scanner crashed (killed by signal {signal}) {output}"),
    "scan.error.crashed_exit": ("检测程序异常退出（退出码 {status}）{output}",
                                "the scanner crashed (exit status {status}) {output}"),
    "scan.error.unreadable_result": ("无法读取检测程序的结果", "the scanner's result could not be read"),
    "scan.error.malformed_result": ("检测程序的结果格式不正确", "the scanner's result is malformed"),
    "scan.error.interrupted": ("检测被中断 {attempts} 次，已放弃", "the scan was interrupted {attempts} times; giving up"),
    "scan.error.no_report": ("检测程序没有生成报告", "the scanner produced no report"),
    "scan.error.invalid_report": ("检测程序生成的报告不符合格式（{errors} 处错误）",
                                  "the scanner produced an invalid report ({errors} errors)"),
    "scan.error.unreadable_input": ("无法读取输入文件：{reason}", "unreadable input: {reason}"),
    # --- why a campaign's input never became a scan ---
    "campaign.item_failed": ("{ref}：{reason}", "{ref}: {reason}"),
    "campaign.fetch.scheme": ("只下载 http 和 https 地址", "only http and https URLs are fetched"),
    "campaign.fetch.too_slow": ("{seconds} 秒内未下载完成", "not downloaded within {seconds} s"),
    "campaign.fetch.too_large": ("超过 {mb} MB 的上传上限", "larger than the {mb} MB upload limit"),
    "campaign.fetch.non_public": ("指向非公网地址（{address}）：不下载", "leads to a non-public address ({address}): not fetched"),
    "campaign.fetch.http": ("服务器返回 HTTP {code}", "HTTP {code}"),
    "campaign.fetch.failed": ("无法下载：{reason}", "cannot be fetched: {reason}"),
    # --- refusals (a workflow step or an upload the platform turns down; the API's `detail` stays English) ---
    "refused.unknown_rule": ("未知规则 {rule}", "unknown rule {rule!r}"),
    "refused.clue_marked_false_positive": ("最新版本的 {rule} 已标记为误报：不再为其登记线索",
                                           "{rule} of the latest version is marked a false positive: no clue is "
                                           "filed for it"),
    "refused.no_scanned_version": ("该应用还没有检测完成的版本", "the app has no scanned version yet"),
    "refused.choose_finding": ("请至少选择一个问题", "choose at least one finding"),
    "refused.not_latest_findings": ("以下不是最新版本的问题（或已标记为误报）：{rules}",
                                    "not a finding of the latest version (or marked a false positive): {rules:, }"),
    "refused.case_waiting": ("该应用已有等待整改的案件", "the app already has a case waiting for rectification"),
    "refused.unknown_escalation": ("未知的处置方式 {escalation}（可选：{choices}）",
                                   "unknown escalation {escalation!r} (one of: {choices:, })"),
    "refused.case_not_open": ("只有未结案件才能升级处置", "only an open case can be escalated"),
    "refused.override_needs_reason": (
        "整改期限 {deadline} 尚未届满，复检也未失败：现在升级处置须说明理由",
        "the rectification deadline {deadline} has not passed and no re-check failed: escalating now needs a "
        "reason (override_reason)"),
    "refused.complaint_incomplete": ("投诉须填写应用名称和投诉内容", "a complaint needs the app name and its content"),
    "refused.complaint_assignee": ("投诉只能分派给审核人员或监管人员", "complaints are assigned to reviewers or regulators"),
    "refused.complaint_resolved": ("该投诉已办结", "the complaint is already resolved"),
    "refused.complaint_resolution": ("请填写处理结果", "say how the complaint was handled"),
    "refused.owner_role_app": ("{user} 是{role!t}账号；应用只能属于{wanted!t}账号",
                               "{user} is a {role} account; an app belongs to a {wanted!w} account"),
    "refused.owner_role_sdk": ("{user} 是{role!t}账号；SDK 只能属于{wanted!t}账号",
                               "{user} is a {role} account; an SDK belongs to a {wanted!w} account"),
    "refused.tip_names_app": ("举报线索须指明应用：请选择应用或填写其名称", "a tip names the app: choose it, or give its name"),
    "refused.tip_content": ("请填写举报内容", "say what the tip reports"),
    "refused.complaint_has_clue": ("投诉 {complaint} 已就 {rule} 转为线索",
                                   "complaint {complaint} already has a clue for {rule}"),
    "refused.staff_only": ("只有监管人员和审核人员可以登记线索和立案", "only regulators and reviewers file clues and cases"),
    "refused.sdk_not_embedded": ("平台上没有应用嵌入 SDK {sdk}", "no app on the platform embeds the SDK {sdk!r}"),
    "refused.not_vendor": ("{user} 是{role!t}账号，不是 SDK 厂商账号", "{user} is a {role} account, not an SDK vendor's"),
    "refused.not_sdk_finding": ("在各应用的最新版本中，{rule} 都不是关于 SDK {sdk} 的问题",
                                "{rule} is not a finding about the SDK {sdk} in any app's latest version"),
    "refused.not_sdk_findings": ("以下不是关于 SDK {sdk} 的问题：{rules}", "not a finding about the SDK {sdk}: {rules:, }"),
    "refused.vendor_has_no_package": (
        "{vendor} 在平台上没有包含 {sdk} 的 SDK 包：请厂商先上传（或由监管人员将该记录移交给厂商）",
        "{vendor} has no SDK package on the platform that contains {sdk}: the vendor uploads it first (or a "
        "regulator gives its record to the vendor)"),
    "refused.sdk_case_waiting": ("SDK {sdk} 已有等待整改的案件", "the SDK {sdk} already has a case waiting for rectification"),
    "refused.answer_not_owner": ("只有应用所属账号可以答复该案件", "only the account the app belongs to answers its case"),
    "refused.case_takes_no_answers": ("案件状态为「{status!t}」：不再接受答复", "the case is {status}: it takes no more answers"),
    "refused.statement_missing": ("请填写整改说明", "say what was rectified (the rectification statement)"),
    "refused.unknown_role": ("未知角色 {role}（可选：{choices}）", "unknown role {role!r} (one of: {choices:, })"),
    "refused.user_name": ("用户名：1 至 80 个字母、数字、汉字或 _ . @ -",
                          "user name: 1-80 letters, digits, Chinese characters or _ . @ -"),
    "refused.user_exists": ("用户 {name} 已存在", "user {name!r} already exists"),
    "refused.password_short": ("密码至少 8 位", "password: at least 8 characters"),
    "refused.no_user": ("没有用户 {name}", "no user {name!r}"),
    "refused.no_token": ("没有编号为 {token} 的 API 令牌", "no API token {token}"),
    "refused.own_account_disable": ("不能在此停用自己的账号", "you cannot disable your own account here"),
    "refused.own_account_revoke": ("不能在此吊销自己账号的 API 令牌", "you cannot revoke the tokens of your own account here"),
    "refused.unknown_decision": ("判定只能是：{choices}", "decision must be one of: {choices:, }"),
    "refused.not_held": ("检测任务 {scan} 不在待判定之列", "scan {scan} is not held for a decision"),
    "refused.decision_reason": ("请填写判定理由", "give the reason for the decision"),
    "refused.held_app_gone": ("该检测任务声称的应用已不存在", "the app this scan claimed is gone"),
    "refused.unknown_verdict": ("复核结论只能是：{choices}", "verdict must be one of {choices:, }"),
    "refused.verdict_reason": ("复核结论须说明理由", "a verdict needs a reason"),
    "refused.no_campaign_root": ("未配置专项根目录（HEGUI_CAMPAIGN_ROOT）：不能检测服务器目录",
                                 "no campaign folder root is configured (HEGUI_CAMPAIGN_ROOT): folders cannot be "
                                 "scanned"),
    "refused.folder_outside_root": ("目录必须位于专项根目录之下", "the folder must lie inside the campaign root"),
    "refused.no_folder": ("专项根目录下没有目录 {folder}", "no folder {folder!r} under the campaign root"),
    "refused.folder_too_many": ("该目录含有 {count} 个安装包，超过上限 {limit} 个",
                                "the folder holds {count} packages, more than {limit}"),
    "refused.campaign_name": ("请填写专项名称", "a campaign needs a name"),
    "refused.campaign_severity": ("风险等级只能是：{choices}", "severity must be one of {choices:, }"),
    "refused.campaign_no_inputs": ("请提供检测对象：上传文件、下载地址或服务器目录",
                                   "give the campaign some inputs: files, URLs or a folder"),
    "refused.campaign_too_many": ("共 {count} 个检测对象，超过上限 {limit} 个", "{count} inputs, more than {limit}"),
    "refused.campaign_too_many_urls": ("共 {count} 个下载地址，超过上限 {limit} 个：请改为放入服务器目录",
                                       "{count} URLs, more than {limit}: put the packages in a folder instead"),
    "refused.announcement_incomplete": (
        "以下应用未登记开发者，不能公开通报：{apps}。请先录入应用商店信息（开发者名称），或只导出信息完整的条目",
        "no developer is recorded for {apps:, }: record a store listing with developer_name, or export the other "
        "rows with skip_incomplete=true"),
    "refused.announcement_incomplete_more": (
        "以下应用未登记开发者，不能公开通报：{apps} 等。请先录入应用商店信息（开发者名称），或只导出信息完整的条目",
        "no developer is recorded for {apps:, } …: record a store listing with developer_name, or export the other "
        "rows with skip_incomplete=true"),
    "refused.not_zip": ("不是 APK、AAR 或 JAR：文件不以 ZIP 文件头开始",
                        "not an APK, AAR or JAR: the file does not start with a ZIP header"),
    "refused.too_large": ("文件超过 {mb} MB 的上传上限", "file larger than the {mb} MB upload limit"),
    "refused.empty_file": ("空文件", "empty file"),
    "refused.queue_quota": ("你有 {waiting} 个检测任务仍在排队或检测中（上限 {quota} 个）：请待部分完成后再上传",
                            "{waiting} of your scans are still waiting or running (at most {quota}): upload again "
                            "when some are done"),
    "refused.daily_quota": ("24 小时内最多上传 {quota} 次", "at most {quota} uploads in 24 hours"),
    "refused.storage_quota": ("上传后将超过 {quota} MB 的存储配额（已用 {used} MB）",
                              "your uploads would pass the {quota} MB storage quota ({used} MB used)"),
}

LIST_SEPARATOR = {"zh": "、", "en": ", "}
NOTE_SEPARATOR = {"zh": "；", "en": "; "}  # between the several notes of one scan


class _Formatter(string.Formatter):
    def __init__(self, lang: str) -> None:
        self.lang = lang

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        if conversion == "t":
            return translate(str(value), self.lang)
        if conversion == "w":  # a vocabulary value as words: "sdk_vendor" → "sdk vendor"
            return str(value).replace("_", " ")
        return super().convert_field(value, conversion)

    def format_field(self, value: Any, format_spec: str) -> str:
        if value is None:
            return "?"
        nested = from_json(value)  # a message as a parameter (a reason inside a sentence): in the same language
        if nested is not None:
            return nested.render(self.lang)
        if isinstance(value, list | tuple):
            return (format_spec or LIST_SEPARATOR[self.lang]).join(str(v) for v in value)
        return str(value)  # format specs are list separators only


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
        return _Formatter(lang).vformat(zh if lang == "zh" else en, (), dict(self.params)).strip()

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


def failure(message: Message) -> dict[str, Any]:
    """A scan child's (or the worker's) error payload: the English reason and the message it was written from."""
    return {"error": message.english(), "message": message.as_json()}


class Refusal(ValueError):
    """A step the platform refuses, for a reason given as a Message (or, from older code, as English text):
    `str(err)` is the English reason (the API's `detail`), `reason(lang)` the reason in the reader's language."""

    def __init__(self, reason: str | Message) -> None:
        self.message = reason if isinstance(reason, Message) else None
        super().__init__(reason.english() if isinstance(reason, Message) else reason)

    def reason(self, lang: str) -> str:
        return self.message.render(lang) if self.message is not None else str(self)
