"""Build `benchmarks/.cache/large-multidex.apk`: a 20+ MB multi-dex APK made of real compiled Java code.

The shared corpus tops out at ~3 MB, far below the apps regulators actually scan, so the speed benchmark
needs a big input. Nothing here is synthetic bytecode: the library code is the class files of Debian's own
Java library packages (`DEBIAN_LIBRARIES`), converted to DEX by Android's `dx` (Debian `dalvik-exchange`),
plus a tiny app of our own (one Application, one launcher Activity) built with apktool so the APK has a
real binary AndroidManifest.xml and a startup entry point that reaches into the libraries.

Steps: apt-get install the library packages → fetch `dalvik-exchange` (only in Debian bullseye; downloaded
with a private apt configuration under .cache/, the system's apt sources are left alone) → merge the jars
into one input (first copy of a class wins; Java > 8 class files, java.*/javax.* and module-info are left
out because dx refuses them) → `dx --multi-dex --min-sdk-version=26` → apktool-built app APK whose own
classes.dex stays first, library DEX files spliced in as classes2.dex … classesN.dex → apksigner (v1+v2+v3).

Usage: python3 benchmarks/build_large_apk.py [--force]. Needs root (apt-get), java, apktool, apksigner.
Writes the APK plus `large-multidex.json` (what went in) next to it.
"""

from __future__ import annotations

import argparse
import json
import shutil
import struct
import subprocess
import sys
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
CACHE = BENCH_DIR / ".cache"
OUTPUT_APK = CACHE / "large-multidex.apk"
OUTPUT_INFO = CACHE / "large-multidex.json"
MIN_APK_BYTES = 20 * 2**20

# Debian bookworm packages whose jars become the app's "third-party SDK" code. Chosen for being large,
# real and the kind of thing Android apps bundle (crypto, networking, JSON, RX, barcode, PDF, ICU…).
# Order matters: when two jars define the same class, the earlier one wins.
DEBIAN_LIBRARIES = (
    "libbcprov-java", "libbcpkix-java", "libbcutil-java", "libguava-java", "librx-java", "libicu4j-java",
    "libokhttp-java", "libokio-java", "libzxing-core-java", "libjsoup-java", "libjoda-time-java",
    "libgoogle-gson-java", "libcommons-lang3-java", "libcommons-math3-java", "libcommons-collections4-java",
    "libcommons-compress-java", "libcommons-codec-java", "libhttpcore-java", "libhttpclient-java",
    "libprotobuf-java", "libjackson2-core-java", "libnetty-java", "libjgit-java", "libtrove3-java",
    "liblog4j2-java", "libxstream-java", "libpdfbox2-java", "libeclipselink-java", "libfastutil-java",
)
# dx 10 reads class files up to Java 8 (major version 52).
MAX_CLASS_MAJOR = 52
DX_PACKAGE = "dalvik-exchange"
DX_SUITE = "bullseye"  # dalvik-exchange was dropped after bullseye
DX_JAR_IN_DEB = "usr/share/java/com.android.dx-10.0.0.jar"
APP_PACKAGE = "com.hegui.bench.large"


@dataclass
class JarUse:
    package: str
    version: str
    jar: str
    classes_kept: int = 0
    classes_too_new: int = 0
    classes_duplicate: int = 0
    classes_core: int = 0


@dataclass
class BuildInfo:
    apk: str
    apk_bytes: int
    dex_files: dict[str, int] = field(default_factory=dict)   # name -> uncompressed bytes
    dx: str = ""
    jars: list[JarUse] = field(default_factory=list)


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, text=True, capture_output=True, **kw)


