"""What a knowledge file may contain, checked when it loads: the mechanism.

A typo in a knowledge file is a rule silently turned off (or on): issue 15 measured `wher:` for `where:` making
PI-CLIPBOARD-READ fire for every SDK. So every file has a model (pydantic, unknown keys forbidden) and, where it
names things defined elsewhere (rule ids, observation kinds and attributes, PI types, documents), a cross-check
against those files. `KnowledgeError` names the file and the entry.

The models live beside this module, one per file: `schema_catalog` (rulebook, documents, thresholds, PI types,
permissions, app types, SDKs), `schema_detectors` (detector vocabularies) and `schema_rules` (observations.yaml
and the trigger files). Adding a knowledge file: write one model (subclass `Strict`) in the module of its kind
and register it with ``@schema("name.yaml")``; references to other files go in a function registered with
``@cross_check("name.yaml")`` that receives the parsed data and a ``get(name)`` giving any other file's data,
and yields error strings ("entry: message"). `hegui rules check` and tests/knowledge run every registered check.
"""

from __future__ import annotations

import fnmatch
import hashlib
import marshal
import os
import sys
import types
import typing
from collections.abc import Callable, Iterable
from importlib.abc import Traversable
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import yaml
from pydantic import VERSION as pydantic_version
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

Getter = Callable[[str], Any]
CrossCheck = Callable[[Any, Getter], Iterable[str]]

SCHEMAS: dict[str, type[BaseModel]] = {}
CROSS_CHECKS: dict[str, list[CrossCheck]] = {}
DEEP_CHECKS: dict[str, list[CrossCheck]] = {}  # too slow for every load (compiling ~500 regexes): `check` only


