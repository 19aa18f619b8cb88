"""Helpers of the APK reader tests: PNG writer, the demo manifest, cached apktool builds."""

from __future__ import annotations

import fcntl
import hashlib
import os
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from apkbuild import have_apktool, manifest, smali_class

DEMO_PACKAGE = "com.demo.shop"


def png(width: int, height: int, rgba: tuple[int, int, int, int], *, filter_type: int = 0) -> bytes:
    """A real RGBA PNG of one colour; `filter_type` is applied to every row (1..4 exercise unfiltering)."""
    pixel = bytes(rgba)
    row = pixel * width
    raw = bytearray()
    previous = bytes(len(row))
    for _ in range(height):
        raw.append(filter_type)
        raw += _filter(row, previous, filter_type, 4)
        previous = row
    return png_chunks(struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0), bytes(raw))


def png_chunks(ihdr: bytes, raw: bytes, extra: list[tuple[bytes, bytes]] = ()) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    middle = b"".join(chunk(kind, body) for kind, body in extra)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + middle + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))


def _filter(row: bytes, previous: bytes, kind: int, bpp: int) -> bytes:
    out = bytearray(len(row))
    for i, value in enumerate(row):
        left = row[i - bpp] if i >= bpp else 0
        up = previous[i]
        corner = previous[i - bpp] if i >= bpp else 0
        if kind == 0:
            predictor = 0
        elif kind == 1:
            predictor = left
        elif kind == 2:
            predictor = up
        elif kind == 3:
            predictor = (left + up) >> 1
        else:
            p = left + up - corner
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
            predictor = left if pa <= pb and pa <= pc else (up if pb <= pc else corner)
        out[i] = (value - predictor) & 0xFF
    return bytes(out)


RED = (220, 30, 30, 255)
CLEAR = (0, 0, 0, 0)

DEMO_BODY = """\
<activity android:name=".Main" android:exported="true">
  <intent-filter>
    <action android:name="android.intent.action.MAIN"/>
    <category android:name="android.intent.category.LAUNCHER"/>
  </intent-filter>
</activity>
<activity-alias android:name=".LauncherAlias" android:targetActivity=".Main">
  <intent-filter>
    <action android:name="android.intent.action.MAIN"/>
    <category android:name="android.intent.category.LAUNCHER"/>
  </intent-filter>
</activity-alias>
<activity android:name=".HiddenEntry" android:enabled="false" android:exported="true">
  <intent-filter>
    <action android:name="android.intent.action.MAIN"/>
    <category android:name="android.intent.category.LAUNCHER"/>
  </intent-filter>
</activity>
<activity android:name="Detail">
  <intent-filter>
    <action android:name="android.intent.action.VIEW"/>
    <category android:name="android.intent.category.DEFAULT"/>
    <category android:name="android.intent.category.BROWSABLE"/>
    <data android:scheme="https" android:host="shop.demo.com"/>
  </intent-filter>
</activity>
<receiver android:name=".BootReceiver">
  <intent-filter android:priority="999">
    <action android:name="android.intent.action.BOOT_COMPLETED"/>
  </intent-filter>
</receiver>
<service android:name="com.umeng.message.PushService" android:exported="false" android:process=":push"
         android:permission="android.permission.BIND_JOB_SERVICE">
  <meta-data android:name="push.channel" android:value="umeng"/>
</service>
<provider android:name=".data.FilesProvider" android:authorities="com.demo.shop.files;com.demo.shop.share"
          android:exported="false" android:grantUriPermissions="true"/>
<meta-data android:name="UMENG_APPKEY" android:value="5f1234abcd"/>
<meta-data android:name="UMENG_CHANNEL" android:resource="@string/app_name"/>
<meta-data android:name="com.demo.max_retries" android:value="3"/>
<uses-library android:name="org.apache.http.legacy" android:required="false"/>
"""

DEMO_RES = {
    "values/strings.xml": '<resources><string name="app_name">演示商店</string>'
                          '<string name="privacy_title">隐私政策</string>'
                          '<string name="store_name">@string/app_name</string>'
                          '<string name="loop_a">@string/loop_b</string><string name="loop_b">@string/loop_a</string>'
                          '<integer name="retries">3</integer></resources>',
    "values-en/strings.xml": '<resources><string name="app_name">Demo Shop</string>'
                             '<string name="privacy_title">Privacy Policy</string></resources>',
    "xml/network_security_config.xml": '<network-security-config><base-config cleartextTrafficPermitted="true"/>'
                                       '</network-security-config>',
    "mipmap-hdpi/ic_launcher.png": png(72, 72, RED),
    "mipmap-xhdpi/ic_launcher.png": png(96, 96, RED, filter_type=4),
    "drawable/blank.png": png(48, 48, CLEAR, filter_type=1),
}


