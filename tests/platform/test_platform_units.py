"""Small pieces with exact answers: the Chinese working-day calendar, upload storage, redirects, exports."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re

import pytest

from hegui.platform.export import AnnouncementRow, notice_category, problems_text, rows_to_csv
from hegui.platform.security import hash_password, token_digest, verify_password
from hegui.platform.storage import UploadRejected, blob_path, store_upload
from hegui.platform.web import parse_permission_lines, safe_next
from hegui.platform.workdays import add_working_days


@pytest.mark.parametrize(("start", "days", "expected"), [
    (dt.date(2026, 9, 28), 5, dt.date(2026, 10, 10)),   # across National Day; Sat 10-10 is an adjusted working day
    (dt.date(2026, 2, 13), 5, dt.date(2026, 2, 27)),    # Sat 02-14 works, 02-15..23 Spring Festival off
    (dt.date(2026, 11, 20), 5, dt.date(2026, 11, 27)),  # an ordinary week: the weekend does not count
])
def test_deadlines_count_chinese_working_days(start, days, expected):
    assert add_working_days(start, days) == (expected, True)


def test_a_deadline_in_a_year_without_holiday_data_is_flagged_approximate():
    assert add_working_days(dt.date(2026, 12, 29), 5) == (dt.date(2027, 1, 5), False)


def test_uploads_are_stored_under_their_digest(tmp_path):
    sha, size = store_upload(tmp_path, io.BytesIO(b"PK\x03\x04payload"), max_bytes=100)
    assert size == 11 and blob_path(tmp_path, sha).read_bytes() == b"PK\x03\x04payload"
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [f"{sha}.apk"]


@pytest.mark.parametrize(("data", "status"), [(b"", 415), (b"%PDF-1.7", 415), (b"PK\x03\x04" + b"x" * 200, 413)])
def test_bad_uploads_leave_nothing_behind(tmp_path, data, status):
    with pytest.raises(UploadRejected) as err:
        store_upload(tmp_path, io.BytesIO(data), max_bytes=100)
    assert err.value.status == status
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_blob_paths_accept_only_digests(tmp_path):
    with pytest.raises(ValueError):
        blob_path(tmp_path, "../../etc/passwd")


@pytest.mark.parametrize(("target", "expected"), [
    ("/cases/3", "/cases/3"), ("//evil.example/x", "/"), ("/\\evil.example", "/"),
    ("https://evil.example/", "/"), (None, "/"),
])
def test_language_switch_redirects_only_to_local_paths(target, expected):
    assert safe_next(target) == expected


def test_passwords_are_argon2_and_tokens_are_stored_as_sha256():
    stored = hash_password("s3cret-passw0rd")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "s3cret-passw0rd") and not verify_password(stored, "wrong")
    assert not verify_password(None, "anything")
    assert token_digest("hg_abc") == hashlib.sha256(b"hg_abc").hexdigest()


def test_notice_categories_follow_the_miit_wording():
    assert notice_category("PI-COLLECT-BEFORE-CONSENT") == "未经同意收集使用"
    assert notice_category("PI-APPLIST-COLLECTION") == "超范围收集/违规收集"
    assert notice_category("PI-PERM-FREQUENT-REQUEST") == "强制频繁过度索取权限"
    assert notice_category("PI-POLICY-ABSENT") == "未公开收集使用规则"
    assert problems_text(["PI-POLICY-ABSENT", "PI-NOTICE-OBSCURE-TEXT", "PI-RIGHTS-SLOW-RESPONSE"]) == \
        "未公开收集使用规则；账号注销难"


def test_csv_export_neutralises_spreadsheet_formulas():
    data = rows_to_csv([AnnouncementRow(app="=HYPERLINK(\"http://x\")", developer="+cmd", version="1.0", store="",
                                        problems="未经同意收集使用")]).decode("utf-8-sig")
    assert data.splitlines()[1] == "1,\"'=HYPERLINK(\"\"http://x\"\")\",'+cmd,1.0,,未经同意收集使用"


def test_listing_permission_lines_split_name_and_purpose():
    assert parse_permission_lines("android.permission.CAMERA 拍摄头像\n\n android.permission.READ_CONTACTS \n") == [
        {"name": "android.permission.CAMERA", "purpose": "拍摄头像"},
        {"name": "android.permission.READ_CONTACTS", "purpose": ""}]


@pytest.mark.parametrize(("value", "lease", "error"), [
    (None, 60.0, None), ("2.5", 2.5, None),
    ("0.1", None, "HEGUI_SCAN_LEASE_S must be at least 0.5 seconds"),
    ("nan", None, "HEGUI_SCAN_LEASE_S must be at least 0.5 seconds"),
    ("1m", None, "HEGUI_SCAN_LEASE_S must be a number of seconds, not '1m'"),
])
def test_the_scan_lease_comes_from_the_environment_and_must_be_usable(monkeypatch, tmp_path, value, lease, error):
    from hegui.platform.config import Settings

    if value is None:
        monkeypatch.delenv("HEGUI_SCAN_LEASE_S", raising=False)
    else:
        monkeypatch.setenv("HEGUI_SCAN_LEASE_S", value)
    if error is None:
        assert Settings.from_env(data_dir=tmp_path).scan_lease_s == lease
    else:
        with pytest.raises(ValueError, match=f"^{re.escape(error)}$"):
            Settings.from_env(data_dir=tmp_path)