def ensure_debian_packages(packages: tuple[str, ...]) -> None:
    missing = [p for p in packages
               if subprocess.run(["dpkg-query", "-W", "-f", "${Status}", p], capture_output=True, text=True)
               .stdout.strip() != "install ok installed"]
    if not missing:
        return
    print(f"apt-get install {' '.join(missing)}", file=sys.stderr)
    run(["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing],
        env={"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}, timeout=1800)


def ensure_dx() -> Path:
    """Return the dx jar, downloading Debian's dalvik-exchange .deb with a private apt configuration."""
    root = CACHE / "dx"
    jar = root / DX_JAR_IN_DEB
    if jar.is_file():
        return jar
    apt = CACHE / "apt-bullseye"
    (apt / "lists" / "partial").mkdir(parents=True, exist_ok=True)
    sources = apt / "sources.list"
    sources.write_text(
        f"deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian "
        f"{DX_SUITE} main\n", encoding="utf-8")
    opts = [f"-oDir::Etc::SourceList={sources}", "-oDir::Etc::SourceParts=/dev/null",
            f"-oDir::State::Lists={apt / 'lists'}", f"-oDir::Cache::pkgcache={apt / 'pkgcache.bin'}",
            f"-oDir::Cache::srcpkgcache={apt / 'srcpkgcache.bin'}", "-oAPT::Sandbox::User=root"]
    run(["apt-get", *opts, "update", "-q"], timeout=600)
    run(["apt-get", *opts, "download", DX_PACKAGE], cwd=apt, timeout=600)
    deb = next(apt.glob(f"{DX_PACKAGE}_*.deb"))
    run(["dpkg-deb", "-x", str(deb), str(root)])
    if not jar.is_file():
        raise SystemExit(f"{deb.name} has no {DX_JAR_IN_DEB}")
    return jar


def package_jars(package: str) -> tuple[str, list[Path]]:
    version = run(["dpkg-query", "-W", "-f", "${Version}", package]).stdout.strip()
    files = run(["dpkg", "-L", package]).stdout.splitlines()
    jars = sorted({Path(f) for f in files if f.endswith(".jar") and not Path(f).is_symlink()})
    return version, jars


def merge_jars(out_jar: Path) -> list[JarUse]:
    """One input jar for dx with every usable class exactly once; records what was kept and dropped."""
    seen: set[str] = set()
    uses: list[JarUse] = []
    with zipfile.ZipFile(out_jar, "w", zipfile.ZIP_STORED) as out:
        for package in DEBIAN_LIBRARIES:
            version, jars = package_jars(package)
            for jar in jars:
                use = JarUse(package=package, version=version, jar=jar.name)
                with zipfile.ZipFile(jar) as src:
                    for entry in src.infolist():
                        name = entry.filename
                        if (not name.endswith(".class") or name.startswith("META-INF/")
                                or name.endswith("module-info.class")):
                            continue
                        if name.startswith(("java/", "javax/")):
                            use.classes_core += 1
                            continue
                        if name in seen:
                            use.classes_duplicate += 1
                            continue
                        data = src.read(entry)
                        if len(data) < 8 or data[:4] != b"\xca\xfe\xba\xbe":
                            continue
                        if struct.unpack(">H", data[6:8])[0] > MAX_CLASS_MAJOR:
                            use.classes_too_new += 1
                            continue
                        seen.add(name)
                        out.writestr(name, data)
                        use.classes_kept += 1
                uses.append(use)
    return uses


def dex_libraries(dx_jar: Path, merged: Path, out_dir: Path) -> None:
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    run(["java", "-Xmx6g", "-cp", str(dx_jar), "com.android.dx.command.Main", "--dex", "--multi-dex",
         "--min-sdk-version=26", f"--output={out_dir}", str(merged)], timeout=3600)


APP_SMALI_ONCREATE = """
.method public onCreate()V
    .registers 3
    invoke-super {p0}, Landroid/app/Application;->onCreate()V
    const-string v0, "phone"
    invoke-virtual {p0, v0}, Lcom/hegui/bench/large/BenchApp;->getSystemService(Ljava/lang/String;)Ljava/lang/Object;
    move-result-object v0
    check-cast v0, Landroid/telephony/TelephonyManager;
    invoke-virtual {v0}, Landroid/telephony/TelephonyManager;->getDeviceId()Ljava/lang/String;
    move-result-object v0
    new-instance v1, Lokhttp3/OkHttpClient;
    invoke-direct {v1}, Lokhttp3/OkHttpClient;-><init>()V
    new-instance v1, Lcom/google/gson/Gson;
    invoke-direct {v1}, Lcom/google/gson/Gson;-><init>()V
    invoke-virtual {v1, v0}, Lcom/google/gson/Gson;->toJson(Ljava/lang/Object;)Ljava/lang/String;
    return-void
.end method
"""

ACTIVITY_SMALI_ONCREATE = """
.method protected onCreate(Landroid/os/Bundle;)V
    .registers 3
    invoke-super {p0, p1}, Landroid/app/Activity;->onCreate(Landroid/os/Bundle;)V
    new-instance v0, Lcom/google/zxing/qrcode/QRCodeReader;
    invoke-direct {v0}, Lcom/google/zxing/qrcode/QRCodeReader;-><init>()V
    return-void
.end method
"""


def build_app(workdir: Path) -> Path:
    """The app's own code and binary manifest, built by apktool exactly as the test fixtures are."""
    sys.path.insert(0, str(REPO / "tests"))
    from apkbuild import build_apk, launcher_activity, manifest, smali_class

    app = f"{APP_PACKAGE}.BenchApp"
    activity = f"{APP_PACKAGE}.MainActivity"
    xml = manifest(APP_PACKAGE, launcher_activity(activity),
                   permissions=["android.permission.INTERNET", "android.permission.READ_PHONE_STATE"],
                   application_attrs=f'android:name="{app}" android:label="LargeBench"')
    smali = {
        app: smali_class(app, APP_SMALI_ONCREATE, super_="Landroid/app/Application;"),
        activity: smali_class(activity, ACTIVITY_SMALI_ONCREATE, super_="Landroid/app/Activity;"),
    }
    return build_apk(workdir, xml, smali, name="large-app", min_sdk=26, target_sdk=30)


def splice(app_apk: Path, dex_dir: Path, out_apk: Path) -> dict[str, int]:
    """Copy the app APK (its own classes.dex first) and append the library DEX files as classes2..N."""
    library_dex = sorted(dex_dir.glob("classes*.dex"), key=lambda p: int(p.stem[7:] or 1))
    dex_sizes: dict[str, int] = {}
    tmp = out_apk.with_suffix(".tmp")
    with zipfile.ZipFile(app_apk) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as out:
        for entry in src.infolist():
            if entry.filename.startswith("META-INF/"):
                continue  # signed afresh below
            out.writestr(entry, src.read(entry), compress_type=entry.compress_type)
            if entry.filename == "classes.dex":
                dex_sizes["classes.dex"] = entry.file_size
        for number, dex in enumerate(library_dex, start=2):
            name = f"classes{number}.dex"
            info = zipfile.ZipInfo(name, date_time=(1981, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            out.writestr(info, dex.read_bytes(), compresslevel=9)
            dex_sizes[name] = dex.stat().st_size
    tmp.replace(out_apk)
    return dex_sizes


def sign(apk: Path, workdir: Path) -> None:
    keystore = workdir / "bench.keystore"
    if not keystore.exists():
        run(["keytool", "-genkeypair", "-keystore", str(keystore), "-storepass", "hegui-bench", "-alias", "k",
             "-keyalg", "RSA", "-keysize", "2048", "-validity", "3650",
             "-dname", "CN=hegui benchmark,O=hegui,C=CN"], timeout=120)
    aligned = apk.with_suffix(".aligned")
    run(["zipalign", "-f", "4", str(apk), str(aligned)], timeout=300)
    aligned.replace(apk)
    run(["apksigner", "sign", "--ks", str(keystore), "--ks-pass", "pass:hegui-bench", "--v1-signing-enabled",
         "true", "--v2-signing-enabled", "true", "--v3-signing-enabled", "true", str(apk)], timeout=600)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="rebuild even if the APK exists")
    args = parser.parse_args()
    if OUTPUT_APK.is_file() and not args.force:
        print(f"{OUTPUT_APK} exists ({OUTPUT_APK.stat().st_size / 2**20:.1f} MB); --force rebuilds it")
        return 0
    CACHE.mkdir(parents=True, exist_ok=True)
    ensure_debian_packages((*DEBIAN_LIBRARIES, "apktool", "apksigner", "zipalign", "default-jre-headless"))
    dx_jar = ensure_dx()
    work = CACHE / "build"
    work.mkdir(exist_ok=True)
    merged = work / "libraries.jar"
    print("merging library jars …", file=sys.stderr)
    uses = merge_jars(merged)
    print(f"dx: {sum(u.classes_kept for u in uses)} classes → DEX …", file=sys.stderr)
    dex_libraries(dx_jar, merged, work / "dex")
    app_apk = build_app(work)
    dex_sizes = splice(app_apk, work / "dex", OUTPUT_APK)
    sign(OUTPUT_APK, work)
    size = OUTPUT_APK.stat().st_size
    info = BuildInfo(apk=OUTPUT_APK.name, apk_bytes=size, dex_files=dex_sizes,
                     dx=f"{DX_PACKAGE} ({DX_SUITE}) --multi-dex --min-sdk-version=26", jars=uses)
    OUTPUT_INFO.write_text(json.dumps(asdict(info), indent=1), encoding="utf-8")
    print(f"{OUTPUT_APK}: {size / 2**20:.1f} MB, {len(dex_sizes)} dex files, "
          f"{sum(dex_sizes.values()) / 2**20:.1f} MB of DEX, {sum(u.classes_kept for u in uses)} library classes")
    if size < MIN_APK_BYTES:
        print(f"warning: below the {MIN_APK_BYTES // 2**20} MB the benchmark asks for", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
