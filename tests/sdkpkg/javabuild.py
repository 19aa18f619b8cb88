"""Build real SDK packages (JAR, AAR) from Java source with javac, for the SDK-package tests.

The Android framework is not on the test machine, so the few framework classes the SDK sources use are
compiled from declaration-only stubs (as android.jar is: bodies throw) and left out of the packaged JAR,
exactly as a real SDK's classes.jar references, but does not contain, the framework.
"""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

ANDROID_STUBS: dict[str, str] = {
    "android.content.Context": """
        public abstract class Context {
            public static final String TELEPHONY_SERVICE = "phone";
            public static final String CLIPBOARD_SERVICE = "clipboard";
            public abstract Object getSystemService(String name);
            public abstract ContentResolver getContentResolver();
            public abstract Context getApplicationContext();
            public abstract SharedPreferences getSharedPreferences(String name, int mode);
        }""",
    "android.content.ContentResolver": "public abstract class ContentResolver { }",
    "android.content.SharedPreferences": """
        public interface SharedPreferences { boolean getBoolean(String key, boolean defValue); }""",
    "android.content.ContentProvider": """
        public abstract class ContentProvider {
            public abstract boolean onCreate();
            public final Context getContext() { throw new RuntimeException("Stub!"); }
        }""",
    "android.content.Intent": "public class Intent { public String getAction() { throw new RuntimeException(\"Stub!\"); } }",
    "android.content.BroadcastReceiver": """
        public abstract class BroadcastReceiver { public abstract void onReceive(Context context, Intent intent); }""",
    "android.content.ClipData": "public class ClipData { }",
    "android.content.ClipboardManager": """
        public class ClipboardManager {
            public ClipData getPrimaryClip() { throw new RuntimeException("Stub!"); }
            public boolean hasPrimaryClip() { throw new RuntimeException("Stub!"); }
        }""",
    "android.provider.Settings": """
        public final class Settings {
            public static final class Secure {
                public static final String ANDROID_ID = "android_id";
                public static String getString(android.content.ContentResolver resolver, String name) {
                    throw new RuntimeException("Stub!");
                }
            }
        }""",
    "android.telephony.TelephonyManager": """
        public class TelephonyManager { public String getDeviceId() { throw new RuntimeException("Stub!"); } }""",
}


def have_javac() -> bool:
    return shutil.which("javac") is not None and shutil.which("javap") is not None


def needs_javac() -> None:
    if not have_javac():
        pytest.skip("javac/javap not installed (scripts/test.sh installs default-jdk-headless)")


def _source(name: str, body: str) -> str:
    package, _, _simple = name.rpartition(".")
    return f"package {package};\n{body.strip()}\n"


def compile_classes(work: Path, sources: dict[str, str]) -> dict[str, bytes]:
    """Compile `sources` (class name → body, without the package line) with the Android stubs; returns the
    SDK's class files by entry name (``com/x/Y.class``, nested classes included), stubs left out."""
    needs_javac()
    src, out = work / "src", work / "classes"
    files: list[str] = []
    for name, body in {**ANDROID_STUBS, **sources}.items():
        path = src / (name.replace(".", "/") + ".java")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_source(name, body), encoding="utf-8")
        files.append(str(path))
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(["javac", "-nowarn", "-encoding", "UTF-8", "-d", str(out), *files], check=True,
                   capture_output=True, text=True)
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*.class"))
            if not str(p.relative_to(out)).startswith("android/")}


def write_jar(path: Path, classes: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as jar:
        jar.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\n\r\n")
        for name, data in classes.items():
            jar.writestr(name, data)
    return path


def jar_bytes(work: Path, classes: dict[str, bytes]) -> bytes:
    return write_jar(work / "tmp-classes.jar", classes).read_bytes()


def aar_manifest(package: str, application: str = "", permissions: tuple[str, ...] = ()) -> str:
    perms = "".join(f'  <uses-permission android:name="{p}"/>\n' for p in permissions)
    return (f'<?xml version="1.0" encoding="utf-8"?>\n'
            f'<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="{package}">\n'
            f'  <uses-sdk android:minSdkVersion="21"/>\n{perms}'
            f'  <application>\n{application}  </application>\n</manifest>\n')


def write_aar(path: Path, manifest: str, classes_jar: bytes, *, extra: dict[str, bytes | str] | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as aar:
        aar.writestr("AndroidManifest.xml", manifest)
        aar.writestr("classes.jar", classes_jar)
        aar.writestr("R.txt", "")
        for name, data in (extra or {}).items():
            aar.writestr(name, data)
    return path


def javap_invokes(work: Path, classes: dict[str, bytes]) -> list[tuple[str, str, str, str, str]]:
    """(class, JVM opcode name, owner, name, descriptor) of every invokevirtual/special/static/interface,
    in order, as `javap -c -p` prints them: the independent reading the class-file reader is checked against."""
    needs_javac()
    root = work / "javap"
    paths: list[str] = []
    for name, data in classes.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        paths.append(str(path))
    text = subprocess.run(["javap", "-c", "-p", *paths], check=True, capture_output=True, text=True).stdout
    out: list[tuple[str, str, str, str, str]] = []
    current = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not line.startswith(" ") and ("class " in line or "interface " in line) and line.rstrip().endswith("{"):
            words = line.replace("{", "").split()
            keyword = "class" if "class" in words else "interface"
            current = words[words.index(keyword) + 1].split("<")[0]
        parts = stripped.split()
        if len(parts) >= 2 and parts[1] in ("invokevirtual", "invokespecial", "invokestatic", "invokeinterface"):
            comment = stripped.split("// ", 1)[1]  # "Method java/lang/Object."<init>":()V"
            kind, target = comment.split(" ", 1)
            owner_name, desc = target.rsplit(":", 1)
            owner, _, name = owner_name.rpartition(".")
            owner = owner.strip('"')  # array owners are quoted: "[B".clone
            if not owner:  # a method of the class itself: javap leaves the owner out
                owner = current.replace(".", "/")
            out.append((current, parts[1], owner, name.strip('"'), desc))
    return out
