"""The small school of the deadline tests, with the people a correction needs around it.

GV02 teaches Ngữ văn in 6A (Bình has TX1 = 6); HT01 is the principal, QT01 an admin; here
PHT01 (vice principal) and TT01 (people's inspection board) join them. The year is still to
come, so the wall clock (which the gradebook's lock check reads) is before every calendar lock.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass, field

import pytest

from core import clock
from core.models import MarkKind, Role, Staff
from core.services import corrections, locks, roster
from core.services.access import Actor
from core.services.corrections import Change, Draft
from core.services.evidence import EvidenceFile, accept
from core.storage import FileStore
from core.workers import WorkerPool
from tests.deadlines.conftest import Small, build_small, clock_at, future_year  # noqa: F401

# The smallest valid images: a 1×1 PNG, and JPEG's / WebP's opening bytes.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + b"\x00" * 64 + b"\xff\xd9"
PDF = b"%PDF-1.4\n%minh chung\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def now() -> dt.datetime:
    return clock.now()


@dataclass
class School(Small):
    store: FileStore = field(default_factory=lambda: FileStore("."))
    workers: WorkerPool = field(default_factory=WorkerPool)

    async def teacher(self) -> Actor:
        return await self.actor("GV02")

    def evidence(self, *blobs: bytes) -> tuple[EvidenceFile, ...]:
        return tuple(accept(self.store, b, f"anh{n}.jpg") for n, b in enumerate(blobs, 1))

    def draft(
        self, *changes: tuple[MarkKind, int, str], name: str = "Trần Thị Bình", **kw
    ) -> Draft:
        values = {
            "token": corrections.new_token(),
            "class_id": self.classes["6A"].id,
            "student_id": self.students[name],
            "subject_id": self.subjects["NV"].id,
            "term_id": self.terms[1].id,
            "changes": tuple(Change(k, i, v) for k, i, v in changes)
            or (Change(MarkKind.REGULAR, 1, "7.5"),),
            "reason": "Nhập nhầm điểm bài kiểm tra 15 phút",
            "evidence": self.evidence(PNG, JPEG),
        }
        return Draft(**(values | kw))

    async def binh_nv_cell(self, actor: Actor) -> corrections.Cell:
        """The cell the drafts correct: Trần Thị Bình's Ngữ văn in 6A, term I."""
        return await corrections.load_cell(
            actor,
            self.classes["6A"].id,
            self.students["Trần Thị Bình"],
            self.subjects["NV"].id,
            self.terms[1].id,
        )

    async def lock_nv(self) -> None:
        scope = await locks.parse_scope(self.year, ["6A", "Ngữ", "văn", "HK1"])
        await locks.lock(await self.actor("HT01"), scope, now=now())


@pytest.fixture
async def school(db: str, tmp_path, workers: WorkerPool) -> School:
    small = await build_small(future_year())
    await roster.write_staff(
        small.admin,
        small.year,
        [
            roster.StaffEntry("PHT01", "Lý Phó Hiệu", frozenset({Role.VICE_PRINCIPAL})),
            roster.StaffEntry("TT01", "Mai Thanh Tra", frozenset({Role.INSPECTOR})),
        ],
        decided_by=small.staff["HT01"],  # a vice principal: the principal's decision
    )
    small.staff = {s.code: s for s in await Staff.filter(school=small.school)}
    return School(**vars(small), store=FileStore(tmp_path / "files"), workers=workers)
