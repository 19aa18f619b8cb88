"""What a package declares about itself: the mini-program's app.json / app-config.json, the quick app's
manifest.json, the HarmonyOS module's module.json (with `$string:` references resolved from resources.index)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from hegui.miniapp.hapres import ResourceTable, read_resource_table
from hegui.miniapp.package import MiniPackage

MAX_CONFIG_BYTES = 8 * 2**20


@dataclass(frozen=True, slots=True)
class Plugin:
    alias: str
    provider: str
    version: str
    subpackage: str | None = None  # the subpackage root that loads it, None for the main package


@dataclass(frozen=True, slots=True)
class RequestedPermission:
    """A HAP's requestPermissions entry; `reason` is the text after resolving a `$string:` reference."""

    name: str
    reason_ref: str | None
    reason: str | None
    reason_is_app_name: bool
    when: str | None  # usedScene.when: inuse | always
    abilities: tuple[str, ...] = ()


@dataclass(slots=True)
class Declarations:
    config_file: str | None = None  # the file the declarations come from; None for a subpackage without one
    root: str = ""  # the folder of the mini-program inside a source tree (project.config.json miniprogramRoot)
    name: str | None = None
    package: str | None = None  # appid / quick-app package / HAP bundle name
    version_name: str | None = None
    version_code: int | None = None
    pages: list[str] = field(default_factory=list)  # main-package pages, in order (the first is the home page)
    entry_page: str | None = None
    subpackages: dict[str, list[str]] = field(default_factory=dict)  # root → its pages
    scopes: dict[str, str | None] = field(default_factory=dict)  # permission scope → desc (None when absent)
    required_private_infos: list[str] = field(default_factory=list)
    use_privacy_check: bool | None = None  # __usePrivacyCheck__ as written; None when absent
    plugins: list[Plugin] = field(default_factory=list)
    features: list[str] = field(default_factory=list)  # quick app: system.* / service.* modules declared
    permissions: list[RequestedPermission] = field(default_factory=list)  # HAP requestPermissions
    problems: list[str] = field(default_factory=list)


def _json(pkg: MiniPackage, name: str, out: Declarations) -> dict | None:
    if name not in pkg:
        return None
    try:
        data = json.loads(pkg.read(name, MAX_CONFIG_BYTES).decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError) as exc:
        out.problems.append(f"{name}: not JSON ({str(exc).splitlines()[0][:120]})")
        return None
    except Exception as exc:  # InputError: too large
        out.problems.append(f"{name}: {exc}")
        return None
    if not isinstance(data, dict):
        out.problems.append(f"{name}: not a JSON object")
        return None
    return data


