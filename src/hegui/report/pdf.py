"""The printed report: the HTML report's A4 layout (`render_html(for_print=True)`) typeset by WeasyPrint.

WeasyPrint lays out pages itself (page numbers, a table of contents with page numbers, headers from the
report number) and fetches nothing: the page has no external resource and the URL fetcher refuses every URL,
so an attacker-controlled string that looks like a link can never make the renderer read a file or the network.
Chinese text needs a CJK font on the machine (Debian: fonts-wqy-microhei or fonts-noto-cjk).
"""

from __future__ import annotations

from datetime import datetime

from hegui.errors import InputError
from hegui.report.header import ReportHeader
from hegui.report.html import render_html
from hegui.report.model import Report


def _no_fetch(url: str, *args: object, **kwargs: object) -> dict:
    raise ValueError(f"the report fetches no resource ({url[:40]})")


def render_pdf(report: Report, *, header: ReportHeader | None = None, generated_at: datetime | None = None) -> bytes:
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: the package is there but Pango is not
        raise InputError(f"PDF reports need WeasyPrint and Pango: pip install 'hegui[pdf]' ({exc})") from None
    html = render_html(report, header=header, generated_at=generated_at, for_print=True)
    return weasyprint.HTML(string=html, url_fetcher=_no_fetch, base_url=None).write_pdf()
