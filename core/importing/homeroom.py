"""The homeroom teacher's sheet read back: conduct, days absent, comments, and in primary school
the qualities and competencies, per student of a class and term.

One file serves every kind: the sheet the bot sends the homeroom teacher (`hocba template
homeroom`) holds all of them, and `hocba import homeroom FILE` (or the bot) writes every column
it has; `hocba import conduct|absences|qualities|comments FILE` takes the same file, or a
school's own export with a Lớp and a Học kỳ column, and writes only that kind (the other columns
are named as left out). A blank cell is "not entered" and never erases anything.

Checked like the grade sheet, all or nothing: the class must be one the sender is the homeroom
teacher of (or the sender an admin), each row a student of that class, the term begun; conduct
only in secondary school and only for the sheet's term, qualities only in primary school.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from core import formatting
from core.errors import InvalidValue, PermissionDenied
from core.formatting import roman
from core.i18n import _
from core.importing import fields
from core.importing.base import SheetImport
from core.importing.context import ImportContext
from core.importing.enrolled import ClassStudent, class_student, row_name
from core.importing.headers import Field, cell_text
from core.importing.homeroom_fields import (
    QUALITY_CODES,
    TERM_POINT,
    absence_fields,
    comment_field,
    conduct_fields,
    quality_fields,
)
from core.importing.reader import Cell
from core.importing.rows import Location, RowView
from core.models import Absence, SchoolClass, Term
from core.rules import homeroom as rules
from core.rules.catalog import SchoolLevel
from core.rules.primary import QualityLevel
from core.rules.secondary import Level
from core.services.access import ensure_can_write_class
from core.services.gradebook import (
    AbsenceEntry,
    CommentEntry,
    ConductEntry,
    QualityEntry,
    write_absences,
    write_comments,
    write_conducts,
    write_qualities,
)
from core.services.upsert import Written

# What each kind of import writes from the homeroom sheet; "homeroom" writes all of it.
PARTS: dict[str, tuple[str, ...]] = {
    "homeroom": ("conduct", "absences", "qualities", "comments"),
    "conduct": ("conduct",),
    "absences": ("absences",),
    "qualities": ("qualities",),
    "comments": ("comments",),
}


# The fields of each part, as `homeroom_fields` keys them.
_PART_FIELDS: dict[str, tuple[str, ...]] = {
    "conduct": ("conduct", "conduct_1", "conduct_2", "conduct_year"),
    "absences": ("excused", "unexcused"),
    "qualities": tuple(f"quality_{code}" for code in QUALITY_CODES),
    "comments": ("comment",),
}


@dataclass
class _Absent:
    """Days absent given in a row; a blank half keeps the stored one."""

    entry: ClassStudent
    term: Term
    excused: int | None
    unexcused: int | None
    where: Location


@dataclass
class _Entries:
    conducts: list[ConductEntry] = field(default_factory=list)
    absences: list[_Absent] = field(default_factory=list)
    qualities: list[QualityEntry] = field(default_factory=list)
    comments: list[CommentEntry] = field(default_factory=list)


class HomeroomImport(SheetImport):
    """Every kind of the homeroom teacher's data; `kind` picks which parts are written."""

    def __init__(self, ctx: ImportContext, kind: str = "homeroom"):
        super().__init__(ctx)
        self.kind = kind
        self.parts = PARTS[kind]
        self.primary = ctx.level is SchoolLevel.PRIMARY
        self.entries = _Entries()
        self.classes: dict[int, tuple[SchoolClass, Location]] = {}
        self._days: dict[int, int] = {}  # each term's school days, the most days absent
        self.absences: list[AbsenceEntry] = []  # the rows' days with the stored halves

    def authorize(self) -> None:
        """A kind the school's level does not have is refused before the file is read."""
        if self.kind == "conduct" and self.primary:
            raise InvalidValue(
                _(
                    "Trường tiểu học không xếp loại rèn luyện (Thông tư 27 đánh giá phẩm chất, "
                    "năng lực): nhập tệp này bằng «qualities» hoặc «homeroom»."
                )
            )
        if self.kind == "qualities" and not self.primary:
            raise InvalidValue(
                _(
                    "Trường trung học không đánh giá từng phẩm chất, năng lực theo mức Tốt, Đạt, "
                    "Cần cố gắng (Thông tư 22 xếp loại rèn luyện): nhập bằng «conduct»."
                )
            )

    async def prepare(self) -> None:
        await self.ctx.load_enrolled()

    def fields(self) -> tuple[Field, ...]:
        """Both levels' columns are recognised, so a conduct column in a primary school's file
        (or qualities in a secondary one) is refused by name rather than passed over."""
        found = [
            fields.number(),
            fields.school_class(title=True),
            fields.national_id(),
            fields.full_name(required=False),
            fields.term(title=True),
        ]
        if "conduct" in self.parts:
            found += conduct_fields()
        if "absences" in self.parts:
            found += absence_fields()
        if "qualities" in self.parts:
            found += quality_fields()
        if "comments" in self.parts:
            found.append(comment_field())
        # Recognised only to be refused (`_a_subject_sheet`): a grade sheet has a comment
        # column too, the subject teacher's, which is not the homeroom teacher's comment.
        found.append(replace(fields.subject(title=True), required=False))
        return tuple(found)

    @staticmethod
    def _a_subject_sheet(row: RowView) -> bool:
        """A row of a subject's grade sheet (a «Môn» line or column): refused, never read as
        the homeroom teacher's data."""
        if not (row.filled("subject") or "subject" in row.sheet.layout.titles):
            return False
        row.problem(
            "subject",
            _(
                "Đây là bảng điểm của một môn, không phải bảng chủ nhiệm: nhận xét trong đó là "
                "của giáo viên bộ môn"
            ),
            _("bảng điểm môn nhập bằng «hocba import marks TỆP» (hoặc gửi lại cho bot)"),
        )
        return True

    def row_name(self, row: RowView) -> str | None:
        return row_name(self.ctx, row)

    def check(self, row: RowView) -> None:
        if self._a_subject_sheet(row):
            return
        found = class_student(self.ctx, row, _("bảng chủ nhiệm"))
        term = row.get("term", self.ctx.term, required=True)
        if found is None or term is None:
            return
        self.classes.setdefault(found.school_class.id, (found.school_class, row.location("class")))
        given = self._given(row)
        if not given:
            return
        if self.ctx.today < term.starts:
            row.problem(
                "term",
                _("Học kỳ {term} chưa bắt đầu (bắt đầu ngày {day})").format(
                    term=roman(term.number), day=_day(term)
                ),
                _("bảng của học kỳ đã bắt đầu; gửi bảng học kỳ {term} từ ngày {day}").format(
                    term=roman(term.number), day=_day(term)
                ),
            )
            return
        if not self.duplicates.first_time(
            (found.enrolled.student_id, term.id),
            row,
            "national_id",
            _("Học sinh này"),
            _("mỗi học sinh một dòng cho mỗi học kỳ; xóa dòng thừa"),
        ):
            return
        read = {
            "conduct": self._conduct,
            "absences": self._absences,
            "qualities": self._qualities,
            "comments": self._comment,
        }
        for part in self.parts:
            if part in given:
                read[part](row, found, term)

    def _given(self, row: RowView) -> set[str]:
        """The parts this row fills in."""
        return {p for p in self.parts if any(row.filled(k) for k in _PART_FIELDS[p])}

    def _conduct(self, row: RowView, found: ClassStudent, term: Term) -> None:
        """The term's conduct, from its column or from a column naming the term; a primary
        student's is refused (core.rules.homeroom), as is a column of the other term or of the
        year."""
        if row.filled("conduct_year"):
            row.problem(
                "conduct_year",
                _(
                    "Rèn luyện cả năm không nhập: được tính từ rèn luyện hai học kỳ (Thông tư 22, "
                    "Điều 8)"
                ),
                _("để trống cột này; chỉ nhập rèn luyện của từng học kỳ"),
            )
        level = self._conduct_in(row, "conduct")
        for number in (1, 2):
            key = f"conduct_{number}"
            named = self._conduct_in(row, key)
            if named is None:
                continue
            if number != term.number:
                row.problem(
                    key,
                    _("Bảng này là của học kỳ {term}, cột này là rèn luyện học kỳ {other}").format(
                        term=roman(term.number), other=roman(number)
                    ),
                    _(
                        "rèn luyện học kỳ {term} trong bảng học kỳ {term}; rèn luyện học kỳ "
                        "{other} gửi trong bảng học kỳ {other}"
                    ).format(term=roman(term.number), other=roman(number)),
                )
            elif level is not None and level is not named:
                row.problem(
                    key,
                    _("Hai cột rèn luyện học kỳ {term} ghi hai mức khác nhau").format(
                        term=roman(term.number)
                    ),
                    _("một mức rèn luyện cho mỗi học kỳ"),
                )
            else:
                level = named
        if row.ok and level is not None:
            self.entries.conducts.append(
                ConductEntry(found.enrolled.student_id, found.school_class, term, level)
            )

    def _conduct_in(self, row: RowView, key: str) -> Level | None:
        return row.get(
            key,
            lambda raw: rules.parse_conduct(cell_text(raw), self.ctx.level),
            expected=_("để trống cột này; điền các cột phẩm chất, năng lực (T, Đ, C)")
            if self.primary
            else None,
        )

    def _absences(self, row: RowView, found: ClassStudent, term: Term) -> None:
        most = self._days.get(term.id)
        if most is None:
            most = self._days[term.id] = rules.school_days(term.starts, term.ends)

        def days(what: str) -> Callable[[Cell], int]:
            return lambda raw: rules.parse_days(raw, most=most, what=what)

        bound = _bound(term, most)
        excused = row.get("excused", days(_("nghỉ có phép")), expected=bound)
        unexcused = row.get("unexcused", days(_("nghỉ không phép")), expected=bound)
        if row.ok:
            key = "unexcused" if unexcused is not None else "excused"
            self.entries.absences.append(
                _Absent(found, term, excused, unexcused, row.location(key))
            )

    def _qualities(self, row: RowView, found: ClassStudent, term: Term) -> None:
        """Each quality's and competency's level at the term's end; a secondary student's are
        refused (core.rules.homeroom)."""
        expected = (
            None
            if self.primary
            else _("để trống cột này; điền cột «Rèn luyện» (Tốt, Khá, Đạt, Chưa đạt)")
        )
        levels: dict[str, QualityLevel | None] = {
            code: row.get(
                f"quality_{code}",
                lambda raw: rules.parse_quality(cell_text(raw), self.ctx.level),
                expected=expected,
            )
            for code in QUALITY_CODES
        }
        if row.ok:
            self.entries.qualities.extend(
                QualityEntry(
                    found.enrolled.student_id,
                    found.school_class,
                    term,
                    TERM_POINT[term.number],
                    code,
                    level,
                )
                for code, level in levels.items()
                if level is not None
            )

    def _comment(self, row: RowView, found: ClassStudent, term: Term) -> None:
        text = row.get("comment", fields.parse_comment)
        if text:
            self.entries.comments.append(
                CommentEntry(found.enrolled.student_id, found.school_class, term, text)
            )

    async def finish(self) -> None:
        """The sender must be the homeroom teacher of every class in the file (or an admin),
        and days absent, with the stored half where a row gave one, must fit the term."""
        mine: list[str] | None = None
        for school_class, where in self.classes.values():
            try:
                await ensure_can_write_class(self.ctx.actor, school_class)
            except PermissionDenied as refused:
                if mine is None:
                    mine = self._homerooms()
                self.problems.append(where.problem(str(refused).rstrip(". "), _expected(mine)))
        if self.entries.absences:
            await self._merge_absences()

    def _homerooms(self) -> list[str]:
        staff_id = self.ctx.actor.staff_id
        return sorted(c.name for c in self.ctx.classes.values() if c.homeroom_id == staff_id)

    async def _merge_absences(self) -> None:
        given = self.entries.absences
        stored = {
            (a.student_id, a.term_id): a
            for a in await Absence.filter(
                student_id__in=sorted({g.entry.enrolled.student_id for g in given}),
                term_id__in=sorted({g.term.id for g in given}),
            )
        }
        for g in given:
            old = stored.get((g.entry.enrolled.student_id, g.term.id))
            excused = g.excused if g.excused is not None else (old.excused if old else 0)
            unexcused = g.unexcused if g.unexcused is not None else (old.unexcused if old else 0)
            try:
                rules.check_absences(excused, unexcused, most=self._days[g.term.id])
            except InvalidValue as refused:
                self.problems.append(
                    g.where.problem(
                        str(refused).rstrip(". "), _bound(g.term, self._days[g.term.id])
                    )
                )
                continue
            self.absences.append(
                AbsenceEntry(
                    g.entry.enrolled.student_id, g.entry.school_class, g.term, excused, unexcused
                )
            )

    async def write(self) -> dict[str, Written]:
        written: dict[str, Written] = {}
        if self.entries.conducts:
            written["conducts"] = await write_conducts(self.ctx.actor, self.entries.conducts)
        if self.entries.absences:
            written["absences"] = await write_absences(self.ctx.actor, self.absences)
        if self.entries.qualities:
            written["qualities"] = await write_qualities(self.ctx.actor, self.entries.qualities)
        if self.entries.comments:
            written["comments"] = await write_comments(self.ctx.actor, self.entries.comments)
        return written


def _bound(term: Term, most: int) -> str:
    """Where the most days absent comes from, for the teacher to check it."""
    return _(
        "số ngày nghỉ trong học kỳ {term}, cả có phép và không phép cộng lại không quá {most} "
        "ngày học (thứ Hai đến thứ Bảy, từ {first} đến {last})"
    ).format(
        term=roman(term.number),
        most=most,
        first=formatting.numeric_date(term.starts),
        last=formatting.numeric_date(term.ends),
    )


def _day(term: Term) -> str:
    return formatting.numeric_date(term.starts)


def _expected(mine: list[str]) -> str:
    if not mine:
        return _(
            "bảng chủ nhiệm của lớp thầy cô chủ nhiệm; lớp khác do giáo viên chủ nhiệm lớp đó gửi"
        )
    return _("bảng chủ nhiệm của lớp thầy cô chủ nhiệm: {classes}").format(classes=", ".join(mine))
