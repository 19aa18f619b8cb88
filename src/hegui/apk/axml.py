"""Android binary XML (AXML) and plain-text XML into one small tree type, defensively.

Binary XML follows Android's own reader (androidfw ResXMLTree/ResXMLParser): the string pool and the
resource map are taken from the chunks before the first node; unknown chunk types are skipped; a node's
extension starts at `headerSize`; attributes are located with `attributeStart`/`attributeSize`; a chunk
that fails validation ends the document. Attributes that carry a framework resource id are named by that
id (as the package manager does with ``obtainAttributes``), so stripped or garbled name strings do not hide
them -- and an ``android:`` attribute *without* an id is kept but not treated as the framework attribute.

Everything is bounded: no recursion, depth and node count limits, every offset checked against the data.
"""

from __future__ import annotations

import struct
import xml.parsers.expat
from collections.abc import Iterator
from dataclasses import dataclass, field

from hegui.apk.android_attrs import ANDROID_NS, ATTRIBUTE_NAMES
from hegui.apk.stringpool import CHUNK_STRING_POOL, StringPool
from hegui.errors import InputError

CHUNK_XML = 0x0003
CHUNK_XML_START_NAMESPACE = 0x0100
CHUNK_XML_END_NAMESPACE = 0x0101
CHUNK_XML_START_ELEMENT = 0x0102
CHUNK_XML_END_ELEMENT = 0x0103
CHUNK_XML_CDATA = 0x0104
CHUNK_XML_LAST_NODE = 0x017F
CHUNK_XML_RESOURCE_MAP = 0x0180

# Res_value data types
TYPE_NULL = 0x00
TYPE_REFERENCE = 0x01
TYPE_ATTRIBUTE = 0x02
TYPE_STRING = 0x03
TYPE_FLOAT = 0x04
TYPE_DIMENSION = 0x05
TYPE_FRACTION = 0x06
TYPE_DYNAMIC_REFERENCE = 0x07
TYPE_DYNAMIC_ATTRIBUTE = 0x08
TYPE_INT_DEC = 0x10
TYPE_INT_HEX = 0x11
TYPE_INT_BOOLEAN = 0x12
TYPE_FIRST_COLOR = 0x1C
TYPE_LAST_COLOR = 0x1F

MAX_DEPTH = 256
MAX_NODES = 200_000
NO_INDEX = 0xFFFFFFFF
_CHUNK = struct.Struct("<HHI")


@dataclass
class XmlAttribute:
    namespace: str  # namespace URI, "" when none
    name: str
    resource_id: int | None  # framework/app attribute id from the resource map
    value_type: int  # Res_value data type (TYPE_STRING for text XML)
    data: int  # Res_value data (unsigned 32-bit)
    string: str | None  # the string value (TYPE_STRING) or the raw value text

    def text(self) -> str | None:
        """The value as Android tools print it: strings as-is, references as ``@0x7f0b0001``."""
        kind = self.value_type
        if kind == TYPE_STRING:
            return self.string
        if kind in (TYPE_REFERENCE, TYPE_DYNAMIC_REFERENCE):
            return f"@0x{self.data:08x}"
        if kind in (TYPE_ATTRIBUTE, TYPE_DYNAMIC_ATTRIBUTE):
            return f"?0x{self.data:08x}"
        if kind == TYPE_INT_BOOLEAN:
            return "true" if self.data else "false"
        if kind == TYPE_INT_DEC:
            return str(_signed(self.data))
        if kind == TYPE_INT_HEX:
            return f"0x{self.data:x}"
        if kind == TYPE_FLOAT:
            return repr(struct.unpack("<f", struct.pack("<I", self.data))[0])
        if TYPE_FIRST_COLOR <= kind <= TYPE_LAST_COLOR:
            return f"#{self.data:08x}"
        return self.string

    def as_bool(self) -> bool | None:
        if self.value_type in (TYPE_INT_BOOLEAN, TYPE_INT_DEC, TYPE_INT_HEX):
            return self.data != 0
        if self.value_type == TYPE_STRING and self.string is not None:
            lowered = self.string.strip().lower()
            if lowered in ("true", "false"):
                return lowered == "true"
        return None

    def as_int(self) -> int | None:
        if self.value_type in (TYPE_INT_DEC, TYPE_INT_HEX, TYPE_INT_BOOLEAN):
            return _signed(self.data)
        if self.value_type == TYPE_STRING and self.string is not None:
            try:
                return int(self.string.strip(), 0)
            except ValueError:
                return None
        return None


