"""The SDK-by-version table (`sdk_usages`): written when a scan is filed, re-marked when a newer (or an older)
build arrives, and backfilled by migration 0005 from the reports stored before it."""

from __future__ import annotations

import pytest
from alembic import command
from platform_kit import ingest, make_report, startup_imei
from sqlalchemy import select, text

from hegui import knowledge
from hegui.platform.db import App, AppVersion, SdkUsage, make_engine, session_factory
from hegui.platform.migrate import alembic_config, current_revision, upgrade_head
from hegui.platform.sdk_usage import BEFORE_CONSENT_RULES, latest_version_id, usage_rows

IMEI = "android.telephony.TelephonyManager#getDeviceId"
MAC = "android.net.wifi.WifiInfo#getMacAddress"


def _call(sdk: str | None, pi_type: str, api: str, at_startup: bool) -> dict:
    return {"pi_type": pi_type, "api": api, "caller": f"{sdk or 'com.demo'}.Init#run", "sdk": sdk,
            "at_startup": at_startup, "via_reflection": False}


def _report(package: str, version: str, code: int | None, sdks: tuple[str, ...], observations=(), calls=(),
            sha: int = 0) -> dict:
    report = make_report(package, version, code or 0, list(observations), sdks=sdks, sha=f"{sha:064x}")
    report["app"]["version_code"] = code
    report["sensitive_calls"] = list(calls)
    return report


def _usages(p) -> list[tuple]:
    with p.sessions() as db:
        rows = db.execute(select(App.package, AppVersion.version_name, SdkUsage.sdk_id, SdkUsage.sdk_version,
                                 SdkUsage.latest, SdkUsage.findings, SdkUsage.before_consent_findings,
                                 SdkUsage.worst_rank, SdkUsage.pi_call_sites, SdkUsage.startup_call_sites,
                                 SdkUsage.calls)
                          .join(App, App.id == SdkUsage.app_id).join(AppVersion, AppVersion.id == SdkUsage.version_id)
                          .order_by(App.package, AppVersion.id, SdkUsage.sdk_id)).all()
    return [tuple(r) for r in rows]


def test_the_before_consent_rules_are_rules_of_the_rulebook():
    assert set(knowledge.rulebook()) >= BEFORE_CONSENT_RULES


def test_a_filed_scan_writes_one_row_per_sdk_with_its_findings_and_call_sites(platform):
    ingest(platform, "dev", _report("com.shop", "1.1", 2, ("umeng", "jpush"), [startup_imei("umeng")],
                                    [_call("umeng", "imei", IMEI, True), _call("umeng", "imei", IMEI, True),
                                     _call("umeng", "mac", MAC, False), _call(None, "imei", IMEI, True)], sha=2))
    # umeng: PI-SDK-COLLECT-BEFORE-CONSENT (critical) and PI-DEVICE-ID-NONRESETTABLE (medium); two reads of the IMEI
    # at startup are one call site; the app's own IMEI read (sdk null) is nobody's SDK's
    assert _usages(platform) == [
        ("com.shop", "1.1", "jpush", None, True, 0, 0, 0, 0, 0, []),
        ("com.shop", "1.1", "umeng", None, True, 2, 1, 4, 3, 2, [["imei", IMEI, True], ["mac", MAC, False]]),
    ]


def test_only_the_latest_build_by_version_code_counts_and_an_older_rebuild_does_not_take_it(sqlite_platform):
    p = sqlite_platform
    ingest(p, "dev", _report("com.shop", "1.0", 10, ("oldsdk",), sha=1))
    ingest(p, "dev", _report("com.shop", "1.3", 13, ("umeng",), sha=2))
    ingest(p, "dev", _report("com.shop", "1.1", 11, ("oldsdk",), sha=3))  # a rebuilt older version, uploaded last
    assert [(v, s, latest) for _p, v, s, _sv, latest, *_ in _usages(p)] == [
        ("1.0", "oldsdk", False), ("1.3", "umeng", True), ("1.1", "oldsdk", False)]
    assert [s["id"] for s in p.client.get("/api/v1/sdks", headers=p.users["regulator"].auth).json()] == ["umeng"]


