"""Campaigns (专项检测, issue 12): inputs from uploads, URLs (public addresses only unless the operator allows
private ones; fetched by the background workers, not inside the request) and a folder under the configured root;
progress; clues filed at or above the chosen severity, respecting false-positive marks; the monthly clue report."""

from __future__ import annotations

import datetime as dt
import http.server
import io
import threading
import zipfile

import pytest
from openpyxl import load_workbook
from platform_kit import finish_queued, ingest, make_report, startup_imei, web_login

from hegui.model import Evidence, Observation
from hegui.platform import campaigns
from hegui.platform.db import CampaignItem, Clue, Scan
from hegui.platform.worker import ScanWorker

BEFORE_CONSENT, DEVICE_ID = "PI-COLLECT-BEFORE-CONSENT", "PI-DEVICE-ID-NONRESETTABLE"


def package_bytes(tag: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("AndroidManifest.xml", b"\x03\x00\x08\x00")
        zf.writestr("tag.txt", tag)
    return buf.getvalue()


def later_imei() -> Observation:
    return Observation("sensitive_call", evidence=[Evidence("call", "com.demo.Settings#show → getDeviceId")],
                       attrs={"pi_type": "imei", "api": "android.telephony.TelephonyManager#getDeviceId",
                              "at_startup": False, "via_reflection": False})


def fetch_all(p, worker_id: str = "fetcher") -> int:
    """Run the background fetch of every pending URL item, as a server's fetch thread does; how many were run."""
    worker, runs = ScanWorker(p.settings, p.sessions, worker_id=worker_id), 0
    while worker.fetch_once():
        runs += 1
    return runs


def items_of(p, campaign_id: int) -> list[tuple[str, str, str | None]]:
    got = p.client.get(f"/api/v1/campaigns/{campaign_id}", headers=p.users["regulator"].auth).json()
    return [(i["ref"], i["status"], i["error"]) for i in got["items"]]


def create(p, name: str, files=(), urls: str = "", folder: str = "", severity: str = "high"):
    return p.client.post("/api/v1/campaigns", headers=p.users["regulator"].auth,
                         data={"name": name, "min_severity": severity, "urls": urls, "folder": folder},
                         files=[("files", (n, package_bytes(n), "application/zip")) for n in files] or None)


def test_a_campaign_scans_its_inputs_and_files_clues_at_the_severity(platform):
    p, rev = platform, platform.users["reviewer"].auth
    # An app already on file whose startup collection a reviewer marked a false positive.
    ingest(p, "regulator", make_report("com.demo.news", "1.0", 1, [startup_imei()], sha="9" * 64))
    fp = [f for f in p.client.get(f"/api/v1/findings?rule_id={BEFORE_CONSENT}", headers=rev).json()][0]
    p.client.post(f"/api/v1/findings/{fp['id']}/mark", headers=rev, json={"verdict": "false_positive", "reason": "误报"})

    res = create(p, "2026年9月 应用商店专项", files=("shop.apk", "settings.apk", "news.apk", "broken.apk"),
                 urls="http://127.0.0.1:9/app.apk?sig=secret")
    assert res.status_code == 201, res.text
    campaign = res.json()
    items = campaign["items"]
    assert [(i["source"], i["ref"], i["status"]) for i in items] == [
        ("upload", "shop.apk", "queued"), ("upload", "settings.apk", "queued"), ("upload", "news.apk", "queued"),
        ("upload", "broken.apk", "queued"), ("url", "http://127.0.0.1:9/app.apk", "pending")]
    assert campaign["progress"] == {"total": 5, "pending": 1, "fetching": 0, "queued": 4, "running": 0, "done": 0,
                                    "failed": 0, "clues": 0}
    # the background fetch refuses the private address (no private-URL setting) and names the URL
    assert fetch_all(p) == 1
    assert items_of(p, campaign["id"])[4] == (
        "http://127.0.0.1:9/app.apk", "failed",
        "http://127.0.0.1:9/app.apk: leads to a non-public address (127.0.0.1): not fetched")

    shop, settings_app, news, broken = (i["scan_id"] for i in items[:4])
    finish_queued(p, shop, {"report": make_report("com.demo.shop", "1.0", 1, [startup_imei()], sha="1" * 64)})
    finish_queued(p, settings_app, {"report": make_report("com.demo.settings", "1.0", 1, [later_imei()], sha="2" * 64)})
    finish_queued(p, news, {"report": make_report("com.demo.news", "1.1", 2, [startup_imei()], sha="3" * 64)})
    finish_queued(p, broken, {"error": "not an APK"})

    got = p.client.get(f"/api/v1/campaigns/{campaign['id']}", headers=p.users["regulator"].auth).json()
    assert got["progress"] == {"total": 5, "pending": 0, "fetching": 0, "queued": 0, "running": 0, "done": 3,
                               "failed": 2, "clues": 1}
    clues = p.client.get(f"/api/v1/clues?campaign_id={campaign['id']}", headers=rev).json()
    # critical before-consent collection of the shop only: the settings app's medium finding is under the bar,
    # the news app's finding is a marked false positive
    assert [(c["rule_id"], c["subject"], c["source"]) for c in clues] == [(BEFORE_CONSENT, "app", "campaign")]

    # An app with an open case about the rule gets no clue for it: the case's re-check covers it.
    ingest(p, "regulator", make_report("com.demo.mall", "1.0", 1, [startup_imei()], sha="5" * 64))
    mall = [a for a in p.client.get("/api/v1/apps?q=mall", headers=rev).json()][0]["id"]
    assert p.client.post("/api/v1/cases", headers=rev,
                         json={"app_id": mall, "rule_ids": [BEFORE_CONSENT]}).status_code == 201
    in_case = create(p, "商城复查", files=("mall-1.1.apk",)).json()
    finish_queued(p, in_case["items"][0]["scan_id"],
           {"report": make_report("com.demo.mall", "1.1", 2, [startup_imei()], sha="6" * 64)})
    assert p.client.get(f"/api/v1/clues?campaign_id={in_case['id']}", headers=rev).json() == []

    # A second campaign on the shop's next build files nothing new while the clue is open.
    again = create(p, "复查", files=("shop-1.1.apk",)).json()
    finish_queued(p, again["items"][0]["scan_id"],
           {"report": make_report("com.demo.shop", "1.1", 2, [startup_imei()], sha="4" * 64)})
    assert p.client.get(f"/api/v1/clues?campaign_id={again['id']}", headers=rev).json() == []


def test_campaign_inputs_are_refused_as_a_whole_when_wrong(sqlite_platform):
    p = sqlite_platform
    assert create(p, "空").status_code == 422
    assert create(p, "x", files=("a.apk",), severity="severe").status_code == 422
    no_root = create(p, "x", folder="drop")
    assert (no_root.status_code, no_root.json()["detail"]) == (
        422, "no campaign folder root is configured (HEGUI_CAMPAIGN_ROOT): folders cannot be scanned")


def test_a_folder_under_the_campaign_root(sqlite_platform, tmp_path):
    p = sqlite_platform
    root = tmp_path / "drops"
    (root / "2026-09" / "nested").mkdir(parents=True)
    (root / "2026-09" / "a.apk").write_bytes(package_bytes("a"))
    (root / "2026-09" / "nested" / "b.aar").write_bytes(package_bytes("b"))
    (root / "2026-09" / "readme.txt").write_text("not a package")
    (tmp_path / "secret.apk").write_bytes(package_bytes("outside"))
    (root / "2026-09" / "link.apk").symlink_to(tmp_path / "secret.apk")
    p.settings.campaign_root = root
    res = create(p, "目录导入", folder="2026-09")
    assert res.status_code == 201, res.text
    assert [(i["source"], i["ref"], i["status"]) for i in res.json()["items"]] == [
        ("folder", "2026-09/a.apk", "queued"), ("folder", "2026-09/nested/b.aar", "queued")]
    for outside in ("../", "2026-09/../../", "/etc"):
        refused = create(p, "越界", folder=outside)
        assert refused.status_code == 422, outside


class ApkServer:
    """A local HTTP server serving one package; `hold` makes it wait (a slow mirror) until `release`."""

    def __init__(self, url: str) -> None:
        self.url, self.requested, self.released = url, threading.Event(), threading.Event()
        self.released.set()

    def hold(self) -> None:
        self.released.clear()

    def release(self) -> None:
        self.released.set()


@pytest.fixture
def apk_server():
    body = package_bytes("served")
    state: list[ApkServer] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server API
            state[0].requested.set()
            state[0].released.wait(30)
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.append(ApkServer(f"http://127.0.0.1:{server.server_address[1]}"))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield state[0]
    state[0].release()
    server.shutdown()


def test_urls_are_fetched_in_the_background_after_the_request_answered(platform, apk_server):
    p, mirror = platform, apk_server
    p.settings.campaign_private_urls = True
    mirror.hold()  # a slow mirror: nothing answers until released
    res = create(p, "镜像", urls=f"# mirror\n{mirror.url}/store/app.apk?X-Amz-Signature=abc\n")
    assert res.status_code == 201, res.text
    assert not mirror.requested.is_set()  # the request answered without touching the URL
    campaign_id = res.json()["id"]
    assert items_of(p, campaign_id) == [(f"{mirror.url}/store/app.apk", "pending", None)]

    fetcher = threading.Thread(target=fetch_all, args=(p,))
    fetcher.start()
    assert mirror.requested.wait(10)
    assert items_of(p, campaign_id) == [(f"{mirror.url}/store/app.apk", "fetching", None)]
    cookie, _csrf = web_login(p, "regulator")
    page = p.client.get(f"/campaigns/{campaign_id}", headers={"Cookie": f"hegui_session={cookie}"})
    assert '<td id="progress-fetching">1</td>' in page.text
    assert '<meta http-equiv="refresh" content="10">' in page.text
    mirror.release()
    fetcher.join(30)

    got = p.client.get(f"/api/v1/campaigns/{campaign_id}", headers=p.users["regulator"].auth).json()
    [item] = got["items"]
    assert (item["ref"], item["status"], item["error"]) == (f"{mirror.url}/store/app.apk", "queued", None)
    assert got["progress"] == {"total": 1, "pending": 0, "fetching": 0, "queued": 1, "running": 0, "done": 0,
                               "failed": 0, "clues": 0}
    with p.sessions() as db:
        scan = db.get(Scan, item["scan_id"])
        assert (scan.size, scan.uploader_id) == (len(package_bytes("served")), p.users["regulator"].id)
        # the full URL (its signature) is not kept once fetched
        assert db.get(CampaignItem, item["id"]).fetch_url is None


def test_a_fetch_whose_server_died_is_taken_up_again(platform, apk_server):
    p = platform
    p.settings.campaign_private_urls = True
    campaign_id = create(p, "重启", urls=f"{apk_server.url}/a.apk\n{apk_server.url}/b.apk").json()["id"]
    with p.sessions() as db:  # a server claimed the first URL, then was killed mid-download
        claim = campaigns.claim_fetch(db, "dead-server")
    assert [s for _, s, _ in items_of(p, campaign_id)] == ["fetching", "pending"]

    restarted = ScanWorker(p.settings, p.sessions, worker_id="restarted")
    restarted.recover()  # the dead server's lease has not run out yet: its fetch is left alone
    assert [s for _, s, _ in items_of(p, campaign_id)] == ["fetching", "pending"]
    with p.sessions() as db:
        db.get(CampaignItem, claim.item_id).fetch_lease_until = dt.datetime(2000, 1, 1)
        db.commit()
    restarted.recover()
    assert [s for _, s, _ in items_of(p, campaign_id)] == ["pending", "pending"]
    assert fetch_all(p, "restarted") == 2
    assert [s for _, s, _ in items_of(p, campaign_id)] == ["queued", "queued"]
    # the dead server's late result is not stored over the new one
    with p.sessions() as db:
        assert campaigns.finish_fetch(db, p.settings, claim, "dead-server", None, "cannot be fetched: reset") is None


def test_a_restarted_sqlite_server_takes_up_every_fetch_in_progress(sqlite_platform, apk_server):
    p = sqlite_platform
    p.settings.campaign_private_urls = True
    campaign_id = create(p, "重启", urls=f"{apk_server.url}/a.apk").json()["id"]
    with p.sessions() as db:
        campaigns.claim_fetch(db, "dead-server")
    ScanWorker(p.settings, p.sessions, worker_id="restarted").recover(at_start=True)
    assert [s for _, s, _ in items_of(p, campaign_id)] == ["pending"]


def test_a_live_server_fetches_a_campaign_into_scans(live_platform, apk_server):
    p = live_platform
    p.settings.campaign_private_urls = True
    campaign_id = create(p, "后台", urls=f"{apk_server.url}/a.apk").json()["id"]
    for _ in range(100):
        if items_of(p, campaign_id)[0][1] not in ("pending", "fetching"):
            break
        threading.Event().wait(0.1)
    [(ref, status, _)] = items_of(p, campaign_id)
    assert (ref, status in ("queued", "running", "done", "failed")) == (f"{apk_server.url}/a.apk", True)
    with p.sessions() as db:
        assert db.get(CampaignItem, 1).scan_id is not None


def test_the_monthly_clue_report_counts_clues_entered_by_the_15th_in_beijing(sqlite_platform):
    p, rev = sqlite_platform, sqlite_platform.users["reviewer"].auth
    ingest(p, "dev", make_report("com.demo.shop", "1.0", 1, [startup_imei()], sha="1" * 64))
    app_id = p.client.get("/api/v1/apps", headers=rev).json()[0]["id"]
    entered = {}
    # UTC times of entry; the reporting days are Beijing's (UTC+8)
    for day, utc in (("2026-08-15", "2026-08-15T15:30:00"), ("2026-08-16", "2026-08-15T16:30:00"),
                     ("2026-09-15", "2026-09-15T15:30:00"), ("2026-09-16", "2026-09-15T16:30:00")):
        clue = p.client.post("/api/v1/clues/tips", headers=rev,
                             json={"rule_id": BEFORE_CONSENT, "note": f"举报 {day}", "app_id": app_id}).json()
        entered[day] = clue["id"]
        with p.sessions() as db:
            db.get(Clue, clue["id"]).created_at = dt.datetime.fromisoformat(utc)
            db.commit()
    res = p.client.get("/api/v1/clue-report?month=2026-09", headers=p.users["regulator"].auth)
    assert res.status_code == 200
    assert res.headers["content-disposition"] == 'attachment; filename="clues-2026-09.xlsx"'
    sheet = load_workbook(io.BytesIO(res.content)).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == ["序号", "线索编号", "录入日期", "线索来源", "应用名称", "包名", "版本", "涉及SDK", "问题类型",
                       "规则编号", "风险等级", "所属专项", "状态", "说明"]
    assert [r[:8] + r[9:] for r in rows[1:]] == [
        [1, entered["2026-08-16"], "2026-08-16", "外部举报线索", "shop", "com.demo.shop", "1.0", None,
         BEFORE_CONSENT, "严重", None, "待处理", "举报 2026-08-16"],
        [2, entered["2026-09-15"], "2026-09-15", "外部举报线索", "shop", "com.demo.shop", "1.0", None,
         BEFORE_CONSENT, "严重", None, "待处理", "举报 2026-09-15"]]
    assert p.client.get("/api/v1/clue-report?month=2026-13", headers=p.users["regulator"].auth).status_code == 422
    trail = p.client.get("/api/v1/audit?action=clue_report.export", headers=p.users["regulator"].auth).json()
    assert [(e["user"], e["target"], e["detail"]) for e in trail] == [
        ("regulator", "2026-09", "2 clues entered 2026-08-16 to 2026-09-15")]


def test_the_campaign_list_pages_and_searches(sqlite_platform):
    p, reg = sqlite_platform, sqlite_platform.users["regulator"].auth
    for name in ("一月专项", "二月专项", "二月复查"):
        assert create(p, name, files=(f"{name}.apk",)).status_code == 201
    first = p.client.get("/api/v1/campaigns?limit=2", headers=reg)
    assert ([c["name"] for c in first.json()], first.headers["x-total-count"]) == (["二月复查", "二月专项"], "3")
    assert 'rel="next"' in first.headers["link"]
    found = p.client.get("/api/v1/campaigns?q=二月&sort=name", headers=reg).json()
    assert [c["name"] for c in found] == sorted(["二月专项", "二月复查"])
    assert p.client.get("/api/v1/campaigns?colour=red", headers=reg).status_code == 422


def test_the_campaign_and_notice_settings_come_from_the_environment(monkeypatch, tmp_path):
    from hegui.platform.config import Settings

    monkeypatch.setenv("HEGUI_CAMPAIGN_ROOT", str(tmp_path))
    monkeypatch.setenv("HEGUI_CAMPAIGN_PRIVATE_URLS", "1")
    monkeypatch.setenv("HEGUI_ISSUING_AUTHORITY", "某省通信管理局")
    monkeypatch.setenv("HEGUI_NOTICE_CONTACT", "010-12345678")
    s = Settings.from_env(data_dir=tmp_path)
    assert (s.campaign_root, s.campaign_private_urls, s.issuing_authority, s.notice_contact) == (
        tmp_path, True, "某省通信管理局", "010-12345678")
    monkeypatch.delenv("HEGUI_CAMPAIGN_ROOT")
    monkeypatch.delenv("HEGUI_CAMPAIGN_PRIVATE_URLS")
    assert (Settings.from_env(data_dir=tmp_path).campaign_root, Settings.from_env(data_dir=tmp_path)
            .campaign_private_urls) == (None, False)


def test_too_many_urls_are_refused_before_any_is_fetched(sqlite_platform):
    res = create(sqlite_platform, "太多", urls="\n".join(f"https://example.com/{n}.apk" for n in range(101)))
    assert (res.status_code, res.json()["detail"]) == (422, "101 URLs, more than 100: put the packages in a folder instead")
