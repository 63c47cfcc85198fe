"""Primary assessments (Thông tư 27): a level (T/H/C) and, where the subject has a periodic test
at that point, a whole-number score, at mid and end of each term.

One row is a student × subject; its columns are the four assessment points ("Mức GHK1",
"Điểm CHK1", ...). A blank cell is "not entered": when a file gives only the level of a point
(or only the score), the stored other half is kept.

A row may carry the subject teacher's comment of a term too ("Nhận xét", Thông tư 27 Điều 6),
the term then read from a "Học kỳ: I" line above the header (the bot's template has one) or a
"Học kỳ" column: the points say which term a level belongs to, a comment has no point.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial

from core.errors import InvalidValue
from core.i18n import _
from core.importing import fields
from core.importing.context import ImportContext
from core.importing.headers import Field, cell_text
from core.importing.marks import MarkSheetImport
from core.importing.reader import Cell
from core.importing.rows import RowView
from core.models import PrimaryAssessment, Subject, Term
from core.rules.primary import SubjectLevel, TestPoint, parse_periodic_score, periodic_tests
from core.services.gradebook import PrimaryEntry, write_primary
from core.services.upsert import Written

# How schools name the points in headers; the level column may carry "Mức" or nothing.
_POINT_NAMES: dict[TestPoint, tuple[str, ...]] = {
    TestPoint.MID_1: ("GHK1", "GHKI", "Giữa học kỳ I", "Giữa học kỳ 1", "Giữa kỳ I", "Giữa kỳ 1"),
    TestPoint.END_1: ("CHK1", "CHKI", "Cuối học kỳ I", "Cuối học kỳ 1", "Cuối kỳ I", "Cuối kỳ 1"),
    TestPoint.MID_2: (
        "GHK2",
        "GHKII",
        "Giữa học kỳ II",
        "Giữa học kỳ 2",
        "Giữa kỳ II",
        "Giữa kỳ 2",
    ),
    TestPoint.END_YEAR: ("CN", "Cuối năm", "Cuối năm học", "CHK2", "CHKII", "Cuối học kỳ II"),
}
# TT27: mid and end of term I belong to term I, the others to term II.
_TERM_OF = {TestPoint.MID_1: 1, TestPoint.END_1: 1, TestPoint.MID_2: 2, TestPoint.END_YEAR: 2}
_CHUNK = 500


def _level(raw: Cell) -> SubjectLevel:
    return SubjectLevel.parse(cell_text(raw))


def _score(subject: Subject, grade: int, point: TestPoint, raw: Cell) -> int:
    if point not in periodic_tests(grade, subject.code):
        raise InvalidValue(
            _("Môn {subject} khối {grade} không có bài kiểm tra định kì {point}").format(
                subject=subject.name, grade=grade, point=point.label[:1].lower() + point.label[1:]
            )
        )
    return parse_periodic_score(raw)  # type: ignore[arg-type]


class PrimaryMarkImport(MarkSheetImport):
    kind = "marks"

    def __init__(self, ctx: ImportContext):
        super().__init__(ctx)
        self.entries: list[PrimaryEntry] = []

    def fields(self) -> tuple[Field, ...]:
        point_fields = []
        for point, names in _POINT_NAMES.items():
            point_fields.append(
                Field(
                    f"level_{point}",
                    _("Mức {point}").format(point=names[0]),
                    (*(f"Mức {n}" for n in names), *names, *(f"Mức đạt được {n}" for n in names)),
                    _("T, H hoặc C (Hoàn thành tốt, Hoàn thành, Chưa hoàn thành)"),
                    signature=True,
                )
            )
            point_fields.append(
                Field(
                    f"score_{point}",
                    _("Điểm {point}").format(point=names[0]),
                    tuple(
                        f"{prefix} {n}"
                        for prefix in ("Điểm", "KTĐK", "Điểm KTĐK", "Điểm KT", "Điểm kiểm tra")
                        for n in names
                    ),
                    signature=True,
                )
            )
        # the term is only needed by a comment, so a file without one is read as before
        term = replace(fields.term(title=True), required=False)
        return (*self.identity_fields(), term, *point_fields)

    def check(self, row: RowView) -> None:
        found = self.row_subject(row)
        if found is None:
            return
        grade = found.school_class.grade
        tests = periodic_tests(grade, found.subject.code)
        expected = (
            _("số nguyên từ 1 đến 10 ở các cột: {points}").format(
                points=", ".join(p.label for p in tests)
            )
            if tests
            else _("để trống: môn {subject} không có bài kiểm tra định kì").format(
                subject=found.subject.name
            )
        )
        values = {}
        for point in TestPoint:
            level = row.get(f"level_{point}", _level)
            score = row.get(
                f"score_{point}",
                partial(_score, found.subject, grade, point),
                expected=expected,
            )
            if level is not None or score is not None:
                values[point] = (level, score)
        comment = self.comment(row)
        term = self._comment_term(row) if comment else None
        # a row with only a comment is a row too (and a second one for the subject a copy)
        if not (values or row.filled("comment")) or not self.first_time(
            row,
            (found.student_id, found.subject.id),
            _("Đánh giá môn {subject} của học sinh này").format(subject=found.subject.name),
        ):
            return
        if row.ok:
            self.entries.extend(
                PrimaryEntry(
                    found.student_id,
                    found.school_class,
                    found.subject,
                    self.ctx.terms[_TERM_OF[point]],
                    point,
                    level,
                    score,
                )
                for point, (level, score) in values.items()
            )
            if term is not None:
                self.keep_comment(found, term, comment)

    def _comment_term(self, row: RowView) -> Term | None:
        """The term a row's comment is of; without one the comment is refused, not guessed."""
        term = row.get("term", self.ctx.term, memo=self.ctx.memo("term"))
        if term is None and row.ok:
            row.problem(
                "comment",
                _("Không rõ nhận xét này là của học kỳ nào"),
                _("một dòng «Học kỳ: I» (hoặc II) phía trên dòng tiêu đề, hoặc một cột «Học kỳ»"),
            )
        return term

    async def _with_stored_halves(self) -> list[PrimaryEntry]:
        """Entries whose blank level or score is filled from what is stored, so a file that
        gives only one of them does not erase the other."""
        student_ids = sorted({e.student_id for e in self.entries})
        stored: dict[tuple[int, int, str], tuple[str | None, int | None]] = {}
        for start in range(0, len(student_ids), _CHUNK):
            rows = await PrimaryAssessment.filter(
                student_id__in=student_ids[start : start + _CHUNK]
            ).values_list("student_id", "subject_id", "point", "level", "score")
            stored.update({(s, j, str(p)): (lv, sc) for s, j, p, lv, sc in rows})
        merged = []
        for e in self.entries:
            level, score = stored.get((e.student_id, e.subject.id, str(e.point)), (None, None))
            merged.append(
                PrimaryEntry(
                    e.student_id,
                    e.school_class,
                    e.subject,
                    e.term,
                    e.point,
                    e.level if e.level is not None else (SubjectLevel(level) if level else None),
                    e.score if e.score is not None else score,
                )
            )
        return merged

    async def write(self) -> dict[str, Written]:
        written: dict[str, Written] = {}
        if self.entries or not self.comments:
            written["primary"] = await write_primary(
                self.ctx.actor, await self._with_stored_halves()
            )
        return await self.write_comments(written)
