"""Code named outside the DEX: classes resource XML makes the framework create, click handlers it binds, and
classes native libraries call into through JNI.

A layout inflater creates the View classes named as tags (``<com.example.MyView>``, ``<view class="…">``) and
the Fragments of ``<fragment android:name="…">``; preference screens, menus (``actionViewClass``),
navigation graphs and CoordinatorLayout behaviours name classes in attributes too; ``android:onClick="name"``
binds a method of the inflating Activity by name. None of that is a call in the DEX, so a reader of the code
alone sees those classes and methods as never used. This module only reads the names; what they mean for the
call graph is the caller's business.

Native code reaches Java through JNI by class name (``FindClass("com/baidu/vi/VDeviceAPI")``, then
``GetStaticMethodID``): those names sit in the library as NUL-terminated strings with slashes.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

from hegui.apk.archive import ApkArchive
from hegui.apk.axml import ANDROID_NS, TYPE_STRING, is_binary_xml, parse_axml
from hegui.apk.elf import data_spans
from hegui.apk.stringpool import CHUNK_STRING_POOL, StringPool

_MAX_XML = 4 * 2**20  # a resource XML larger than this is not a layout anyone inflates
# a Java class name as resources write it: dotted identifiers, possibly relative (".ui.MyFragment")
_CLASS_NAME = re.compile(r"\.?[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+")
_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*")
# Names in native code: whole C strings (NUL on both sides: one pass of a simple pattern over megabytes of
# code), then kept when they are a JNI class name (slash separated) or a dotted lower-case name
_NATIVE_STRING = re.compile(rb"\x00([A-Za-z_$][\w$]*(?:[/.][A-Za-z_$][\w$]*)+)(?=\x00)")
_MAX_NATIVE_BYTES = 96 * 2**20  # read at most this much native code per APK (one ABI)
_ABI_PREFERENCE = ("arm64-v8a", "armeabi-v7a", "armeabi", "x86_64", "x86")


@dataclass(frozen=True, slots=True)
class ResourceCodeNames:
    classes: frozenset[str]  # Java names as written (a leading "." is relative to the app's package)
    click_handlers: frozenset[str]  # android:onClick method names


def resource_code_names(archive: ApkArchive) -> ResourceCodeNames:
    """The class names and click handlers of every compiled XML under ``res/``. An entry that cannot be read
    names nothing (the manifest and resource readers report a broken archive)."""
    classes: set[str] = set()
    handlers: set[str] = set()
    for name in archive.names:
        if not (name.startswith("res/") and name.endswith(".xml")):
            continue
        try:
            data = archive.read(name, max_size=_MAX_XML)
        except Exception:  # noqa: BLE001 - one unreadable entry must not stop the scan
            continue
        if not is_binary_xml(data) or not _may_name_code(data):
            continue
        try:
            root = parse_axml(data)
        except Exception:  # noqa: BLE001 - a malformed resource names nothing
            continue
        for node in root.iter():
            if "." in node.tag and _CLASS_NAME.fullmatch(node.tag):
                classes.add(node.tag)
            for attr in node.attributes:
                value = attr.string if attr.value_type == TYPE_STRING else None
                if not value:
                    continue
                if attr.name == "onClick" and attr.namespace == ANDROID_NS:
                    if _IDENTIFIER.fullmatch(value):
                        handlers.add(value)
                elif "." in value and len(value) < 256 and _CLASS_NAME.fullmatch(value):
                    classes.add(value)
    return ResourceCodeNames(frozenset(classes), frozenset(handlers))


def _may_name_code(data: bytes) -> bool:
    """Whether a compiled XML's string pool holds a string `resource_code_names` could take (a dotted class name,
    "onClick"): every tag, attribute name and string value is one of the pool's strings, so an XML whose pool
    holds none (most drawables, colours, animations) need not be parsed. A pool that is not the first chunk,
    or a string that cannot be read, leaves the answer to the parser."""
    header_size = struct.unpack_from("<H", data, 2)[0]
    at = header_size if 8 <= header_size <= len(data) - 8 else 8
    if at + 8 > len(data) or struct.unpack_from("<H", data, at)[0] != CHUNK_STRING_POOL:
        return True
    pool = StringPool(data, at, [], "xml")
    for i in range(len(pool)):
        text = pool.get(i)
        if text is None or text == "onClick" or ("." in text and _CLASS_NAME.fullmatch(text)):
            return True
    return False


def native_class_names(archive: ApkArchive, native_libs: list[str]) -> frozenset[str]:
    """Java names (dotted) that the native libraries of one ABI hold: JNI class names (``com/x/Y``) and
    dotted names (``com.x``, a package the library looks classes up in). The ABI with the most libraries is read (the same code is built once per
    ABI), the preferred one on a tie; at most `_MAX_NATIVE_BYTES` of it."""
    by_abi: dict[str, list[str]] = {}
    for lib in native_libs:
        by_abi.setdefault(lib.split("/")[1], []).append(lib)
    if not by_abi:
        return frozenset()
    rank = {abi: i for i, abi in enumerate(_ABI_PREFERENCE)}
    abi = max(by_abi, key=lambda a: (len(by_abi[a]), -rank.get(a, len(rank))))
    names: set[str] = set()
    budget = _MAX_NATIVE_BYTES
    for lib in sorted(by_abi[abi]):
        if budget <= 0:
            break
        try:
            data = archive.read(lib, max_size=budget)
        except Exception:  # noqa: BLE001 - an unreadable or oversized library names nothing
            continue
        budget -= len(data)
        for raw in _native_strings(data):
            slash, dot = b"/" in raw, b"." in raw
            if slash and not dot:
                names.add(raw.decode("ascii").replace("/", "."))
            elif dot and not slash and raw[:1].islower():
                names.add(raw.decode("ascii"))
    return frozenset(names)


def _native_strings(data: bytes) -> list[bytes]:
    """The NUL-delimited name-like strings of a library, read from its data sections only (hegui.apk.elf: the
    code is most of the bytes and holds no string literal); the whole file when it has no readable section
    table. One byte on each side of a section keeps the NULs that delimit its first and last string."""
    spans = data_spans(data)
    if spans is None:
        return _NATIVE_STRING.findall(data)
    found: list[bytes] = []
    for start, end in spans:
        found += _NATIVE_STRING.findall(data, max(0, start - 1), end + 1)
    return found
