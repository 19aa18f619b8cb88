"""The overview's charts (charts.py, dashboard.py): inline SVG under the strict CSP, drawn from the findings of the
latest versions, the SDK table and the versions filed per month; escaped; scoped to what the role may see."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

from platform_kit import ingest, make_report, startup_imei, web_login
from sqlalchemy import update

from hegui.platform.charts import Bar, bar_chart, column_chart
from hegui.platform.dashboard import month_starts
from hegui.platform.db import AppVersion

SVG = "{http://www.w3.org/2000/svg}"


def _svg(html: str, chart_id: str) -> ET.Element:
    match = re.search(rf'<svg [^>]*id="{chart_id}".*?</svg>', html, re.S)
    assert match, f"no chart {chart_id}"
    return ET.fromstring(match.group(0))


def _bars(svg: ET.Element) -> list[tuple[str, int]]:
    """(label, value) of each bar of a bar chart, top to bottom."""
    out = []
    for row in svg.iter(f"{SVG}g"):
        label = row.find(f"{SVG}text[@class='label']")
        rect = row.find(f"{SVG}rect[@class='bar']")
        out.append((label.text, int(rect.get("data-value"))))
    return out


def _dashboard(p, who: str) -> str:
    token, _csrf = web_login(p, who)
    res = p.client.get("/", cookies={"hegui_session": token})
    assert res.status_code == 200
    return res.text


def _seed(p) -> None:
    """dev: com.shop 1.0 (startup IMEI read by the app) then 1.1 (umeng reads it), com.news (umeng, jpush, no
    findings); dev2: com.game (umeng reads the IMEI at startup)."""
    ingest(p, "dev", make_report("com.shop", "1.0", 1, [startup_imei()], sha="1" * 64))
    ingest(p, "dev", make_report("com.shop", "1.1", 2, [startup_imei("umeng")], sdks=("umeng",), sha="2" * 64))
    ingest(p, "dev", make_report("com.news", "3.0", 30, [], sdks=("umeng", "jpush"), sha="3" * 64))
    ingest(p, "dev2", make_report("com.game", "2.0", 20, [startup_imei("umeng")], sdks=("umeng",), sha="4" * 64))


def test_a_regulator_sees_findings_by_rule_and_sdk_prevalence_over_every_apps_latest_version(platform):
    _seed(platform)
    html = _dashboard(platform, "regulator")
    # com.shop 1.0's own findings are not counted: 1.1 is its latest version
    assert _bars(_svg(html, "chart-findings-by-rule")) == [("PI-DEVICE-ID-NONRESETTABLE", 2),
                                                           ("PI-SDK-COLLECT-BEFORE-CONSENT", 2)]
    assert _bars(_svg(html, "chart-sdk-prevalence")) == [("umeng", 3), ("jpush", 1)]
    links = [a.get("href") for a in _svg(html, "chart-sdk-prevalence").iter(f"{SVG}a")]
    assert links == ["/sdks/umeng", "/sdks/jpush"]


def test_a_developers_charts_count_only_their_own_apps(sqlite_platform):
    p = sqlite_platform
    _seed(p)
    dev2 = _dashboard(p, "dev2")
    assert _bars(_svg(dev2, "chart-findings-by-rule")) == [("PI-DEVICE-ID-NONRESETTABLE", 1),
                                                           ("PI-SDK-COLLECT-BEFORE-CONSENT", 1)]
    assert _bars(_svg(dev2, "chart-sdk-prevalence")) == [("umeng", 1)]
    dev = _dashboard(p, "dev")
    assert _bars(_svg(dev, "chart-sdk-prevalence")) == [("umeng", 2), ("jpush", 1)]


def test_findings_per_month_counts_the_versions_filed_each_month_for_twelve_months(sqlite_platform):
    p = sqlite_platform
    _seed(p)
    with p.sessions() as db:  # when each version was filed: 1.0 in July, 1.1 and com.game in September
        for sha, at in (("1" * 64, dt.datetime(2026, 7, 3)), ("2" * 64, dt.datetime(2026, 9, 1)),
                        ("3" * 64, dt.datetime(2025, 1, 9)), ("4" * 64, dt.datetime(2026, 9, 27, 23, 59))):
            db.execute(update(AppVersion).where(AppVersion.sha256 == sha).values(created_at=at))
        db.commit()
    columns = _bars(_svg(_dashboard(p, "regulator"), "chart-findings-per-month"))  # the platform's date: 2026-09-28
    assert columns == [("2025-10", 0), ("2025-11", 0), ("2025-12", 0), ("2026-01", 0), ("2026-02", 0),
                       ("2026-03", 0), ("2026-04", 0), ("2026-05", 0), ("2026-06", 0), ("2026-07", 2),
                       ("2026-08", 0), ("2026-09", 4)]
    dev2 = _bars(_svg(_dashboard(p, "dev2"), "chart-findings-per-month"))
    assert [c for c in dev2 if c[1]] == [("2026-09", 2)]


def test_charts_hold_no_script_and_no_inline_style_and_the_page_keeps_the_strict_csp(sqlite_platform):
    p = sqlite_platform
    _seed(p)
    token, _csrf = web_login(p, "regulator")
    res = p.client.get("/", cookies={"hegui_session": token})
    csp = res.headers["content-security-policy"]
    assert ("script-src 'self'" in csp, "style-src 'self'" in csp, "unsafe-inline" in csp) == (True, True, False)
    charts = re.findall(r"<svg .*?</svg>", res.text, re.S)
    assert len(charts) == 3
    for svg in charts:
        assert ("<script" in svg, "<style" in svg, "style=" in svg, "http://" in svg.replace(
            'xmlns="http://www.w3.org/2000/svg"', "")) == (False, False, False, False)


def test_an_sdk_name_from_an_apk_is_escaped_in_the_chart(sqlite_platform):
    p = sqlite_platform
    report = make_report("com.shop", "1.0", 1, [], sdks=("evil",), sha="5" * 64)
    report["sdks"][0]["name"] = '</text><script>alert(1)"&'
    ingest(p, "dev", report)
    html = _dashboard(p, "regulator")
    assert "<script>alert" not in html
    svg = _svg(html, "chart-sdk-prevalence")  # still well-formed XML
    assert _bars(svg) == [('</text><script>alert(1)"&', 1)]


def test_a_dashboard_without_findings_or_sdks_says_so_instead_of_drawing_empty_charts(sqlite_platform):
    html = _dashboard(sqlite_platform, "regulator")
    assert ('id="chart-findings-by-rule"' in html, 'id="chart-sdk-prevalence"' in html,
            html.count("暂无数据")) == (False, False, 2)
    assert {v for _label, v in _bars(_svg(html, "chart-findings-per-month"))} == {0}


def test_bar_lengths_are_proportional_to_the_largest_value():
    svg = ET.fromstring(str(bar_chart("c", "t", [Bar("a", 10), Bar("b", 5), Bar("c", 0)], width=500,
                                      label_width=100)))
    assert [int(r.get("width")) for r in svg.iter(f"{SVG}rect")] == [340, 170, 0]
    assert svg.find(f"{SVG}title").text == "t"


def test_a_long_label_is_cut_but_kept_whole_in_the_tooltip():
    label = "很长的第三方SDK名称" * 5  # 8 Chinese characters (2 columns each) and 3 letters, 5 times: 95 columns
    svg = ET.fromstring(str(column_chart("c", "t", [Bar(label, 3)])))
    assert svg.find(f"{SVG}g/{SVG}text[@class='label']").text == "很长的第三方SDK名称很长的第三方SDK名称…"  # 19 columns each, then the ellipsis
    rule = "PI-SEC-PI-IN-LOGS-OR-PLAINTEXT-STORAGE"  # the longest rule id is not cut
    assert ET.fromstring(str(bar_chart("c", "t", [Bar(rule, 1)]))).find(f"{SVG}g/{SVG}text").text == rule
    assert svg.find(f"{SVG}g/{SVG}title").text == f"{label}: 3"


def test_month_starts_cross_the_year_boundary():
    assert month_starts(dt.date(2026, 2, 14), 4) == [dt.date(2025, 11, 1), dt.date(2025, 12, 1),
                                                     dt.date(2026, 1, 1), dt.date(2026, 2, 1)]


def test_chart_data_is_shared_by_staff_kept_until_a_filing_and_not_shared_with_developers(sqlite_platform):
    from hegui.platform.dashboard import ChartCache
    from hegui.platform.db import App, User

    p = sqlite_platform
    _seed(p)
    cache = ChartCache(ttl_s=60)
    on = dt.date(2026, 9, 28)
    with p.sessions() as db:
        users = {u.name: u for u in db.query(User)}
        first = cache.get(db, users["regulator"], on)
        assert cache.get(db, users["reviewer"], on) is first  # staff see the same apps: one entry
        assert [s.id for s in cache.get(db, users["dev2"], on).prevalence] == ["umeng"]
        # what filing does not write is kept for the TTL: an app given to another account
        db.execute(update(App).where(App.package == "com.game").values(owner_id=users["dev"].id))
        db.commit()
        assert [s.apps for s in cache.get(db, users["dev2"], on).prevalence] == [1]
        assert ChartCache(ttl_s=0).get(db, users["dev2"], on).prevalence == []
        ingest(p, "dev2", make_report("com.extra", "1.0", 1, [startup_imei()], sha="6" * 64))
        after = cache.get(db, users["regulator"], on)  # a filing shows at once
    assert dict(first.by_rule) == {"PI-DEVICE-ID-NONRESETTABLE": 2, "PI-SDK-COLLECT-BEFORE-CONSENT": 2}
    assert dict(after.by_rule) == {"PI-DEVICE-ID-NONRESETTABLE": 3, "PI-SDK-COLLECT-BEFORE-CONSENT": 2,
                                   "PI-COLLECT-BEFORE-CONSENT": 1}


def test_an_sdk_vendors_overview_lists_the_sdks_of_all_their_done_scans(platform):
    aar = make_report("com.umeng.sdk", "9.0", 90, [startup_imei("umeng")], sdks=("umeng",), sha="7" * 64)
    aar["input"]["kind"] = "aar"
    ingest(platform, "vendor", aar)
    ingest(platform, "vendor", make_report("com.vendor.demo", "1.0", 1, [], sdks=("umeng", "jpush"), sha="8" * 64))
    ingest(platform, "dev", make_report("com.other", "1.0", 1, [startup_imei("bugly")], sdks=("bugly",),
                                        sha="9" * 64))
    html = _dashboard(platform, "vendor")
    table = html[html.index('<table id="sdks">'):]
    rows = re.findall(r"<tr><td>[^<]*<code>([^<]+)</code></td><td>(\d+)</td><td>(.*?)</td></tr>",
                      table[:table.index("</table>")])
    assert [(sdk, int(scans), re.findall(r"<code>([^<]+)</code>", rules)) for sdk, scans, rules in rows] == [
        ("jpush", 1, []), ("umeng", 2, ["PI-DEVICE-ID-NONRESETTABLE", "PI-SDK-COLLECT-BEFORE-CONSENT"])]
