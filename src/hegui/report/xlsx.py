"""Excel workbook of a report: one sheet per table, for reviewers who sort and filter.

Cell text comes from the APK, so two things are guarded: formula injection (text that a spreadsheet
would evaluate, e.g. ``=HYPERLINK(...)``, is stored with a leading apostrophe, as OWASP advises) and
characters XML 1.0 cannot hold (dropped, or openpyxl refuses the whole workbook).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from io import BytesIO

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from hegui.report.cells import neutralise_formula
from hegui.report.model import Report
from hegui.report.render import (
    SEVERITY_ZH,
    clause_text,
    pi_type_names,
    remediation_pair,
    subject_names,
    verdict,
)

SHEET_SUMMARY = "概要 Summary"
SHEET_FINDINGS = "检测结论 Findings"
SHEET_SDKS = "SDK"
SHEET_CALLS = "敏感行为 Sensitive calls"
SHEET_PERMISSIONS = "权限 Permissions"
SHEET_POLICY = "隐私政策 Policy"
SHEET_ERRORS = "检测异常 Errors"

MAX_CELL_TEXT = 32_000  # Excel's hard limit is 32,767 characters per cell
MAX_COLUMN_WIDTH = 60


def safe_cell(value: object) -> object:
    """A value as it may be written to a cell: text neutralised, other types unchanged."""
    if not isinstance(value, str):
        return value
    text = ILLEGAL_CHARACTERS_RE.sub("", value)
    if len(text) > MAX_CELL_TEXT:
        text = text[:MAX_CELL_TEXT] + "…"
    return neutralise_formula(text)


def _yes_no(flag: bool) -> str:
    return "是 Yes" if flag else "否 No"


def _write_sheet(ws: Worksheet, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    ws.append(list(header))
    widths = [len(h) + 2 for h in header]
    for row in rows:
        cells = [safe_cell(v) for v in row]
        ws.append(cells)
        for i, v in enumerate(cells):
            longest_line = max((len(line) for line in str(v).split("\n")), default=0) if v is not None else 0
            widths[i] = max(widths[i], min(MAX_COLUMN_WIDTH, longest_line + 2))
    bold = Font(bold=True)
    for cell in ws[1]:
        cell.font = bold
        cell.alignment = Alignment(vertical="center")
    ws.freeze_panes = "A2"
    last = get_column_letter(len(header))
    ws.auto_filter.ref = f"A1:{last}{max(ws.max_row, 1)}"
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width


def _summary_rows(report: Report, generated_at: datetime) -> Iterable[Sequence[object]]:
    app = report.app
    verdict_zh, verdict_en = verdict(report)
    if report.errors:  # first, where nobody can miss it: the results rest on a partly read input
        yield ["⚠ 检测不完整 Incomplete", f"{len(report.errors)} 处未能完整读取或分析，结论可能不完整（见“检测异常”表）",
               f"{len(report.errors)} part(s) could not be read or analysed; results may be incomplete (see Errors)"]
    yield ["结论 Verdict", verdict_zh, verdict_en]
    yield ["应用名称 App", app.label, None]
    yield ["包名 Package", app.package, None]
    yield ["版本 Version", app.version_name, app.version_code]
    yield ["类型 Kind", report.input.kind, None]
    yield ["文件 File", report.input.path, report.input.size]
    yield ["SHA-256", report.input.sha256, None]
    yield ["签名证书 Signers", "\n".join(s.sha256 for s in app.signers) or None,
           "\n".join(s.subject or "" for s in app.signers) or None]
    yield ["报告生成时间 Generated", generated_at.strftime("%Y-%m-%d %H:%M:%S %Z"), None]
    yield ["检测工具 Tool", f"hegui {report.tool.version}", f"report schema {report.schema_version}"]
    for sev in ("critical", "high", "medium", "low"):
        yield [f"{SEVERITY_ZH[sev]} {sev}", sum(1 for f in report.findings if f.severity == sev), None]
    yield ["第三方SDK SDKs", len(report.sdks), None]
    yield ["敏感行为 Sensitive calls", len(report.sensitive_calls), None]


def _policy_rows(report: Report) -> Iterable[Sequence[object]]:
    policy = report.policy
    yield ["来源 Source", policy.source if policy.found else "未找到 not found", None]
    for element, present in sorted(policy.elements.items()):
        yield [element, _yes_no(present), policy.excerpts.get(element)]
    yield ["声明的个人信息 Declared PI types", "\n".join(policy.declared_pi_types) or None, None]
    yield ["声明的SDK Declared SDKs", "\n".join(policy.declared_sdks) or None, None]
    yield ["声明的权限 Declared permissions", "\n".join(policy.declared_permissions) or None, None]


def render_xlsx(report: Report, *, generated_at: datetime | None = None) -> bytes:
    wb = Workbook()
    _write_sheet(wb.active, ["项目 Item", "值 Value", "补充 Detail"],
                 _summary_rows(report, generated_at or datetime.now(UTC)))
    wb.active.title = SHEET_SUMMARY
    findings_ws = wb.create_sheet(SHEET_FINDINGS)
    sdk_names = {s.id: s.name for s in report.sdks}

    def finding_rows():
        for f in report.findings:
            subject_zh, _ = subject_names(report, f.subject)
            rem_zh, rem_en = remediation_pair(f)
            yield [
                f"{SEVERITY_ZH[f.severity]} {f.severity}", f.rule_id, f.title_zh, f.title_en,
                f.subject, subject_zh, "\n".join(clause_text(s) for s in f.sources),
                "\n".join(f"[{e.kind}] {e.zh}\n    {e.detail}" if e.zh else f"[{e.kind}] {e.detail}"
                          for e in f.evidence), rem_zh, rem_en,
            ]

    _write_sheet(findings_ws, [
        "严重程度 Severity", "规则 Rule", "问题 Title (zh)", "Title (en)", "对象 Subject", "对象名称 Subject name",
        "法规依据 Clauses", "证据 Evidence", "整改建议 Remediation (zh)", "Remediation (en)",
    ], finding_rows())

    _write_sheet(wb.create_sheet(SHEET_SDKS), [
        "ID", "名称 Name", "运营方 Company", "类别 Category", "包名 Packages", "识别依据 Evidence",
    ], ([s.id, s.name, s.company, s.category, "\n".join(s.packages), "\n".join(s.evidence)] for s in report.sdks))

    def call_rows():
        for c in report.sensitive_calls:
            name_zh, name_en = pi_type_names(c.pi_type)
            owner = c.sdk or (f"platform:{c.platform_library}" if c.platform_library else "app")
            owner_zh = sdk_names.get(c.sdk, c.sdk) if c.sdk else subject_names(report, owner)[0]
            yield [c.pi_type, name_zh, name_en, c.api, c.caller, owner, owner_zh, _yes_no(c.at_startup),
                   _yes_no(c.via_reflection)]

    _write_sheet(wb.create_sheet(SHEET_CALLS), [
        "个人信息类型 PI type", "名称 Name (zh)", "Name (en)", "接口 API", "调用位置 Caller", "SDK ID",
        "所属 Belongs to", "启动时 At startup", "反射 Via reflection",
    ], call_rows())

    _write_sheet(wb.create_sheet(SHEET_PERMISSIONS), ["权限 Permission", "危险权限 Dangerous"],
                 ([p.name, _yes_no(p.dangerous)] for p in report.permissions))

    _write_sheet(wb.create_sheet(SHEET_POLICY), ["要素 Element", "是否具备 Present", "依据 Excerpt"],
                 _policy_rows(report))
    _write_sheet(wb.create_sheet(SHEET_ERRORS), ["阶段 Stage", "原因 Reason"],
                 ([e.stage, e.message] for e in report.errors))

    out = BytesIO()
    wb.save(out)
    return out.getvalue()
