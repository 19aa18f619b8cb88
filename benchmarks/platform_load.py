"""Load test of the platform's REST API on loopback: p50/p99 latency with 100 concurrent clients and
100,000 findings in the database.

    python3 benchmarks/platform_load.py [--db URL] [--findings 100000] [--clients 100] [--requests 2000]

Bounded: a fixed number of requests per endpoint, a per-request timeout and an overall deadline; the server
listens on 127.0.0.1 only and runs in its own process (so the load generator does not share its GIL), with
the options of `hegui serve` (app.server_options).

Each client has its own keep-alive connection, as 100 separate users would. (One shared httpx pool is not that:
httpcore hands every request queued in one pass to the same idle connection, so ~90 of 100 connections sat idle
while requests retried on a few, latency included client-side queueing, and the idle ones were closed by the
server mid-run.)
Default database: a temporary SQLite file; pass ``--db postgresql://…`` for PostgreSQL (an empty database).
"""

from __future__ import annotations

import argparse
import asyncio
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


def seed(db_url: str, data_dir: Path, findings: int, per_version: int = 50) -> dict:
    """Users, apps, versions, scans with reports, and `findings` finding rows (bulk inserts)."""
    from sqlalchemy import insert

    from hegui import knowledge
    from hegui.platform.accounts import create_user
    from hegui.platform.db import App, AppVersion, Case, FindingRow, Scan, make_engine, session_factory
    from hegui.platform.migrate import upgrade_head

    engine = make_engine(db_url)
    upgrade_head(engine)
    rulebook = knowledge.rulebook()
    versions = findings // per_version
    apps = max(1, versions // 2)
    with session_factory(engine)() as db:
        reg, reg_token = create_user(db, "bench-regulator", "regulator")
        dev, dev_token = create_user(db, "bench-developer", "developer")
        db.commit()
        db.execute(insert(App), [{"id": i + 1, "package": f"com.bench.app{i}", "label": f"应用{i}",
                                  "owner_id": dev.id if i % 10 == 0 else None, "repeat_offender": False}
                                 for i in range(apps)])
        scans, vers, rows = [], [], []
        for v in range(versions):
            app_id = v % apps + 1
            sha = f"{v:064x}"
            picked = [RULES[(v + k) % len(RULES)] for k in range(per_version)]
            report = {"schema_version": "1", "tool": {"name": "hegui", "version": "bench"},
                      "input": {"path": "x.apk", "sha256": sha, "size": 1},
                      "app": {"package": f"com.bench.app{app_id - 1}", "version_name": f"1.{v}", "version_code": v},
                      "findings": [{"rule_id": r, "severity": "high", "subject": f"sdk{k}", "title_zh": "", "title_en": "",
                                    "sources": [], "evidence": [], "remediation": ""}
                                   for k, r in enumerate(picked[:5])]}
            scans.append({"id": v + 1, "uploader_id": dev.id, "sha256": sha, "size": 1, "filename": "x.apk",
                          "status": "done", "attempts": 1, "report_json": report, "version_id": None})
            vers.append({"id": v + 1, "app_id": app_id, "sha256": sha, "version_name": f"1.{v}", "version_code": v,
                         "scan_id": v + 1})
            for k, rule in enumerate(picked):
                info = rulebook[rule]
                rows.append({"version_id": v + 1, "app_id": app_id, "rule_id": rule,
                             "severity": SEVERITIES[(v + k) % 4], "subject": "app" if k % 3 else f"sdk{k}",
                             "title_zh": info.title_zh, "title_en": info.title_en})
        db.execute(insert(Scan), scans)
        db.execute(insert(AppVersion), vers)
        for start in range(0, len(rows), 10_000):
            db.execute(insert(FindingRow), rows[start:start + 10_000])
        import datetime as dt
        db.execute(insert(Case), [{"app_id": a + 1, "version_id": a + 1, "rule_ids": [RULES[0]], "status": "notice_sent",
                                   "notice_date": dt.date(2026, 9, 28), "deadline": dt.date(2026, 10, 10),
                                   "deadline_approximate": False, "note": "", "created_by": reg.id}
                                  for a in range(0, apps, 5)])
        db.commit()
    engine.dispose()
    return {"regulator": reg_token, "developer": dev_token, "apps": apps, "versions": versions,
            "findings": len(rows)}


def serve(db_url: str, data_dir: str, port: int) -> None:
    import logging

    import uvicorn

    from hegui.platform.app import create_app, server_options
    from hegui.platform.config import Settings

    logging.disable(logging.WARNING)
    # All simulated clients share one regulator token: the per-account in-flight cap (gate.py) would answer 429
    # to the clients past it, so it is lifted here; everything else is the served configuration.
    settings = Settings(db_url=db_url, data_dir=Path(data_dir), start_worker=False, per_client_requests=100_000)
    uvicorn.run(create_app(settings, migrate=False), host="127.0.0.1", port=port, log_level="error",
                **server_options(settings))


async def hammer(base: str, paths: list[str], token: str, clients: int,
                 timeout: float) -> tuple[list[float], Counter[str]]:
    import httpx

    latencies: list[float] = []
    errors: Counter[str] = Counter()
    queue: asyncio.Queue[str] = asyncio.Queue()
    for p in paths:
        queue.put_nowait(p)
    one_connection = httpx.Limits(max_connections=1, max_keepalive_connections=1)

    async def client_loop() -> None:
        async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"},
                                     limits=one_connection, timeout=timeout) as client:
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


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", help="database URL (default: temporary SQLite)")
    ap.add_argument("--findings", type=int, default=100_000)
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--requests", type=int, default=2000, help="requests per endpoint")
    ap.add_argument("--timeout", type=float, default=30.0, help="per-request timeout, seconds")
    ap.add_argument("--deadline", type=float, default=900.0, help="overall limit, seconds")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()

    # SIGTERM (e.g. from `timeout`) must still run the `finally` below that stops the server process.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    work = Path(tempfile.mkdtemp(prefix="hegui-load-"))
    db_url = args.db or f"sqlite:///{work / 'load.sqlite3'}"
    t0 = time.perf_counter()
    seeded = seed(db_url, work, args.findings)
    print(f"seeded {seeded['findings']:,} findings, {seeded['versions']:,} versions, {seeded['apps']:,} apps "
          f"in {time.perf_counter() - t0:.1f} s ({db_url.split(':')[0]})", file=sys.stderr)

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = multiprocessing.get_context("spawn").Process(target=serve, args=(db_url, str(work), port), daemon=True)
    server.start()
    base = f"http://127.0.0.1:{port}"

    try:
        return run_load(args, seeded, server, base)
    finally:
        server.kill()  # not terminate(): a graceful shutdown would wait for in-flight requests
        server.join(10)
        shutil.rmtree(work, ignore_errors=True)


