"""Who issues a report: the testing body, the report number, the tester, reviewer and approver (`--report-header`).

A testing body signs a report it hands to a regulator or a developer: the printed page names the body, carries a
number from the body's own scheme, the date, and lines for the tester's, reviewer's and approver's signatures.
The file is YAML or JSON with the fields of `ReportHeader`; an unknown field or a number scheme that names an
unknown placeholder is refused when the file is read, not discovered on a printed page.
"""

from __future__ import annotations

import string
from datetime import UTC, date, datetime
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hegui.errors import InputError

MAX_HEADER_BYTES = 64 * 1024
# What a report-number scheme may name, e.g. "HG-{date:%Y%m%d}-{sha8}" -> "HG-20261202-07d96bf1"
NUMBER_FIELDS = ("date", "sha8", "sha256", "package", "version")
DEFAULT_NUMBER_SCHEME = "HEGUI-{date:%Y%m%d}-{sha8}"


class ReportHeader(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    testing_body_zh: str | None = Field(None, max_length=200)   # 检测机构
    testing_body_en: str | None = Field(None, max_length=200)
    number_scheme: str = Field(DEFAULT_NUMBER_SCHEME, max_length=200)  # 报告编号规则
    report_date: date | None = None                               # 报告日期 (default: the day it is rendered)
    tester: str | None = Field(None, max_length=100)              # 检测人
    reviewer: str | None = Field(None, max_length=100)            # 审核人
    approver: str | None = Field(None, max_length=100)            # 批准人
    contact: str | None = Field(None, max_length=200)             # 联系方式 of the testing body

    def number(self, *, sha256: str, package: str | None, version: str | None, when: datetime) -> str:
        return self.number_scheme.format(date=when, sha8=sha256[:8], sha256=sha256, package=package or "-",
                                         version=version or "-")

    def day(self, when: datetime) -> date:
        return self.report_date or when.astimezone(UTC).date()


def _check_scheme(scheme: str) -> None:
    try:
        fields = [name for _text, name, _spec, _conv in string.Formatter().parse(scheme) if name is not None]
    except ValueError as exc:
        raise InputError(f"number_scheme {scheme!r} is not a valid pattern ({exc})") from None
    unknown = [f for f in fields if f not in NUMBER_FIELDS]
    if unknown or "" in fields:
        raise InputError(f"number_scheme names unknown placeholder {{{(unknown or [''])[0]}}} "
                         f"(known: {', '.join('{' + f + '}' for f in NUMBER_FIELDS)})")
    try:
        ReportHeader(number_scheme=scheme).number(sha256="0" * 64, package="p", version="1",
                                                  when=datetime(2000, 1, 1, tzinfo=UTC))
    except (ValueError, TypeError) as exc:
        raise InputError(f"number_scheme {scheme!r} cannot be filled ({exc})") from None


def read_report_header(path: Path) -> ReportHeader:
    """Read a `--report-header` file; raises `InputError` with a one-line reason."""
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_HEADER_BYTES + 1)
    except OSError as exc:
        raise InputError(f"cannot read the report header ({exc.strerror or exc})") from None
    if len(data) > MAX_HEADER_BYTES:
        raise InputError(f"report header file is larger than {MAX_HEADER_BYTES // 1024} KB")
    try:
        raw = yaml.safe_load(data.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InputError(f"report header is not UTF-8 YAML or JSON ({type(exc).__name__})") from None
    if not isinstance(raw, dict):
        raise InputError("report header must be a mapping of fields (testing_body_zh, number_scheme, tester, …)")
    try:
        header = ReportHeader.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "header"
        raise InputError(f"report header field {where!r}: {first['msg']} "
                         f"(known: {', '.join(ReportHeader.model_fields)})") from None
    _check_scheme(header.number_scheme)
    return header