def _strs(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _page(path: str) -> str:
    return path.removesuffix(".html").lstrip("/")


def read_declarations(pkg: MiniPackage) -> Declarations:
    if pkg.kind == "rpk":
        return _quick_app(pkg)
    if pkg.kind == "hap":
        return _hap(pkg)
    return _mini_program(pkg)


def _mini_program(pkg: MiniPackage) -> Declarations:
    out = Declarations()
    # a packed wxapkg has app-config.json (app.json merged with page configs); a source folder has app.json,
    # sometimes under the folder project.config.json names as miniprogramRoot
    candidates = ["app-config.json", "app.json", "game.json"]  # game.json: a mini-game's declarations
    project = _json(pkg, "project.config.json", out) if pkg.kind == "miniapp_dir" else None
    root = ""
    if project and isinstance(project.get("miniprogramRoot"), str):
        root = project["miniprogramRoot"].strip("/").removeprefix("./")
        if root:
            candidates.insert(1, f"{root}/app.json")
    config = None
    for name in candidates:
        config = _json(pkg, name, out)
        if config is not None:
            out.config_file = name
            out.root = name.rsplit("/", 1)[0] + "/" if "/" in name else ""
            break
    if project:
        out.package = project.get("appid") if isinstance(project.get("appid"), str) else None
    if config is None:
        return out
    out.pages = [_page(p) for p in _strs(config.get("pages"))]
    entry = config.get("entryPagePath")
    out.entry_page = _page(entry) if isinstance(entry, str) else (out.pages[0] if out.pages else None)
    window = (config.get("global") or {}).get("window") if isinstance(config.get("global"), dict) else None
    window = window if isinstance(window, dict) else config.get("window")
    if isinstance(window, dict) and isinstance(window.get("navigationBarTitleText"), str):
        out.name = window["navigationBarTitleText"]
    perm = config.get("permission")
    if isinstance(perm, dict):
        for scope, body in perm.items():
            desc = body.get("desc") if isinstance(body, dict) else None
            out.scopes[str(scope)] = desc.strip() if isinstance(desc, str) and desc.strip() else None
    out.required_private_infos = _strs(config.get("requiredPrivateInfos"))
    check = config.get("__usePrivacyCheck__")
    out.use_privacy_check = check if isinstance(check, bool) else None
    out.plugins.extend(_plugins(config.get("plugins"), None))
    subs = config.get("subPackages") or config.get("subpackages")
    for sub in subs if isinstance(subs, list) else []:
        if not isinstance(sub, dict) or not isinstance(sub.get("root"), str):
            continue
        sub_root = sub["root"].strip("/") + "/"
        out.subpackages[sub_root] = [_page(p) if p.startswith(sub_root) else sub_root + _page(p)
                                     for p in _strs(sub.get("pages"))]
        for plugin in _plugins(sub.get("plugins"), sub_root):
            if all(p.alias != plugin.alias for p in out.plugins):
                out.plugins.append(plugin)
    return out


def _plugins(value: object, subpackage: str | None) -> list[Plugin]:
    out: list[Plugin] = []
    for alias, body in value.items() if isinstance(value, dict) else ():
        if isinstance(body, dict) and isinstance(body.get("provider"), str):
            where = body.get("subpackage")
            sub = subpackage
            if sub is None and isinstance(where, str) and where.strip("/") and where != "__APP__":
                sub = where.strip("/") + "/"
            out.append(Plugin(str(alias), body["provider"], str(body.get("version", "")), sub))
    return out


def _quick_app(pkg: MiniPackage) -> Declarations:
    out = Declarations(config_file="manifest.json")
    m = _json(pkg, "manifest.json", out) or {}
    out.package = m.get("package") if isinstance(m.get("package"), str) else None
    out.name = m.get("name") if isinstance(m.get("name"), str) else None
    out.version_name = m.get("versionName") if isinstance(m.get("versionName"), str) else None
    out.version_code = _int(m.get("versionCode"))
    out.features = [f["name"] for f in m.get("features") or [] if isinstance(f, dict) and isinstance(f.get("name"), str)]
    router = m.get("router") if isinstance(m.get("router"), dict) else {}
    pages = router.get("pages") if isinstance(router.get("pages"), dict) else {}
    out.pages = list(pages)
    out.entry_page = router.get("entry") if isinstance(router.get("entry"), str) else None
    return out


def _int(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _hap(pkg: MiniPackage) -> Declarations:
    out = Declarations(config_file="module.json")
    m = _json(pkg, "module.json", out) or {}
    table = ResourceTable()
    if "resources.index" in pkg:
        try:
            table = read_resource_table(pkg.read("resources.index"))
        except Exception as exc:  # InputError: too large or broken entry
            out.problems.append(f"resources.index: {exc}")
        out.problems.extend(table.problems)
    app = m.get("app") if isinstance(m.get("app"), dict) else {}
    module = m.get("module") if isinstance(m.get("module"), dict) else {}
    out.package = app.get("bundleName") if isinstance(app.get("bundleName"), str) else None
    out.version_name = app.get("versionName") if isinstance(app.get("versionName"), str) else None
    out.version_code = _int(app.get("versionCode"))
    app_label_id = _int(app.get("labelId"))
    label = _resolve(table, app.get("label"), app_label_id)
    out.name = label
    for req in module.get("requestPermissions") or []:
        if not isinstance(req, dict) or not isinstance(req.get("name"), str):
            continue
        ref = req.get("reason") if isinstance(req.get("reason"), str) else None
        reason_id = _int(req.get("reasonId"))
        reason = _resolve(table, ref, reason_id)
        # a reason that is the app's own name (the template's $string:app_name) tells the user nothing
        is_name = bool(reason_id is not None and reason_id == app_label_id) or bool(
            ref and ref in ("$string:app_name", app.get("label")))
        scene = req.get("usedScene") if isinstance(req.get("usedScene"), dict) else {}
        out.permissions.append(RequestedPermission(
            name=req["name"], reason_ref=ref, reason=reason.strip() if reason and reason.strip() else None,
            reason_is_app_name=is_name, when=scene.get("when") if isinstance(scene.get("when"), str) else None,
            abilities=tuple(_strs(scene.get("abilities")))))
    return out


def _resolve(table: ResourceTable, ref: object, rid: int | None) -> str | None:
    if not isinstance(ref, str):
        return None
    if not ref.startswith("$string:"):
        return ref
    hit = table.resolve(rid)
    if hit is not None:
        return hit[1]
    return table.by_name(ref.removeprefix("$string:"))
