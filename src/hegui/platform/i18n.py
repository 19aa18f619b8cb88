"""User-facing strings of the web pages in Chinese and English (Chinese first)."""

from __future__ import annotations

LANGS = ("zh", "en")

MESSAGES: dict[str, tuple[str, str]] = {
    "title": ("合规 · App 个人信息保护监管平台", "hegui · App personal-information supervision platform"),
    "search": ("搜索（包名、名称、规则…）", "Search (package, name, rule…)"), "any": ("全部", "any"),
    "filter": ("筛选", "Filter"), "download": ("下载报告", "Download"), "previous_page": ("上一页", "Previous"), "next_page": ("下一页", "Next"),
    "in_case": ("已立案", "In a case"), "open": ("待处理", "Open"),
    "login": ("登录", "Log in"), "logout": ("退出", "Log out"), "user": ("用户名", "User name"),
    "password": ("密码", "Password"), "bad_login": ("用户名或密码错误", "Wrong user name or password"),
    "login_throttled": ("登录失败次数过多，请稍后再试", "Too many failed logins; try again later"),
    "minutes": ("分钟", "minutes"),
    "held": ("疑似仿冒", "Possible counterfeits"),
    "held_intro": ("以下版本的签名证书与平台上该应用记录绑定的证书不同，未归入该应用，等待监管人员判定。",
                   "These versions are signed by another certificate than their app's record: they are not filed "
                   "under it and wait for a regulator's decision."),
    "signed_by": ("签名证书", "Signed by"), "record_signed_by": ("记录绑定的证书", "Record bound to"),
    "decision_reason": ("判定理由", "Reason"), "mark_counterfeit": ("判定为仿冒", "Counterfeit"),
    "mark_genuine": ("判定为正版（重新绑定）", "Genuine (re-bind the record)"),
    "apps": ("应用", "Apps"), "upload": ("上传 APK / SDK", "Upload APK / SDK"), "scans": ("检测任务", "Scans"),
    "cases": ("整改案件", "Rectification cases"), "clues": ("违规线索", "Violation clues"),
    "complaints": ("投诉举报", "Complaints"), "announcements": ("通报导出", "Announcements"),
    "audit": ("操作日志", "Audit log"), "package": ("包名", "Package"), "label": ("名称", "Name"),
    "owner": ("开发者账号", "Developer account"), "transfer_owner": ("移交给账号", "Give to account"),
    "transfer": ("移交", "Transfer"), "versions": ("版本", "Versions"), "version": ("版本", "Version"),
    "findings": ("问题", "Findings"), "severity": ("风险等级", "Severity"), "rule": ("规则", "Rule"),
    "subject": ("主体", "Subject"), "status": ("状态", "Status"), "file": ("文件", "File"),
    "submit": ("提交", "Submit"), "report": ("检测报告", "Report"), "diff": ("版本对比", "Version diff"),
    "repeat_offender": ("屡犯", "Repeat offender"), "open_case": ("下发整改通知", "Send rectification notice"),
    "deadline": ("整改期限", "Deadline"), "notice_date": ("通知日期", "Notice date"),
    "working_days": ("个工作日", "working days"), "escalate": ("升级处置", "Escalate"),
    "developer_not_recorded": ("未登记开发者（请录入应用商店信息）", "No developer recorded (record a store listing)"),
    "announcement_incomplete": ("部分应用未登记开发者，不能公开通报；请先录入应用商店信息，或只导出信息完整的条目。",
                                "Some apps have no recorded developer and cannot be announced: record a store "
                                "listing first, or export only the complete rows."),
    "export_complete_rows": ("只导出完整条目 (xlsx)", "Export complete rows only (xlsx)"),
    "critical": ("严重", "Critical"), "high": ("高", "High"), "medium": ("中", "Medium"), "low": ("低", "Low"),
    "scan_incomplete": ("本次检测有部分内容未能完整读取或分析，结论可能不完整：",
                        "Parts of this input could not be read or analysed; the results may be incomplete:"),
    "override_reason": ("提前升级理由（整改期限未到且复检未失败）", "Reason to escalate before the deadline"),
    "overdue": ("已逾期", "Overdue"), "notice": ("整改通知书", "Rectification notice"),
    "print": ("打印", "Print"), "add_clue": ("记为线索", "Record as clue"), "note": ("备注", "Note"),
    "store_listing": ("应用商店页面", "Store listing"), "store": ("应用商店", "Store"),
    "policy_url": ("隐私政策链接", "Privacy policy URL"), "developer_name": ("开发者名称", "Developer"),
    "developer_contact": ("开发者联系方式", "Developer contact"),
    "declared_permissions": ("声明的权限（每行：权限 用途）", "Declared permissions (one per line: permission purpose)"),
    "check_listing": ("核验商店页面", "Check listing"), "new_permissions": ("新增权限", "New permissions"),
    "removed_permissions": ("移除权限", "Removed permissions"), "new_sdks": ("新增 SDK", "New SDKs"),
    "removed_sdks": ("移除 SDK", "Removed SDKs"), "new_sensitive_apis": ("新增敏感 API", "New sensitive APIs"),
    "new_findings": ("新增问题", "New findings"), "resolved_findings": ("已解决问题", "Resolved findings"),
    "app_name": ("应用名称", "App name"), "complainant": ("投诉人", "Complainant"), "content": ("内容", "Content"),
    "received_on": ("受理日期", "Received"), "due_on": ("办结期限", "Due"), "assign": ("分派", "Assign"),
    "resolve": ("办结", "Resolve"), "resolution": ("处理结果", "Resolution"), "new_complaint": ("登记投诉", "New complaint"),
    "export_csv": ("导出 CSV", "Export CSV"), "export_xlsx": ("导出 Excel", "Export Excel"),
    "when": ("时间", "When"), "who": ("操作人", "Who"), "action": ("操作", "Action"), "target": ("对象", "Target"),
    "detail": ("详情", "Detail"), "no_items": ("暂无", "None yet"), "error": ("错误", "Error"),
    "not_found": ("未找到", "Not found"), "forbidden": ("无权访问", "Forbidden"),
    "approximate_deadline": ("该年度节假日数据缺失，期限仅扣除周末", "No holiday data for that year: only weekends were skipped"),
    "escalation": ("处置方式", "Escalation"), "uploaded_by": ("上传者", "Uploaded by"),
    "sdks": ("SDK", "SDKs"), "permissions": ("权限", "Permissions"), "from": ("旧版本", "From"),
    "to": ("新版本", "To"), "compare": ("对比", "Compare"), "full_report": ("完整报告", "Full report"),
    "queued": ("排队中", "Queued"), "running": ("检测中", "Running"), "done": ("已完成", "Done"),
    "failed": ("失败", "Failed"), "notice_sent": ("已下发通知", "Notice sent"),
    "recheck_failed": ("复检未通过", "Re-check failed"), "closed": ("已整改关闭", "Closed (rectified)"),
    "escalated": ("已升级处置", "Escalated"), "public_notice": ("公开通报", "Public notice"),
    "removal": ("下架", "Removal"), "penalty": ("行政处罚", "Penalty"), "bad_list": ("纳入不良名单", "Bad list"),
    "received": ("已受理", "Received"), "assigned": ("已分派", "Assigned"), "resolved": ("已办结", "Resolved"),
    "remaining": ("仍存在的问题", "Problems remaining"), "recheck_version": ("复检版本", "Re-check version"),
    "notice_body": ("经检测，你单位的应用存在以下侵害用户个人信息权益的问题，请于整改期限前完成整改并提交新版本复检。",
                    "Testing found the following problems infringing users' personal-information rights in your app. "
                    "Rectify them and submit a new version for re-check before the deadline."),
    "problems": ("所涉问题", "Problems"), "legal_basis": ("依据", "Basis"), "remediation": ("整改建议", "Remediation"),
    "language": ("English", "中文"), "role": ("角色", "Role"), "upload_hint": ("APK 文件或 SDK 包（AAR、JAR），最大", "APK file or SDK package (AAR, JAR), at most"),
    "scan_note": ("说明", "Note"), "listing_findings": ("商店页面问题", "Listing findings"),
    "dashboard": ("总览", "Overview"),
    "count_apps": ("个应用", "apps"), "count_scans_this_month": ("次本月检测", "scans this month"),
    "count_open_cases": ("件整改中案件", "open cases"), "count_overdue_cases": ("件逾期未整改", "overdue cases"),
    "count_due_within_2_days": ("件两个工作日内到期", "due within 2 working days"),
    "count_open_clues": ("条待处理线索", "open clues"), "count_open_complaints": ("件未办结投诉", "open complaints"),
    "app": ("应用", "App"), "sdk": ("SDK", "SDK"),
    "sdk_apps": ("嵌入应用数", "Apps embedding it"), "sdk_findings": ("问题数", "Findings"),
    "worst_severity": ("最高风险", "Worst severity"), "sdk_embedded_in": ("嵌入该 SDK 的应用（最新版本）",
                                                          "Apps embedding this SDK (latest versions)"),
    "sdk_hidden_apps": ("其他账号的应用（不显示名称）", "apps of other accounts (not named)"),
    "sdk_call_sites": ("个人信息调用点", "Personal-information call sites"), "pi_type": ("信息类型", "PI type"),
    "api": ("接口", "API"), "at_startup": ("启动时（同意前）", "At startup (before consent)"),
    "sdk_findings_across_apps": ("该 SDK 在各应用中的问题", "Findings about this SDK across apps"),
    "other_account_app": ("其他账号的应用", "An app of another account"),
    # SDK table, dashboard charts, user administration, API reference (issue 12)
    "before_consent_findings": ("同意前收集问题数", "Before-consent findings"),
    "pi_call_sites": ("个人信息调用点数", "PI call sites"), "sdk_version": ("SDK 版本", "SDK version"),
    "chart_findings_by_rule": ("各规则问题数（最新版本）", "Findings by rule (latest versions)"),
    "chart_sdk_prevalence": ("SDK 嵌入应用数", "SDK prevalence across apps"),
    "chart_findings_per_month": ("每月检出问题数", "Findings per month"),
    "chart_empty": ("暂无数据", "No data yet"),
    "users": ("用户管理", "Users"), "created_at": ("创建时间", "Created"),
    "user_disabled": ("已停用", "Disabled"), "user_enabled": ("正常", "Active"),
    "create_user": ("新建用户", "Create user"), "disable_user": ("停用", "Disable"),
    "enable_user": ("启用", "Enable"), "reset_password": ("重置密码", "Reset password"),
    "new_password": ("新密码（至少 8 位）", "New password (at least 8 characters)"),
    "revoke_tokens": ("吊销全部 API 令牌", "Revoke all API tokens"), "api_tokens": ("有效 API 令牌", "Active API tokens"),
    "new_token_once": ("新用户的 API 令牌（只显示这一次，请妥善保存）：",
                       "The new user's API token (shown this once only; keep it safe):"),
    "regulator": ("监管人员", "Regulator"), "reviewer": ("审核人员", "Reviewer"),
    "developer": ("开发者", "Developer"), "sdk_vendor": ("SDK 厂商", "SDK vendor"),
    "actions": ("操作", "Actions"),
    "api_docs": ("API 文档", "API reference"), "api_docs_intro": (
        "REST API（/api/v1，JSON，请求头 Authorization: Bearer 令牌）。机器可读的接口描述见 /openapi.json。",
        "REST API (/api/v1, JSON, header Authorization: Bearer TOKEN). The machine-readable description is /openapi.json."),
    "parameters": ("参数", "Parameters"), "responses": ("响应", "Responses"), "request_body": ("请求体", "Request body"),
    "required": ("必填", "required"), "schemas": ("数据结构", "Schemas"), "field": ("字段", "Field"),
    "type": ("类型", "Type"),
    "kind": ("类型", "Type"), "kind_app": ("应用", "App"), "kind_sdk": ("SDK", "SDK"),
    "kind_apk": ("APK", "APK"), "kind_aar": ("SDK 包（AAR）", "SDK package (AAR)"),
    "kind_jar": ("SDK 包（JAR）", "SDK package (JAR)"), "kind_hap": ("鸿蒙应用（HAP）", "HarmonyOS app (HAP)"),
    "kind_rpk": ("快应用（RPK）", "Quick app (RPK)"), "kind_wxapkg": ("小程序包", "Mini-program package"),
    "kind_miniapp_dir": ("小程序源码目录", "Mini-program source folder"),
    # the case from both sides, campaigns (cases.py, marks.py, campaigns.py)
    "timeline": ("案件时间线", "Case timeline"), "back_to_case": ("返回案件", "Back to the case"),
    "event": ("事件", "Event"), "platform": ("平台", "Platform"),
    "event_opened": ("立案", "Case opened"), "event_notice": ("下发整改通知", "Notice sent"),
    "event_answer": ("开发者答复", "Developer's answer"), "event_recheck": ("复检未通过", "Re-check failed"),
    "event_recheck_skipped": ("未作为复检（版本不更新）", "Not a re-check (not a newer build)"),
    "event_closed": ("整改完成关闭", "Closed (rectified)"), "event_escalation": ("升级处置", "Escalated"),
    "event_override": ("提前升级（说明理由）", "Escalated early (reason given)"),
    "answers": ("开发者答复", "Answers"), "rectification_statement": ("整改说明", "Rectification statement"),
    "fixed_version": ("整改后版本（APK / SDK 包）", "Fixed build (APK / SDK package)"),
    "answer_case": ("提交整改答复", "Submit the answer"),
    "false_positive": ("误报", "False positive"), "accepted": ("已确认", "Accepted"),
    "mark_reason": ("复核理由", "Reason"), "mark": ("复核标记", "Mark"),
    "tip_content": ("举报内容", "What the tip reports"), "add_tip": ("登记举报线索", "Record a tip"),
    "to_clue": ("转为线索", "Make a clue"), "source": ("来源", "Source"),
    "clue_source_finding": ("检测发现", "Scan finding"), "clue_source_tip": ("外部举报", "Outside tip"),
    "clue_source_complaint": ("投诉转线索", "From a complaint"), "clue_source_campaign": ("专项检测", "Campaign"),
    # the same sources as values of the clue list's `source` filter
    "finding": ("检测发现", "Scan finding"), "tip": ("外部举报", "Outside tip"), "complaint": ("投诉转线索", "From a complaint"),
    "campaign": ("专项检测", "Campaign"),
    "sdk_cases": ("针对该 SDK 的案件", "Cases about this SDK"),
    "sdk_vendor_account": ("SDK 厂商账号", "SDK vendor account"),
    "sdk_found_in_apps": ("检出该问题的应用数", "Apps where it was found"),
    "campaigns": ("专项检测", "Campaigns"), "campaign_name": ("专项名称", "Campaign name"),
    "clue_severity": ("自动生成线索的最低风险等级", "File clues at or above"),
    "campaign_files": ("上传文件（可多选）", "Files (several)"),
    "campaign_urls": ("下载地址（每行一个，仅公网地址）", "URLs (one per line, public addresses only)"),
    "campaign_folder": ("服务器目录（专项根目录下）", "Server folder (under the campaign root)"),
    "create_campaign": ("创建专项", "Create campaign"), "progress": ("进度", "Progress"),
    "campaign_inputs": ("检测对象", "Inputs"), "campaign_source_upload": ("上传", "Upload"),
    "campaign_source_url": ("下载地址", "URL"), "campaign_source_folder": ("服务器目录", "Server folder"),
    "campaign_pending": ("待下载", "Waiting for download"), "campaign_fetching": ("下载中", "Downloading"),
    "clue_report_month": ("报送月份（截至当月15日）", "Report month (clues entered by the 15th)"),
    "clue_report": ("导出月度线索报表", "Export the monthly clue report"),
    "legal_documents": ("依据文件", "Legal documents"), "how_to_reply": ("答复方式", "How to reply"),
    "notice_reply": ("请于整改期限前登录本平台，在本案件页面提交整改说明及整改后的新版本（版本号须高于被检测版本），平台将自动复检。",
                     "Before the deadline, log in to this platform and submit, on this case's page, a rectification "
                     "statement and the fixed build (a higher versionCode than the one tested); the platform "
                     "re-checks it automatically."),
    "notice_contact": ("联系方式", "Contact"), "notice_number": ("编号：", "No. "),
}


def translate(key: str, lang: str) -> str:
    pair = MESSAGES.get(key)
    if pair is None:
        return key
    return pair[0] if lang == "zh" else pair[1]


def pick_lang(cookie: str | None, accept_language: str | None, query: str | None = None) -> str:
    """The reader's language: `?lang=` of the request, else the language cookie the pages set, else English when
    Accept-Language starts with it, else Chinese."""
    if query in LANGS:
        return query
    if cookie in LANGS:
        return cookie
    if accept_language and accept_language.lower().startswith("en"):
        return "en"
    return "zh"
