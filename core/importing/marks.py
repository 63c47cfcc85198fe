"""Secondary marks (Thông tư 22): ĐĐGtx, ĐĐGgk, ĐĐGck per student × subject × term.

Two layouts are read the same way: a long sheet with Lớp, Môn and Học kỳ columns, and the
per-class-subject template the bot sends a teacher, where "Lớp: 6A", "Môn: Toán", "Học kỳ: I"
are written once above the header. A blank cell means "not entered": it never erases a mark.
`MarkSheetImport` holds what both school levels share: finding the student a row is about.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from core.errors import InvalidValue
from core.i18n import _
from core.importing import fields
from core.importing.base import SheetImport
from core.importing.context import ImportContext
from core.importing.headers import Field
from core.importing.rows import RowView
from core.models import MarkKind, SchoolClass, Subject
from core.rules.catalog import Assessment
from core.rules.secondary import regular_mark_count
from core.services.gradebook import MarkEntry, validate_mark, write_marks
from core.services.upsert import Written

MAX_REGULAR = 4


@dataclass(frozen=True)
class RowSubject:
    """Who and what a marks row is about, once its identity columns were found valid."""

    school_class: SchoolClass
    student_id: int
    subject: Subject


class MarkSheetImport(SheetImport):
    """Identity of a marks row, shared by secondary and primary sheets: the class must exist,
    the student must be in it this year, the name (when written) must be theirs, and the
    subject must be taught in the class's grade."""

    async def prepare(self) -> None:
        await self.ctx.load_enrolled()

    def identity_fields(self) -> tuple[Field, ...]:
        return (
            fields.number(),
            fields.school_class(title=True),
            fields.national_id(),
            fields.full_name(required=False),
            fields.subject(title=True),
        )

    def row_name(self, row: RowView) -> str | None:
        """The name written in the row, else the name of the student its ID is."""
        written = super().row_name(row)
        if written:
            return written
        try:
            enrolled = self.ctx.enrolled.get(fields.parse_national_id_cell(row.raw("national_id")))
        except InvalidValue:
            return None
        return enrolled.full_name if enrolled else None

    def row_subject(self, row: RowView) -> RowSubject | None:
        school_class = row.get(
            "class",
            self.ctx.existing_class,
            required=True,
            expected=_("một lớp đã có trong năm học; nhập danh sách học sinh trước"),
        )
        national_id = row.get("national_id", fields.parse_national_id_cell, required=True)
        subject = row.get(
            "subject",
            self.ctx.subject,
            required=True,
            expected=self.ctx.subject_expected,
        )
        if not (school_class and national_id):
            return None
        enrolled = self.ctx.enrolled.get(national_id)
        if enrolled is None:
            row.problem(
                "national_id",
                _("Không có học sinh mã định danh {id} trong năm học {year}").format(
                    id=national_id, year=self.ctx.year.name
                ),
                _("mã định danh của một học sinh lớp {name}").format(name=school_class.name),
            )
            return None
        if enrolled.class_id != school_class.id:
            row.problem(
                "national_id",
                _("Học sinh mã định danh {id} học lớp {actual}, không phải lớp {name}").format(
                    id=national_id,
                    actual=self.ctx.classes_by_id[enrolled.class_id].name,
                    name=school_class.name,
                ),
                _("chỉ học sinh của lớp {name} trong bảng điểm lớp {name}").format(
                    name=school_class.name
                ),
            )
            return None
        row.check_name(
            "full_name", enrolled.full_name, _("học sinh mã {id}").format(id=national_id)
        )
        if subject is None:
            return None
        row.verify(
            "subject",
            partial(self.ctx.ensure_taught, subject, school_class.grade),
            _("một môn dạy ở khối {grade}").format(grade=school_class.grade),
        )
        return RowSubject(school_class, enrolled.student_id, subject) if row.ok else None

    def first_time(self, row: RowView, key: tuple[object, ...], what: str) -> bool:
        """One row per student × subject (× term): a second one is a copy or a shifted ID."""
        return self.duplicates.first_time(
            key,
            row,
            "national_id",
            what,
            _("mỗi học sinh một dòng cho mỗi môn, mỗi học kỳ; xóa dòng thừa"),
        )


