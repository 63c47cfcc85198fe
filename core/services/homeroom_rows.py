"""A class's homeroom data of one term as the homeroom teacher's guided entry reads and checks
it (core.services.homeroom_entry): the class list with each student's conduct and days absent,
the writer's right, the locks' scope and the value checks (core.rules.homeroom, which the
homeroom teacher's sheet uses too), and the audit of a read of that data, which the sheet
(core.services.homeroom_sheet) records the same way."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from core import audit
from core.errors import InvalidValue, NotFound
from core.i18n import _
from core.models import Absence, Conduct, Enrollment, SchoolClass, Term
from core.rules import homeroom
from core.rules.catalog import SchoolLevel
from core.rules.secondary import Level
from core.services.access import Actor, ensure_can_write_class
from core.services.locks import Touch
from core.services.student_form import term_title

TYPED_VALUE = 40  # a conduct level's words or two counts, with room to spare


class What(StrEnum):
    """What is entered: the term's conduct, or its days absent (button codes)."""

    CONDUCT = "rl"
    ABSENCES = "ng"

    @property
    def label(self) -> str:
        return {What.CONDUCT: _("Rèn luyện"), What.ABSENCES: _("Số ngày nghỉ")}[self]


def kinds(level: SchoolLevel) -> tuple[What, ...]:
    """Primary school has no conduct result (core.rules.homeroom.ensure_conduct)."""
    return (What.ABSENCES,) if level is SchoolLevel.PRIMARY else (What.CONDUCT, What.ABSENCES)


def conduct_shown(level: Level | None) -> str:
    return level.label if level is not None else _("(trống)")


def absences_shown(excused: int, unexcused: int) -> str:
    return _("{excused} có phép, {unexcused} không phép").format(
        excused=excused, unexcused=unexcused
    )


@dataclass(frozen=True)
class Row:
    student_id: int
    number: int
    full_name: str
    conduct: Level | None
    absences: tuple[int, int] | None

    def shown(self, what: What) -> str:
        if what is What.CONDUCT:
            return conduct_shown(self.conduct)
        return absences_shown(*self.absences) if self.absences else _("(trống)")

    def short(self, what: What) -> str:
        """The value on a button: "Tốt", "CP 2, KP 1", or "—"."""
        if what is What.CONDUCT:
            return self.conduct.label if self.conduct else "—"
        if self.absences is None:
            return "—"
        return _("CP {excused}, KP {unexcused}").format(
            excused=self.absences[0], unexcused=self.absences[1]
        )


@dataclass(frozen=True)
class ClassTerm:
    school_class: SchoolClass
    level: SchoolLevel
    term: Term | None = None

    @property
    def title(self) -> str:
        return term_title(_("Lớp {klass}").format(klass=self.school_class.name), self.term)

    @property
    def most_days(self) -> int:
        assert self.term is not None
        return homeroom.school_days(self.term.starts, self.term.ends)

    def whole(self) -> Touch:
        """Every homeroom cell of the class's term, to refuse a locked scope before anything
        is typed."""
        assert self.term is not None
        sc = self.school_class
        return Touch(sc.year_id, self.term.id, sc.id, None, "")

    def ensure_kind(self, what: What) -> None:
        if what is What.CONDUCT:
            homeroom.ensure_conduct(self.level)

    def expected(self, what: What) -> str:
        if what is What.CONDUCT:
            return _("Chọn mức rèn luyện ở dưới, hoặc gõ Tốt, Khá, Đạt, Chưa đạt (T, K, Đ, CĐ):")
        return _(
            "Gõ hai số: số ngày nghỉ có phép, rồi số ngày nghỉ không phép, ví dụ «2, 1» "
            "(«0, 0» nếu không nghỉ ngày nào). Học kỳ này có {most} ngày học."
        ).format(most=self.most_days)

    def parse(self, what: What, text: str) -> Level | tuple[int, int]:
        """The value as the rules read it (the checks the homeroom sheet uses too)."""
        text = text.strip()
        if len(text) > TYPED_VALUE:
            raise InvalidValue(
                _("Giá trị gõ vào dài quá {n} ký tự.").format(n=TYPED_VALUE)
                + " "
                + self.expected(what)
            )
        if what is What.CONDUCT:
            return homeroom.parse_conduct(text, self.level)
        return homeroom.parse_typed_absences(text, most=self.most_days)

    async def rows(self, student_id: int | None = None) -> list[Row]:
        """The class list (only `student_id`'s line when given) with the term's values, in
        three queries. No rights check and no audit: for the steps, which checked first."""
        assert self.term is not None
        enrollments = Enrollment.filter(school_class_id=self.school_class.id)
        if student_id is not None:
            enrollments = enrollments.filter(student_id=student_id)
        listed = await enrollments.order_by("number", "id").values_list(
            "student_id", "number", "student__full_name"
        )
        ids = [row[0] for row in listed]
        conducts = dict(
            await Conduct.filter(student_id__in=ids, term_id=self.term.id).values_list(
                "student_id", "level"
            )
        )
        absences = {
            s: (e, u)
            for s, e, u in await Absence.filter(
                student_id__in=ids, term_id=self.term.id
            ).values_list("student_id", "excused", "unexcused")
        }
        return [
            Row(
                s,
                n,
                name,
                Level(conducts[s]) if s in conducts else None,
                absences.get(s),
            )
            for s, n, name in listed
        ]


async def load_class(actor: Actor, class_id: int, term: int | None = None) -> ClassTerm:
    """The class, if the actor may write its homeroom data (the core's rule)."""
    school_class = (
        await SchoolClass.filter(id=class_id, year__school_id=actor.school_id)
        .select_related("year__school")
        .first()
    )
    if school_class is None:
        raise NotFound(_("Không tìm thấy lớp này. Gõ /chunhiem để chọn lại."))
    await ensure_can_write_class(actor, school_class)
    level = SchoolLevel(school_class.year.school.level)
    if term is None:
        return ClassTerm(school_class, level)
    found = await Term.get_or_none(year_id=school_class.year_id, number=term)
    if found is None:
        raise NotFound(
            _("Năm học của lớp {klass} không có học kỳ này.").format(klass=school_class.name)
        )
    return ClassTerm(school_class, level, found)


async def record_read(
    actor: Actor, school_class: SchoolClass, term: Term, students: int, part: str = ""
) -> None:
    """A read of a class's homeroom data of a term is a read of personal data: audited, once
    per list shown or sheet handed out (`part`: what the guided entry showed)."""
    target = f"homeroom:{school_class.id}:{term.id}" + (f":{part}" if part else "")
    await audit.record(
        audit.Event(actor.label, "homeroom.read", target, after={"students": students})
    )
