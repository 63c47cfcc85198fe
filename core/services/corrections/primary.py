"""A primary subject's cells as a correction names them: the level at each assessment point of
the term and, where the subject has a periodic test there, the test's score.

TT27 Điều 7, khoản 1: at mid and end of each term a subject or activity is Hoàn thành tốt /
Hoàn thành / Chưa hoàn thành (codes T/H/C), and the subjects with a periodic test have it
scored as a whole number (end of term I and end of year; grades 4–5 also mid-term in Tiếng
Việt and Toán: `core.rules.primary.periodic_tests`). The subject teacher asks to correct them
through the same witnessed flow as a secondary teacher's marks (000 Điều 8: "GVCN hoặc GVBM
lập phiếu đề nghị sửa dữ liệu"); only the teacher assigned to the subject in the class does
(checked where the sheet is loaded, core.services.corrections.cells).

A cell is (CellKind.LEVEL or CellKind.SCORE, n), n the assessment point's number in
TestPoint (1 giữa học kì I, 2 cuối học kì I, 3 giữa học kì II, 4 cuối năm học), so a request
of term I holding both the mid-term and the end-of-term level keeps its cells apart. Columns
are labelled as the teacher's grade sheet heads them («Mức CHK1», «Điểm CHK1»:
core.services.progress), values kept as the record book writes them ("T", "9"). One row of
PrimaryAssessment holds a point's level and score together: writing one keeps the other.
"""

from __future__ import annotations

from core import formatting
from core.errors import InvalidValue
from core.i18n import _
from core.models import CellKind, PrimaryAssessment, SchoolClass, Subject, Term
from core.rules.homeroom import quoted
from core.rules.primary import SubjectLevel, TestPoint, parse_periodic_score, periodic_tests
from core.services import gradebook
from core.services.access import Actor
from core.services.calendar import POINT_TERM
from core.services.progress import level_column, score_column

Column = tuple[CellKind, int]
POINTS = tuple(TestPoint)  # a cell's index is its point's place here, from 1


def point_of(index: int) -> TestPoint:
    if not 1 <= index <= len(POINTS):
        raise InvalidValue(_("Không có thời điểm đánh giá số {n}.").format(n=index))
    return POINTS[index - 1]


def index_of(point: TestPoint) -> int:
    return POINTS.index(point) + 1


def term_points(term: int) -> list[TestPoint]:
    """The assessment points of a term, in order (TT27 Điều 7: mid and end of each term)."""
    return [point for point in POINTS if POINT_TERM[point] == term]


def columns(subject: Subject, grade: int, term: int) -> list[Column]:
    """The cells of a student's term in a primary subject, in the grade sheet's order: each
    point's level, then its score where the subject has a periodic test at that point
    (TT27 Điều 7, khoản 1)."""
    tested = periodic_tests(grade, subject.code)
    out: list[Column] = []
    for point in term_points(term):
        out.append((CellKind.LEVEL, index_of(point)))
        if point in tested:
            out.append((CellKind.SCORE, index_of(point)))
    return out


def label(kind: CellKind, index: int) -> str:
    """The cell as a button, a card and the grade sheet name it: «Mức CHK1», «Điểm CN»."""
    point = point_of(index)
    return level_column(point) if kind is CellKind.LEVEL else score_column(point)


def _when(point: TestPoint) -> str:
    """«cuối học kì I»: the point's label, to follow another word."""
    text = point.label
    return text[:1].lower() + text[1:]


def words(kind: CellKind, index: int) -> str:
    """The cell in words, as the minutes and /lichsu name it (the subject is said beside it):
    «Mức đạt được cuối học kì I», «Điểm kiểm tra định kì cuối năm học»."""
    when = _when(point_of(index))
    if kind is CellKind.LEVEL:
        return _("Mức đạt được {point}").format(point=when)
    return _("Điểm kiểm tra định kì {point}").format(point=when)


def hint(kind: CellKind) -> str:
    """What may be typed into the cell."""
    if kind is CellKind.LEVEL:
        return _("T, H hoặc C: Hoàn thành tốt, Hoàn thành hoặc Chưa hoàn thành")
    return _("số nguyên từ 1 đến 10")


def target(kind: CellKind, index: int, student_id: int, subject_id: int) -> str:
    """The gradebook's audit target of the cell (what write_primary records and a lock opens);
    the level and the score of a point are one row, so one target."""
    return f"primary:{student_id}:{subject_id}:{point_of(index).value}"


