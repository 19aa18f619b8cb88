"""Which other apps a method names as the target of what it starts: the package arguments of its calls.

A string only counts as another app's package when it is the package argument of a targeting API
(knowledge/static_signals.yaml `associated_start.target_apis`: `Intent#setPackage(pkg)`,
`Intent#setClassName(pkg, cls)`, `new ComponentName(pkg, cls)`, `PackageManager#getLaunchIntentForPackage(pkg)`):
the first parameter, when it is a String (the `(Context, cls)` forms name the app's own package). An extra's
key (`putExtra("com.x.push_data", …)`) or a log tag in the same method is no target. The constants are
followed through registers in the method (hegui.dex.guards.flow); a package built at run time is not known.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable

from hegui.dex import MethodInfo
from hegui.dex.guards.bytecode import STRING, CodeReader, Unsupported, param_types
from hegui.dex.guards.flow import arguments, flow
from hegui.dex.index import DexIndex
from hegui.dex.parser import DexFormatError

# what decoding or walking malformed code raises: the targets are then not known
_UNREADABLE = (Unsupported, DexFormatError, struct.error, IndexError, KeyError, ValueError)


def target_packages(index: DexIndex, reader: CodeReader, m: MethodInfo,
                    apis: frozenset[tuple[str, str]]) -> list[str] | None:
    """The constant strings `m` passes as the package argument of a call in `apis` ((class descriptor, name)),
    in instruction order; None when the method's code cannot be followed."""
    try:
        code = reader.decode(m)
        states = flow(code, m.dex, lambda *_a: None, lambda _f: False)
    except _UNREADABLE:
        return None
    refs = index.method_refs(m.dex)
    out: list[str] = []
    units, start = code.units, code.start
    for k, ref in code.invokes:
        cls, name, proto = refs[ref]
        if (cls, name) not in apis or states[k] is None:
            continue
        params = param_types(proto)
        if not params or params[0] != STRING:
            continue
        pc = start + code.pcs[k]
        u = units[pc]
        [(_t, value), *_rest] = arguments(u & 0xFF, u, units, pc, proto, states[k])
        if isinstance(value, tuple) and value[0] == "key" and isinstance(value[1], str):
            out.append(value[1])
    return out


def not_another_app(name: str, app_package: str | None, namespaces: Iterable[str]) -> bool:
    """`name` is the app's package, lies under it or is a prefix of it (``com.xuexiang`` of
    ``com.xuexiang.xgdemo``), or lies under one of `namespaces` (the calling SDK's packages, the caller's Java
    package: ``com.xuexiang.xpush.util.push_data`` from ``com.xuexiang.xpush.util``). A prefix of an SDK's
    package can be another app: WeChat's ``com.tencent.mm`` is the prefix of its SDK's ``com.tencent.mm.opensdk``."""
    if app_package and (name == app_package or name.startswith(app_package + ".")
                        or app_package.startswith(name + ".")):
        return True
    return any(name == o or name.startswith(o + ".") for o in namespaces if o)
