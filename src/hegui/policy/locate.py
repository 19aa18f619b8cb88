"""Finding the privacy policy inside an APK: a policy file in assets/ or res/raw/, a long string resource that reads
like one, or a policy URL in string resources or DEX strings (returned, never fetched here: hegui.policy.source
fetches, and only when asked).

Every scan of an APK without `--policy` runs this, so it needs only the few words by which a policy is recognised
(`lexicon.source_words`), not the compiled lexicon nor the network code.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from hegui.policy.lexicon import source_words


@dataclass(frozen=True, slots=True)
class PolicyCandidate:
    source: str                # APK entry name, "string:<resource name>" or "url:<address>"
    data: bytes | None
    url: str | None


_CANDIDATE_EXT = (".html", ".htm", ".txt", ".xhtml")
_URL = re.compile(r"https?://[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]{4,300}")
MIN_STRING_POLICY_CHARS = 800
URL_MARK = "http"  # a string without it holds no policy URL (`_URL`)
MAX_ENTRY_BYTES = 5_000_000


def _text_score(data: bytes) -> int:
    head = data[:200_000]
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        text = head.decode("gb18030", "replace")
    lowered = text.lower()
    words = source_words()
    title = sum(3 for m in words.title_markers if m in lowered)
    body = sum(1 for m in words.body_markers if m in lowered)
    return title + body if title else 0


def find_policy_in_apk(entry_names: list[str], read_entry: Callable[[str], bytes],
                       string_resources: Iterable[tuple[str, str]], dex_strings: Iterable[str]) -> PolicyCandidate | None:
    """The most likely privacy policy in an APK, or None.

    Order: a policy file in assets/ or res/raw/ (name or content says so), then a long string resource that reads
    like a policy, then a policy URL in string resources or DEX strings (returned, not fetched). Only string
    resources of at least MIN_STRING_POLICY_CHARS characters or holding URL_MARK are looked at, so a caller may
    pass just those.
    """
    best: tuple[int, str, bytes] | None = None
    for name in entry_names:
        lowered = name.lower()
        in_place = lowered.startswith("assets/") or lowered.startswith("res/raw/") or lowered.startswith("res/raw-")
        if not in_place or not lowered.endswith(_CANDIDATE_EXT + ((".xml",) if "raw" in lowered else ())):
            continue
        try:
            data = read_entry(name)
        except Exception:  # noqa: BLE001 - a damaged entry is skipped; the APK reader reports it elsewhere
            continue
        if not data or len(data) > MAX_ENTRY_BYTES:
            continue
        score = _text_score(data) + (4 if source_words().file_name.search(name.rsplit("/", 1)[-1]) else 0)
        if score >= 4 and (best is None or score > best[0]):
            best = (score, name, data)
    if best is not None:
        return PolicyCandidate(source=best[1], data=best[2], url=None)

    strings = list(string_resources)
    long_best: tuple[int, str, str] | None = None
    for res_name, value in strings:
        if len(value) < MIN_STRING_POLICY_CHARS:
            continue
        score = _text_score(value.encode("utf-8")) + (4 if source_words().file_name.search(res_name) else 0)
        if score >= 4 and (long_best is None or score > long_best[0]):
            long_best = (score, res_name, value)
    if long_best is not None:
        return PolicyCandidate(source=f"string:{long_best[1]}", data=long_best[2].encode("utf-8"), url=None)

    for origin in ((v for _n, v in strings), dex_strings):
        for value in origin:
            if URL_MARK not in value:
                continue
            for match in _URL.finditer(value):
                url = match.group(0).rstrip("'\",;)")
                if source_words().url_hint.search(url):
                    return PolicyCandidate(source=f"url:{url}", data=None, url=url)
    return None
