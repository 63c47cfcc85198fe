"""Teaching assignments: which teacher teaches which subject to which classes.

They decide who may enter which marks, so every name in a row must already exist: the teacher
(staff import), the classes (student import) and the subject, taught in the class's grade.
"""

from __future__ import annotations

import re
from functools import partial

from core.i18n import _
from core.importing import fields
from core.importing.base import SheetImport
from core.importing.context import ImportContext
from core.importing.headers import Field, cell_text
from core.importing.reader import Cell
from core.importing.rows import RowView
from core.models import SchoolClass
from core.services.access import ensure_admin
from core.services.roster import AssignmentEntry, write_assignments
from core.services.upsert import Written

_CLASS_SEPARATORS = re.compile(r"\s*[,;/+\n]\s*")


class AssignmentImport(SheetImport):
    kind = "assignments"

    def __init__(self, ctx: ImportContext):
        super().__init__(ctx)
        # A set: the same assignment written twice (or on two sheets) is one assignment.
        self.entries: set[AssignmentEntry] = set()

    def authorize(self) -> None:
        ensure_admin(self.ctx.actor)

    async def prepare(self) -> None:
        await self.ctx.load_staff()

    def fields(self) -> tuple[Field, ...]:
        return (
            fields.number(),
            fields.staff_code(signature=True),
            fields.full_name(required=False),
            Field(
                "classes",
                _("Lớp"),
                ("Lớp", "Lớp dạy", "Các lớp", "Lớp giảng dạy", "Tên lớp"),
                _(
                    "một hoặc nhiều lớp đã có trong năm học, cách nhau bởi dấu phẩy: 6A, 6B; "
                    "các lớp có từ danh sách học sinh, nên nhập danh sách học sinh trước"
                ),
                required=True,
            ),
            fields.subject(title=False),
        )

    def _classes(self, raw: Cell) -> list[SchoolClass]:
        return [
            self.ctx.existing_class(name)
            for name in _CLASS_SEPARATORS.split(cell_text(raw))
            if name
        ]

    def check(self, row: RowView) -> None:
        member = row.get(
            "staff_code",
            self.ctx.staff_member,
            required=True,
            expected=_("mã một cán bộ đã có; nhập danh sách cán bộ trước"),
        )
        if member:
            row.check_name(
                "full_name", member.full_name, _("cán bộ mã {code}").format(code=member.code)
            )
        classes = row.get("classes", self._classes, required=True)
        subject = row.get(
            "subject",
            self.ctx.subject,
            required=True,
            expected=self.ctx.subject_expected,
        )
        if classes and subject:
            for school_class in classes:
                row.verify(
                    "classes",
                    partial(self.ctx.ensure_taught, subject, school_class.grade),
                    _("lớp thuộc khối có học môn {subject}").format(subject=subject.name),
                )
        if row.ok and member and classes and subject:
            self.entries.update(AssignmentEntry(member.code, c.name, subject.id) for c in classes)

    async def write(self) -> dict[str, Written]:
        written = await write_assignments(
            self.ctx.actor, self.ctx.year, sorted(self.entries, key=repr)
        )
        return written.parts