@dataclass
class XmlNode:
    tag: str
    namespace: str = ""
    attributes: list[XmlAttribute] = field(default_factory=list)
    children: list[XmlNode] = field(default_factory=list)
    text: str = ""
    line: int | None = None

    def attr(self, name: str, namespace: str = ANDROID_NS) -> XmlAttribute | None:
        for attribute in self.attributes:
            if attribute.name == name and attribute.namespace == namespace:
                return attribute
        return None

    def android(self, name: str) -> str | None:
        """Text of the ``android:<name>`` attribute, or None."""
        attribute = self.attr(name)
        return attribute.text() if attribute else None

    def plain(self, name: str) -> str | None:
        """Text of an attribute without namespace (``package``)."""
        attribute = self.attr(name, "")
        return attribute.text() if attribute else None

    def iter(self) -> Iterator[XmlNode]:
        """All nodes, depth first, without recursion."""
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))


def _signed(value: int) -> int:
    return value - (1 << 32) if value & 0x80000000 else value


def is_binary_xml(data: bytes) -> bool:
    return len(data) >= 8 and struct.unpack_from("<H", data, 0)[0] in (CHUNK_XML, 0x0000)


def parse_axml(data: bytes, problems: list[str] | None = None) -> XmlNode:
    """Parse binary XML into its root element. Recoverable oddities are appended to `problems`.

    Raises InputError (one line) when no element can be read at all.
    """
    notes: list[str] = [] if problems is None else problems
    return _AxmlReader(data, notes).read()


class _AxmlReader:
    def __init__(self, data: bytes, problems: list[str]) -> None:
        self.data = memoryview(data)
        self.problems = problems
        self.strings: StringPool | None = None
        self.resource_ids: list[int] = []
        self.namespaces: dict[int, str] = {}
        # Text pieces per element, joined once at the end (`+=` per CDATA chunk is quadratic), and at most
        # as many characters in all as the document has bytes: every CDATA chunk may name one long string.
        self.texts: dict[int, tuple[XmlNode, list[str]]] = {}
        self.text_budget = len(data)

    def note(self, text: str) -> None:
        if text not in self.problems and len(self.problems) < 200:
            self.problems.append(text)

    def read(self) -> XmlNode:
        data = self.data
        if len(data) < 8:
            raise InputError("binary XML too short")
        kind, header_size, size = _CHUNK.unpack_from(data, 0)
        if kind != CHUNK_XML:
            self.note(f"binary XML header has type 0x{kind:04x} instead of 0x0003")
        end = len(data)
        if size > end or size < 8:
            self.note(f"binary XML declares {size} bytes, data holds {end}")
        else:
            end = size
        pos = header_size if 8 <= header_size <= end else 8
        root: XmlNode | None = None
        stack: list[XmlNode] = []
        nodes = 0
        closed_root = False
        while pos + 8 <= end:
            kind, header_size, size = _CHUNK.unpack_from(data, pos)
            if header_size < 8 or size < header_size or pos + size > end:
                if not closed_root:
                    self.note(f"bad chunk at offset {pos} (type 0x{kind:04x}, size {size}): document cut short")
                break
            if CHUNK_XML_START_NAMESPACE <= kind <= CHUNK_XML_LAST_NODE:
                if header_size < 16:
                    if not closed_root:
                        self.note(f"node at offset {pos} has header size {header_size}: document cut short")
                    break
                nodes += 1
                if nodes > MAX_NODES:
                    self.note(f"more than {MAX_NODES} XML nodes: rest ignored")
                    break
                line = struct.unpack_from("<I", data, pos + 8)[0]
                ext = pos + header_size
                ext_end = pos + size
                if kind == CHUNK_XML_START_ELEMENT:
                    node = self._start_element(ext, ext_end, line)
                    if node is None:
                        break
                    if len(stack) >= MAX_DEPTH:
                        self.note(f"XML nested deeper than {MAX_DEPTH}: deeper elements ignored")
                        break
                    if stack:
                        stack[-1].children.append(node)
                    elif root is None:
                        root = node
                    else:
                        self.note(f"second root element <{node.tag}> ignored")
                        stack.append(node)  # keep nesting balanced, but it is not attached anywhere
                        pos += size
                        continue
                    stack.append(node)
                elif kind == CHUNK_XML_END_ELEMENT:
                    if stack:
                        stack.pop()
                        if not stack and root is not None:
                            closed_root = True
                elif kind == CHUNK_XML_CDATA:
                    if stack and ext + 4 <= ext_end:
                        text = self._string(struct.unpack_from("<I", data, ext)[0])
                        if text:
                            self._add_text(stack[-1], text)
                elif kind == CHUNK_XML_START_NAMESPACE and ext + 8 <= ext_end:
                    prefix, uri = struct.unpack_from("<II", data, ext)
                    self.namespaces[uri] = self._string(uri) or ""
            elif root is None and not stack and kind == CHUNK_STRING_POOL:
                if self.strings is None:
                    self.strings = StringPool(data, pos, self.problems, "binary XML")
                else:
                    self.note("second string pool in binary XML ignored")
            elif root is None and not stack and kind == CHUNK_XML_RESOURCE_MAP:
                count = (size - header_size) // 4
                self.resource_ids = list(struct.unpack_from(f"<{count}I", data, pos + header_size))
            else:
                self.note(f"unknown chunk type 0x{kind:04x} at offset {pos} skipped")
            pos += size
        for node, pieces in self.texts.values():
            node.text += "".join(pieces)
        if root is None:
            raise InputError("binary XML holds no element")
        if stack and not closed_root:
            self.note("binary XML ends before its root element is closed")
        return root

    def _add_text(self, node: XmlNode, text: str) -> None:
        if len(text) > self.text_budget:
            if self.text_budget >= 0:
                self.note(f"binary XML text beyond {len(self.data)} characters ignored")
            self.text_budget = -1
            return
        self.text_budget -= len(text)
        self.texts.setdefault(id(node), (node, []))[1].append(text)

    def _string(self, index: int) -> str | None:
        if self.strings is None or index == NO_INDEX:
            return None
        return self.strings.get(index)

    def _start_element(self, ext: int, ext_end: int, line: int) -> XmlNode | None:
        data = self.data
        if ext + 20 > ext_end:
            self.note("start element too short: document cut short")
            return None
        ns_index, name_index, attr_start, attr_size, attr_count = struct.unpack_from("<IIHHH", data, ext)
        tag = self._string(name_index) or ""
        node = XmlNode(tag=tag, namespace=self._string(ns_index) or "", line=line)
        if attr_size < 20:
            if attr_count:
                self.note(f"<{tag}> attribute size {attr_size} too small: attributes ignored")
            return node
        for index in range(attr_count):
            at = ext + attr_start + index * attr_size
            if at + 20 > ext_end:
                self.note(f"<{tag}> attributes run past their chunk: {attr_count - index} ignored")
                break
            attribute = self._attribute(at, tag)
            if attribute is not None:
                node.attributes.append(attribute)
        return node

    def _attribute(self, at: int, tag: str) -> XmlAttribute | None:
        ns_index, name_index, raw_index, _value_size, _res0, value_type, value = struct.unpack_from(
            "<IIIHBBI", self.data, at)
        name = self._string(name_index) or ""
        namespace = self._string(ns_index) or ""
        resource_id = self.resource_ids[name_index] if name_index < len(self.resource_ids) else 0
        if resource_id:
            known = ATTRIBUTE_NAMES.get(resource_id)
            if known is not None:
                name, namespace = known, ANDROID_NS
            elif resource_id >> 24 == 0x01:
                namespace = ANDROID_NS
                name = name or f"attr_0x{resource_id:08x}"
        elif namespace == ANDROID_NS:
            # The package manager matches framework attributes by resource id only: this one is invisible
            # to Android, so it must not count as android:<name> for us either.
            self.note(f"<{tag}> attribute android:{name} has no resource id (Android ignores it)")
            namespace = ANDROID_NS + "#unresolved"
        if not name:
            return None
        raw = self._string(raw_index)
        string = self._string(value) if value_type == TYPE_STRING else raw
        if value_type == TYPE_STRING and string is None:
            string = raw
        return XmlAttribute(namespace, name, resource_id or None, value_type, value, string)


