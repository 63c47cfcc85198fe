"""Evidence files of a correction request: what is accepted, checked on the bytes themselves.

A photo of a test paper, of the personal mark book or of the class log (regulation 003, Điều 8,
khoản 2) is a JPEG, PNG or WebP picture, or a scanned PDF. The type is read from the file's
first bytes, never from its name or the MIME type the sender claims, so a renamed executable or
a text file called "bai_kiem_tra.jpg" is refused. Sizes are limited so one request cannot fill
the server's disk; the count so the principal can look at all of it on a phone.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import InvalidValue
from core.i18n import _
from core.storage import FileStore

MAX_FILES = 10
MAX_BYTES = 10 * 1024 * 1024

# (magic prefix, offset, MIME, telegram media) — WebP is "RIFF....WEBP".
_SIGNATURES: tuple[tuple[bytes, int, str, str], ...] = (
    (b"\xff\xd8\xff", 0, "image/jpeg", "photo"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png", "photo"),
    (b"WEBP", 8, "image/webp", "photo"),
    (b"%PDF-", 0, "application/pdf", "document"),
)


@dataclass(frozen=True)
class EvidenceFile:
    """One accepted file, as a draft keeps it (JSON-friendly) and a request stores it."""

    sha256: str
    mime: str
    media: str  # "photo" or "document": how Telegram shows it back
    name: str
    size: int

    def as_dict(self) -> dict[str, str | int]:
        return {
            "sha256": self.sha256,
            "mime": self.mime,
            "media": self.media,
            "name": self.name,
            "size": self.size,
        }

    @classmethod
    def of(cls, data: dict[str, str | int]) -> EvidenceFile:
        return cls(
            str(data["sha256"]),
            str(data["mime"]),
            str(data["media"]),
            str(data["name"]),
            int(data["size"]),
        )


def size_label(size: int) -> str:
    return _("{mb} MB").format(mb=f"{size / 1024 / 1024:.1f}".replace(".", ","))


def ensure_size(size: int | None) -> None:
    """Refuse a file announced bigger than the limit before anything is downloaded."""
    if size is not None and size > MAX_BYTES:
        raise InvalidValue(
            _(
                "Tệp quá lớn ({size}); mỗi minh chứng tối đa {limit}. Hãy chụp lại ảnh hoặc "
                "gửi tệp nhỏ hơn."
            ).format(size=size_label(size), limit=size_label(MAX_BYTES))
        )


def ensure_room(count: int) -> None:
    """`count` files are already attached: refuse one more beyond the limit."""
    if count >= MAX_FILES:
        raise InvalidValue(
            _(
                "Mỗi phiếu có tối đa {n} minh chứng; tệp này không được nhận. Bấm «Xong» để "
                "tiếp tục."
            ).format(n=MAX_FILES)
        )


def sniff(data: bytes) -> tuple[str, str]:
    """(MIME, media) of an accepted file, from its first bytes."""
    for magic, offset, mime, media in _SIGNATURES:
        if data[offset : offset + len(magic)] == magic and (
            mime != "image/webp" or data[:4] == b"RIFF"
        ):
            return mime, media
    raise InvalidValue(
        _(
            "Tệp này không phải ảnh (JPEG, PNG, WebP) hay PDF, dù tên hoặc kiểu của nó nói vậy; "
            "không được nhận làm minh chứng."
        )
    )


def accept(store: FileStore, data: bytes, name: str = "") -> EvidenceFile:
    """Check a received file and keep it in the store; the hash names it from then on."""
    ensure_size(len(data))
    mime, media = sniff(data)
    return EvidenceFile(store.put(data), mime, media, name[:200], len(data))
