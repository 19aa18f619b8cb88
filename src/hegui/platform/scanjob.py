"""The child process of one scan: ``python -m hegui.platform.scanjob APK RESULT MEMORY_MB [--fetch-policy]``.

Runs `hegui.pipeline.scan_path` (the engine of ``hegui scan``: APKs and SDK packages, AAR and JAR) and writes
``{"report": …}`` (its `input.kind` says apk, aar or jar) or ``{"error": "one line"}`` to RESULT atomically.
Anything that kills this process (a crash, the memory limit, the timeout) only fails this scan; the server reads
the exit status.
"""

from __future__ import annotations

import json
import os
import resource
import sys
from pathlib import Path


def _die_with_parent() -> None:
    """Linux: end this scan if the server that started it dies (a restarted server re-runs the scan)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() == 1:  # the server was already gone before the call above
        sys.exit(1)


def _write_atomic(path: Path, payload: dict) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        json.dump(payload, fh, ensure_ascii=False)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def main(argv: list[str]) -> int:
    _die_with_parent()
    apk, result = Path(argv[0]), Path(argv[1])
    if len(argv) > 2:
        limit = int(argv[2]) * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    fetch_policy = argv[3:] == ["--fetch-policy"]
    from hegui.errors import InputError
    from hegui.pipeline import ScanOptions, scan_path
    from hegui.platform.messages import Message, failure

    try:
        report = scan_path(apk, ScanOptions(fetch_policy=fetch_policy))
    except InputError as err:
        _write_atomic(result, failure(Message("scan.error.unreadable_input", {"reason": str(err)})))
        return 0
    _write_atomic(result, {"report": report.model_dump(mode="json")})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
