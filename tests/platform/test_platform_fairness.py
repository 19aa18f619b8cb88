"""Fair scan queue and per-account quotas (issue 10 item 6): one account's many uploads do not delay another's
scan by more than one scan per worker, and developers' uploads are bounded in number, waiting scans and bytes."""

from __future__ import annotations

import io
import os
import zipfile

from platform_kit import tiny_zip
from sqlalchemy import update

from hegui.platform.db import Scan
from hegui.platform.scans import claim_next


def queue(platform, who: str, n: int) -> list[int]:
    with platform.sessions() as db:
        scans = [Scan(uploader_id=platform.users[who].id, sha256=os.urandom(32).hex(), size=1, filename=f"{who}.apk",
                      status="queued") for _ in range(n)]
        db.add_all(scans)
        db.commit()
        return [s.id for s in scans]


def claim(platform) -> int | None:
    with platform.sessions() as db:
        scan = claim_next(db, 3, "host:1:aa", 60.0)
        return scan.id if scan else None


def finish(platform, scan_id: int) -> None:
    with platform.sessions() as db:
        db.execute(update(Scan).where(Scan.id == scan_id).values(status="done", worker_id=None, lease_until=None))
        db.commit()


def test_one_worker_serves_accounts_in_turn(platform):
    d = queue(platform, "dev", 4)  # one developer's burst, uploaded first
    e = queue(platform, "dev2", 1)
    v = queue(platform, "vendor", 2)
    order = []
    while (scan_id := claim(platform)) is not None:
        order.append(scan_id)
        finish(platform, scan_id)
    assert order == [d[0], e[0], v[0], d[1], v[1], d[2], d[3]]


def test_a_free_worker_takes_the_account_with_nothing_running(platform):
    d = queue(platform, "dev", 3)
    e = queue(platform, "dev2", 1)
    assert [claim(platform), claim(platform), claim(platform)] == [d[0], e[0], d[1]]


def upload(platform, who: str, data: bytes):
    return platform.client.post("/api/v1/scans", headers=platform.users[who].auth,
                                files={"file": ("a.apk", data, "application/vnd.android.package-archive")})


def zip_of(size: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("classes.dex", os.urandom(size))
    return buf.getvalue()


def test_waiting_scans_are_capped_per_account_but_not_for_staff(sqlite_platform):
    p = sqlite_platform
    p.settings.queued_quota = 2
    assert [upload(p, "dev", tiny_zip()).status_code for _ in range(2)] == [202, 202]
    refused = upload(p, "dev", tiny_zip())
    assert (refused.status_code, refused.json()["detail"]) == \
        (429, "2 of your scans are still waiting or running (at most 2): upload again when some are done")
    assert upload(p, "dev2", tiny_zip()).status_code == 202  # another account is not affected
    assert [upload(p, "regulator", tiny_zip()).status_code for _ in range(3)] == [202] * 3


def test_uploads_per_day_and_stored_bytes_are_capped_per_account(sqlite_platform):
    p = sqlite_platform
    p.settings.upload_quota_per_day = 2
    assert [upload(p, "dev", tiny_zip()).status_code for _ in range(3)] == [202, 202, 429]
    assert upload(p, "dev", tiny_zip()).json()["detail"] == "at most 2 uploads in 24 hours"

    p.settings.upload_quota_per_day, p.settings.storage_quota_mb = 0, 1
    first = upload(p, "dev2", zip_of(600 * 1024))
    assert first.status_code == 202
    second = upload(p, "dev2", zip_of(600 * 1024))
    assert (second.status_code, second.json()["detail"]) == (413, "your uploads would pass the 1 MB storage quota "
                                                                  "(0 MB used)")
    assert upload(p, "dev2", zip_of(100 * 1024)).status_code == 202
