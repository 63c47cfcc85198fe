"""Evidence files a chat collects for a draft (the request form, the answer to ask-more).

Each file is checked before it is downloaded (room left, announced size) and after (its bytes:
core.services.evidence). An album arrives as many messages at once; a refusal is said once per
album, so twenty photos over the limit get one answer, not ten. What was said is remembered for
the current album only, inside the draft: it never outgrows one album's distinct refusals and
goes away with the draft.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from core.errors import InvalidValue
from core.i18n import _
from core.services.evidence import EvidenceFile, accept, ensure_room, ensure_size
from core.storage import FileStore

Album = tuple[str, tuple[str, ...]]  # the album being received, the refusals said for it
MAX_NOTES = 5  # distinct refusals remembered for one album (there are only a few kinds)


def read_files(raw: object) -> tuple[EvidenceFile, ...] | None:
    """Files as a draft keeps them (JSON), or None when they are not well formed."""
    if not isinstance(raw, list):
        return None
    try:
        return tuple(EvidenceFile.of(item) for item in raw)
    except (KeyError, TypeError, ValueError):
        return None


def read_album(raw: object) -> Album | None:
    if (
        isinstance(raw, list)
        and len(raw) == 2
        and isinstance(raw[0], str)
        and isinstance(raw[1], list)
        and all(isinstance(note, str) for note in raw[1])
    ):
        return raw[0], tuple(raw[1][-MAX_NOTES:])
    return None


def album_json(album: Album | None) -> list[object] | None:
    return [album[0], list(album[1])] if album else None


@dataclass(frozen=True)
class Received:
    """A file offered: the files and album memory after it, and what to say (`refusal` is
    empty when the file was accepted, or when this album was already told)."""

    files: tuple[EvidenceFile, ...]
    album: Album | None
    accepted: bool
    refusal: str = ""


async def receive(
    files: tuple[EvidenceFile, ...],
    album: Album | None,
    store: FileStore,
    *,
    size: int | None,
    name: str | None,
    album_id: str | None,
    fetch: Callable[[], Awaitable[bytes]],
) -> Received:
    """Take one offered file: `fetch` downloads it, only once room and size are known to be
    right; the accepted file is kept in the store under its hash."""
    try:
        ensure_room(len(files))
        ensure_size(size)
        data = await fetch()
        taken = accept(store, data, name or _("ảnh {n}").format(n=len(files) + 1))
    except InvalidValue as refused:
        text = str(refused)
        if album_id is None:
            return Received(files, album, False, text)
        said = album[1] if album and album[0] == album_id else ()
        if text in said:
            return Received(files, album, False)
        return Received(files, (album_id, (*said, text)[-MAX_NOTES:]), False, text)
    return Received((*files, taken), album, True)
