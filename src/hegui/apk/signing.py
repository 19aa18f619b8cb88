"""Who signed the APK: v1 (JAR, PKCS#7 in META-INF) and v2/v3/v3.1 (APK Signing Block) certificates.

Signatures are NOT verified cryptographically here: we report which certificates the APK claims to be
signed with (what a regulator's report and a rectification re-check compare), not whether the bytes still
match. Malformed blocks and certificates become problem lines; nothing here raises on hostile input.
"""

from __future__ import annotations

import hashlib
import re
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, pkcs7

from hegui.apk.archive import ApkArchive, shown_name
from hegui.errors import InputError

_BLOCK_MAGIC = b"APK Sig Block 42"
_SCHEME_IDS = {0x7109871A: "v2", 0xF05368C0: "v3", 0x1B93AD61: "v3"}  # v3.1 reports as v3
_V1_SIGNATURE = re.compile(r"META-INF/[^/]+\.(RSA|DSA|EC)", re.IGNORECASE)
_MAX_V1_FILE = 4 * 2**20
_MAX_BLOCK = 64 * 2**20
_MAX_SIGNERS = 64


@dataclass(frozen=True)
class SignerCert:
    scheme: str  # "v1" | "v2" | "v3"
    sha256: str  # lowercase hex SHA-256 of the DER certificate
    subject: str  # RFC 4514, e.g. "CN=hegui test,O=hegui,C=CN"


def _cert(scheme: str, der: bytes) -> SignerCert:
    # cryptography warns (not fails) on sloppy encodings real signing tools produced; those are not ours to fix.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        certificate = x509.load_der_x509_certificate(der)
        try:
            subject = certificate.subject.rfc4514_string()
        except ValueError:
            subject = ""
    return SignerCert(scheme, hashlib.sha256(der).hexdigest(), subject)


def read_signers(archive: ApkArchive, path: Path) -> tuple[list[SignerCert], list[str]]:
    """(signers, problems) of the APK. `path` only names the file in problem lines' context; the bytes
    come from `archive`. Each distinct (scheme, certificate) is reported once, v1 first."""
    signers: list[SignerCert] = []
    problems: list[str] = []
    for cert in _v1_signers(archive, problems) + _block_signers(archive, problems):
        if cert not in signers:
            signers.append(cert)
    return signers, problems


# ------------------------------------------------------------------------- v1
def _v1_signers(archive: ApkArchive, problems: list[str]) -> list[SignerCert]:
    found: list[SignerCert] = []
    for name in archive.names:
        if not _V1_SIGNATURE.fullmatch(name):
            continue
        try:
            data = archive.read(name, max_size=_MAX_V1_FILE)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # BER fallback of old jarsigner output
                certificates = pkcs7.load_der_pkcs7_certificates(data)
        except InputError as exc:
            problems.append(str(exc))
            continue
        except ValueError:
            problems.append(f"{shown_name(name)} is not a readable PKCS#7 signature")
            continue
        serials = _signer_serials(data)
        signer_certs = [c for c in certificates if c.serial_number in serials] or certificates
        for certificate in signer_certs:
            der = certificate.public_bytes(Encoding.DER)
            try:
                found.append(_cert("v1", der))
            except ValueError:
                problems.append(f"unreadable certificate in {shown_name(name)}")
    return found


