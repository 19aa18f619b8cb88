"""Seeded mutation fuzzing of hegui's readers of hostile bytes: DEX, binary XML, resources.arsc, class files, ZIP.

Seeds are real files: the bundled sample APK (its classes.dex, AndroidManifest.xml, resources.arsc and the
APK itself), a small class file assembled here, and, when the corpus is present, files taken from its
smallest APKs and SDK JARs. Each case applies one seeded mutation to one seed (bit flips, a 16- or 32-bit
field overwritten with a huge value, a truncation, or an overwrite plus flips) and runs the reader for its
kind, then the code that consumes what it returns. A case must end with a parsed result or a hegui error
(InputError and its subclasses, DexFormatError): any other exception, a MemoryError, a crash or a case
running past its time limit is a failure. Small DEX seeds are read by both the C accelerator and the
pure-Python parser, and walked by both call-graph fixpoints (startup with consent guards, liveness), which must
agree.

All cases run in a child process under an address-space limit (RLIMIT_AS), one after the other; the parent
kills a child whose case runs past its time limit and goes on with the next case in a new child.

    python tools/fuzz_inputs.py --cases 5000 --seed 7      # a longer run; prints a summary, exit 1 on failure
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import random
import resource
import struct
import sys
import time
import traceback
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "src/hegui/samples/demo-shop.apk"
CORPUS = REPO.parent / "shared" / "corpus"
KINDS = ("dex", "axml", "arsc", "class", "zip")
MiB = 1 << 20
# Values a hostile size or count field is set to.
HUGE = (0xFFFFFFFF, 0x7FFFFFFF, 0x80000000, 0x40000000, 0x10000000, 0x00FFFFFF, 0x0001_0000, 0xFFFF, 0x8000)
PURE_PYTHON_MAX = 64 * 1024  # DEX seeds up to this size are also read by the pure-Python parser


@dataclass(frozen=True)
class Seed:
    kind: str
    name: str
    data: bytes
    apk: Path | None = None  # the APK a DEX, AXML or ARSC seed was taken from (for whole-CLI cases)
    entry: str = ""  # its entry name there


@dataclass
class Failure:
    case: int
    kind: str
    seed: str
    mutation: str
    status: str  # exception, memory, hang, crash, mismatch
    detail: str


@dataclass
class Summary:
    cases: int = 0
    seconds: float = 0.0
    peak_rss_mib: float = 0.0
    outcomes: Counter = field(default_factory=Counter)  # (kind, parsed|refused|failure status)
    failures: list[Failure] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"{self.cases} cases in {self.seconds:.1f} s, peak child RSS {self.peak_rss_mib:.0f} MiB, "
               f"{len(self.failures)} failure(s)"]
        for kind in KINDS:
            counts = {status: n for (k, status), n in sorted(self.outcomes.items()) if k == kind}
            if counts:
                out.append(f"  {kind:5}  " + ", ".join(f"{n} {status}" for status, n in counts.items()))
        for f in self.failures[:50]:
            out.append(f"  FAIL case {f.case} {f.kind} {f.seed} [{f.mutation}]: {f.status}: {f.detail}")
        return out


# ------------------------------------------------------------------------------------------------ seeds


def tiny_class_file() -> bytes:
    """A class file as javac lays it out: class `fuzz/Seed` with a static m()V that loads a string and
    calls itself, a field and a SourceFile attribute, so the pool, members, attributes and code are all there."""
    def utf8(text: str) -> bytes:
        return b"\x01" + struct.pack(">H", len(text)) + text.encode()
    pool = [utf8("fuzz/Seed"), b"\x07\x00\x01", utf8("java/lang/Object"), b"\x07\x00\x03", utf8("m"), utf8("()V"),
            utf8("Code"), b"\x0c\x00\x05\x00\x06", b"\x0a\x00\x02\x00\x08", utf8("hello"), b"\x08\x00\x0a",
            utf8("f"), utf8("I"), utf8("SourceFile"), utf8("Seed.java")]
    code = b"\x12\x0b\x57\xb8\x00\x09\xb1"  # ldc "hello"; pop; invokestatic m()V; return
    attribute = struct.pack(">HHI", 1, 0, len(code)) + code + struct.pack(">HH", 0, 0)
    return b"".join([
        b"\xca\xfe\xba\xbe", struct.pack(">HHH", 0, 52, len(pool) + 1), *pool,
        struct.pack(">HHHH", 0x21, 2, 4, 0),  # access, this, super, no interfaces
        struct.pack(">H", 1), struct.pack(">HHHH", 0x8, 12, 13, 0),  # static int f
        struct.pack(">H", 1), struct.pack(">HHHH", 0x9, 5, 6, 1), struct.pack(">HI", 7, len(attribute)), attribute,
        struct.pack(">H", 1), struct.pack(">HIH", 14, 2, 15),  # SourceFile
    ])


def _apk_seeds(apk: Path, label: str) -> list[Seed]:
    out = []
    with zipfile.ZipFile(apk) as zf:
        names = set(zf.namelist())
        for entry, kind in (("classes.dex", "dex"), ("AndroidManifest.xml", "axml"), ("resources.arsc", "arsc")):
            if entry in names:
                out.append(Seed(kind, f"{label}:{entry}", zf.read(entry), apk, entry))
    out.append(Seed("zip", label, apk.read_bytes()))
    return out


def collect_seeds(corpus: Path | None = CORPUS, per_kind: int = 3, max_bytes: int = 2 * MiB) -> list[Seed]:
    """The sample's files and a built class file, then up to `per_kind` more of each kind from the corpus
    (its smallest APKs; the median and the largest class below 32 kB of each SDK JAR), none larger than
    `max_bytes`."""
    seeds = _apk_seeds(SAMPLE, "sample") + [Seed("class", "built:fuzz/Seed.class", tiny_class_file())]
    if corpus is not None and corpus.is_dir():
        extra: list[Seed] = []
        apks = sorted((corpus / "github-cn-apks" / "apks").glob("*.apk"), key=lambda p: p.stat().st_size)
        for apk in apks[:per_kind * 2]:
            extra += _apk_seeds(apk, apk.name)
        for jar in sorted((corpus / "npm-sdk-jars").glob("*.jar")):
            with zipfile.ZipFile(jar) as zf:
                classes = sorted((i for i in zf.infolist() if i.filename.endswith(".class")),
                                 key=lambda i: i.file_size)
                small = [i for i in classes if i.file_size <= 32 * 1024]
                for info in {id(i): i for i in (classes[len(classes) // 2], small[-1])}.values() if small else ():
                    extra.append(Seed("class", f"{jar.name}:{info.filename}", zf.read(info)))
        for kind in KINDS:
            seeds += [s for s in extra if s.kind == kind and len(s.data) <= max_bytes][:per_kind]
    return seeds


# ------------------------------------------------------------------------------------------------ mutations


def _res_chunk_fields(data: bytes, pos: int, end: int, out: list[tuple[int, int]], depth: int = 0) -> None:
    """(offset, width) of the header-size, size and first header field of each ResChunk, nested chunks too."""
    while pos + 12 <= end and len(out) < 3000:
        kind, header, size = struct.unpack_from("<HHI", data, pos)
        out += [(pos + 2, 2), (pos + 4, 4), (pos + 8, 4)]
        if header < 8 or size < header or pos + size > end:
            return
        if kind in (0x0002, 0x0003, 0x0200) and depth < 2:
            _res_chunk_fields(data, pos + header, pos + size, out, depth + 1)
        pos += size


def size_fields(data: bytes, kind: str) -> list[tuple[int, int]]:
    """(offset, width) of fields of `data` that hold a size, count or offset, found by walking its format:
    random overwrites rarely hit them, and they are what a hostile file sets to a huge value."""
    out: list[tuple[int, int]] = []
    try:
        if kind == "dex" and len(data) >= 0x70:
            out += [(off, 4) for off in range(32, 0x70, 4)]
            (protos, protos_off) = struct.unpack_from("<II", data, 72)
            for i in range(min(protos, 300)):
                (params,) = struct.unpack_from("<I", data, protos_off + 12 * i + 8)
                if params:
                    out += [(params, 4)] * 4
            (classes, classes_off) = struct.unpack_from("<II", data, 96)
            for i in range(min(classes, 300)):
                at = classes_off + 32 * i
                ifaces, class_data = struct.unpack_from("<I", data, at + 12)[0], struct.unpack_from("<I", data, at + 24)[0]
                # The lists and class data themselves weigh more: d8 shares a type list among all the classes
                # that name it, so a huge size there is multiplied by them (the 22 GB of issue 10).
                out += [(at + 12, 4), (at + 24, 4)] + [(ifaces, 4)] * 4 * bool(ifaces)
                out += [(class_data, 4)] * 2 * bool(class_data)
            # and the most shared list most of all
            lists = Counter(off for off, width in out if width == 4 and off >= 0x70 and (off, 4) not in out[:20])
            out += [(off, 4) for off, _n in lists.most_common(2)] * 50
        elif kind in ("axml", "arsc"):
            _res_chunk_fields(data, 0, len(data), out)
        elif kind == "class":
            out += [(8, 2)]  # constant_pool_count; the rest is reached by flips and overwrites
        elif kind == "zip":
            eocd = data.rfind(b"PK\x05\x06")
            if eocd >= 0:
                out += [(eocd + 8, 2), (eocd + 10, 2), (eocd + 12, 4), (eocd + 16, 4), (eocd + 20, 2)]
                (cd,) = struct.unpack_from("<I", data, eocd + 16)
                for _ in range(60):
                    if data[cd:cd + 4] != b"PK\x01\x02":
                        break
                    out += [(cd + 20, 4), (cd + 24, 4), (cd + 28, 2), (cd + 30, 2), (cd + 42, 4)]
                    name, extra, comment = struct.unpack_from("<HHH", data, cd + 28)
                    cd += 46 + name + extra + comment
    except struct.error:
        pass
    return [(off, width) for off, width in out if off >= 0 and off + width <= len(data)]


def mutate(data: bytes, kind: str, rng: random.Random) -> tuple[bytes, str]:
    """One seeded mutation of `data` and a short description of it."""
    blob = bytearray(data)
    how = rng.choice(("flip", "overwrite", "field", "field", "truncate", "overwrite+flip", "field+flip"))
    notes = []
    order = ">" if kind == "class" else "<"
    if how.startswith("field"):
        fields = size_fields(data, kind)
        if fields:
            for _ in range(rng.choice((1, 1, 1, 2, 3))):
                pos, width = rng.choice(fields)
                if rng.random() < 0.4:  # the largest count of 1-, 2-, 4- or 8-byte items the rest could hold
                    value = (len(data) - pos - width) // rng.choice((1, 2, 4, 8))
                else:
                    value = rng.choice(HUGE)
                value &= 0xFFFF if width == 2 else 0xFFFFFFFF
                struct.pack_into(f"{order}{'H' if width == 2 else 'I'}", blob, pos, value)
                notes.append(f"field u{8 * width}@{pos}=0x{value:x}")
        else:
            how = "overwrite" + how[5:]
    if how.startswith("overwrite") and len(blob) >= 4:
        # Size and count fields sit mostly in headers: half the overwrites hit the first 256 bytes.
        limit = min(len(blob), 256) if rng.random() < 0.5 else len(blob)
        pos = rng.randrange(0, max(1, limit - 3))
        if rng.random() < 0.7:
            pos &= ~3 if kind != "class" else ~1
        value = rng.choice(HUGE) if rng.random() < 0.8 else rng.getrandbits(32)
        width = 2 if kind == "class" or rng.random() < 0.3 else 4
        struct.pack_into(f"{order}{'H' if width == 2 else 'I'}", blob, pos, value & (0xFFFF if width == 2 else 0xFFFFFFFF))
        notes.append(f"u{8 * width}@{pos}=0x{value & (0xFFFF if width == 2 else 0xFFFFFFFF):x}")
    if how.endswith("flip") and blob:
        for _ in range(rng.choice((1, 2, 4, 8, 32))):
            pos = rng.randrange(len(blob))
            bit = rng.randrange(8)
            blob[pos] ^= 1 << bit
        notes.append("flips")
    if how == "truncate":
        cut = rng.randrange(len(blob)) if blob else 0
        del blob[cut:]
        notes.append(f"cut@{cut}")
    return bytes(blob), " ".join(notes) or how


def case_input(seeds: list[Seed], seed: int, case: int) -> tuple[Seed, bytes, str]:
    """The seed, mutated bytes and mutation of case number `case` (deterministic for `seed`)."""
    rng = random.Random(f"hegui-fuzz:{seed}:{case}")
    by_kind = [s for s in seeds if s.kind == KINDS[case % len(KINDS)]] or seeds
    chosen = rng.choice(by_kind)
    data, how = mutate(chosen.data, chosen.kind, rng)
    return chosen, data, how


# ------------------------------------------------------------------------------------------------ readers


class Mismatch(Exception):
    """The C accelerator and the pure-Python parser read one DEX differently."""


def _dex_snapshot(dex) -> tuple:
    return (dex.strings, dex.types, dex.protos, dex.problems,
            [(c.type_idx, c.superclass_idx, c.interface_idxs,
              [(m.method_idx, m.access, list(m.invokes), m.invoke_ops, list(m.strings), list(m.types),
                list(m.fields)) for m in c.methods]) for c in dex.classes])


def read_dex(data: bytes) -> None:
    from hegui.dex import DexIndex, parser

    dex = parser.DexFile(data)
    index = DexIndex()
    index.add_parsed(dex)
    for cdef in dex.classes:
        for method in cdef.methods:
            dex.method_ref(method.method_idx)
            for callee in method.invokes[:64]:
                if callee < len(dex.methods):
                    dex.method_ref(callee)
            for fidx in method.fields[:64]:
                if fidx < len(dex.fields):
                    dex.field_ref(fidx)
    reached = _reach(index)
    if parser.speedups is not None and len(data) <= PURE_PYTHON_MAX:
        fast = _dex_snapshot(dex)
        accelerated, parser.speedups = parser.speedups, None
        try:
            slow = _dex_snapshot(parser.DexFile(data))
            by_python = _reach(index)  # the same index, walked by the Python fixpoint
        finally:
            parser.speedups = accelerated
        if fast != slow:
            raise Mismatch("C and Python parsers disagree")
        if reached != by_python:
            raise Mismatch("C and Python call-graph fixpoints disagree")


def _reach(index) -> tuple:
    """Both call graphs a scan builds over what was read (the first classes' methods as entries): startup with
    consent guards, liveness with every creation rule; their parent maps, guarded sites and before-user set."""
    from hegui.detect.startup import consent_lexicon, framework_hierarchy
    from hegui.dex.callgraph import Reachability
    from hegui.dex.guards import ConsentGuards

    entries = index.methods[:64]
    classes = list(index.classes)[:8]
    startup = Reachability(index, entries, classes, guards=ConsentGuards(index, consent_lexicon()),
                           hierarchy=framework_hierarchy(), user_methods=frozenset({"onClick"}))
    live = Reachability(index, entries, classes, hierarchy=framework_hierarchy(), callbacks_of_entries=True,
                        created_by_name=classes[:2], click_handlers=frozenset({"onTap"}), const_class_creates=True,
                        invoke_by_name_anywhere=True, user_methods=frozenset({"onClick"}), defer_user_callbacks=True)
    return (list(startup.parent.items()), sorted(startup.guarded.items()), list(live.parent.items()),
            sorted(live.before_user or ()))


def read_axml(data: bytes) -> None:
    from hegui.apk.manifest import parse_manifest

    parse_manifest(data)


def read_arsc(data: bytes) -> None:
    from hegui.apk.resources import ResourceTable

    table = ResourceTable.parse(data)
    for _ in zip(range(10_000), table.string_values(), strict=False):
        pass
    for package_id, package in list(table.packages.items())[:4]:
        for type_id, chunks in list(package.chunks.items())[:16]:
            for index in range(min(32, max((c.count for c in chunks), default=0))):
                ref = (package_id << 24) | (type_id << 16) | index
                table.resolve_string(ref)
                table.resolve_files(ref)
                table.name_of(ref)


def read_class(data: bytes) -> None:
    from hegui.jvm.classfile import parse_class

    parse_class(data)


def read_zip(data: bytes) -> None:
    from hegui.apk.archive import ApkArchive, ArchiveEntryError

    archive = ApkArchive.from_bytes(Path("fuzz.apk"), data)
    for name in archive.names[:200]:
        with contextlib.suppress(ArchiveEntryError):
            archive.read(name)


READERS = {"dex": read_dex, "axml": read_axml, "arsc": read_arsc, "class": read_class, "zip": read_zip}


def run_case(kind: str, data: bytes) -> str:
    """'parsed' or 'refused' (a hegui error); anything else propagates."""
    from hegui.dex.parser import DexFormatError
    from hegui.errors import InputError

    try:
        READERS[kind](data)
    except (InputError, DexFormatError):
        return "refused"
    return "parsed"


# ------------------------------------------------------------------------------------------------ running


def _where(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    last = frames[-1] if frames else None
    at = f" at {Path(last.filename).name}:{last.lineno}" if last else ""
    return f"{type(exc).__name__}: {str(exc)[:200]}{at}"


def _child(conn, seeds: list[Seed], seed: int, first: int, cases: int, memory_mb: int) -> None:
    with open("/proc/self/statm", encoding="ascii") as fh:
        baseline = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    resource.setrlimit(resource.RLIMIT_AS, (baseline + memory_mb * MiB, resource.getrlimit(resource.RLIMIT_AS)[1]))
    for case in range(first, cases):
        chosen, data, how = case_input(seeds, seed, case)
        conn.send(("start", case))
        try:
            status, detail = run_case(chosen.kind, data), ""
        except MemoryError:
            status, detail = "memory", f"over {memory_mb} MiB of address space"
        except Mismatch as exc:
            status, detail = "mismatch", str(exc)
        except Exception as exc:
            status, detail = "exception", _where(exc)
        del data
        conn.send(("end", case, status, detail))
    conn.close()


def fuzz(seeds: list[Seed], cases: int, seed: int = 0, per_case_s: float = 10.0, memory_mb: int = 1024,
         progress=None) -> Summary:
    """Run `cases` cases in children under `memory_mb` of address space and `per_case_s` each."""
    ctx = multiprocessing.get_context("fork")
    summary = Summary(cases=cases)
    started = time.monotonic()

    def fail(case: int, status: str, detail: str) -> None:
        chosen, _data, how = case_input(seeds, seed, case)
        summary.outcomes[(chosen.kind, status)] += 1
        summary.failures.append(Failure(case, chosen.kind, chosen.name, how, status, detail))

    next_case = 0
    while next_case < cases:
        receiver, sender = ctx.Pipe(duplex=False)
        child = ctx.Process(target=_child, args=(sender, seeds, seed, next_case, cases, memory_mb), daemon=True)
        child.start()
        sender.close()
        current: int | None = None
        while True:
            if not receiver.poll(per_case_s):
                child.kill()
                child.join()
                if current is None:  # the child never started a case: count the next one as hung
                    current = next_case
                fail(current, "hang", f"still running after {per_case_s:g} s")
                next_case = current + 1
                break
            try:
                message = receiver.recv()
            except EOFError:
                child.join()
                if current is not None:
                    fail(current, "crash", f"child exit status {child.exitcode}")
                    next_case = current + 1
                else:
                    next_case = cases  # finished every case
                break
            if message[0] == "start":
                current = message[1]
            else:
                _, case, status, detail = message
                current = None
                if status in ("parsed", "refused"):
                    chosen, _data, _how = case_input(seeds, seed, case)
                    summary.outcomes[(chosen.kind, status)] += 1
                else:
                    fail(case, status, detail)
                if progress is not None:
                    progress(case)
        receiver.close()
    summary.seconds = time.monotonic() - started
    summary.peak_rss_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return summary


# ------------------------------------------------------------------------------------------------ whole CLI


@dataclass
class CliOutcome:
    case: int
    seed: str
    mutation: str
    exit_status: int
    seconds: float
    problem: str | None  # why the outcome breaks the hostile-input claim; None when it holds


def cli_case(seeds: list[Seed], seed: int, case: int, workdir: Path, max_seconds: float = 60.0) -> CliOutcome:
    """A real `hegui scan` of an APK with one mutated DEX, manifest or resource table: it must give a report
    (exit 0, JSON on standard output) or one line naming the file (exit 2), never a traceback, within
    `max_seconds`. (Memory: the caller reads the children's peak RSS.)"""
    import json
    import subprocess

    rng = random.Random(f"hegui-fuzz-cli:{seed}:{case}")
    chosen = rng.choice([s for s in seeds if s.apk is not None])
    data, how = mutate(chosen.data, chosen.kind, rng)
    apk = workdir / f"case-{case}.apk"
    with zipfile.ZipFile(chosen.apk) as src, zipfile.ZipFile(apk, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, data if info.filename == chosen.entry else src.read(info))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO / "src"), os.environ.get("PYTHONPATH")])))
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "hegui.cli", "scan", str(apk)], capture_output=True, env=env,
                          timeout=max_seconds * 3, check=False)
    seconds = time.monotonic() - started
    err = proc.stderr.decode("utf-8", "replace")
    problem = None
    if "Traceback" in err:
        problem = "traceback: " + err.strip().splitlines()[-1][:200]
    elif seconds > max_seconds:
        problem = f"took {seconds:.0f} s"
    elif proc.returncode == 2:
        lines = err.strip().splitlines()
        if len(lines) != 1 or not lines[0].startswith(f"{apk}: "):
            problem = f"exit 2 without one line naming the file: {err[:200]!r}"
    elif proc.returncode == 0:
        try:
            json.loads(proc.stdout)
        except ValueError:
            problem = "exit 0 without a JSON report"
    else:
        problem = f"exit status {proc.returncode}: {err.strip()[-200:]!r}"
    apk.unlink()
    return CliOutcome(case, chosen.name, how, proc.returncode, seconds, problem)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cases", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--corpus", type=Path, default=CORPUS, help="corpus folder (seeds from its APKs and JARs)")
    p.add_argument("--no-corpus", action="store_true", help="only the bundled sample and the built class file")
    p.add_argument("--per-kind", type=int, default=3, help="corpus seeds per kind")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds per case")
    p.add_argument("--memory", type=int, default=1024, help="MiB of address space for the cases")
    p.add_argument("--save-failures", type=Path, help="write each failing input here")
    p.add_argument("--cli", type=int, default=0, metavar="N",
                   help="then N whole `hegui scan` runs of APKs with one mutated member")
    args = p.parse_args(argv)
    sys.path.insert(0, str(REPO / "src"))
    seeds = collect_seeds(None if args.no_corpus else args.corpus, per_kind=args.per_kind)
    print(f"{len(seeds)} seeds: " + ", ".join(f"{k} {sum(s.kind == k for s in seeds)}" for k in KINDS))
    summary = fuzz(seeds, args.cases, args.seed, args.timeout, args.memory)
    print("\n".join(summary.lines()))
    if args.save_failures and summary.failures:
        args.save_failures.mkdir(parents=True, exist_ok=True)
        for f in summary.failures:
            _chosen, data, _how = case_input(seeds, args.seed, f.case)
            (args.save_failures / f"case-{f.case}.{f.kind}").write_bytes(data)
    failed = bool(summary.failures)
    if args.cli:
        import tempfile

        with tempfile.TemporaryDirectory(prefix="hegui-fuzz-") as tmp:
            outcomes = [cli_case(seeds, args.seed, case, Path(tmp)) for case in range(args.cli)]
        rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        statuses = Counter(o.exit_status for o in outcomes)
        print(f"{len(outcomes)} CLI scans: " + ", ".join(f"{n} exit {code}" for code, n in sorted(statuses.items()))
              + f"; slowest {max(o.seconds for o in outcomes):.1f} s; peak RSS {rss:.0f} MiB")
        for o in outcomes:
            if o.problem:
                print(f"  FAIL cli case {o.case} {o.seed} [{o.mutation}]: {o.problem}")
        failed = failed or any(o.problem for o in outcomes) or rss > args.memory
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
