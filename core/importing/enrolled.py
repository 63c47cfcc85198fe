"""Which student of which class a row of a class sheet is about.

A teacher's sheet (marks of a class × subject, the homeroom teacher's sheet of a class) names
its class once ("Lớp: 6A") or on each row, and each student by personal ID, with the name
beside it. The class must exist this year, the ID must be a student of that very class (a row
of 6B in 6A's sheet is a pasted or shifted line), and a written name must be the stored one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from core.errors import InvalidValue
from core.i18n import _
from core.importing import fields
from core.importing.context import Enrolled, ImportContext
from core.importing.headers import cell_text
from core.importing.rows import RowView
from core.models import SchoolClass


@dataclass(frozen=True)
class ClassStudent:
    school_class: SchoolClass
    enrolled: Enrolled


def row_name(ctx: ImportContext, row: RowView) -> str | None:
    """The name written in the row, else the name of the student its ID is, so every problem
    of the row names the student even where the sheet left the name out."""
    written = cell_text(row.raw("full_name"))
    if written:
        return written
    try:
        enrolled = ctx.enrolled.get(fields.parse_national_id_cell(row.raw("national_id")))
    except InvalidValue:
        return None
    return enrolled.full_name if enrolled else None


def read_identity(ctx: ImportContext, row: RowView) -> tuple[SchoolClass | None, str | None]:
    """The row's class and personal ID as written (None, with the problem, when invalid)."""
    school_class = row.get(
        "class",
        ctx.existing_class,
        required=True,
        expected=lambda: _("một lớp đã có trong năm học; nhập danh sách học sinh trước"),
        memo=ctx.memo("class"),
    )
    national_id = row.get(
        "national_id",
        fields.parse_national_id_cell,
        required=True,
        memo=ctx.memo("national_id"),
    )
    return school_class, national_id


def enrolled_in(
    ctx: ImportContext,
    row: RowView,
    school_class: SchoolClass,
    national_id: str,
    sheet: str | Callable[[], str],
) -> Enrolled | None:
    """The student of `national_id`, who must be in `school_class` this year (`ctx.enrolled`
    loaded); a name written beside the ID must be theirs (a mismatch is recorded on the row,
    the student still returned: callers check `row.ok`). `sheet` names the kind of sheet in
    messages ("bảng điểm"), or is a function that does."""
    enrolled = ctx.enrolled.get(national_id)
    if enrolled is None:
        row.problem(
            "national_id",
            _("Không có học sinh mã định danh {id} trong năm học {year}").format(
                id=national_id, year=ctx.year.name
            ),
            _("mã định danh của một học sinh lớp {name}").format(name=school_class.name),
        )
        return None
    if enrolled.class_id != school_class.id:
        row.problem(
            "national_id",
            _("Học sinh mã định danh {id} học lớp {actual}, không phải lớp {name}").format(
                id=national_id,
                actual=ctx.classes_by_id[enrolled.class_id].name,
                name=school_class.name,
            ),
            _("chỉ học sinh của lớp {name} trong {sheet} lớp {name}").format(
                name=school_class.name, sheet=sheet() if callable(sheet) else sheet
            ),
        )
        return None
    row.check_name(
        "full_name", enrolled.full_name, lambda: _("học sinh mã {id}").format(id=national_id)
    )
    return enrolled


def class_student(ctx: ImportContext, row: RowView, sheet: str) -> ClassStudent | None:
    """The class and the student of a row, or None with the problems recorded."""
    school_class, national_id = read_identity(ctx, row)
    if not (school_class and national_id):
        return None
    enrolled = enrolled_in(ctx, row, school_class, national_id, sheet)
    return ClassStudent(school_class, enrolled) if enrolled and row.ok else None
