"""Who made a traced call: the first stack frame outside the platform, mapped to an SDK or the app."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from hegui.model import APP_SUBJECT

# "com.umeng.x.Y.method(File.java:12)", optionally prefixed by "at " as in Java's printStackTrace.
_FRAME = re.compile(r"^\s*(?:at\s+)?(?P<qual>[\w$.<>/-]+?)\s*(?:\((?P<loc>[^()]*)\))?\s*$")
MAX_FRAME_CHARS = 200


@dataclass(frozen=True, slots=True)
class Frame:
    cls: str
    method: str

    @property
    def qualified(self) -> str:
        return f"{self.cls}.{self.method}" if self.method else self.cls


def parse_frame(text: str) -> Frame | None:
    match = _FRAME.match(text[:MAX_FRAME_CHARS * 2])
    if not match:
        return None
    qual = match.group("qual")
    cls, dot, method = qual.rpartition(".")
    if not dot or not cls:
        return None
    return Frame(cls=cls[:MAX_FRAME_CHARS], method=method[:80])


def caller_frames(stack: Sequence[object], framework_prefixes: Sequence[str], api: str | None = None) -> list[Frame]:
    """The app/SDK frames of a stack, innermost first, skipping the hooked method's own frame.

    A hooked SDK API (``com.amap.api.location.AMapLocationClient#startLocation``) shows up as the top frame;
    the caller is what comes after it.
    """
    hooked = api.split("(", 1)[0].replace("#", ".") if api else None
    prefixes = tuple(framework_prefixes)
    frames: list[Frame] = []
    for item in stack:
        if not isinstance(item, str):
            continue
        frame = parse_frame(item)
        if frame is None or frame.cls.startswith(prefixes) or (not frames and frame.qualified == hooked):
            continue
        frames.append(frame)
    return frames


def subject_of(frames: Sequence[Frame], sdk_of: Callable[[str], str | None]) -> str:
    if not frames:
        return APP_SUBJECT
    return sdk_of(frames[0].cls) or APP_SUBJECT


def describe_frames(frames: Sequence[Frame], limit: int = 2) -> str:
    return " ← ".join(f.qualified for f in frames[:limit])
