"""Load test of the platform's filtered list pages, REST API and web UI, on a database of 10,000 apps and
100,000 findings: p50/p95/p99 latency of each kind of list request (filter by severity, rule, status, search
with `q`, sort, deep `offset` pages, the SDK list and the dashboard with its charts). Goal: p95 under 1 s.

    python3 benchmarks/platform_load.py --db postgresql://… [--apps 10000] [--findings 100000]
                                        [--clients 4] [--requests 100] [--json FILE]

Bounded: a fixed number of requests per endpoint, a per-request timeout and an overall deadline; the server
listens on 127.0.0.1 only and runs in its own process (so the load generator does not share its GIL), with
the options of `hegui serve` (app.server_options). Each client keeps its own keep-alive connection, as separate
users would (one shared httpx pool hands every queued request to the same idle connection and leaves the rest
idle). The database must be empty; default: a temporary SQLite file (PostgreSQL is what the goal is about:
scripts/test-services.sh starts one, its URL is in /tmp/hegui-test-pg/url; create an empty database in it).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import multiprocessing
import random
import shutil
import signal
import socket
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

RULES = ["PI-COLLECT-BEFORE-CONSENT", "PI-DEVICE-ID-NONRESETTABLE", "PI-APPLIST-COLLECTION", "PI-POLICY-ABSENT",
         "PI-SDK-COLLECT-BEFORE-CONSENT", "PI-START-SELF", "PI-CLIPBOARD-READ", "PI-LOCATION-OVERREACH",
         "PI-PERM-ADVANCE-OR-UNRELATED-REQUEST", "PI-SEC-PLAINTEXT-TRANSMISSION"]
SEVERITIES = ["low", "medium", "high", "critical"]
SDK_POOL = [f"sdk{i:02d}" for i in range(40)]
DEVELOPERS = 50
CASE_STATUSES = ["notice_sent", "recheck_failed", "closed", "escalated"]
TODAY = dt.date(2026, 9, 28)


def seed(db_url: str, apps: int, findings: int) -> dict:
    """Users, `apps` apps (every fifth with a second version), their scans with reports, `findings` finding rows,
    the SDK table, cases and clues, bulk-inserted; plus a regulator's web session. Returns the credentials."""
    from sqlalchemy import insert

    from hegui import knowledge
    from hegui.platform.accounts import create_user
    from hegui.platform.db import (
        App,
        AppVersion,
        Case,
        Clue,
        FindingRow,
        Scan,
        SdkUsage,
        WebSession,
        make_engine,
        session_factory,
        utcnow,
    )
    from hegui.platform.migrate import upgrade_head
    from hegui.platform.security import new_csrf_token, new_token, token_digest
    from hegui.report.model import SEVERITY_ORDER

    engine = make_engine(db_url)
    upgrade_head(engine)
    rulebook = knowledge.rulebook()
    rng = random.Random(12)
    start = dt.datetime(2025, 10, 1)
    with session_factory(engine)() as db:
        reg, reg_token = create_user(db, "bench-regulator", "regulator")
        devs = [create_user(db, f"bench-dev{i}", "developer")[0] for i in range(DEVELOPERS)]
        cookie = new_token()
        db.add(WebSession(user_id=reg.id, token_sha256=token_digest(cookie), csrf_token=new_csrf_token(),
                          expires_at=utcnow() + dt.timedelta(days=1)))
        db.commit()
        db.execute(insert(App), [{"id": i + 1, "package": f"com.bench.app{i}", "kind": "app", "label": f"应用{i}",
                                  "owner_id": devs[i % DEVELOPERS].id, "repeat_offender": i % 97 == 0,
                                  "created_at": start + dt.timedelta(minutes=50 * i)} for i in range(apps)])
        versions = [(a, 1) for a in range(1, apps + 1)] + [(a, 2) for a in range(1, apps + 1, 5)]
        per_version, extra = divmod(findings, len(versions))
        scans, vers, rows, usages = [], [], [], []
        for v, (app_id, build) in enumerate(versions, start=1):
            sha = f"{v:064x}"
            sdks = rng.sample(SDK_POOL, 3)
            picked = [(RULES[(v + k) % len(RULES)], SEVERITIES[(v * 7 + k) % 4],
                       sdks[k % 3] if k % 3 == 0 else "app") for k in range(per_version + (v <= extra))]
            filed = start + dt.timedelta(minutes=40 * v)
            scans.append({"id": v, "uploader_id": devs[(app_id - 1) % DEVELOPERS].id, "sha256": sha, "size": 1,
                          "filename": f"app{app_id}-{build}.apk", "status": "done", "attempts": 1, "kind": "apk",
                          "report_json": {"app": {"package": f"com.bench.app{app_id - 1}", "version_code": build},
                                          "sdks": [{"id": s, "name": s.upper()} for s in sdks]},
                          "version_id": v, "created_at": filed, "finished_at": filed})
            vers.append({"id": v, "app_id": app_id, "sha256": sha, "version_name": f"1.{build}",
                         "version_code": build, "scan_id": v, "created_at": filed})
            rows += [{"version_id": v, "app_id": app_id, "rule_id": rule, "severity": sev, "subject": subject,
                      "title_zh": rulebook[rule].title_zh, "title_en": rulebook[rule].title_en}
                     for rule, sev, subject in picked]
            # the first build of an app with a second one is no longer its latest
            latest = build == 2 or (app_id - 1) % 5 != 0
            usages += [{"sdk_id": s, "sdk_name": s.upper(), "sdk_version": None, "app_id": app_id, "version_id": v,
                        "latest": latest, "findings": sum(1 for _r, _s, sub in picked if sub == s),
                        "before_consent_findings": sum(1 for r, _s, sub in picked if sub == s and "BEFORE" in r),
                        "worst_rank": max((SEVERITY_ORDER[sv] for _r, sv, sub in picked if sub == s), default=0),
                        "pi_call_sites": 2, "startup_call_sites": 1, "calls": [["imei", "api", True]]}
                       for s in sdks]
        for table, data in ((AppVersion, vers), (Scan, scans), (FindingRow, rows), (SdkUsage, usages)):
            for at in range(0, len(data), 5_000):
                db.execute(insert(table), data[at:at + 5_000])
        db.execute(insert(Case), [{"app_id": a, "version_id": a, "rule_ids": [RULES[a % len(RULES)]],
                                   "status": CASE_STATUSES[a % 4], "notice_date": TODAY - dt.timedelta(days=a % 60),
                                   "deadline": TODAY + dt.timedelta(days=a % 30 - 10), "deadline_approximate": False,
                                   "note": f"案件 {a}", "created_by": reg.id} for a in range(1, apps + 1, 5)])
        db.execute(insert(Clue), [{"app_id": a, "rule_id": RULES[a % len(RULES)], "version_id": a,
                                   "note": f"线索 {a}", "status": "open" if a % 3 else "in_case",
                                   "created_by": reg.id, "created_at": start + dt.timedelta(hours=a)}
                                  for a in range(1, apps + 1, 2)])
        db.commit()
    if engine.dialect.name == "postgresql":  # a live database is analysed by autovacuum; these rows just arrived
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    return {"regulator": reg_token, "cookie": cookie, "apps": apps, "versions": len(versions),
            "findings": len(rows), "sdk_rows": len(usages)}


