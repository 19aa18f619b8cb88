"""The deliberately broken archives of the corpus: each either opens with a problem line naming the oddity,
or raises InputError with a one-line reason. Pinned per file (Android's behaviour is the reference)."""

from __future__ import annotations

import pytest

from hegui.apk import open_apk
from hegui.errors import InputError

pytestmark = pytest.mark.corpus

# file -> ("opens", package, [key words each found in some problem line]) | ("error", None, [key words])
EXPECTED = {
    "androguard/apks_edgecases/AndroidManifest_ShortName.apk":
        ("opens", "com.android.galaxy4", ["label", "no readable resources.arsc"]),
    "androguard/apks_edgecases/CertChain.apk": ("error", None, ["not an APK", "AndroidManifest.xml missing"]),
    "androguard/apks_edgecases/Invalid.apk": ("opens", "re.androguard.android.invalid", []),
    "androguard/apks_edgecases/apksig-empty-unsigned.apk": ("error", None, ["empty archive"]),
    "androguard/apks_edgecases/apksig-golden-unaligned-in.apk": ("opens", "android.appsecurity.cts.tinyapp", []),
    # libziparchive reads method and sizes from the central directory; the local header disagrees harmlessly
    "androguard/apks_edgecases/apksig-mismatched-compression-method.apk":
        ("opens", "android.appsecurity.cts.tinyapp", []),
    "androguard/apks_edgecases/apksig-v1-only-max-sized-eocd-comment.apk":
        ("opens", "android.appsecurity.cts.tinyapp", []),
    "androguard/apks_edgecases/apksig-v1-only-with-cr-in-entry-name.apk":
        ("opens", "android.appsecurity.cts.tinyapp", ["suspicious entry name 'test.txt\\r'"]),
    "androguard/apks_edgecases/apksig-v1-only-with-lf-in-entry-name.apk":
        ("opens", "android.appsecurity.cts.tinyapp", ["suspicious entry name 'test.txt\\n'"]),
    "androguard/apks_edgecases/apksig-v1-only-with-nul-in-entry-name.apk":
        ("opens", "android.appsecurity.cts.tinyapp", ["suspicious entry name 'test.txt\\x00"]),
    "androguard/apks_edgecases/apksig-v2-only-apk-sig-block-size-mismatch.apk":
        ("opens", "android.appsecurity.cts.tinyapp", ["signing:", "sizes differ"]),
    "androguard/apks_edgecases/apksig-v2-only-garbage-between-cd-and-eocd.apk":
        ("opens", "android.appsecurity.cts.tinyapp", ["7 bytes between central directory and end record"]),
    "androguard/apks_edgecases/apksig-v2-only-missing-classes.dex.apk":
        ("opens", "android.appsecurity.cts.tinyapp", []),
    "androguard/apks_edgecases/apksig-v2-only-truncated-cd.apk":
        ("opens", "android.appsecurity.cts.tinyapp", ["central directory truncated", "recovered from local headers"]),
    "androguard/apks_edgecases/apksig-weird-compression-method.apk":
        ("opens", "android.appsecurity.cts.tinyapp", ["unsupported compression method 21", "CERT.RSA"]),
    # compact resource entries (Android 14 toolchains); old aapt fails on them
    "androguard/apks_edgecases/axml-compact-entry.apk": ("opens", "com.erev0s", []),
    "androguard/apks_edgecases/multidex.apk": ("opens", None, ["manifest: AndroidManifest.xml missing"]),
    "apkinspector/apks/eocd_at_offset_1026.apk": ("opens", "android.appsecurity.cts.tinyapp", []),
    "apkinspector/apks/minimal_SIZE_ExtraField.apk":
        ("opens", "com.erev0s.minimal", ["central directory record lengths inconsistent"]),
    "apkinspector/apks/minimal_def_mod.apk":
        ("opens", "com.erev0s.minimal", ["unsupported compression method 30208", "read as stored",
                                         "string pool declares 49 strings"]),
    "apkinspector/apks/minimal_orig.apk": ("opens", "com.erev0s.minimal", []),
    "apkinspector/apks/minimal_zero_sized_end_ns.apk": ("opens", "com.erev0s.minimal", []),
    "apkinspector/apks/truncated-cd.apk":
        ("opens", "android.appsecurity.cts.tinyapp", ["central directory truncated", "recovered from local headers"]),
}


@pytest.mark.parametrize("relative", sorted(EXPECTED))
def test_tampered_archive_outcome_is_pinned(corpus, relative):
    outcome, package, words = EXPECTED[relative]
    if outcome == "error":
        with pytest.raises(InputError) as caught:
            open_apk(corpus / relative)
        message = str(caught.value)
        assert "\n" not in message and "Traceback" not in message
        for word in words:
            assert word in message
        return
    with open_apk(corpus / relative) as apk:
        assert apk.manifest.package == package
        assert all("\n" not in line for line in apk.problems)
        for word in words:
            assert any(word in line for line in apk.problems), (word, apk.problems)
        if not words:
            assert [p for p in apk.problems if not p.startswith("signing:")] == []


