"""The homeroom teacher's cells as a correction names them: a student's conduct of a term
(secondary school), the days absent in it with and without permission, and, in primary school,
the level of each quality and competency at the end of the term.

000 Điều 8: "GVCN hoặc GVBM lập phiếu đề nghị sửa dữ liệu": the homeroom teacher asks to
correct their own data through the same witnessed flow as a subject teacher's marks, and only
they do (the data is theirs: conduct, TT22 Điều 8; qualities and competencies, TT27 Điều 6;
days absent, 001 Điều 34.1 and 34.4). 001 Điều 17.3 has the homeroom teacher watch over the
change; as the requester they are among its witnesses.

A cell is (CellKind, index): conduct and both absence counts have index 1; a quality or
competency its number in the programme's list (`QUALITY_CODES`, from 1), its code being what
the request stores. Values are kept as the record book writes them (the codes of Level and
QualityLevel, whole numbers of days). `check_value` is the one place a new value is checked,
with the entry rules of core.rules.homeroom, so a correction accepts exactly what the homeroom
sheet and the guided entry accept.
"""

from __future__ import annotations

from core import formatting
from core.errors import InvalidValue, PermissionDenied
from core.i18n import _
from core.models import (
    Absence,
    CellKind,
    Conduct,
    QualityAssessment,
    SchoolClass,
    Term,
)
from core.rules import homeroom as rules
from core.rules.catalog import SchoolLevel, grades
from core.rules.primary import COMPETENCIES, QUALITIES, QualityLevel, TestPoint
from core.rules.secondary import Level
from core.services import gradebook
from core.services.access import Actor

Column = tuple[CellKind, int]
QUALITY_NAMES = dict(QUALITIES + COMPETENCIES)
QUALITY_CODES = tuple(QUALITY_NAMES)  # the programme's order, as the record book lists them
# A term's qualities and competencies are the ones recorded at its end (TT27 Điều 7, khoản 2:
# the record book and the year result take the end-of-term levels).
TERM_POINT = {1: TestPoint.END_1, 2: TestPoint.END_YEAR}
ABSENCES = (CellKind.EXCUSED, CellKind.UNEXCUSED)


def is_homeroom(kind: CellKind) -> bool:
    """The homeroom teacher's cell (no subject), not a mark nor a primary subject's cell."""
    return kind.is_homeroom


def school_level(grade: int) -> SchoolLevel:
    """The level a grade belongs to (Luật Giáo dục 2019, Điều 28: 1–5, 6–9, 10–12)."""
    return next(level for level in SchoolLevel if grade in grades(level))


def columns(grade: int) -> list[Column]:
    """The homeroom teacher's cells of a student's term: conduct and days absent in secondary
    school; days absent and the qualities and competencies in primary school (TT27 has no
    conduct result)."""
    absences = [(CellKind.EXCUSED, 1), (CellKind.UNEXCUSED, 1)]
    if school_level(grade) is not SchoolLevel.PRIMARY:
        return [(CellKind.CONDUCT, 1), *absences]
    return [*absences, *((CellKind.QUALITY, n) for n in range(1, len(QUALITY_CODES) + 1))]


def quality_code(index: int) -> str:
    if not 1 <= index <= len(QUALITY_CODES):
        raise InvalidValue(_("Không có phẩm chất, năng lực số {n}.").format(n=index))
    return QUALITY_CODES[index - 1]


def quality_index(code: str) -> int:
    return QUALITY_CODES.index(code) + 1


def label(kind: CellKind, index: int) -> str:
    """The cell as a button or a card names it: «Rèn luyện», «Nghỉ có phép», «Chăm chỉ»."""
    if kind is CellKind.QUALITY:
        return QUALITY_NAMES[quality_code(index)]
    return {
        CellKind.CONDUCT: _("Rèn luyện"),
        CellKind.EXCUSED: _("Nghỉ có phép"),
        CellKind.UNEXCUSED: _("Nghỉ không phép"),
    }[kind]


def quality_words(code: str, point: TestPoint) -> str:
    """A quality or competency at an assessment point: «Chăm chỉ (cuối học kì I)»."""
    when = point.label
    return f"{QUALITY_NAMES.get(code, code)} ({when[:1].lower()}{when[1:]})"


def term_of_point(point: TestPoint) -> int:
    return 1 if point in (TestPoint.MID_1, TestPoint.END_1) else 2


def words(kind: CellKind, index: int, term: int) -> str:
    """The cell in words, with its term, as the minutes and /lichsu name it: «Rèn luyện học kỳ
    I», «Số ngày nghỉ có phép học kỳ II», «Chăm chỉ (cuối học kì I)»."""
    roman = "I" if term == 1 else "II"
    if kind is CellKind.QUALITY:
        return quality_words(quality_code(index), TERM_POINT[term])
    return {
        CellKind.CONDUCT: _("Rèn luyện học kỳ {term}"),
        CellKind.EXCUSED: _("Số ngày nghỉ có phép học kỳ {term}"),
        CellKind.UNEXCUSED: _("Số ngày nghỉ không phép học kỳ {term}"),
    }[kind].format(term=roman)


def hint(kind: CellKind) -> str:
    """What may be typed into the cell."""
    if kind is CellKind.CONDUCT:
        return _("Tốt, Khá, Đạt hoặc Chưa đạt")
    if kind is CellKind.QUALITY:
        return _("Tốt, Đạt hoặc Cần cố gắng")
    return _("số nguyên ngày nghỉ, từ 0")


