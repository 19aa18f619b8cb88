"""Uploaded APKs and SDK packages (AAR, JAR) on disk, named by their SHA-256 (never by the uploaded file name).

A file is written to a temporary name, fsynced and renamed into place before the scan row that refers to
it is committed, so a crash at any point leaves either no scan or a scan whose APK is on disk.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import BinaryIO

from hegui.platform.messages import Message, Refusal

ZIP_MAGIC = (b"PK\x03\x04",)  # APKs, AARs and JARs are ZIPs; empty or spanned archives are none of them
_SHA256 = re.compile(r"[0-9a-f]{64}")


class UploadRejected(Refusal):
    """The upload is not acceptable; `str(err)` is a one-line English reason (`err.reason(lang)` in the reader's
    language), `status` the HTTP status to answer."""

    def __init__(self, reason: str | Message, status: int) -> None:
        super().__init__(reason)
        self.status = status


def blob_path(blob_dir: Path, sha256: str) -> Path:
    if not _SHA256.fullmatch(sha256):
        raise ValueError("not a sha256 digest")
    return blob_dir / sha256[:2] / f"{sha256}.apk"


def store_upload(blob_dir: Path, source: BinaryIO, max_bytes: int) -> tuple[str, int]:
    """Copy `source` into the blob store; return (sha256, size). Rejects non-ZIP data and oversize files."""
    blob_dir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    fd, tmp_name = tempfile.mkstemp(prefix=".upload-", dir=blob_dir)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            first = True
            while chunk := source.read(1 << 20):
                if first and not chunk.startswith(ZIP_MAGIC):
                    raise UploadRejected(Message("refused.not_zip"), 415)
                first = False
                size += len(chunk)
                if size > max_bytes:
                    raise UploadRejected(Message("refused.too_large", {"mb": max_bytes // (1024 * 1024)}), 413)
                digest.update(chunk)
                out.write(chunk)
            if first:
                raise UploadRejected(Message("refused.empty_file"), 415)
            out.flush()
            os.fsync(out.fileno())
        sha256 = digest.hexdigest()
        final = blob_path(blob_dir, sha256)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, final)
        _fsync_dir(final.parent)
        return sha256, size
    finally:
        tmp.unlink(missing_ok=True)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
