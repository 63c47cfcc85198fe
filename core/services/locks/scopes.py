"""What a lock or an opening covers: the year, narrowed by a term, a class, a class's subject,
and how an admin types it ("6A Toán HK1")."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from core.errors import InvalidValue, NotFound
from core.i18n import _
from core.models import LockScope, SchoolClass, SchoolYear, Subject, Term
from core.services.schools import find_class, parse_class_name, subjects_by_name
from core.text import fold


@dataclass(frozen=True)
class Scope:
    """What to lock or open: the year, narrowed by a term, a class, a class's subject."""

    year: SchoolYear
    term: Term | None = None
    school_class: SchoolClass | None = None
    subject: Subject | None = None

    def __post_init__(self) -> None:
        if self.subject is not None and self.school_class is None:
            raise InvalidValue(_("Khóa theo môn cần nêu cả lớp, ví dụ: 6A Toán."))

    @property
    def kind(self) -> LockScope:
        if self.subject is not None:
            return LockScope.SUBJECT
        if self.school_class is not None:
            return LockScope.CLASS
        return LockScope.TERM if self.term is not None else LockScope.YEAR

    @property
    def ids(self) -> tuple[int | None, int | None, int | None]:
        """(term, class, subject) ids, None where the scope takes all."""
        return (
            self.term.id if self.term else None,
            self.school_class.id if self.school_class else None,
            self.subject.id if self.subject else None,
        )

    @property
    def key(self) -> str:
        return scope_key(self.year.id, *self.ids)

    @property
    def label(self) -> str:
        return scope_label(
            self.year.name,
            self.term.number if self.term else None,
            self.school_class.name if self.school_class else None,
            self.subject.name if self.subject else None,
        )


def scope_key(
    year_id: int, term: int | None, klass: int | None, subject: int | None, final: bool = False
) -> str:
    """The unique name of a locked scope: one lock per scope (and one final lock per year)."""
    parts = [str(year_id), *("-" if i is None else str(i) for i in (term, klass, subject))]
    return ":".join(parts) + (":final" if final else "")


def scope_label(year: str, term: int | None, school_class: str | None, subject: str | None) -> str:
    """ "sổ điểm lớp 6A, môn Toán, học kỳ I (năm học 2025-2026)" as people say it."""
    parts = []
    if school_class:
        parts.append(_("lớp {name}").format(name=school_class))
    if subject:
        parts.append(_("môn {name}").format(name=subject))
    if term:
        parts.append(_("học kỳ {term}").format(term="I" if term == 1 else "II"))
    where = ", ".join(parts)
    if not where:
        return _("sổ điểm cả năm học {year}").format(year=year)
    return _("sổ điểm {where} (năm học {year})").format(where=where, year=year)


_YEAR_WORDS = frozenset({"nam", "namhoc", "year", "ca", "canam"})
_TERM_WORD = re.compile(r"^(?:hk|hocki|hocky|term|ki|ky)?(1|2|i|ii)$")


async def parse_scope(year: SchoolYear, words: Iterable[str]) -> Scope:
    """A scope as an admin types it: "năm" (or nothing) for the year, "HK1"/"II" for a term,
    a class name, and a subject after the class: "6A Toán HK1", "HK2", "9B".

    Words are matched without accents or case; everything that is neither a term nor the
    class is the subject's name ("6A Tin học").
    """
    term = school_class = None
    subject_words = []
    school = await year.school
    for word in words:
        key = re.sub(r"[^a-z0-9]", "", fold(word))
        term_match = _TERM_WORD.match(key)
        if key in _YEAR_WORDS:
            continue
        if term_match and term is None:
            number = 1 if term_match.group(1) in ("1", "i") else 2
            term = await Term.get(year=year, number=number)
        elif school_class is None and re.match(r"^\d", word):
            parse_class_name(school, word)
            school_class = await find_class(year, word)
        else:
            subject_words.append(word)
    subject = None
    if subject_words:
        name = " ".join(subject_words)
        subject = (await subjects_by_name(school)).get(fold(name))
        if subject is None:
            raise NotFound(_("Trường không có môn «{name}».").format(name=name))
    return Scope(year, term, school_class, subject)
