"""Fixtures of the APK reader tests: real APKs built once with apktool (shared by xdist workers)."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # test modules import `apk_testkit`

from apk_testkit import CLEAR, DEMO_PACKAGE, DEMO_RES, RED, cached_apk, demo_manifest, png, smali_for  # noqa: E402

from apkbuild import build_apk, launcher_activity, manifest  # noqa: E402


@pytest.fixture(scope="session")
def demo_apk(tmp_path_factory) -> Path:
    """Signed (v1+v2+v3) demo shop: zh/en label, mipmap icons, every component kind, a native lib."""
    text = demo_manifest()
    key = "demo-v1" + text + repr(sorted((k, hashlib.sha256(v if isinstance(v, bytes) else v.encode()).hexdigest())
                                          for k, v in DEMO_RES.items()))
    return cached_apk(tmp_path_factory, key, lambda folder: build_apk(
        folder, text, smali_for(DEMO_PACKAGE, ["Main", "Detail", "ShopApp"]), name="demo", res=DEMO_RES,
        extra_files={"lib/arm64-v8a/libdemo.so": b"\x7fELF" + bytes(60),
                     "lib/armeabi-v7a/libdemo.so": b"\x7fELF" + bytes(60)},
        version_code=12, version_name="1.2.0", sign=True))


def _simple_apk(factory, name: str, label_attr: str, res: dict[str, str | bytes]) -> Path:
    text = manifest("com.demo.simple", launcher_activity(".Main"),
                    application_attrs=f'{label_attr} android:icon="@mipmap/ic_launcher"')
    key = name + text + repr(sorted(res))
    return cached_apk(factory, key, lambda folder: build_apk(
        folder, text, smali_for("com.demo.simple", ["Main"]), name=name, res=res))


@pytest.fixture(scope="session")
def literal_label_apk(tmp_path_factory) -> Path:
    """Literal label "Literal Shop" and a fully transparent launcher icon."""
    return _simple_apk(tmp_path_factory, "literal", 'android:label="Literal Shop"',
                       {"mipmap-mdpi/ic_launcher.png": png(48, 48, CLEAR)})


@pytest.fixture(scope="session")
def blank_label_apk(tmp_path_factory) -> Path:
    """Label resource that is a single space (the "blank app name" case)."""
    return _simple_apk(tmp_path_factory, "blank", 'android:label="@string/app_name"',
                       {"values/strings.xml": '<resources><string name="app_name">"\u0020"</string></resources>',
                        "mipmap-mdpi/ic_launcher.png": png(48, 48, RED)})


@pytest.fixture(scope="session")
def big_apk(tmp_path_factory) -> Path:
    """A signed ~20 MB APK: the demo manifest plus 20 MiB of incompressible assets."""
    import random

    text = demo_manifest()
    blob = random.Random(20).randbytes(20 * 2**20)
    return cached_apk(tmp_path_factory, "big-v1" + text, lambda folder: build_apk(
        folder, text, smali_for(DEMO_PACKAGE, ["Main", "Detail", "ShopApp"]), name="big", res=DEMO_RES,
        assets={"blob.bin": blob}, sign=True))