def test_an_sdk_package_records_its_own_version_as_the_sdk_version(sqlite_platform):
    aar = _report("com.umeng.analytics", "9.2.1", 921, ("umeng",), sha=9)
    aar["input"]["kind"] = "aar"
    ingest(sqlite_platform, "vendor", aar)
    assert [(pkg, sdk, sdk_version) for pkg, _v, sdk, sdk_version, *_ in _usages(sqlite_platform)] == [
        ("com.umeng.analytics", "umeng", "9.2.1")]


def test_the_api_lists_before_consent_findings_and_call_sites_and_sorts_by_them(sqlite_platform):
    p = sqlite_platform
    ingest(p, "dev", _report("com.a", "1.0", 1, ("umeng", "jpush"), [startup_imei("umeng")],
                             [_call("umeng", "imei", IMEI, True), _call("jpush", "mac", MAC, False),
                              _call("jpush", "imei", IMEI, False)], sha=1))
    ingest(p, "dev2", _report("com.b", "1.0", 1, ("jpush",), [], [_call("jpush", "mac", MAC, False)], sha=2))
    res = p.client.get("/api/v1/sdks", params={"sort": "-call_sites"}, headers=p.users["regulator"].auth)
    assert [(s["id"], s["apps"], s["findings"], s["before_consent_findings"], s["pi_call_sites"])
            for s in res.json()] == [("jpush", 2, 0, 0, 3), ("umeng", 1, 2, 1, 1)]
    res = p.client.get("/api/v1/sdks", params={"sort": "-before_consent"}, headers=p.users["regulator"].auth)
    assert [s["id"] for s in res.json()] == ["umeng", "jpush"]


@pytest.mark.parametrize(("versions", "expected"), [
    ([(1, 10), (2, 13), (3, 11)], 2),   # the highest versionCode, whatever the upload order
    ([(1, 5), (2, 5)], 2),              # the same versionCode: the newer upload
    ([(1, None), (2, 3), (3, None)], 2),  # builds without a versionCode come last
    ([(1, None), (2, None)], 2),
    ([], None),
])
def test_which_version_is_the_latest(versions, expected):
    assert latest_version_id(versions) == expected


def test_usage_rows_of_a_report_without_sdks_is_empty():
    assert usage_rows({"findings": [{"subject": "app", "rule_id": "PI-POLICY-ABSENT", "severity": "high"}],
                       "sensitive_calls": [_call(None, "imei", IMEI, True)]}) == []


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    return f"sqlite:///{tmp_path / 'db.sqlite3'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")


def _insert_version(conn, vid: int, app_id: int, name: str, code: int | None, report: dict) -> None:
    import json

    conn.execute(text("INSERT INTO scans (id, uploader_id, sha256, size, filename, status, attempts, created_at, "
                      "report_json, version_id) VALUES (:id, 1, :sha, 1, 'a.apk', 'done', 1, CURRENT_TIMESTAMP, "
                      ":report, NULL)"), {"id": vid, "sha": f"{vid:064x}", "report": json.dumps(report)})
    conn.execute(text("INSERT INTO app_versions (id, app_id, sha256, version_name, version_code, scan_id, created_at) "
                      "VALUES (:id, :app, :sha, :name, :code, :id, CURRENT_TIMESTAMP)"),
                 {"id": vid, "app": app_id, "sha": f"{vid:064x}", "name": name, "code": code})


def test_migration_0005_backfills_the_table_from_the_stored_reports(db_url):
    engine = make_engine(db_url)
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0003")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO users (id, name, role, created_at, disabled) VALUES (1, 'old', 'developer', "
                          "CURRENT_TIMESTAMP, false)"))
        for app_id, package, kind in ((1, "com.shop", "app"), (2, "com.umeng.sdk", "sdk")):
            conn.execute(text("INSERT INTO apps (id, package, kind, owner_id, repeat_offender, created_at) "
                              "VALUES (:id, :package, :kind, 1, false, CURRENT_TIMESTAMP)"),
                         {"id": app_id, "package": package, "kind": kind})
        _insert_version(conn, 1, 1, "1.3", 13, _report("com.shop", "1.3", 13, ("umeng",), [startup_imei("umeng")],
                                                       [_call("umeng", "imei", IMEI, True)], sha=1))
        _insert_version(conn, 2, 1, "1.1", 11, _report("com.shop", "1.1", 11, ("jpush",), sha=2))  # older, later
        _insert_version(conn, 3, 2, "9.0", 90, _report("com.umeng.sdk", "9.0", 90, ("umeng",), sha=3))
    upgrade_head(engine)
    assert current_revision(engine) == "0007"
    with session_factory(engine)() as db:
        rows = db.execute(select(SdkUsage.version_id, SdkUsage.sdk_id, SdkUsage.sdk_version, SdkUsage.latest,
                                 SdkUsage.findings, SdkUsage.before_consent_findings, SdkUsage.worst_rank,
                                 SdkUsage.pi_call_sites, SdkUsage.calls).order_by(SdkUsage.version_id)).all()
    assert [tuple(r) for r in rows] == [
        (1, "umeng", None, True, 2, 1, 4, 1, [["imei", IMEI, True]]),
        (2, "jpush", None, False, 0, 0, 0, 0, []),
        (3, "umeng", "9.0", True, 0, 0, 0, 0, []),
    ]
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0003")
    assert current_revision(engine) == "0003"
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM app_versions")).scalar() == 3
    engine.dispose()


