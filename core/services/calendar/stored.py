"""A year's calendar in the database: loading it, showing it, and recording the day a test was
given. Changing a value is `core.services.calendar.changes`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from core import audit, formatting
from core.errors import InvalidValue, PermissionDenied
from core.i18n import _
from core.models import SchoolClass, SchoolYear, Subject, Term
from core.models.calendar import DeadlineSetting, TestDate
from core.rules.catalog import SchoolLevel
from core.services.access import Actor, ensure_can_write_subject
from core.services.calendar.deadlines import Calendar, Entry, TermDates
from core.services.calendar.keys import (
    FOLLOWS,
    KEYS,
    POINT_COLUMNS,
    POINT_TERM,
    SECONDARY_TEST_COLUMNS,
    defaults,
)
from core.services.calendar.values import loaded_value, typed
from core.services.school_rules import Rules, rules_of, school_rules
from core.services.schools import current_year


def _assemble(
    year_id: int,
    name: str,
    level: SchoolLevel,
    terms: dict[int, TermDates],
    settings: Iterable[tuple[str, str]],
    test_dates: dict[tuple[int, int, int, str], dt.date],
    rules: Rules,
) -> Calendar:
    """The calendar from what is stored: the regulations' defaults for the year's terms (and
    the school's rules), the school's settings over them, and what follows a setting the
    school has not set apart."""
    values = defaults(level, int(name[:4]), {n: t.ends for n, t in terms.items()}, rules)
    changed = set()
    for key, text in settings:
        if key in values:
            values[key] = loaded_value(KEYS[key].kind, text)
            changed.add(key)
    for follower, source in FOLLOWS.items():
        if follower not in changed:
            values[follower] = values[source]
    return Calendar(year_id, name, level, terms, values, frozenset(changed), test_dates, rules)


async def load_calendar(year: SchoolYear) -> Calendar:
    """The year's calendar, in five queries."""
    school = await year.school
    terms = {
        t.number: TermDates(t.id, t.number, t.starts, t.ends) for t in await Term.filter(year=year)
    }
    settings = await DeadlineSetting.filter(year=year).values_list("key", "value")
    term_number = {t.id: t.number for t in terms.values()}
    rows = await TestDate.filter(term_id__in=list(term_number)).values_list(
        "school_class_id", "subject_id", "term_id", "column", "day"
    )
    return _assemble(
        year.id,
        year.name,
        SchoolLevel(school.level),
        terms,
        settings,
        {(c, s, term_number[t], col): day for c, s, t, col, day in rows},
        await school_rules(school.id),
    )


async def calendars_of(year_ids: Iterable[int]) -> dict[int, Calendar]:
    """The calendars of some years, in two queries (the years, their schools' rules), without
    their test dates (only the deadlines of recorded tests need them): what every gradebook
    write asks, to know which locks bind at this moment (core.services.locks.fallen), so it
    must stay cheap."""
    rows = await SchoolYear.filter(id__in=sorted(set(year_ids))).values_list(
        "id",
        "name",
        "school_id",
        "school__level",
        "terms__id",
        "terms__number",
        "terms__starts",
        "terms__ends",
        "deadline_settings__key",
        "deadline_settings__value",
    )
    years: dict[int, tuple[str, int, SchoolLevel]] = {}
    terms: dict[int, dict[int, TermDates]] = {}
    settings: dict[int, dict[str, str]] = {}
    for year_id, name, school_id, level, term_id, number, starts, ends, key, value in rows:
        years[year_id] = (name, school_id, SchoolLevel(level))
        if term_id is not None:
            terms.setdefault(year_id, {})[number] = TermDates(term_id, number, starts, ends)
        if key is not None:
            settings.setdefault(year_id, {})[key] = value
    rules = await rules_of({school_id for _name, school_id, _level in years.values()})
    return {
        year_id: _assemble(
            year_id,
            name,
            level,
            terms.get(year_id, {}),
            settings.get(year_id, {}).items(),
            {},
            rules[school_id],
        )
        for year_id, (name, school_id, level) in years.items()
    }


def ensure_school(actor: Actor, year: SchoolYear) -> None:
    if year.school_id != actor.school_id:
        raise PermissionDenied(_("Bạn không có quyền với trường này."))


async def show_calendar(actor: Actor, year: SchoolYear) -> list[Entry]:
    """The calendar as a list of lines; any staff member of the school may see it."""
    ensure_school(actor, year)
    return (await load_calendar(year)).entries()


def tested_columns(level: SchoolLevel, term: int) -> tuple[str, ...]:
    """The columns a test date can be recorded for in a term."""
    if level is SchoolLevel.PRIMARY:
        return tuple(c for p, c in POINT_COLUMNS.items() if POINT_TERM[p] == term)
    return SECONDARY_TEST_COLUMNS


async def record_test_date(
    actor: Actor,
    school_class: SchoolClass,
    subject: Subject,
    term: Term,
    column: str,
    day: dt.date,
) -> None:
    """Record the day a test was given, which sets when its marks are due; the assigned
    teacher (or an admin) records it, as they write the marks."""
    await ensure_can_write_subject(actor, school_class, subject)
    school = await subject.school
    allowed = tested_columns(SchoolLevel(school.level), term.number)
    column = column.strip().upper()
    if column not in allowed:
        raise InvalidValue(
            _("Cột «{column}» không có bài kiểm tra ở học kỳ này: chọn {allowed}.").format(
                column=column, allowed=", ".join(allowed)
            )
        )
    if not term.starts <= day <= term.ends:
        raise InvalidValue(
            _("Ngày kiểm tra {day} nằm ngoài học kỳ ({starts}–{ends}).").format(
                day=formatting.numeric_date(day),
                starts=formatting.numeric_date(term.starts),
                ends=formatting.numeric_date(term.ends),
            )
        )
    async with in_transaction():
        existing = await TestDate.get_or_none(
            school_class=school_class, subject=subject, term=term, column=column
        )
        await TestDate.update_or_create(
            school_class=school_class,
            subject=subject,
            term=term,
            column=column,
            defaults={"day": day, "recorded_by": actor.label},
        )
        await audit.record(
            audit.Event(
                actor.label,
                "calendar.test_date",
                f"test:{school_class.id}:{subject.id}:{term.id}:{column}",
                {"day": existing.day} if existing else None,
                {"day": day},
            )
        )


@dataclass(frozen=True)
class CalendarView:
    """The calendar of the school's current year as the bot's /lich shows it, and the example
    its help gives: the year's own lock as typed ("30/06/2026 17:00"), computed, so typing the
    example moves nothing."""

    year: str
    entries: list[Entry]
    example: str


async def current_calendar(actor: Actor) -> CalendarView:
    """/lich: the current year's calendar; anyone of the school may read it."""
    year = await current_year(actor.school_id)
    ensure_school(actor, year)
    calendar = await load_calendar(year)
    return CalendarView(year.name, calendar.entries(), typed(calendar.moment("lock.year")))
