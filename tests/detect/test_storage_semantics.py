"""Storage of the app's own files is not collection of the user's files (api_semantics.yaml
`shared-storage-browsing`): the storage root and directory listings count as `media_files` only where the
class enumerates shared storage."""

from __future__ import annotations

import pytest

from apkbuild import smali_class
from scanfixtures import APP, app_smali, scan_app
from smali_snippets import method

pytestmark = pytest.mark.apktool

BROWSER, TRIMMER, LOGS = f"{APP}.files.FolderBrowser", f"{APP}.cache.CacheTrimmer", f"{APP}.log.LogDir"
FILE = "Ljava/io/File;"
ROOT = "    invoke-static {}, Landroid/os/Environment;->getExternalStorageDirectory()Ljava/io/File;\n" \
       "    move-result-object v0\n"
LIST = f"    invoke-virtual {{v0}}, {FILE}->listFiles()[{FILE}\n"
CACHE_DIR = f"    invoke-virtual {{p0}}, Landroid/content/Context;->getCacheDir(){FILE}\n    move-result-object v0\n"
LOG_FILE = (f'    new-instance v1, {FILE}\n    const-string v2, "demo/log"\n'
            f"    invoke-direct {{v1, v0, v2}}, {FILE}-><init>({FILE}Ljava/lang/String;)V\n")


def d(java: str) -> str:
    return "L" + java.replace(".", "/") + ";"


def storage_app() -> dict[str, str]:
    shapes = {BROWSER: ("browse", ROOT + LIST), TRIMMER: ("trim", CACHE_DIR + LIST), LOGS: ("logDir", ROOT + LOG_FILE)}
    calls = "".join(f"    invoke-static {{p0}}, {d(cls)}->{name}(Landroid/content/Context;)V\n"
                    for cls, (name, _body) in shapes.items())
    smali = app_smali(main_on_create=calls)
    for cls, (name, body) in shapes.items():
        smali[cls] = smali_class(cls, method(name, body, params="Landroid/content/Context;", static=True))
    return smali


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    return scan_app(tmp_path_factory.mktemp("storage"), storage_app(),
                    permissions=["android.permission.READ_EXTERNAL_STORAGE"])


def test_listing_the_storage_root_reads_the_users_files_and_a_cache_or_log_path_does_not(scanned):
    assert {(c.caller, c.api, c.collects) for c in scanned.calls("media_files")} == {
        (f"{BROWSER}#browse", "android.os.Environment#getExternalStorageDirectory", "yes"),
        (f"{BROWSER}#browse", "java.io.File#listFiles", "yes"),
        (f"{TRIMMER}#trim", "java.io.File#listFiles", "own_storage"),
        (f"{LOGS}#logDir", "android.os.Environment#getExternalStorageDirectory", "own_storage"),
    }


def test_only_the_browsing_class_is_evidence_of_collection_before_consent(scanned):
    finding = scanned.finding("PI-COLLECT-BEFORE-CONSENT")
    assert (finding.severity, sorted({e.caller for e in finding.evidence if e.caller})) == (
        "critical", [f"{BROWSER}#browse"])