class KnowledgeError(ValueError):
    """A knowledge file breaks its schema; one message per problem, each naming the file and the entry."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("\n".join(messages))
        self.messages = messages


def schema(name: str) -> Callable[[type[BaseModel]], type[BaseModel]]:
    """Register the model of the knowledge file `name` (a path relative to hegui/knowledge/, or a glob such as
    ``rules/*.yaml``; an exact name wins over a glob)."""

    def register(model: type[BaseModel]) -> type[BaseModel]:
        SCHEMAS[name] = model
        return model

    return register


def cross_check(*names: str, deep: bool = False) -> Callable[[CrossCheck], CrossCheck]:
    """Register a check of references from `names` to other files; ``deep`` ones run in `check` only."""

    def register(fn: CrossCheck) -> CrossCheck:
        for name in names:
            (DEEP_CHECKS if deep else CROSS_CHECKS).setdefault(name, []).append(fn)
        return fn

    return register


class Strict(BaseModel):
    """Base of every knowledge model: an unknown key is an error, never ignored. (defer_build: a model is built
    when a file first validates, inside its parent's schema, not at import: about half the import time.)"""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


Severity = Literal["low", "medium", "high", "critical"]
Words = list[str]
# a name or signature that must not be empty (an empty package prefix would match every class)
Name = Annotated[str, Field(min_length=1)]
Names = list[Name]


def _distinct(names: list[str]) -> list[str]:
    seen: set[str] = set()
    twice = [n for n in names if n in seen or seen.add(n)]  # type: ignore[func-returns-value]
    if twice:
        raise ValueError(f"listed twice: {', '.join(twice)}")
    return names


# a set written as a list: at least one name, none twice
NameSet = Annotated[Names, Field(min_length=1), AfterValidator(_distinct)]


class _ApiListMarker:
    """Metadata of a field listing APIs (``a.b.C#m``) whose call sites a detector looks up."""


API_LIST = _ApiListMarker()
ApiList = Annotated[list[str], API_LIST]


def api_lists(model: type[BaseModel], data: dict[str, Any]) -> list[str]:
    """Every API in the `ApiList` fields of `model` (nested models included), read from `data`: the call sites the
    static scan must index for these detectors (`hegui.detect.behaviours.wanted_call_keys`)."""
    out: list[str] = []
    for name, info in model.model_fields.items():
        if name not in data:
            continue
        if any(m is API_LIST for m in info.metadata):
            out.extend(data[name])
        elif isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel):
            out.extend(api_lists(info.annotation, data[name]))
    return out


def no_duplicates(ids: Iterable[object]) -> None:
    seen: set[object] = set()
    dup = [i for i in ids if i in seen or seen.add(i)]  # type: ignore[func-returns-value]
    if dup:
        raise ValueError(f"duplicate ids: {', '.join(map(str, dup))}")


# libyaml's parser when PyYAML was built with it: the knowledge files are ~1 MB and load on every scan.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _cache_dir() -> Path:
    base = os.environ.get("HEGUI_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "hegui")
    return Path(base) / "knowledge"


def parse(name: str, text: str) -> Any:
    """The parsed YAML of a knowledge file (`parse_blob` without the digest)."""
    return parse_blob(name, text)[0]


def parse_blob(name: str, text: str) -> tuple[Any, str | None]:
    """The parsed YAML of a knowledge file, and the SHA-256 of the marshal blob it was built from (None when the
    data cannot be marshalled). Building Python objects from YAML costs ~0.7 s per process for the ~0.5 MB of
    knowledge (sdks.yaml alone 0.6 s), more than the rest of a small scan; so the parse is kept in a cache keyed by
    the file's content (marshal, which builds plain data only). The caller validates the data against its schema
    unless these very bytes were validated before (`validated_before`), so a stale or edited cache entry cannot
    smuggle in what the schema refuses."""
    key = hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
    cached = _cache_dir() / f"{key}.marshal"
    try:
        blob = cached.read_bytes()
        return marshal.loads(blob), hashlib.sha256(blob).hexdigest()
    except (OSError, ValueError, EOFError, TypeError):
        pass
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader (CSafeLoader/SafeLoader)
    except yaml.YAMLError as exc:
        raise KnowledgeError([f"knowledge/{name}: not YAML: {' '.join(str(exc).split())}"]) from None
    try:
        blob = marshal.dumps(data)
    except ValueError:
        return data, None  # a value marshal cannot hold (a YAML date): parse and check again next time
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_name(f"{cached.name}.{os.getpid()}.part")
        tmp.write_bytes(blob)
        tmp.replace(cached)
    except OSError:
        pass  # a read-only home: parse again next time
    return data, hashlib.sha256(blob).hexdigest()


# Validating the knowledge files against their models and each other costs ~50 ms per process (a tenth of a
# scan of a 24 MB APK). The outcome depends only on the data and on the checking code, so a file whose exact
# parsed bytes passed every check, with the same checker (`checker` below: every knowledge file's content, the
# checking modules' sources, the versions), is not checked again: a stamp named by both digests says it passed.
def _stamp(blob_digest: str, checker: str) -> Path:
    return _cache_dir() / f"{blob_digest[:32]}.{checker[:32]}.valid"


def validated_before(blob_digest: str | None, checker: str) -> bool:
    return blob_digest is not None and _stamp(blob_digest, checker).is_file()


def remember_validated(blob_digest: str | None, checker: str) -> None:
    if blob_digest is None:
        return
    try:
        stamp = _stamp(blob_digest, checker)
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.touch()
    except OSError:
        pass  # a read-only home: check again next time


def checker_digest(root: Traversable) -> str:
    """SHA-256 over what a knowledge check's outcome depends on: the content of every knowledge file under `root`
    (a cross-check reads other files), the sources of the modules that check (this package, and hegui.model and
    hegui.names, which they import), and the Python, pydantic and hegui versions."""
    from hegui import __version__

    h = hashlib.sha256(f"{__version__}|{pydantic_version}|{sys.version}".encode())
    for name in knowledge_files(Path(str(root))):
        h.update(name.encode() + b"\0" + hashlib.sha256(root.joinpath(name).read_bytes()).digest())
    here = Path(__file__).resolve().parent
    for src in sorted([*here.glob("*.py"), here.parent / "model.py", here.parent / "names.py"]):
        h.update(src.name.encode() + b"\0" + hashlib.sha256(src.read_bytes()).digest())
    return h.hexdigest()


# ---- validation and messages --------------------------------------------------------------------------------

def _registered(table: dict[str, Any], name: str) -> Any:
    if name in table:
        return table[name]
    for pattern, value in table.items():
        if "*" in pattern and fnmatch.fnmatchcase(name, pattern):
            return value
    return None


def schema_for(name: str) -> type[BaseModel] | None:
    return _registered(SCHEMAS, name)


def validate(name: str, data: Any) -> None:
    """Raise `KnowledgeError` when `data` (file `name`, parsed) breaks its registered model."""
    model = schema_for(name)
    if model is None:
        return
    try:
        model.model_validate(data)
    except ValidationError as exc:
        raise KnowledgeError([f"knowledge/{name}: {m}" for m in _messages(model, data, exc)]) from None


def run_cross_checks(name: str, data: Any, get: Getter, *, deep: bool = False) -> list[str]:
    tables = (CROSS_CHECKS, DEEP_CHECKS) if deep else (CROSS_CHECKS,)
    checks = [fn for table in tables for pattern, fns in table.items()
              if pattern == name or ("*" in pattern and fnmatch.fnmatchcase(name, pattern)) for fn in fns]
    return [f"knowledge/{name}: {m}" for fn in checks for m in fn(data, get)]


def _messages(model: type[BaseModel], data: Any, exc: ValidationError) -> list[str]:
    out: list[str] = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        where = _describe(data, loc[:-1] if err["type"] == "extra_forbidden" else loc)
        if err["type"] == "extra_forbidden":
            expected = _fields_at(model, loc[:-1])
            hint = f" (expected: {', '.join(expected)})" if expected else ""
            out.append(f"{where}: unknown key {loc[-1]!r}{hint}")
        elif err["type"] == "missing":
            out.append(f"{where}: missing")
        elif err["type"] == "value_error":  # our own validators: the message says it all
            out.append(f"{where}: {err['ctx']['error']}")
        else:
            out.append(f"{where}: {err['msg']} (got {_short(err.get('input'))})")
    return out


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "…"


def _describe(data: Any, loc: tuple[Any, ...]) -> str:
    """`triggers[5] (PI-CLIPBOARD-READ).where` — list indexes labelled with the entry's id, rule or name."""
    parts: list[str] = []
    node = data
    for step in loc:
        if isinstance(step, int) and isinstance(node, list):
            node = node[step] if step < len(node) else None
            label = ""
            if isinstance(node, dict):
                for key in ("id", "rule", "name", "key"):
                    if isinstance(node.get(key), str | int):
                        label = f" ({node[key]})"
                        break
            parts.append(f"[{step}]{label}")
            continue
        if isinstance(step, str) and (step == "[key]" or step.endswith("-key]")):
            continue  # pydantic's marker for a bad mapping key, after the key itself
        node = node.get(step) if isinstance(node, dict) else None
        parts.append(("." if parts else "") + str(step))
    return "".join(parts) or "top level"


def _fields_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The keys allowed where `loc` points (walking list items, mapping values and optional types)."""
    current: Any = model
    for step in loc:
        current = _unwrap(current, step)
        if current is None:
            return []
    current = _unwrap(current, None)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return sorted(current.model_fields)
    return []


def _unwrap(tp: Any, step: Any) -> Any:
    """One step down a type: a model's field by name, a list's item, a dict's value; Optional unwrapped."""
    origin = typing.get_origin(tp)
    if origin is Annotated:
        return _unwrap(typing.get_args(tp)[0], step)
    if origin in (Union, types.UnionType):
        for arg in typing.get_args(tp):
            if arg is not type(None):
                found = _unwrap(arg, step)
                if found is not None:
                    return found
        return None
    if step is None:
        return tp
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        field = tp.model_fields.get(step) if isinstance(step, str) else None
        return field.annotation if field else None
    if origin is list and isinstance(step, int):
        return typing.get_args(tp)[0]
    if origin is dict:
        return typing.get_args(tp)[1]
    return None


def knowledge_files(root: Path) -> list[str]:
    """Every YAML file under `root`, as names relative to it (``rules/static.yaml``)."""
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*.yaml"))


def check(root: Path | None = None) -> list[str]:
    """Every problem of the knowledge folder `root` (default: the package's own), one message each.

    A file missing from `root` is taken from the package, so a folder holding only an edited copy of, say,
    ``rules/static.yaml`` and ``rulebook.yaml`` is checked against the rest of hegui's knowledge.
    """
    package = Path(__file__).resolve().parent
    root = package if root is None else root
    problems: list[str] = []
    parsed: dict[str, Any] = {}
    broken: set[str] = set()

    def get(name: str) -> Any:
        if name not in parsed:
            path = root / name if (root / name).is_file() else package / name
            try:
                parsed[name] = parse(name, path.read_text(encoding="utf-8"))
                validate(name, parsed[name])
            except KnowledgeError as exc:
                broken.add(name)
                problems.extend(exc.messages)
        if name in broken:
            raise _Broken(name)
        return parsed[name]

    names = knowledge_files(root)
    for name in names:
        if schema_for(name) is None:
            problems.append(f"knowledge/{name}: no schema registered for this file (hegui.knowledge.schema)")
    for name in names:
        if schema_for(name) is None:
            continue
        try:
            data = get(name)
            problems.extend(run_cross_checks(name, data, get, deep=True))
        except _Broken:
            continue  # its own or a referenced file's schema errors are already listed
    return problems


class _Broken(Exception):
    """A file a cross-check needs failed its own schema; the cross-check is skipped."""


# Each module registers the models of its files (after everything above exists: they import from here).
from hegui.knowledge import schema_catalog, schema_detectors, schema_rules  # noqa: E402, F401
