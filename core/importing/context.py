"""What an import looks values up in: the school's classes, subjects, terms, staff and students
of the year, each loaded once in a dict so checking 36,000 rows never queries per row."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from core import clock
from core.errors import InvalidValue
from core.i18n import _
from core.importing.headers import cell_text, header_key
from core.importing.reader import Cell
from core.importing.rows import Memo
from core.models import Enrollment, School, SchoolClass, SchoolYear, Staff, Subject, Term
from core.rules.catalog import SchoolLevel, find_subject
from core.services.access import Actor
from core.services.schools import parse_class_name, subjects_by_name
from core.text import fold

T = TypeVar("T")
_TERM_PREFIX = re.compile(r"^(hocki|hk|ki)")
_TERMS = {"1": 1, "i": 1, "2": 2, "ii": 2}


@dataclass(frozen=True)
class Enrolled:
    """A student of the year as a marks file needs them: which class, which stored name."""

    student_id: int
    class_id: int
    full_name: str


@dataclass(frozen=True)
class StaffMember:
    id: int
    code: str
    full_name: str


class ImportContext:
    """The actor, the school year and its reference data for one import."""

    def __init__(
        self,
        actor: Actor,
        year: SchoolYear,
        school: School,
        classes: list[SchoolClass],
        subjects: dict[str, Subject],
        terms: list[Term],
    ):
        self.actor = actor
        self.year = year
        self.school = school
        self.level = SchoolLevel(school.level)
        self.today = clock.today()
        self.classes = {c.name: c for c in classes}
        self.classes_by_id = {c.id: c for c in classes}
        self._subjects = subjects
        self._subjects_by_code = {s.code: s for s in subjects.values()}
        self.terms = {t.number: t for t in terms}
        self.staff: dict[str, StaffMember] = {}
        self.decided_by: Staff | None = None  # the principal's decision an admin executes
        self.enrolled: dict[str, Enrolled] = {}
        self._found: dict[tuple[str, str], object] = {}
        self._memos: dict[str, Memo] = {}
        self.subject_expected = _("một môn của trường: {names}").format(
            names=", ".join(sorted(s.name for s in self._subjects_by_code.values()))
        )

    def memo(self, name: str) -> Memo:
        """The import's memo of one column's parsed cells (`RowView.get(memo=...)`)."""
        return self._memos.setdefault(name, {})

    @classmethod
    async def open(cls, actor: Actor, year: SchoolYear) -> ImportContext:
        school = await year.school
        return cls(
            actor,
            year,
            school,
            list(await SchoolClass.filter(year=year)),
            await subjects_by_name(school),
            list(await Term.filter(year=year)),
        )

    async def load_staff(self) -> None:
        """The school's staff by folded code: codes are matched without regard to case."""
        rows = await Staff.filter(school_id=self.school.id).values_list("id", "code", "full_name")
        self.staff = {fold(code): StaffMember(i, code, name) for i, code, name in rows}

    async def load_enrolled(self) -> None:
        """Every student enrolled in the year, by personal ID, in one query."""
        rows = await Enrollment.filter(year=self.year).values_list(
            "student_id", "school_class_id", "student__national_id", "student__full_name"
        )
        self.enrolled = {nid: Enrolled(sid, cid, name) for sid, cid, nid, name in rows}

    def class_name(self, raw: Cell) -> tuple[str, int]:
        """Normal name and grade of a class named in the file; the grade must be the school's."""
        return parse_class_name(self.school, cell_text(raw))

    def _remembered(self, what: str, raw: Cell, find: Callable[[str], T]) -> T:
        """`find(text)`, computed once per distinct text: a long marks sheet repeats the same
        few class, subject and term names on every row."""
        key = (what, cell_text(raw))
        if key not in self._found:
            self._found[key] = find(key[1])
        return self._found[key]  # type: ignore[return-value]

    def existing_class(self, raw: Cell) -> SchoolClass:
        return self._remembered("class", raw, self._existing_class)

    def _existing_class(self, text: str) -> SchoolClass:
        name, _grade = self.class_name(text)
        if name not in self.classes:
            raise InvalidValue(
                _("Chưa có lớp {name} trong năm học {year}").format(name=name, year=self.year.name)
            )
        return self.classes[name]

    def subject(self, raw: Cell) -> Subject:
        """The school's subject a cell names: its code, name or a usual alias."""
        return self._remembered("subject", raw, self._subject)

    def _subject(self, text: str) -> Subject:
        found = self._subjects.get(fold(text))
        if found is None:
            spec = find_subject(self.level, text)
            found = self._subjects_by_code.get(spec.code) if spec else None
        if found is None:
            raise InvalidValue(_("Trường không có môn «{name}»").format(name=text))
        return found

    @staticmethod
    def ensure_taught(subject: Subject, grade: int) -> None:
        if not subject.taught_in(grade):
            raise InvalidValue(
                _("Môn {subject} không dạy ở khối {grade}").format(
                    subject=subject.name, grade=grade
                )
            )

    def term(self, raw: Cell) -> Term:
        """Term I or II as schools write it: I, II, 1, 2, HK1, HKII, "Học kỳ I", "Kì 2"."""
        return self._remembered("term", raw, self._term)

    def _term(self, text: str) -> Term:
        number = _TERMS.get(_TERM_PREFIX.sub("", header_key(text)))
        if number is None or number not in self.terms:
            raise InvalidValue(_("Học kỳ «{value}» không rõ").format(value=text))
        return self.terms[number]

    def staff_member(self, raw: Cell) -> StaffMember:
        code = cell_text(raw)
        if fold(code) not in self.staff:
            raise InvalidValue(_("Chưa có cán bộ mã «{code}» trong trường").format(code=code))
        return self.staff[fold(code)]
