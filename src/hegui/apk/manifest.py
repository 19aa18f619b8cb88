"""AndroidManifest.xml (binary or text) into a typed `Manifest`.

Elements are read where the package manager reads them (``<uses-permission>`` only as a direct child of
``<manifest>``, components only inside the first ``<application>``), so declarations hidden elsewhere do
not count -- as on a device. Values stay raw: references are kept as ``"@0x7f0b0001"`` strings and resolved
later against resources.arsc by `hegui.apk.apk`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hegui.apk.axml import XmlNode, is_binary_xml, parse_axml, parse_text_xml
from hegui.errors import InputError

COMPONENT_TAGS = ("activity", "activity-alias", "service", "receiver", "provider")
PERMISSION_TAGS = ("uses-permission", "uses-permission-sdk-23", "uses-permission-sdk-m")
ACTION_MAIN = "android.intent.action.MAIN"
CATEGORY_LAUNCHER = "android.intent.category.LAUNCHER"


@dataclass
class IntentFilter:
    actions: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    schemes: list[str] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)
    mime_types: list[str] = field(default_factory=list)
    priority: int | None = None


@dataclass
class Component:
    kind: str  # "activity" | "activity-alias" | "service" | "receiver" | "provider"
    name: str  # fully qualified Java name
    exported: bool | None = None  # explicit value, else None
    enabled: bool = True
    permission: str | None = None
    process: str | None = None
    authorities: list[str] = field(default_factory=list)
    target_activity: str | None = None
    intent_filters: list[IntentFilter] = field(default_factory=list)
    meta_data: dict[str, str] = field(default_factory=dict)

    @property
    def effectively_exported(self) -> bool:
        """Android's rule: the explicit value, else exported exactly when it has intent filters."""
        if self.exported is not None:
            return self.exported
        return bool(self.intent_filters)


@dataclass
class Manifest:
    package: str | None = None
    version_code: int | None = None
    version_name: str | None = None
    min_sdk: int | None = None
    target_sdk: int | None = None
    uses_permissions: list[str] = field(default_factory=list)
    declared_permissions: list[str] = field(default_factory=list)
    application_class: str | None = None
    app_component_factory: str | None = None
    label: str | None = None
    icon: str | None = None
    debuggable: bool | None = None
    allow_backup: bool | None = None
    uses_cleartext_traffic: bool | None = None
    network_security_config: str | None = None
    components: list[Component] = field(default_factory=list)
    app_meta_data: dict[str, str] = field(default_factory=dict)
    queries_packages: list[str] = field(default_factory=list)
    queries_intents: list[IntentFilter] = field(default_factory=list)
    uses_libraries: list[str] = field(default_factory=list)
    uses_features: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # recoverable oddities met while parsing

    def launcher_activities(self) -> list[str]:
        """Enabled activities and aliases with a MAIN + LAUNCHER filter (what the launcher can show, as
        declared); for an alias its target activity is listed too. A component declared
        ``android:enabled="false"`` is left out: it gives the app no launcher icon until code enables it."""
        found: list[str] = []
        for component in self.components:
            if component.kind not in ("activity", "activity-alias") or not component.enabled:
                continue
            if not any(ACTION_MAIN in f.actions and CATEGORY_LAUNCHER in f.categories
                       for f in component.intent_filters):
                continue
            for name in (component.name, component.target_activity):
                if name and name not in found:
                    found.append(name)
        return found


def parse_manifest(data: bytes) -> Manifest:
    """Parse AndroidManifest.xml bytes (binary AXML or plain-text XML).

    Raises InputError with a one-line reason when the bytes are neither, or hold no <manifest>.
    """
    problems: list[str] = []
    stripped = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"<"):
        root = parse_text_xml(stripped)
    elif is_binary_xml(data):
        root = parse_axml(data, problems)
    else:
        raise InputError("AndroidManifest.xml is neither binary nor text XML")
    if root.tag != "manifest":
        raise InputError(f"AndroidManifest.xml root element is <{_clip(root.tag)}>, not <manifest>")
    manifest = _build(root, problems)
    manifest.problems = problems
    return manifest


def _clip(text: str, limit: int = 60) -> str:
    text = text.encode("unicode_escape").decode("ascii")
    return text if len(text) <= limit else text[:limit - 3] + "..."


def class_name(package: str | None, name: str | None) -> str | None:
    """Android's buildClassName: ".Foo" and "Foo" are relative to the package."""
    if not name:
        return None
    name = name.strip()
    if name.startswith("."):
        return (package or "") + name
    if "." not in name and package:
        return f"{package}.{name}"
    return name