def target(kind: CellKind, index: int, student_id: int, term: Term) -> str:
    """The gradebook's audit target of the cell (what its writes record and a lock opens). Both
    absence counts are one row, so one target."""
    if kind is CellKind.CONDUCT:
        return f"conduct:{student_id}:{term.id}"
    if kind is CellKind.QUALITY:
        return f"quality:{student_id}:{TERM_POINT[term.number].value}:{quality_code(index)}"
    return f"absence:{student_id}:{term.id}"


def shown(kind: CellKind, value: str) -> str:
    """A stored value as people read it: Tốt, Cần cố gắng, 3."""
    if kind is CellKind.CONDUCT:
        return Level(value).label
    if kind is CellKind.QUALITY:
        return QualityLevel(value).label
    return formatting.integer(int(value))


def is_homeroom_of(actor: Actor, school_class: SchoolClass) -> bool:
    return actor.staff_id is not None and school_class.homeroom_id == actor.staff_id


def ensure_homeroom(actor: Actor, school_class: SchoolClass) -> None:
    """Only the class's homeroom teacher asks to correct its homeroom data (000 Điều 8)."""
    if not is_homeroom_of(actor, school_class):
        raise PermissionDenied(
            _(
                "Chỉ giáo viên chủ nhiệm lớp {klass} lập phiếu sửa rèn luyện, số ngày nghỉ, phẩm "
                "chất và năng lực của lớp. Nếu thầy cô chủ nhiệm lớp này mà danh sách ghi sai, "
                "hãy báo quản trị học bạ số của trường."
            ).format(klass=school_class.name)
        )


async def read_values(student_id: int, term: Term, grade: int) -> dict[Column, str | None]:
    """Every current value of the student's homeroom cells of the term, in two queries (an
    empty cell is None)."""
    found: dict[Column, str | None] = {}
    absence = await Absence.get_or_none(student_id=student_id, term_id=term.id)
    if absence is not None:
        found[CellKind.EXCUSED, 1] = str(absence.excused)
        found[CellKind.UNEXCUSED, 1] = str(absence.unexcused)
    if school_level(grade) is SchoolLevel.PRIMARY:
        for quality, level in await QualityAssessment.filter(
            student_id=student_id, point=TERM_POINT[term.number]
        ).values_list("quality", "level"):
            if quality in QUALITY_NAMES:
                found[CellKind.QUALITY, quality_index(quality)] = QualityLevel(level).value
    else:
        conduct = await Conduct.get_or_none(student_id=student_id, term_id=term.id)
        if conduct is not None:
            found[CellKind.CONDUCT, 1] = Level(conduct.level).value
    return {column: found.get(column) for column in columns(grade)}


def _count(values: dict[Column, str | None], kind: CellKind) -> int:
    stored = values.get((kind, 1))
    return int(stored) if stored is not None else 0


def check_value(
    kind: CellKind, raw: str, *, grade: int, term: Term, values: dict[Column, str | None]
) -> str:
    """A new value of a homeroom cell, by the rules of entry (core.rules.homeroom), as stored:
    conduct Tốt/Khá/Đạt/Chưa đạt (TT22 Điều 8, secondary only); a quality's level Tốt/Đạt/Cần
    cố gắng (TT27 Điều 7, khoản 2, primary only); days absent a whole number from 0 to the
    term's school days, with the other count no more than them together. `values` are the
    sheet's current ones (the other count of days)."""
    level = school_level(grade)
    if kind is CellKind.CONDUCT:
        return rules.parse_conduct(raw, level).value
    if kind is CellKind.QUALITY:
        return rules.parse_quality(raw, level).value
    most = rules.school_days(term.starts, term.ends)
    what = _("nghỉ có phép") if kind is CellKind.EXCUSED else _("nghỉ không phép")
    days = rules.parse_days(raw, most=most, what=what)
    counts = {k: _count(values, k) for k in ABSENCES} | {kind: days}
    rules.check_absences(counts[CellKind.EXCUSED], counts[CellKind.UNEXCUSED], most=most)
    return str(days)


async def write_value(
    actor: Actor,
    kind: CellKind,
    index: int,
    value: str,
    *,
    student_id: int,
    school_class: SchoolClass,
    term: Term,
    values: dict[Column, str | None],
) -> None:
    """Write one checked value through the gradebook (rights, the lock check and the audit are
    its): a count of days keeps the other count as it is."""
    if kind is CellKind.CONDUCT:
        entry = gradebook.ConductEntry(student_id, school_class, term, Level(value))
        await gradebook.write_conducts(actor, [entry])
    elif kind is CellKind.QUALITY:
        point = TERM_POINT[term.number]
        code = quality_code(index)
        quality = gradebook.QualityEntry(
            student_id, school_class, term, point, code, QualityLevel(value)
        )
        await gradebook.write_qualities(actor, [quality])
    else:
        counts = {k: _count(values, k) for k in ABSENCES} | {kind: int(value)}
        absence = gradebook.AbsenceEntry(
            student_id, school_class, term, counts[CellKind.EXCUSED], counts[CellKind.UNEXCUSED]
        )
        await gradebook.write_absences(actor, [absence])
