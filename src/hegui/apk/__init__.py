"""Readers for the APK container: tolerant zip, binary XML, manifest, resources.arsc, signers, icons.

Knows nothing of rules or knowledge; imports nothing from hegui except `hegui.errors`.
"""

from hegui.apk.apk import Apk, open_apk
from hegui.apk.archive import ApkArchive, ArchiveEntryError, ArchiveLimits, EntryTooLargeError
from hegui.apk.axml import XmlAttribute, XmlNode, parse_axml
from hegui.apk.images import icon_is_blank
from hegui.apk.manifest import Component, IntentFilter, Manifest, parse_manifest
from hegui.apk.resources import ResourceTable
from hegui.apk.signing import SignerCert, read_signers

__all__ = [
    "Apk",
    "ApkArchive",
    "ArchiveEntryError",
    "ArchiveLimits",
    "EntryTooLargeError",
    "Component",
    "IntentFilter",
    "Manifest",
    "ResourceTable",
    "SignerCert",
    "XmlAttribute",
    "XmlNode",
    "icon_is_blank",
    "open_apk",
    "parse_axml",
    "parse_manifest",
    "read_signers",
]