def _append_unique(target: list[str], value: str | None) -> None:
    if value and value not in target:
        target.append(value)


def _build(root: XmlNode, problems: list[str]) -> Manifest:
    manifest = Manifest()
    package = root.plain("package")
    manifest.package = package.strip() if package else None
    version_code = root.attr("versionCode")
    manifest.version_code = version_code.as_int() if version_code else None
    manifest.version_name = root.android("versionName")
    applications: list[XmlNode] = []
    for child in root.children:
        tag = child.tag
        if tag in PERMISSION_TAGS:
            _append_unique(manifest.uses_permissions, child.android("name"))
        elif tag == "permission":
            _append_unique(manifest.declared_permissions, child.android("name"))
        elif tag == "uses-sdk":
            _read_sdk(child, manifest)
        elif tag == "uses-feature":
            _append_unique(manifest.uses_features, child.android("name"))
        elif tag == "queries":
            for query in child.children:
                if query.tag == "package":
                    _append_unique(manifest.queries_packages, query.android("name"))
                elif query.tag == "intent":
                    manifest.queries_intents.append(_intent_filter(query))
        elif tag == "application":
            applications.append(child)
    if len(applications) > 1:
        problems.append(f"manifest: {len(applications)} <application> elements; only the first is read")
    if applications:
        _read_application(applications[0], manifest)
    return manifest


def _read_sdk(node: XmlNode, manifest: Manifest) -> None:
    for attribute_name, slot in (("minSdkVersion", "min_sdk"), ("targetSdkVersion", "target_sdk")):
        attribute = node.attr(attribute_name)
        if attribute is None:
            continue
        # A codename ("Q") instead of a number means a preview SDK; there is no number to report.
        setattr(manifest, slot, attribute.as_int())


def _read_application(app: XmlNode, manifest: Manifest) -> None:
    package = manifest.package
    manifest.application_class = class_name(package, app.android("name"))
    manifest.app_component_factory = class_name(package, app.android("appComponentFactory"))
    manifest.label = app.android("label")
    icon = app.attr("icon")
    manifest.icon = icon.text() if icon else None
    for attribute_name, slot in (("debuggable", "debuggable"), ("allowBackup", "allow_backup"),
                                 ("usesCleartextTraffic", "uses_cleartext_traffic")):
        attribute = app.attr(attribute_name)
        if attribute is not None:
            setattr(manifest, slot, attribute.as_bool())
    manifest.network_security_config = app.android("networkSecurityConfig")
    for child in app.children:
        if child.tag in COMPONENT_TAGS:
            component = _component(child, package)
            if component is not None:
                manifest.components.append(component)
        elif child.tag == "meta-data":
            _meta_data(child, manifest.app_meta_data)
        elif child.tag in ("uses-library", "uses-native-library"):
            _append_unique(manifest.uses_libraries, child.android("name"))


def _component(node: XmlNode, package: str | None) -> Component | None:
    name = class_name(package, node.android("name"))
    if not name:
        return None
    component = Component(kind=node.tag, name=name)
    exported = node.attr("exported")
    component.exported = exported.as_bool() if exported else None
    enabled = node.attr("enabled")
    component.enabled = (enabled.as_bool() is not False) if enabled else True
    component.permission = node.android("permission")
    component.process = node.android("process")
    authorities = node.android("authorities")
    if authorities:
        component.authorities = [a.strip() for a in authorities.split(";") if a.strip()]
    component.target_activity = class_name(package, node.android("targetActivity"))
    for child in node.children:
        if child.tag == "intent-filter":
            component.intent_filters.append(_intent_filter(child))
        elif child.tag == "meta-data":
            _meta_data(child, component.meta_data)
    return component


def _intent_filter(node: XmlNode) -> IntentFilter:
    intent = IntentFilter()
    priority = node.attr("priority")
    intent.priority = priority.as_int() if priority else None
    for child in node.children:
        if child.tag == "action":
            _append_unique(intent.actions, child.android("name"))
        elif child.tag == "category":
            _append_unique(intent.categories, child.android("name"))
        elif child.tag == "data":
            _append_unique(intent.schemes, child.android("scheme"))
            _append_unique(intent.hosts, child.android("host"))
            _append_unique(intent.mime_types, child.android("mimeType"))
    return intent


def _meta_data(node: XmlNode, target: dict[str, str]) -> None:
    name = node.android("name")
    if not name:
        return
    value = node.android("value")
    if value is None:
        value = node.android("resource")
    if value is not None and name not in target:
        target[name] = value
