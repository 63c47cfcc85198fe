"""Secondary marks (Thông tư 22): ĐĐGtx, the learning-topic result (CĐHT, upper secondary),
ĐĐGgk, ĐĐGck per student × subject × term.

Two layouts are read the same way: a long sheet with Lớp, Môn and Học kỳ columns, and the
per-class-subject template the bot sends a teacher, where "Lớp: 6A", "Môn: Toán", "Học kỳ: I"
are written once above the header. A blank cell means "not entered": it never erases a mark.
`MarkSheetImport` holds what both school levels share: finding the student a row is about, and
the subject teacher's comment of the term (an optional "Nhận xét" column, Thông tư 22 Điều 4,
Thông tư 27 Điều 6), written as that subject's in the same import as the marks, with the same
rights (write_comments checks them with the subject, as write_marks does).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from core.errors import InvalidValue
from core.i18n import _
from core.importing import fields
from core.importing.base import SheetImport
from core.importing.context import ImportContext
from core.importing.enrolled import enrolled_in, read_identity, row_name
from core.importing.headers import Field
from core.importing.reader import Cell
from core.importing.rows import Memo, RowView
from core.models import MarkKind, SchoolClass, Subject, Term
from core.rules.catalog import Assessment
from core.rules.secondary import MAX_REGULAR_ASSESSMENTS
from core.services.gradebook import (
    TOPIC_COLUMN,
    CommentEntry,
    MarkEntry,
    MarkValue,
    entry_columns,
    mark_column,
    validate_mark,
    write_comments,
    write_marks,
)
from core.services.upsert import Written


@dataclass(frozen=True)
class _ColumnReader:
    field: str
    kind: MarkKind
    index: int
    parse: Callable[[Cell], MarkValue]
    expected: str
    memo: Memo


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

    def __init__(self, ctx: ImportContext):
        super().__init__(ctx)
        self._taught: dict[tuple[int, int], str | None] = {}
        self.comments: list[CommentEntry] = []

    async def prepare(self) -> None:
        await self.ctx.load_enrolled()

    def identity_fields(self) -> tuple[Field, ...]:
        return (
            fields.number(),
            fields.school_class(title=True),
            fields.national_id(),
            fields.full_name(required=False),
            fields.subject(title=True),
            fields.subject_comment(),
        )

    def row_name(self, row: RowView) -> str | None:
        """The name written in the row, else the name of the student its ID is."""
        return row_name(self.ctx, row)

    def row_subject(self, row: RowView) -> RowSubject | None:
        school_class, national_id = read_identity(self.ctx, row)
        subject = row.get(
            "subject",
            self.ctx.subject,
            required=True,
            expected=self.ctx.subject_expected,
            memo=self.ctx.memo("subject"),
        )
        if not (school_class and national_id):
            return None
        enrolled = enrolled_in(self.ctx, row, school_class, national_id, lambda: _("bảng điểm"))
        if enrolled is None:
            return None
        if subject is None:
            return None
        refused = self._not_taught(subject, school_class.grade)
        if refused:
            row.problem(
                "subject", refused, _("một môn dạy ở khối {grade}").format(grade=school_class.grade)
            )
        return RowSubject(school_class, enrolled.student_id, subject) if row.ok else None

    def _not_taught(self, subject: Subject, grade: int) -> str | None:
        """Why the subject is not taught in the grade, or None; asked once per pair."""
        key = (subject.id, grade)
        if key not in self._taught:
            try:
                self.ctx.ensure_taught(subject, grade)
                self._taught[key] = None
            except InvalidValue as error:
                self._taught[key] = str(error).rstrip(". ")
        return self._taught[key]

    def comment(self, row: RowView) -> str | None:
        """The row's comment, checked as every comment cell is (fields.parse_comment); None
        when blank: a blank cell is "not entered" and never erases the stored comment."""
        return row.get("comment", fields.parse_comment)

    def keep_comment(self, found: RowSubject, term: Term, text: str | None) -> None:
        """The comment of a valid row, to be written as its subject's comment of the term."""
        if text:
            self.comments.append(
                CommentEntry(found.student_id, found.school_class, term, text, found.subject)
            )

    async def write_comments(self, written: dict[str, Written]) -> dict[str, Written]:
        """`written` with the comments, when the file had any: written after the marks, in the
        same transaction, so a refusal of either leaves nothing."""
        if self.comments:
            written["comments"] = await write_comments(self.ctx.actor, self.comments)
        return written

    def first_time(
        self, row: RowView, key: tuple[object, ...], what: str | Callable[[], str]
    ) -> bool:
        """One row per student × subject (× term): a second one is a copy or a shifted ID."""
        return self.duplicates.first_time(
            key,
            row,
            "national_id",
            what,
            lambda: _("mỗi học sinh một dòng cho mỗi môn, mỗi học kỳ; xóa dòng thừa"),
        )


