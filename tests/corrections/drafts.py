"""A correction request's draft as the form steps pass it on, shared by the cell tests."""

from __future__ import annotations

import json

from core.services.access import Actor
from core.services.corrections import form
from tests.corrections.conftest import JPEG, PNG, School


def persisted(draft: object) -> object:
    """What the bot's persistence gives back: the draft through JSON."""
    return json.loads(json.dumps(draft))


async def evidence_added(teacher: Actor, school: School, draft: object) -> object:
    """The draft with two evidence files (a photo and a scan) added, each accepted."""
    for blob in (PNG, JPEG):

        async def fetch(blob: bytes = blob) -> bytes:
            return blob

        got = await form.add_file(
            teacher,
            persisted(draft),
            school.store,
            size=len(blob),
            name=None,
            album_id=None,
            fetch=fetch,
        )
        assert got.accepted, got.refusal
        draft = got.draft
    return draft
