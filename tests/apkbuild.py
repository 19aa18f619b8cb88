"""Build small, real APKs from smali with Debian's apktool, so each test knows its ground truth exactly.

`build_apk` writes AndroidManifest.xml, apktool.yml, smali/ and optional res/ and assets/ into a folder,
runs ``apktool b`` and, if asked, signs the result with ``apksigner`` (v1+v2+v3) using a throw-away key.
"""

from __future__ import annotations

import shutil
import subprocess
import textwrap
from pathlib import Path

ANDROID_NS = 'xmlns:android="http://schemas.android.com/apk/res/android"'

APKTOOL_YML = """\
version: 2.7.0
apkFileName: {name}.apk
isFrameworkApk: false
usesFramework:
  ids:
  - 1
sdkInfo:
  minSdkVersion: '{min_sdk}'
  targetSdkVersion: '{target_sdk}'
packageInfo:
  forcedPackageId: '127'
versionInfo:
  versionCode: '{version_code}'
  versionName: {version_name}
doNotCompress: []
"""


def have_apktool() -> bool:
    return shutil.which("apktool") is not None


def manifest(package: str, body: str, *, permissions: list[str] = (), application_attrs: str = "",
             version_code: int = 1, version_name: str = "1.0") -> str:
    """An AndroidManifest.xml with `permissions` and `body` inside <application>."""
    perms = "\n".join(f'  <uses-permission android:name="{p}"/>' for p in permissions)
    return (
        f'<?xml version="1.0" encoding="utf-8" standalone="no"?>\n'
        f'<manifest {ANDROID_NS} package="{package}" android:versionCode="{version_code}" '
        f'android:versionName="{version_name}">\n{perms}\n'
        f'  <application {application_attrs}>\n{textwrap.indent(body, "    ")}\n  </application>\n</manifest>\n'
    )


def launcher_activity(name: str) -> str:
    return (
        f'<activity android:name="{name}" android:exported="true"><intent-filter>'
        '<action android:name="android.intent.action.MAIN"/>'
        '<category android:name="android.intent.category.LAUNCHER"/></intent-filter></activity>'
    )


def smali_class(name: str, body: str, *, super_: str = "Ljava/lang/Object;", interfaces: list[str] = ()) -> str:
    """A smali class `name` (Java notation) with a default constructor plus `body` (methods/fields)."""
    desc = "L" + name.replace(".", "/") + ";"
    impl = "".join(f".implements {i}\n" for i in interfaces)
    return (
        f".class public {desc}\n.super {super_}\n{impl}\n"
        ".method public constructor <init>()V\n    .registers 1\n"
        f"    invoke-direct {{p0}}, {super_}-><init>()V\n    return-void\n.end method\n\n"
        f"{textwrap.dedent(body)}\n"
    )


def build_apk(
    workdir: Path,
    manifest_xml: str,
    smali: dict[str, str],
    *,
    name: str = "app",
    res: dict[str, str | bytes] | None = None,
    assets: dict[str, str | bytes] | None = None,
    extra_files: dict[str, bytes] | None = None,
    min_sdk: int = 21,
    target_sdk: int = 30,
    version_code: int = 1,
    version_name: str = "1.0",
    sign: bool = False,
) -> Path:
    """Build `workdir/<name>.apk`. `smali` maps a Java class name to its smali source.

    `res` and `assets` map a relative path (``values/strings.xml``, ``privacy.html``) to its content;
    `extra_files` are copied verbatim under the apktool project root (e.g. ``lib/arm64-v8a/libx.so``,
    ``unknown/…`` entries land in the APK as-is).
    """
    src = workdir / f"{name}-src"
    if src.exists():
        shutil.rmtree(src)
    (src / "smali").mkdir(parents=True)
    (src / "AndroidManifest.xml").write_text(manifest_xml, encoding="utf-8")
    (src / "apktool.yml").write_text(
        APKTOOL_YML.format(name=name, min_sdk=min_sdk, target_sdk=target_sdk,
                           version_code=version_code, version_name=version_name),
        encoding="utf-8",
    )
    for cls, code in smali.items():
        path = src / "smali" / (cls.replace(".", "/") + ".smali")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(code, encoding="utf-8")
    for folder, files in (("res", res), ("assets", assets), ("", extra_files)):
        for rel, content in (files or {}).items():
            path = src / folder / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
    out = workdir / f"{name}.apk"
    subprocess.run(["apktool", "b", "-q", "-o", str(out), str(src)], check=True, capture_output=True, timeout=180)
    if sign:
        _sign(workdir, out)
    return out


def _sign(workdir: Path, apk: Path) -> None:
    keystore = workdir / "test.keystore"
    if not keystore.exists():
        subprocess.run(
            ["keytool", "-genkeypair", "-keystore", str(keystore), "-storepass", "hegui-test", "-alias", "k",
             "-keyalg", "RSA", "-keysize", "2048", "-validity", "3650", "-dname", "CN=hegui test,O=hegui,C=CN"],
            check=True, capture_output=True, timeout=120,
        )
    subprocess.run(
        ["apksigner", "sign", "--ks", str(keystore), "--ks-pass", "pass:hegui-test", "--v1-signing-enabled", "true",
         "--v2-signing-enabled", "true", "--v3-signing-enabled", "true", str(apk)],
        check=True, capture_output=True, timeout=120,
    )
