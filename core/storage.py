"""The content-addressed file store: evidence photos, minutes and other files, kept by SHA-256.

A file's name is its hash, so the same photo sent twice is stored once, a stored file can be
checked against the hash written in a request or in minutes, and nothing is ever overwritten.
Writes go to a temporary file first and are renamed into place, so a crash never leaves a
half-written file under a valid name.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO

from core.errors import InvalidValue, NotFound
from core.i18n import _

_CHUNK = 1024 * 1024
_HASH = re.compile(r"[0-9a-f]{64}")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_atomically(data: BinaryIO, target: Path) -> None:
    """Write `data` to `target` through a temporary file beside it, synced then renamed, so
    `target` either does not exist or holds every byte (a stored file, a backup archive, a
    restored database). Raises OSError, with nothing left."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(data, out, _CHUNK)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    sync_folder(target.parent)


def sync_folder(folder: Path) -> None:
    """Make a rename durable (best effort: some file systems cannot sync a directory)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class FileStore:
    """Files under `root/ab/abcdef…` (two-level fan-out keeps directories small)."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def _path(self, digest: str) -> Path:
        if not _HASH.fullmatch(digest):
            raise NotFound(_("Mã tệp «{digest}» không hợp lệ.").format(digest=digest[:80]))
        return self.root / digest[:2] / digest

    def put(self, data: bytes) -> str:
        """Store `data` (once) and return its SHA-256."""
        digest = sha256(data)
        path = self._path(digest)
        if path.exists():
            return digest
        write_atomically(io.BytesIO(data), path)
        return digest

    def get(self, digest: str) -> bytes:
        """The stored bytes, checked against their hash (a damaged file is an error, not data)."""
        path = self._path(digest)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise NotFound(
                _("Không tìm thấy tệp {digest} trong kho lưu trữ.").format(digest=digest)
            ) from None
        if sha256(data) != digest:
            raise InvalidValue(
                _("Tệp {digest} trong kho lưu trữ đã bị hỏng hoặc bị sửa.").format(digest=digest)
            )
        return data

    def exists(self, digest: str) -> bool:
        return self._path(digest).exists()