def _mark_columns() -> list[tuple[str, MarkKind, int, tuple[str, ...]]]:
    """(field key, kind, index, header spellings) of the mark columns, TX1..TX4, CĐHT, GK, CK.

    Every column a subject may have in some grade is read; `validate_mark` then refuses a value
    in a column the row's subject does not have in its grade (TX3 of a comment-only subject,
    CĐHT in lower secondary). "CĐ" alone is never a header of the topic column: it is the
    Chưa đạt verdict.
    """
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
        for i in range(1, MAX_REGULAR_ASSESSMENTS + 1)
    ]
    columns.append(
        (
            "cdht",
            MarkKind.TOPIC,
            1,
            (
                TOPIC_COLUMN,
                "Chuyên đề",
                "Chuyên đề học tập",
                "Cụm chuyên đề",
                "Cụm chuyên đề học tập",
                "CĐ học tập",
                "Điểm chuyên đề",
                "Điểm CĐHT",
                "ĐĐG chuyên đề",
                "ĐĐG cụm chuyên đề",
                "ĐĐG cụm chuyên đề học tập",
                "TX chuyên đề",
                "TXCĐ",
            ),
        )
    )
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
        self.readers: dict[tuple[int, int], list[_ColumnReader]] = {}  # by subject and grade

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
        """What a mark cell of this subject and grade may hold, with the columns it has."""
        names = [mark_column(kind, index) for kind, index in entry_columns(subject, grade)]
        if subject.assessment == Assessment.COMMENT:
            text = _("Đ (Đạt) hoặc CĐ (Chưa đạt); môn {subject} khối {grade} có cột {columns}")
        else:
            text = _(
                "điểm từ 0 đến 10, số nguyên hoặc một chữ số thập phân; "
                "môn {subject} khối {grade} có cột {columns}"
            )
        return text.format(subject=subject.name, grade=grade, columns=", ".join(names))

    def _readers(self, subject: Subject, grade: int) -> list[_ColumnReader]:
        """How each mark column of this subject and grade is read, built once per pair: the
        rules' validator, what a cell there may hold, and the memo of its parsed cells."""
        key = (subject.id, grade)
        if key not in self.readers:
            expected = self._expected(subject, grade)
            self.readers[key] = [
                _ColumnReader(
                    field,
                    kind,
                    index,
                    partial(validate_mark, subject, grade, kind, index),
                    expected,
                    {},
                )
                for field, kind, index, _aliases in self.columns
            ]
        return self.readers[key]

    def check(self, row: RowView) -> None:
        found = self.row_subject(row)
        term = row.get("term", self.ctx.term, required=True, memo=self.ctx.memo("term"))
        if found is None or term is None:
            return
        values = {}
        for reader in self._readers(found.subject, found.school_class.grade):
            value = row.get(reader.field, reader.parse, expected=reader.expected, memo=reader.memo)
            if value is not None:
                values[reader.kind, reader.index] = value
        comment = self.comment(row)
        subject = found.subject
        # a row with only a comment is a row too (and a second one for the same cell a copy)
        if not (values or row.filled("comment")) or not self.first_time(
            row,
            (found.student_id, subject.id, term.id),
            lambda: _("Điểm môn {subject} học kỳ {term} của học sinh này").format(
                subject=subject.name, term="I" if term.number == 1 else "II"
            ),
        ):
            return
        if row.ok:
            self.entries.extend(
                MarkEntry(found.student_id, found.school_class, found.subject, term, k, i, v)
                for (k, i), v in values.items()
            )
            self.keep_comment(found, term, comment)

    async def write(self) -> dict[str, Written]:
        written: dict[str, Written] = {}
        if self.entries or not self.comments:
            written["marks"] = await write_marks(self.ctx.actor, self.entries)
        return await self.write_comments(written)