def test_findings_search_matches_the_apps_package_and_name_and_the_findings_own_text(platform):
    ingest(platform, "dev", make_report("com.shop", "1.0", 1, [startup_imei()], sha="1" * 64))  # label "shop"
    ingest(platform, "dev", make_report("com.news", "1.0", 1, [startup_imei("umeng")], sdks=("umeng",),
                                        sha="2" * 64))
    auth = platform.users["regulator"].auth

    def found(q: str) -> list[tuple[str, str]]:
        res = platform.client.get("/api/v1/findings", params={"q": q, "sort": "rule"}, headers=auth)
        return [(f["rule_id"], f["subject"]) for f in res.json()]

    assert found("com.shop") == [("PI-COLLECT-BEFORE-CONSENT", "app"), ("PI-DEVICE-ID-NONRESETTABLE", "app")]
    assert found("umeng") == [("PI-DEVICE-ID-NONRESETTABLE", "umeng"), ("PI-SDK-COLLECT-BEFORE-CONSENT", "umeng")]
    assert found("SDK-COLLECT") == [("PI-SDK-COLLECT-BEFORE-CONSENT", "umeng")]
    assert found("nothing-like-this") == []


def test_postgresql_gets_the_trigram_indexes_of_list_searches(pg_url):
    from sqlalchemy import inspect

    engine = make_engine(pg_url)
    upgrade_head(engine)
    found = {(table, ix["name"], tuple(ix["column_names"])) for table in ("findings", "apps")
             for ix in inspect(engine).get_indexes(table) if ix["name"].startswith("ix_trgm_")}
    assert found == {("findings", "ix_trgm_findings_rule_id", ("rule_id",)),
                     ("findings", "ix_trgm_findings_subject", ("subject",)),
                     ("findings", "ix_trgm_findings_title_zh", ("title_zh",)),
                     ("findings", "ix_trgm_findings_title_en", ("title_en",)),
                     ("apps", "ix_trgm_apps_package", ("package",)), ("apps", "ix_trgm_apps_label", ("label",))}
    with engine.connect() as conn:  # they can serve the search's shape (an empty table's planner would scan it)
        conn.execute(text("SET enable_seqscan = off"))
        plan = "\n".join(conn.execute(text(
            "EXPLAIN SELECT id FROM findings WHERE title_en ILIKE '%consent%' OR app_id IN (1, 2)")).scalars())
    engine.dispose()
    assert ("ix_trgm_findings_title_en" in plan, "Seq Scan on findings" in plan) == (True, False)


def test_findings_sorted_by_severity_go_by_rank_not_by_the_word(platform):
    report = make_report("com.sev", "1.0", 1, [startup_imei()], sha="3" * 64)  # critical and medium findings
    report["findings"].append({**report["findings"][0], "rule_id": "PI-POLICY-ABSENT", "severity": "high"})
    report["findings"].append({**report["findings"][0], "rule_id": "PI-START-SELF", "severity": "low"})
    ingest(platform, "dev", report)
    auth = platform.users["regulator"].auth
    down = platform.client.get("/api/v1/findings", params={"sort": "-severity"}, headers=auth).json()
    up = platform.client.get("/api/v1/findings", params={"sort": "severity"}, headers=auth).json()
    assert [f["severity"] for f in down] == ["critical", "high", "medium", "low"]
    assert [f["severity"] for f in up] == ["low", "medium", "high", "critical"]