def parse_text_xml(data: bytes) -> XmlNode:
    """Parse plain-text XML (some tools ship a text manifest) without DTDs or entity expansion."""
    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
    root: list[XmlNode] = []
    stack: list[XmlNode] = []
    texts: list[list[str]] = []  # the text pieces of each open element

    def refuse_dtd(*_args: object) -> None:
        raise InputError("text XML with a DOCTYPE/entity declaration refused")

    def start(name: str, attrs: dict[str, str]) -> None:
        if len(stack) >= MAX_DEPTH:
            raise InputError(f"text XML nested deeper than {MAX_DEPTH}")
        namespace, _, local = name.rpartition(" ")
        node = XmlNode(tag=local, namespace=namespace, line=parser.CurrentLineNumber)
        for key, value in attrs.items():
            attr_ns, _, attr_name = key.rpartition(" ")
            node.attributes.append(XmlAttribute(attr_ns, attr_name, None, TYPE_STRING, 0, value))
        if stack:
            stack[-1].children.append(node)
        elif not root:
            root.append(node)
        stack.append(node)
        texts.append([])

    def end(_name: str) -> None:
        node = stack.pop()
        pieces = texts.pop()
        if pieces:  # joined once: `+=` per piece is quadratic, and expat hands over text in many small pieces
            node.text += "".join(pieces)

    def chars(text: str) -> None:
        if stack and text.strip():
            texts[-1].append(text)

    parser.StartDoctypeDeclHandler = refuse_dtd
    parser.EntityDeclHandler = refuse_dtd
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    try:
        parser.Parse(data, True)
    except xml.parsers.expat.ExpatError as exc:
        raise InputError(f"text XML is malformed ({xml.parsers.expat.ErrorString(exc.code)}"
                         f" at line {exc.lineno})") from None
    if not root:
        raise InputError("text XML holds no element")
    return root[0]