def shown(kind: CellKind, value: str) -> str:
    """A stored value as people read it: Hoàn thành tốt, 9."""
    if kind is CellKind.LEVEL:
        return SubjectLevel.label_of(value)
    return formatting.integer(int(value))


def no_column(
    school_class: SchoolClass, subject: Subject, term: Term, kind: CellKind, index: int
) -> InvalidValue:
    """Why (kind, index) is none of the term's cells: a score where the subject has no
    periodic test at that point (TT27 Điều 7, khoản 1), or a column of another term or
    sheet (a stale or forged button)."""
    points = term_points(term.number)
    if kind is CellKind.SCORE and 1 <= index <= len(POINTS) and point_of(index) in points:
        return InvalidValue(
            _(
                "Môn {subject} khối {grade} không có bài kiểm tra định kì {point} (Thông tư 27 "
                "Điều 7): không có điểm để sửa. Hãy chọn cột Mức của thời điểm này."
            ).format(subject=subject.name, grade=school_class.grade, point=_when(point_of(index)))
        )
    return InvalidValue(
        _(
            "Môn {subject} lớp {klass} học kỳ {term} không có cột này. Bấm một cột trong danh "
            "sách: {columns}."
        ).format(
            subject=subject.name,
            klass=school_class.name,
            term=formatting.roman(term.number),
            columns=", ".join(label(*c) for c in columns(subject, school_class.grade, term.number)),
        )
    )


def check_value(kind: CellKind, raw: str) -> str:
    """A new value, by the rules of entry, as stored.

    A level is T, H or C, or the words (Hoàn thành tốt, Hoàn thành, Chưa hoàn thành), or
    their initials, accents optional: `SubjectLevel.parse`, as the grade sheet's import reads
    it (TT27 Điều 7, khoản 1). A score is a whole number from 1 to 10: no 0, no decimals
    (`parse_periodic_score`, TT27 Điều 7, khoản 1)."""
    if kind is CellKind.LEVEL:
        try:
            return SubjectLevel.parse(raw).value
        except InvalidValue:
            raise InvalidValue(
                _(
                    "Mức đạt được «{value}» không hợp lệ: tiểu học chỉ có ba mức (Thông tư 27 "
                    "Điều 7). Gõ T (Hoàn thành tốt), H (Hoàn thành) hoặc C (Chưa hoàn thành)."
                ).format(value=quoted(raw))
            ) from None
    try:
        return str(parse_periodic_score(raw))
    except InvalidValue as refused:
        raise InvalidValue(
            _("{refusal} Gõ lại một số nguyên từ 1 đến 10, ví dụ 9.").format(refusal=refused)
        ) from None


async def read_values(
    student_id: int, subject: Subject, grade: int, term: int
) -> dict[Column, str | None]:
    """Every current value of the student's term in the subject, in one query (an empty
    cell is None)."""
    points = term_points(term)
    found: dict[Column, str | None] = {}
    for point, level, score in await PrimaryAssessment.filter(
        student_id=student_id, subject_id=subject.id, point__in=[p.value for p in points]
    ).values_list("point", "level", "score"):
        index = index_of(TestPoint(point))
        found[CellKind.LEVEL, index] = None if level is None else SubjectLevel(level).value
        found[CellKind.SCORE, index] = None if score is None else str(score)
    return {column: found.get(column) for column in columns(subject, grade, term)}


async def write_value(
    actor: Actor,
    kind: CellKind,
    index: int,
    value: str,
    *,
    student_id: int,
    school_class: SchoolClass,
    subject: Subject,
    term: Term,
) -> None:
    """Write one checked value through the gradebook (rights, the lock check and the audit
    are its). The point's row is read again here, in the caller's transaction, so the level
    and the score that are not corrected stay as they are."""
    point = point_of(index)
    stored = await PrimaryAssessment.get_or_none(
        student_id=student_id, subject_id=subject.id, point=point
    )
    level = SubjectLevel(stored.level) if stored and stored.level else None
    score = stored.score if stored else None
    if kind is CellKind.LEVEL:
        level = SubjectLevel(value)
    else:
        score = int(value)
    entry = gradebook.PrimaryEntry(student_id, school_class, subject, term, point, level, score)
    await gradebook.write_primary(actor, [entry])