def serve(db_url: str, data_dir: str, port: int) -> None:
    import logging

    import uvicorn

    from hegui.platform.app import create_app, server_options
    from hegui.platform.config import Settings

    logging.disable(logging.WARNING)
    # All simulated clients share one regulator: the per-account in-flight cap (gate.py) is lifted so it cannot
    # answer 429; everything else is the served configuration. The platform's date is the seeded one.
    settings = Settings(db_url=db_url, data_dir=Path(data_dir), start_worker=False, per_client_requests=100_000,
                        today=lambda: TODAY)
    uvicorn.run(create_app(settings, migrate=False), host="127.0.0.1", port=port, log_level="error",
                **server_options(settings))


def endpoints(seeded: dict, n: int, rng: random.Random) -> dict[str, tuple[str, list[str]]]:
    """name -> ("api" | "web", request paths): each kind of filtered list page, with varied values."""
    apps, found = seeded["apps"], seeded["findings"]

    def many(make) -> list[str]:
        return [make() for _ in range(n)]

    return {
        "API findings ?severity": ("api", many(lambda: f"/api/v1/findings?severity={rng.choice(SEVERITIES)}")),
        "API findings ?rule_id&sort=-id": ("api", many(
            lambda: f"/api/v1/findings?rule_id={rng.choice(RULES)}&sort=-id")),
        "API findings ?q=package": ("api", many(lambda: f"/api/v1/findings?q=app{rng.randrange(apps)}")),
        "API findings deep offset": ("api", many(
            lambda: f"/api/v1/findings?offset={rng.randrange(found - 100)}&limit=100")),
        "API findings ?sort=-severity deep": ("api", many(
            lambda: f"/api/v1/findings?sort=-severity&offset={rng.randrange(found // 2, found - 50)}")),
        "API apps ?q&sort=-created": ("api", many(lambda: f"/api/v1/apps?q=app{rng.randrange(apps // 10)}"
                                                          "&sort=-created")),
        "API apps deep offset": ("api", many(lambda: f"/api/v1/apps?offset={rng.randrange(apps - 50)}")),
        "API scans ?status&deep": ("api", many(lambda: f"/api/v1/scans?status=done&offset={rng.randrange(apps)}")),
        "API cases ?status&sort=deadline": ("api", many(
            lambda: f"/api/v1/cases?status={rng.choice(CASE_STATUSES)}&sort=deadline")),
        "API clues ?status&q": ("api", many(lambda: f"/api/v1/clues?status=open&q={rng.choice(RULES)[:12]}")),
        "API sdks ?sort=-apps": ("api", many(lambda: f"/api/v1/sdks?sort={rng.choice(['-apps', '-findings'])}")),
        "web / (overview, charts)": ("web", many(lambda: "/")),
        "web /cases ?status&q": ("web", many(lambda: f"/cases?status={rng.choice(CASE_STATUSES)}"
                                                     f"&q=app{rng.randrange(100)}")),
        "web /scans deep offset": ("web", many(lambda: f"/scans?offset={rng.randrange(apps)}")),
        "web /clues ?sort=package": ("web", many(lambda: f"/clues?sort=package&offset={rng.randrange(4000)}")),
        "web /sdks ?sort=-findings": ("web", many(lambda: "/sdks?sort=-findings")),
    }