def _mark_columns() -> list[tuple[str, MarkKind, int, tuple[str, ...]]]:
    """(field key, kind, index, header spellings) of the mark columns, TX1..TX4, GK, CK."""
    columns = [
        (
            f"tx{i}",
            MarkKind.REGULAR,
            i,
            tuple(
                f"{name} {i}"
                for name in (
                    "TX",
                    "ĐĐGtx",
                    "Điểm TX",
                    "Điểm ĐĐGtx",
                    "ĐGTX",
                    "KTTX",
                    "Thường xuyên",
                    "ĐĐG thường xuyên",
                    "Điểm thường xuyên",
                    "Kiểm tra thường xuyên",
                )
            ),
        )
        for i in range(1, MAX_REGULAR + 1)
    ]
    columns.append(
        (
            "gk",
            MarkKind.MIDTERM,
            1,
            ("GK", "ĐĐGgk", "Giữa kỳ", "Điểm GK", "Điểm giữa kỳ", "ĐĐG giữa kỳ", "KTGK", "ĐGGK"),
        )
    )
    columns.append(
        (
            "ck",
            MarkKind.FINAL,
            1,
            ("CK", "ĐĐGck", "Cuối kỳ", "Điểm CK", "Điểm cuối kỳ", "ĐĐG cuối kỳ", "KTCK", "ĐGCK"),
        )
    )
    return columns


class SecondaryMarkImport(MarkSheetImport):
    kind = "marks"

    def __init__(self, ctx: ImportContext):
        super().__init__(ctx)
        self.entries: list[MarkEntry] = []
        self.columns = _mark_columns()
        self.expected: dict[tuple[int, int], str] = {}  # by subject and grade, built once

    def fields(self) -> tuple[Field, ...]:
        return (
            *self.identity_fields(),
            Field(
                "term",
                _("Học kỳ"),
                ("Học kỳ", "HK", "Kỳ"),
                _("I hoặc II (cũng nhận 1, 2, HK1, HKII)"),
                required=True,
                title_labels=("hoc ky", "hoc ki", "hk"),
            ),
            *(
                Field(key, aliases[0].replace(" ", ""), aliases, signature=True)
                for key, _kind, _index, aliases in self.columns
            ),
        )

    @staticmethod
    def _expected(subject: Subject, grade: int) -> str:
        count = regular_mark_count(subject.yearly_periods(grade))
        if subject.assessment == Assessment.COMMENT:
            text = _("Đ (Đạt) hoặc CĐ (Chưa đạt); môn {subject} khối {grade} có cột TX1–TX{n}")
        else:
            text = _(
                "điểm từ 0 đến 10, số nguyên hoặc một chữ số thập phân; "
                "môn {subject} khối {grade} có cột TX1–TX{n}"
            )
        return text.format(subject=subject.name, grade=grade, n=count) + _(", GK, CK")

    def check(self, row: RowView) -> None:
        found = self.row_subject(row)
        term = row.get("term", self.ctx.term, required=True)
        if found is None or term is None:
            return
        grade = found.school_class.grade
        expected = self.expected.get((found.subject.id, grade))
        if expected is None:
            expected = self.expected[found.subject.id, grade] = self._expected(found.subject, grade)
        values = {}
        for key, kind, index, _aliases in self.columns:
            parse = partial(validate_mark, found.subject, grade, kind, index)
            value = row.get(key, parse, expected=expected)
            if value is not None:
                values[kind, index] = value
        if not values or not self.first_time(
            row,
            (found.student_id, found.subject.id, term.id),
            _("Điểm môn {subject} học kỳ {term} của học sinh này").format(
                subject=found.subject.name, term="I" if term.number == 1 else "II"
            ),
        ):
            return
        if row.ok:
            self.entries.extend(
                MarkEntry(found.student_id, found.school_class, found.subject, term, k, i, v)
                for (k, i), v in values.items()
            )

    async def write(self) -> dict[str, Written]:
        return {"marks": await write_marks(self.ctx.actor, self.entries)}
