"""`hegui serve --fetch-policy` reaches every scan child: a policy URL found in an uploaded APK is then fetched
under the scanner's public-address rule (here a loopback URL, so the report records the refusal), and without
the setting it is only recorded."""

from __future__ import annotations

import hashlib
import shutil

import pytest

import smali_snippets as s
from apkbuild import build_apk, launcher_activity, manifest
from hegui.platform.config import Settings
from hegui.platform.db import Scan
from hegui.platform.storage import blob_path
from hegui.platform.worker import run_scan_child
from scanfixtures import APP, APP_CLASS, MAIN, app_smali

POLICY_URL = "http://127.0.0.1:9/privacy.html"


@pytest.fixture(scope="module")
def apk_with_policy_url(tmp_path_factory):
    xml = manifest(APP, launcher_activity(MAIN), application_attrs=f'android:name="{APP_CLASS}"')
    return build_apk(tmp_path_factory.mktemp("policy-url"), xml, app_smali(main_on_create=s.http_url(POLICY_URL)))


@pytest.mark.apktool
@pytest.mark.parametrize(("fetch", "errors"), [
    (False, []),
    (True, [{"stage": "policy", "message": f"url:{POLICY_URL}: policy URL leads to a non-public address "
                                           "(127.0.0.1): not fetched"}]),
])
def test_the_fetch_policy_setting_reaches_the_scan(apk_with_policy_url, tmp_path, fetch, errors):
    settings = Settings(db_url="sqlite://", data_dir=tmp_path, fetch_policy=fetch)
    sha256 = hashlib.sha256(apk_with_policy_url.read_bytes()).hexdigest()
    stored = blob_path(settings.blob_dir, sha256)
    stored.parent.mkdir(parents=True)
    shutil.copyfile(apk_with_policy_url, stored)
    payload = run_scan_child(settings, Scan(id=1, sha256=sha256))
    assert payload["report"]["policy"]["source"] == f"url:{POLICY_URL}"
    assert payload["report"]["errors"] == errors
