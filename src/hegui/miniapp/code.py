"""The code of a package, read for what the detectors ask: JS call sites (hegui.miniapp.js), PI-handing
`<button open-type>` values in WXML (source or compiled), and the `@ohos:` modules a HAP's modules.abc imports."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from hegui.errors import InputError
from hegui.miniapp.declarations import Declarations
from hegui.miniapp.js import MAX_JS_BYTES, ApiCall, scan_js
from hegui.miniapp.package import MiniPackage

MAX_JS_TOTAL = 64 * 2**20
# compiled WXML keeps attribute values as string literals in its constant table: Z([3,'getPhoneNumber'])
_COMPILED_VALUE = re.compile(rb"Z\(\[3,'([A-Za-z]+)'\]\)")
_SOURCE_OPEN_TYPE = re.compile(rb"""open-type\s*=\s*["']([A-Za-z]+)["']""")
_OHOS_MODULE = re.compile(rb"@ohos:([A-Za-z][\w.]*)")
_NOT_CODE = ("app-wxss.js", "page-frame.js")


@dataclass(slots=True)
class CodeFacts:
    calls: list[ApiCall] = field(default_factory=list)
    requires: list[tuple[str, str, int]] = field(default_factory=list)
    open_types: list[tuple[str, str, int]] = field(default_factory=list)  # (value, file, line)
    ohos_modules: list[str] = field(default_factory=list)
    js_files: int = 0
    problems: list[str] = field(default_factory=list)


def _js_files(pkg: MiniPackage) -> list[str]:
    return [n for n in pkg.names if n.endswith(".js") and not n.endswith(("-wxss.js", ".min.map"))
            and n.rsplit("/", 1)[-1] not in _NOT_CODE]


def _entry_modules(decl: Declarations) -> set[str]:
    return {f"{decl.root}{decl.entry_page}.js"} if decl.entry_page else set()


def _read(pkg: MiniPackage, name: str, facts: CodeFacts, max_size: int | None = None) -> bytes | None:
    """One file's bytes, or None with the reason among the package's problems (the scan goes on without it)."""
    try:
        return pkg.read(name) if max_size is None else pkg.read(name, max_size)
    except InputError as exc:
        facts.problems.append(f"{name}: {exc}")
        return None


def read_code(pkg: MiniPackage, decl: Declarations, names: Iterable[str], open_types: Iterable[str]) -> CodeFacts:
    facts = CodeFacts()
    names = frozenset(names)
    wanted_types = frozenset(t.encode() for t in open_types)
    entries = _entry_modules(decl)
    total = 0
    for name in _js_files(pkg):
        size = pkg.size_of(name) or 0
        if size > MAX_JS_BYTES or total + size > MAX_JS_TOTAL:
            facts.problems.append(f"{name}: {size} bytes of JavaScript past the limits: not parsed")
            continue
        source = _read(pkg, name, facts, MAX_JS_BYTES)
        if source is None:
            continue
        total += len(source)
        facts.js_files += 1
        js = scan_js(source, name, names, entry_modules=entries if name.endswith("app-service.js")
                     else {n for n in entries if n == name})
        facts.calls.extend(js.calls)
        facts.requires.extend(js.requires)
        facts.problems.extend(js.problems)
    for name in pkg.names:
        pattern = _SOURCE_OPEN_TYPE if name.endswith(".wxml") else \
            _COMPILED_VALUE if name.endswith((".html", "app-wxss.js", "page-frame.js")) else None
        if pattern is None or not wanted_types:
            continue
        data = _read(pkg, name, facts, MAX_JS_BYTES)
        if data is None:
            continue
        for m in pattern.finditer(data):
            if m.group(1) in wanted_types:
                facts.open_types.append((m.group(1).decode(), name, data.count(b"\n", 0, m.start()) + 1))
    if pkg.kind == "hap":
        for name in (n for n in pkg.names if n.endswith(".abc")):
            data = _read(pkg, name, facts)
            if data is None:
                continue
            facts.ohos_modules.extend(sorted({m.group(1).decode() for m in _OHOS_MODULE.finditer(data)}
                                             - set(facts.ohos_modules)))
    return facts
