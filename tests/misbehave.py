"""A scan function that misbehaves on purpose, for the tests of the hard limits around a scan
(tests/scan/test_single_scan_limits.py, tests/batch/test_batch_limits.py).

The misbehaviour is injected through `scan_fn`: an APK that reliably hangs or segfaults the scanner would be
a scanner bug to fix, not a fixture. The function runs inside the scan child (forked, or started by a
forkserver), so it lives in a module the child can import rather than in a test file.
"""

from __future__ import annotations

import ctypes
import faulthandler
import os
import signal
import time
from pathlib import Path

from hegui.errors import InputError
from hegui.pipeline import ScanOptions, scan_path


def misbehaving_scan(path: Path, options: ScanOptions):
    """The real scan, except for inputs named after the misbehaviour they trigger: ``hang``, ``balloon``
    (allocates past the memory budget), ``sigkill``, ``segfault``, ``bug`` (an exception whose message has
    two lines), ``unreadable`` (the scan's own InputError)."""
    stem = path.stem
    if stem == "hang":
        time.sleep(120)
    elif stem == "balloon":
        return bytearray((options.memory_budget_mb + 512) << 20)  # refused under the address-space limit
    elif stem == "sigkill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif stem == "segfault":
        faulthandler.disable()  # the crash is the point; keep pytest's fault dump out of the log
        ctypes.string_at(0)
    elif stem == "bug":
        raise RuntimeError("detector exploded on\nline two")
    elif stem == "unreadable":
        raise InputError("not a ZIP/APK archive")
    return scan_path(path, options)