def test_unknown_compression_method_manifest_reads_like_the_original(corpus):
    tampered = open_apk(corpus / "apkinspector/apks/minimal_def_mod.apk").manifest
    original = open_apk(corpus / "apkinspector/apks/minimal_orig.apk").manifest
    tampered.problems = original.problems = []
    assert tampered == original


def test_multidex_without_manifest_still_lists_its_dex_files(corpus):
    apk = open_apk(corpus / "androguard/apks_edgecases/multidex.apk")
    assert apk.dex_names == ["classes.dex", "classes2.dex"]
    assert apk.manifest.package is None and apk.manifest.components == []


def test_text_manifest_cut_by_its_declared_size_stops_where_aapt_stops(corpus):
    from hegui.apk import parse_manifest

    data = (corpus / "apkinspector/manifests/AndroidManifest_CDATA.xml").read_bytes()
    manifest = parse_manifest(data)
    # The XML header declares 2084 of 2112 bytes; aapt and Android stop there, inside <intent-filter>.
    assert (manifest.package, manifest.version_code, manifest.min_sdk, manifest.target_sdk) == (
        "com.erev0s.minimal", 1, 24, 33)
    assert [c.name for c in manifest.components] == ["com.erev0s.minimal.MainActivity"]
    assert any("root element is closed" in p for p in manifest.problems)


def test_manifest_without_resource_map_has_no_framework_attributes(corpus):
    from hegui.apk import parse_manifest

    data = (corpus / "apkinspector/manifests/AndroidManifest_resource_map_not_found.xml").read_bytes()
    manifest = parse_manifest(data)
    # Android matches android: attributes by resource id only; with the map chunk retyped they vanish
    # (aapt prints them without ids). The package attribute has no namespace and survives.
    assert manifest.package == "com.erev0s.minimal"
    assert (manifest.version_code, manifest.min_sdk, manifest.components) == (None, None, [])
    assert any("no resource id (Android ignores it)" in p for p in manifest.problems)


@pytest.mark.parametrize("name, schemes", [
    ("fdroidserver/apks/v2.only.sig_2.apk", ["v2"]),
    ("fdroidserver/apks/urzip-badsig.apk", ["v1"]),
    ("fdroidserver/apks/urzip-badcert.apk", ["v1"]),
    ("fdroidserver/apks/urzip-release-unsigned.apk", []),
    ("androguard/apks_edgecases/CertChain.apk", ["v1"]),
])
def test_signing_edge_cases_report_schemes_without_crashing(corpus, name, schemes):
    from hegui.apk import ApkArchive, read_signers

    with ApkArchive.open(corpus / name) as archive:
        signers, problems = read_signers(archive, corpus / name)
    assert [s.scheme for s in signers] == schemes
    assert problems == []


def test_certificate_chain_reports_only_the_signing_certificate(corpus):
    from hegui.apk import ApkArchive, read_signers

    with ApkArchive.open(corpus / "androguard/apks_edgecases/CertChain.apk") as archive:
        [signer], _ = read_signers(archive, archive.path)
    assert signer.subject.startswith("CN=Microsoft Corporation Third Party Marketplace")


def test_v2_only_signer_is_the_certificate_apksigner_prints(corpus):
    import re
    import subprocess

    from hegui.apk import open_apk as open_

    path = corpus / "fdroidserver/apks/v2.only.sig_2.apk"
    printed = subprocess.run(["apksigner", "verify", "--min-sdk-version", "24", "--print-certs", str(path)],
                             capture_output=True, text=True, timeout=120).stdout
    digest = re.search(r"certificate SHA-256 digest: ([0-9a-f]{64})", printed).group(1)
    assert [(s.scheme, s.sha256) for s in open_(path).signers] == [("v2", digest)]


# urzip.apk is 9969 bytes: local data up to 8034, signature files, central directory from 9360, EOCD last 22.
TRUNCATIONS = {
    10: "archive has no readable entries",
    100: "not an APK: AndroidManifest.xml missing and no classes.dex",
    2500: "not an APK: entry 'AndroidManifest.xml' truncated: deflate stream ends early and no classes.dex",
    5000: ["classes.dex"],  # opens; classes.dex listed but its data is cut
    8000: ["classes.dex"],
    9669: [],  # cut inside the central directory: every entry recovered from local headers and readable
    9968: [],
}


@pytest.mark.parametrize("cut", sorted(TRUNCATIONS))
def test_truncated_apk_opens_from_local_headers_or_fails_in_one_line(corpus, tmp_path, cut):
    from hegui.apk import ArchiveEntryError

    path = tmp_path / "cut.apk"
    path.write_bytes((corpus / "fdroidserver/apks/urzip.apk").read_bytes()[:cut])
    expected = TRUNCATIONS[cut]
    if isinstance(expected, str):
        with pytest.raises(InputError) as caught:
            open_apk(path)
        assert str(caught.value) == expected
        return
    with open_apk(path) as apk:
        assert apk.manifest.package == "info.guardianproject.urzip"
        assert apk.problems[0] == "archive: end-of-central-directory record missing: entries recovered from local headers"
        unreadable = []
        for name in apk.archive.names:
            try:
                apk.archive.read(name)
            except ArchiveEntryError as exc:
                assert "\n" not in str(exc) and "truncated" in str(exc)
                unreadable.append(name)
        assert unreadable == expected
