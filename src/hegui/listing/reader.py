"""Reading a store-listing file (`hegui scan --listing FILE`): JSON or YAML, strictly validated.

The file is what a reviewer or a store crawler recorded of an app's store page::

    store: 小米应用商店
    version_name: "3.1.0"
    policy_url: https://www.example.com/privacy.html
    developer_name: 示例科技有限公司
    developer_contact: 400-000-0000
    permissions:                      # a list of {name, purpose}, or a mapping name: purpose
      - {name: android.permission.CAMERA, purpose: 扫描二维码}

Every problem is one line (`InputError`) naming the field; the caller adds the file name.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from hegui.errors import InputError
from hegui.listing.checks import ListingInput

MAX_LISTING_BYTES = 1 << 20
MAX_PERMISSIONS = 500
MAX_FIELD_CHARS = 2000
FIELDS = ("store", "version_name", "policy_url", "developer_name", "developer_contact", "permissions")


def read_listing(path: Path) -> ListingInput:
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_LISTING_BYTES + 1)
    except OSError as exc:
        raise InputError(f"cannot read the listing ({exc.strerror or exc})") from None
    if len(data) > MAX_LISTING_BYTES:
        raise InputError(f"listing file is larger than {MAX_LISTING_BYTES // 1024} KB")
    return parse_listing(_decode(data))


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InputError(f"listing has a UTF-16 byte-order mark but is not UTF-16 text ({exc.reason} "
                             f"at byte {exc.start})") from None
    if b"\x00" in data:
        raise InputError("listing looks like binary data, not text (it contains NUL bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")  # listings saved by Chinese tools on Windows
    except UnicodeDecodeError:
        raise InputError("listing is neither UTF-8 nor GB18030 text") from None


def parse_listing(text: str) -> ListingInput:
    if not text.strip():
        raise InputError("listing file is empty")
    try:
        raw = _load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        first = str(exc).strip().splitlines()[0]
        raise InputError(f"listing is neither valid JSON nor YAML ({first})") from None
    except RecursionError:
        raise InputError("listing is nested too deeply to be a store page") from None
    except ValueError as exc:  # an explicit !!int tag above Python's digit limit, or NaN/Infinity in JSON
        raise InputError(f"listing holds a value that cannot be read ({exc})") from None
    if not isinstance(raw, dict):
        raise InputError("listing must be a mapping of fields (store, version_name, permissions, …)")
    unknown = sorted(str(k) for k in raw if k not in FIELDS)
    if unknown:
        raise InputError(f"listing has unknown field {unknown[0]!r} (known: {', '.join(FIELDS)})")
    store = _text(raw, "store")
    if not store:
        raise InputError("listing has no 'store' (the app store whose page it records)")
    return ListingInput(store=store, version_name=_text(raw, "version_name"), policy_url=_text(raw, "policy_url"),
                        developer_name=_text(raw, "developer_name"),
                        developer_contact=_text(raw, "developer_contact"), permissions=_permissions(raw.get("permissions")))


class _TextLoader(yaml.SafeLoader):
    """YAML whose plain scalars stay the text written: a version 3.10 is not the number 3.1, 2024-01-01 is not
    a date, a 5000-digit contact is not an integer. Only null and booleans keep their YAML meaning."""


_TextLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag in ("tag:yaml.org,2002:null", "tag:yaml.org,2002:bool")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON value")


def _load(text: str) -> Any:
    if text.lstrip().startswith("{"):
        # numbers kept as written for the same reason as in YAML
        return json.loads(text, parse_int=str, parse_float=str, parse_constant=_refuse_constant)
    return yaml.load(text, Loader=_TextLoader)  # noqa: S506 - a SafeLoader with fewer resolvers


def _text(raw: dict[str, Any], key: str) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InputError(f"listing field {key!r} must be text")
    value = str(value).strip()
    if len(value) > MAX_FIELD_CHARS:
        raise InputError(f"listing field {key!r} is longer than {MAX_FIELD_CHARS} characters")
    return value or None


def _permissions(value: Any) -> list[dict[str, str]]:
    if value is None:
        return []
    if isinstance(value, dict):
        value = [{"name": name, "purpose": purpose} for name, purpose in value.items()]
    if not isinstance(value, list):
        raise InputError("listing field 'permissions' must be a list of {name, purpose} or a mapping")
    if len(value) > MAX_PERMISSIONS:
        raise InputError(f"listing declares more than {MAX_PERMISSIONS} permissions")
    out: list[dict[str, str]] = []
    for n, item in enumerate(value, 1):
        if isinstance(item, str):
            item = {"name": item}
        if not isinstance(item, dict) or set(item) - {"name", "purpose"}:
            raise InputError(f"listing permission {n} must have only 'name' and 'purpose'")
        name = _text(item, "name")
        if not name:
            raise InputError(f"listing permission {n} has no name")
        out.append({"name": name, "purpose": _text(item, "purpose") or ""})
    return out