async def hammer(base: str, paths: list[str], headers: dict[str, str], clients: int,
                 timeout: float) -> tuple[list[float], Counter[str]]:
    import httpx

    latencies: list[float] = []
    errors: Counter[str] = Counter()
    queue: asyncio.Queue[str] = asyncio.Queue()
    for p in paths:
        queue.put_nowait(p)
    one_connection = httpx.Limits(max_connections=1, max_keepalive_connections=1)

    async def client_loop() -> None:
        async with httpx.AsyncClient(base_url=base, headers=headers, limits=one_connection,
                                     timeout=timeout) as client:
            while True:
                try:
                    path = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                started = time.perf_counter()
                try:
                    res = await client.get(path)
                    if res.status_code != 200:
                        errors[f"HTTP {res.status_code}"] += 1
                except httpx.HTTPError as err:
                    errors[type(err).__name__] += 1
                latencies.append(time.perf_counter() - started)

    await asyncio.gather(*(client_loop() for _ in range(clients)))
    return latencies, errors


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", help="database URL of an empty database (default: temporary SQLite)")
    ap.add_argument("--apps", type=int, default=10_000)
    ap.add_argument("--findings", type=int, default=100_000)
    ap.add_argument("--clients", type=int, default=4, help="concurrent clients, one connection each")
    ap.add_argument("--requests", type=int, default=100, help="requests per endpoint")
    ap.add_argument("--timeout", type=float, default=30.0, help="per-request timeout, seconds")
    ap.add_argument("--deadline", type=float, default=900.0, help="overall limit, seconds")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()

    # SIGTERM (e.g. from `timeout`) must still run the `finally` below that stops the server process.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    work = Path(tempfile.mkdtemp(prefix="hegui-load-"))
    db_url = args.db or f"sqlite:///{work / 'load.sqlite3'}"
    t0 = time.perf_counter()
    seeded = seed(db_url, args.apps, args.findings)
    print(f"seeded {seeded['apps']:,} apps, {seeded['versions']:,} versions, {seeded['findings']:,} findings, "
          f"{seeded['sdk_rows']:,} SDK rows in {time.perf_counter() - t0:.1f} s ({db_url.split(':')[0]})",
          file=sys.stderr)

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = multiprocessing.get_context("spawn").Process(target=serve, args=(db_url, str(work), port), daemon=True)
    server.start()
    try:
        return run_load(args, seeded, f"http://127.0.0.1:{port}")
    finally:
        server.kill()  # not terminate(): a graceful shutdown would wait for in-flight requests
        server.join(10)
        shutil.rmtree(work, ignore_errors=True)


def run_load(args: argparse.Namespace, seeded: dict, base: str) -> int:
    import httpx

    ready_by = time.monotonic() + 60
    while time.monotonic() < ready_by:
        try:
            if httpx.get(f"{base}/openapi.json", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    headers = {"api": {"Authorization": f"Bearer {seeded['regulator']}"},
               "web": {"Cookie": f"hegui_session={seeded['cookie']}"}}
    results = {}
    started = time.monotonic()
    for name, (kind, paths) in endpoints(seeded, args.requests, random.Random(7)).items():
        if time.monotonic() - started > args.deadline:
            print(f"deadline reached; skipping {name}", file=sys.stderr)
            continue
        asyncio.run(hammer(base, paths[:2], headers[kind], 1, args.timeout))  # warm the server's caches
        lat, errors = asyncio.run(hammer(base, paths, headers[kind], args.clients, args.timeout))
        results[name] = {"requests": len(lat), "errors": sum(errors.values()), "error_kinds": dict(errors),
                         **{f"p{q}_ms": round(percentile(lat, q) * 1000, 1) for q in (50, 95, 99)}}
    print(f"{'list request':36} {'requests':>8} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for name, r in results.items():
        print(f"{name:36} {r['requests']:>8} {r['errors']:>6} {r['p50_ms']:>8} {r['p95_ms']:>8} {r['p99_ms']:>8}"
              + (f"  {r['error_kinds']}" if r["error_kinds"] else ""))
    worst = max(r["p95_ms"] for r in results.values())
    print(f"worst p95: {worst} ms (goal < 1000 ms) with {args.clients} concurrent clients")
    summary = {"db": (args.db or "sqlite").split(":")[0], "clients": args.clients,
               **{k: seeded[k] for k in ("apps", "versions", "findings", "sdk_rows")}, "endpoints": results}
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    return 1 if any(r["errors"] for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
