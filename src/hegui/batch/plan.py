"""What is left to do: the inputs, less what the index says is already finished.

Resume rules (documented for users in ``hegui.batch``):
- an input whose last index line is ``done`` is skipped when its size and modification time are unchanged
  and its report file is still in the output directory; a URL input is keyed by its redacted URL (no
  query: re-signing the same object does not make it new) and skipped when done with its report present;
- an input whose last line is ``failed`` is skipped too (a timeout or a broken file would only fail
  again and cost the same time), unless ``retry_failed`` is set or the file changed since;
- anything else is scanned; a scanned file whose content (sha256) was already scanned under any path is
  not scanned again but recorded as a duplicate of it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from hegui.batch.download import UrlInput
from hegui.batch.index import IndexState, Prior


@dataclass(frozen=True, slots=True)
class Todo:
    source: Path | UrlInput  # a file as the user gave it (what the scan opens), or a URL to fetch
    key: str                 # the index key: absolute path, or the redacted URL
    size: int | None      # None when the file cannot be stat'ed (the scan then names the reason)
    mtime_ns: int | None


@dataclass(slots=True)
class Plan:
    todo: list[Todo]
    skipped: list[Prior]


def _report_present(output_dir: Path, prior: Prior) -> bool:
    return bool(prior.report) and (output_dir / Path(prior.report).name).is_file()


def input_key(source: Path | UrlInput) -> str:
    """The name of an input in the index: its absolute path, or its URL without query (never a secret)."""
    return source.key if isinstance(source, UrlInput) else os.path.abspath(source)


def make_todo(path: Path | UrlInput) -> Todo:
    key = input_key(path)
    if isinstance(path, UrlInput):  # nothing to stat before the download
        return Todo(path, key, None, None)
    try:
        st = os.stat(path)
    except OSError:
        return Todo(path, key, None, None)
    return Todo(path, key, st.st_size, st.st_mtime_ns)


def plan(inputs: list[Path | UrlInput], state: IndexState, output_dir: Path, *, retry_failed: bool) -> Plan:
    todo: list[Todo] = []
    skipped: list[Prior] = []
    planned: set[str] = set()
    for path in inputs:
        item = make_todo(path)
        if item.key in planned:
            continue
        planned.add(item.key)
        previous = state.by_path.get(item.key)
        unchanged = previous is not None and (
            isinstance(path, UrlInput) or (previous.size, previous.mtime_ns) == (item.size, item.mtime_ns))
        if previous is not None and unchanged and (
            (previous.status == "done" and _report_present(output_dir, previous))
            or (previous.status == "failed" and not retry_failed)
        ):
            skipped.append(previous)
            continue
        todo.append(item)
    # Largest first: the long scans start early instead of trailing alone at the end of the batch.
    todo.sort(key=lambda t: (-(t.size or 0), t.key))
    return Plan(todo, skipped)


def known_content(state: IndexState, output_dir: Path) -> dict[str, str]:
    """sha256 → path of every finished scan whose report is still there (content not to scan again)."""
    known: dict[str, str] = {}
    for path, prior in state.by_path.items():
        if prior.status == "done" and prior.sha256 and _report_present(output_dir, prior):
            known.setdefault(prior.sha256, path)
    return known
