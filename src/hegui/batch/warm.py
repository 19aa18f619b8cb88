"""Load the scanner's code and knowledge once, before scans are forked, so no scan pays for it.

A cold scan spends ~1.7 s parsing hegui's knowledge YAML (SDK catalog, lexicon, rulebook…) before it
looks at the APK; warm, a small APK takes milliseconds. Forked children share the parent's loaded
state, so the batch driver (and the Ray engine's forkserver) warm up once instead of once per scan.

What counts as knowledge is found by convention rather than listed here (the list would rot as
detectors are added): every ``functools.cache``/``lru_cache`` function without required arguments in
the scanner's packages is a loader of hegui's own package data, and is called once. Nothing here
touches scan input.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import pkgutil
from types import ModuleType

SCANNER_PACKAGES = ("hegui.knowledge", "hegui.apk", "hegui.dex", "hegui.detect", "hegui.policy",
                    "hegui.rules")


def _modules() -> list[ModuleType]:
    found: list[ModuleType] = []
    for name in (*SCANNER_PACKAGES, "hegui.pipeline", "hegui.analysis", "hegui.report.model"):
        try:
            package = importlib.import_module(name)
        except Exception:  # an optional part that cannot load here; the scan reports it if it needs it
            continue
        found.append(package)
        for info in pkgutil.walk_packages(getattr(package, "__path__", []), name + "."):
            with contextlib.suppress(Exception):
                found.append(importlib.import_module(info.name))
    return found


def _is_argless_cached(obj: object, module: ModuleType) -> bool:
    if not (callable(obj) and hasattr(obj, "cache_info") and getattr(obj, "__module__", None) == module.__name__):
        return False
    try:
        params = inspect.signature(obj).parameters.values()
    except (TypeError, ValueError):
        return False
    return all(p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params)


def _warm_renderers(formats: list[str]) -> None:
    """Render an empty report (our own, not scan input) in each format: imports and templates load once.

    Only the formats asked for: the spreadsheet and HTML renderers pull in libraries a JSON-only batch
    should not carry into every forked scan.
    """
    from hegui import __version__
    from hegui.batch.isolate import render_files
    from hegui.report.model import InputInfo, Report, Tool

    empty = Report(tool=Tool(version=__version__), input=InputInfo(path="warm-up", sha256="0" * 64, size=0))
    with contextlib.suppress(Exception):
        render_files(empty, formats)


def warm_up(formats: list[str] | None = None) -> int:
    """Import the scanner, fill its knowledge caches and load the renderers of `formats`.

    Returns how many knowledge loaders ran.
    """
    loaded = 0
    for module in _modules():
        for obj in list(vars(module).values()):
            if _is_argless_cached(obj, module):
                with contextlib.suppress(Exception):  # a broken file fails each scan with its own reason
                    obj()
                    loaded += 1
    _warm_renderers(formats or ["json"])
    return loaded