def _der_item(data: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """(tag, content start, content end) of the DER item at `pos`; ValueError when malformed."""
    if pos + 2 > end:
        raise ValueError("DER item truncated")
    tag = data[pos]
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or pos + count > end:
            raise ValueError("bad DER length")
        length = int.from_bytes(data[pos:pos + count], "big")
        pos += count
    if pos + length > end:
        raise ValueError("DER item runs past its parent")
    return tag, pos, pos + length


def _children(data: bytes, start: int, end: int) -> list[tuple[int, int, int]]:
    items = []
    pos = start
    while pos < end and len(items) < 1024:
        item = _der_item(data, pos, end)
        items.append(item)
        pos = item[2]
    return items


def _signer_serials(data: bytes) -> set[int]:
    """Serial numbers named by the SignerInfos of a PKCS#7 SignedData (so chain certs are not signers)."""
    try:
        _, start, end = _der_item(data, 0, len(data))  # ContentInfo
        content_info = _children(data, start, end)
        _, start, end = content_info[1]  # [0] EXPLICIT
        _, start, end = _der_item(data, start, end)  # SignedData
        signed_data = _children(data, start, end)
        signer_infos = signed_data[-1]
        serials = set()
        for _, s_start, s_end in _children(data, signer_infos[1], signer_infos[2]):
            fields = _children(data, s_start, s_end)
            tag, sid_start, sid_end = fields[1]
            if tag == 0x30:  # IssuerAndSerialNumber
                serial = _children(data, sid_start, sid_end)[1]
                serials.add(int.from_bytes(data[serial[1]:serial[2]], "big", signed=True))
        return serials
    except (ValueError, IndexError):
        return set()


# ---------------------------------------------------------------- v2 / v3 block
def _block_signers(archive: ApkArchive, problems: list[str]) -> list[SignerCert]:
    cd_offset = archive.central_directory_offset
    if cd_offset is None or cd_offset < 32:
        return []
    footer = archive.view(cd_offset - 24, cd_offset)
    if len(footer) != 24 or footer[8:] != _BLOCK_MAGIC:
        return []
    (size,) = struct.unpack_from("<Q", footer, 0)
    if size < 24 or size > _MAX_BLOCK or size + 8 > cd_offset:
        problems.append(f"APK Signing Block size {size} impossible; v2/v3 signatures ignored")
        return []
    start = cd_offset - size - 8
    block = archive.view(start, cd_offset)
    if struct.unpack_from("<Q", block, 0)[0] != size:
        problems.append("APK Signing Block header and footer sizes differ; v2/v3 signatures ignored")
        return []
    found: list[SignerCert] = []
    pos, end = 8, len(block) - 24
    while pos + 12 <= end:
        (length,) = struct.unpack_from("<Q", block, pos)
        if length < 4 or pos + 8 + length > end:
            problems.append("APK Signing Block entry length out of range; rest ignored")
            break
        (block_id,) = struct.unpack_from("<I", block, pos + 8)
        scheme = _SCHEME_IDS.get(block_id)
        if scheme is not None:
            try:
                found.extend(_scheme_signers(scheme, block[pos + 12:pos + 8 + length]))
            except ValueError as exc:
                problems.append(f"{scheme} signature block malformed ({exc})")
        pos += 8 + length
    return found


def _prefixed(data: bytes, pos: int, end: int) -> tuple[bytes, int]:
    """A uint32-length-prefixed slice at `pos` and the position after it."""
    if pos + 4 > end:
        raise ValueError("length prefix truncated")
    (length,) = struct.unpack_from("<I", data, pos)
    pos += 4
    if pos + length > end:
        raise ValueError("length-prefixed field runs past its parent")
    return data[pos:pos + length], pos + length


def _sequence(data: bytes) -> list[bytes]:
    items = []
    pos = 0
    while pos < len(data):
        item, pos = _prefixed(data, pos, len(data))
        items.append(item)
        if len(items) > 4096:
            raise ValueError("too many items")
    return items


def _scheme_signers(scheme: str, value: bytes) -> list[SignerCert]:
    signers_blob, _ = _prefixed(value, 0, len(value))
    found = []
    for signer in _sequence(signers_blob)[:_MAX_SIGNERS]:
        signed_data, _ = _prefixed(signer, 0, len(signer))
        _digests, pos = _prefixed(signed_data, 0, len(signed_data))
        certificates, _ = _prefixed(signed_data, pos, len(signed_data))
        certs = _sequence(certificates)
        if not certs:
            raise ValueError("signer without certificate")
        # The first certificate is the signer's; the rest are its chain.
        found.append(_cert(scheme, certs[0]))
    return found