def demo_manifest() -> str:
    text = manifest(
        DEMO_PACKAGE, DEMO_BODY,
        permissions=["android.permission.READ_PHONE_STATE", "android.permission.ACCESS_FINE_LOCATION",
                     "android.permission.READ_PHONE_STATE"],
        application_attrs='android:name=".ShopApp" android:label="@string/app_name" '
                          'android:icon="@mipmap/ic_launcher" android:allowBackup="true" '
                          'android:usesCleartextTraffic="true" '
                          'android:networkSecurityConfig="@xml/network_security_config"',
        version_code=12, version_name="1.2.0",
    )
    extra = ('  <uses-permission-sdk-23 android:name="android.permission.CAMERA"/>\n'
             '  <permission android:name="com.demo.shop.permission.PUSH" android:protectionLevel="signature"/>\n'
             '  <uses-feature android:name="android.hardware.camera" android:required="false"/>\n'
             '  <queries><package android:name="com.tencent.mm"/>'
             '<intent><action android:name="android.intent.action.SEND"/>'
             '<data android:mimeType="image/*"/></intent></queries>\n  <application ')
    return text.replace("  <application ", extra, 1)


def smali_for(package: str, names: list[str]) -> dict[str, str]:
    return {f"{package}.{n}": smali_class(f"{package}.{n}", "") for n in names}


def cached_apk(factory: pytest.TempPathFactory, key: str, build: Callable[[Path], Path]) -> Path:
    """Build once per test session, shared by xdist workers (built under a lock, keyed by content)."""
    if not have_apktool():
        pytest.skip("apktool not installed")
    root = factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    folder = root / "hegui-apk-cache" / digest
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = folder / "done"
        if done.exists():
            return Path(done.read_text())
        built = build(folder)
        done.write_text(str(built))
        return built




def raw_zip(entries: list[tuple[bytes, bytes, int, int, int]], *, comment: bytes = b"") -> bytes:
    """A ZIP written by hand so tests can lie: entries are (name, stored bytes, method, crc32, declared size)."""
    local = bytearray()
    central = bytearray()
    for name, payload, method, crc, declared in entries:
        offset = len(local)
        local += struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, method, 0, 0, crc, len(payload), declared,
                             len(name), 0) + name + payload
        central += struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, method, 0, 0, crc, len(payload),
                               declared, len(name), 0, 0, 0, 0, 0, offset) + name
    eocd = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(central), len(local),
                       len(comment)) + comment
    return bytes(local + central + eocd)


def deflated(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


def zeros_deflate_stream(total_mib: int) -> bytes:
    """A raw deflate stream of `total_mib` MiB of zeros, built without compressing them all: after a full
    flush every 1 MiB block of zeros compresses to the same bytes, so one block is repeated."""
    chunk = bytes(2**20)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    steady = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    final_empty_block = b"\x03\x00"
    return first + steady * (total_mib - 1) + final_empty_block


def _chunk(kind: int, header: bytes, body: bytes) -> bytes:
    return struct.pack("<HHI", kind, 8 + len(header), 8 + len(header) + len(body)) + header + body


def axml_string_pool(strings: list[str]) -> bytes:
    """A UTF-8 ResStringPool chunk."""
    offsets, blob = [], bytearray()
    for text in strings:
        encoded = text.encode("utf-8")
        offsets.append(len(blob))
        blob += bytes([len(text), len(encoded)]) + encoded + b"\x00"
    while len(blob) % 4:
        blob.append(0)
    header = struct.pack("<IIIII", len(strings), 0, 1 << 8, 28 + 4 * len(strings), 0)
    return _chunk(0x0001, header, struct.pack(f"<{len(strings)}I", *offsets) + bytes(blob))


def axml_start(name: int, attributes: list[tuple[int, int, int, int]] = (), namespace: int = 0xFFFFFFFF) -> bytes:
    """Start-element chunk; attributes are (namespace index, name index, value type, value data)."""
    attrs = b"".join(struct.pack("<IIIHBBI", ns, attr_name, 0xFFFFFFFF if kind != 3 else data, 8, 0, kind, data)
                     for ns, attr_name, kind, data in attributes)
    ext = struct.pack("<IIHHHHHH", namespace, name, 20, 20, len(attributes), 0, 0, 0)
    return _chunk(0x0102, struct.pack("<II", 1, 0xFFFFFFFF), ext + attrs)


def axml_end(name: int, namespace: int = 0xFFFFFFFF) -> bytes:
    return _chunk(0x0103, struct.pack("<II", 1, 0xFFFFFFFF), struct.pack("<II", namespace, name))


def axml_document(strings: list[str], resource_ids: list[int], nodes: list[bytes]) -> bytes:
    body = axml_string_pool(strings)
    if resource_ids:
        body += _chunk(0x0180, b"", struct.pack(f"<{len(resource_ids)}I", *resource_ids))
    body += b"".join(nodes)
    return struct.pack("<HHI", 0x0003, 8, 8 + len(body)) + body
