"""The request form's draft, as a chat keeps it between steps (JSON) and the rules read it back.

The front end keeps whatever the last step returned and hands it to the next one; a modified
client, a restart or an old message can hand back anything. `FormDraft.read` keeps only the
known keys, well typed, so the draft never grows and a damaged one ends the form with what to
do; each step then checks the ids it holds again (core.services.corrections.cells).

The sheet a draft is about is a subject's marks or a primary subject's levels and scores
(`subject_id`) or, for the class's homeroom teacher, their own data of the term (`homeroom`).
A column is (CellKind, index); its button carries one letter of `KIND_CODES` and the index.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.errors import NotFound
from core.i18n import _
from core.models import CellKind
from core.services.access import Actor
from core.services.corrections.cells import Column, Sheet, load_sheet
from core.services.corrections.files import Album, album_json, read_album, read_files
from core.services.corrections.submit import Change
from core.services.evidence import EvidenceFile

# A column's kind on its button (core.buttons.CELL_KIND): marks, the homeroom's cells, then a
# primary subject's.
KIND_CODES = {
    CellKind.REGULAR: "r",
    CellKind.MIDTERM: "m",
    CellKind.FINAL: "f",
    CellKind.TOPIC: "t",
    CellKind.CONDUCT: "c",
    CellKind.EXCUSED: "p",
    CellKind.UNEXCUSED: "k",
    CellKind.QUALITY: "q",
    CellKind.LEVEL: "l",  # a primary subject's level at a point (index: the point)
    CellKind.SCORE: "s",  # its periodic test score there
}
KINDS = {code: kind for kind, code in KIND_CODES.items()}


def ended() -> NotFound:
    return NotFound(_("Phiếu đang lập không còn; gõ /suadiem để lập lại."))


def _number(raw: dict[str, Any], key: str) -> int | None:
    value = raw.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _column(raw: object) -> Column | None:
    if isinstance(raw, list) and len(raw) >= 2 and isinstance(raw[1], int):
        kind = next((k for k in CellKind if k.value == raw[0]), None)
        if kind is not None:
            return kind, raw[1]
    return None


def _changes(raw: object) -> tuple[Change, ...] | None:
    if not isinstance(raw, list):
        return None
    changes = []
    for item in raw:
        column = _column(item)
        if column is None or len(item) != 3 or not isinstance(item[2], str):
            return None
        changes.append(Change(column[0], column[1], item[2]))
    return tuple(changes)


@dataclass(frozen=True)
class FormDraft:
    """The draft as the rules read it; `read` keeps only well-typed known keys."""

    token: str
    class_id: int | None = None
    student_id: int | None = None
    subject_id: int | None = None
    term_id: int | None = None
    changes: tuple[Change, ...] = ()
    pending: Column | None = None
    reason: str = ""
    evidence: tuple[EvidenceFile, ...] = ()
    album: Album | None = None
    homeroom: bool = False  # about the homeroom teacher's data, not a subject

    @classmethod
    def read(cls, raw: object) -> FormDraft:
        """The kept draft; a missing or damaged one ends the form with what to do."""
        if not isinstance(raw, dict):
            raise ended()
        token, reason = raw.get("token"), raw.get("reason", "")
        changes = _changes(raw.get("changes", []))
        evidence = read_files(raw.get("evidence", []))
        if changes is None or evidence is None:
            raise ended()
        if not isinstance(token, str) or not isinstance(reason, str):
            raise ended()
        homeroom = raw.get("homeroom") is True
        return cls(
            token[:32],
            _number(raw, "class_id"),
            _number(raw, "student_id"),
            None if homeroom else _number(raw, "subject_id"),
            _number(raw, "term_id"),
            changes,
            _column(raw.get("pending")),
            reason,
            evidence,
            read_album(raw.get("album")),
            homeroom,
        )

    def json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "token": self.token,
            "class_id": self.class_id,
            "student_id": self.student_id,
            "subject_id": self.subject_id,
            "homeroom": True if self.homeroom else None,
            "term_id": self.term_id,
            "changes": [[c.kind.value, c.index, c.new_value] for c in self.changes],
            "pending": [self.pending[0].value, self.pending[1]] if self.pending else None,
            "reason": self.reason or None,
            "evidence": [f.as_dict() for f in self.evidence],
            "album": album_json(self.album),
        }
        return {k: v for k, v in out.items() if v is not None}

    def need(self, *keys: str) -> None:
        """A button of a later step whose draft is gone (the flow ended, or was cancelled)."""
        if any(not getattr(self, key) for key in keys):
            raise ended()

    def need_sheet(self) -> None:
        """The class, the student and the subject (or the homeroom data) are chosen."""
        self.need("class_id", "student_id")
        if not (self.subject_id or self.homeroom):
            raise ended()

    async def sheet(self, actor: Actor) -> Sheet:
        self.need_sheet()
        self.need("term_id")
        assert self.class_id and self.student_id and self.term_id
        return await load_sheet(
            actor, self.class_id, self.student_id, self.subject_id, self.term_id
        )