def run_load(args: argparse.Namespace, seeded: dict, server, base: str) -> int:
    import httpx

    ready_by = time.monotonic() + 60
    while time.monotonic() < ready_by:
        try:
            if httpx.get(f"{base}/openapi.json", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    rng = random.Random(7)
    n = args.requests
    endpoints = {
        "GET /api/v1/apps": ["/api/v1/apps?limit=50"] * n,
        "GET /api/v1/apps/{id}": [f"/api/v1/apps/{rng.randint(1, seeded['apps'])}" for _ in range(n)],
        "GET /api/v1/scans/{id}": [f"/api/v1/scans/{rng.randint(1, seeded['versions'])}" for _ in range(n)],
        "GET /api/v1/findings?rule_id": [f"/api/v1/findings?rule_id={rng.choice(RULES)}&limit=100"
                                         f"&after_id={rng.randint(0, seeded['findings'] - 200)}" for _ in range(n)],
        "GET /api/v1/findings?app_id": [f"/api/v1/findings?app_id={rng.randint(1, seeded['apps'])}&limit=100"
                                        for _ in range(n)],
        "GET /api/v1/cases": ["/api/v1/cases"] * max(1, n // 10),
    }
    results = {}
    started = time.monotonic()
    for name, paths in endpoints.items():
        if time.monotonic() - started > args.deadline:
            print(f"deadline reached; skipping {name}", file=sys.stderr)
            continue
        t = time.perf_counter()
        lat, errors = asyncio.run(hammer(base, paths, seeded["regulator"], args.clients, args.timeout))
        wall = time.perf_counter() - t
        results[name] = {"requests": len(lat), "errors": sum(errors.values()), "error_kinds": dict(errors),
                         "p50_ms": round(percentile(lat, 50) * 1000, 1),
                         "p99_ms": round(percentile(lat, 99) * 1000, 1), "rps": round(len(lat) / wall, 1)}
    print(f"{'endpoint':34} {'requests':>9} {'errors':>7} {'p50 ms':>9} {'p99 ms':>9} {'req/s':>8}")
    for name, r in results.items():
        print(f"{name:34} {r['requests']:>9} {r['errors']:>7} {r['p50_ms']:>9} {r['p99_ms']:>9} {r['rps']:>8}"
              + (f"  {r['error_kinds']}" if r["error_kinds"] else ""))
    summary = {"db": (args.db or "sqlite").split(":")[0], "clients": args.clients, **{k: seeded[k] for k in ("apps", "versions",
                                                                                             "findings")},
               "endpoints": results}
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    return 1 if any(r["errors"] for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
