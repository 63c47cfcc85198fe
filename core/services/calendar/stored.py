"""A year's calendar in the database: loading it, showing it, changing one value (audited),
and recording the day a test was given."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from core import audit, formatting
from core.errors import InvalidValue, NotFound, PermissionDenied
from core.i18n import _
from core.models import Role, SchoolClass, SchoolYear, Subject, Term
from core.models.calendar import DeadlineSetting, TestDate
from core.models.locks import Lock
from core.rules.catalog import SchoolLevel
from core.services.access import Actor, ensure_can_write_subject
from core.services.calendar.deadlines import Calendar, Entry, TermDates
from core.services.calendar.keys import (
    KEYS,
    POINT_COLUMNS,
    POINT_TERM,
    SECONDARY_TEST_COLUMNS,
    TIME_LOCKS,
    ValueKind,
    defaults,
    keys_for,
)
from core.services.calendar.values import (
    loaded_value,
    parse_days,
    parse_moment,
    parse_time,
    parse_weekday,
    show_value,
    stored_text,
)
from core.services.schools import current_year


async def load_calendar(year: SchoolYear) -> Calendar:
    """The year's calendar, in four queries."""
    school = await year.school
    level = SchoolLevel(school.level)
    terms = {
        t.number: TermDates(t.id, t.number, t.starts, t.ends) for t in await Term.filter(year=year)
    }
    values = defaults(level, int(year.name[:4]), {n: t.ends for n, t in terms.items()})
    changed = set()
    for setting in await DeadlineSetting.filter(year=year):
        if setting.key in values:
            values[setting.key] = loaded_value(KEYS[setting.key].kind, setting.value)
            changed.add(setting.key)
    term_number = {t.id: t.number for t in terms.values()}
    rows = await TestDate.filter(term_id__in=list(term_number)).values_list(
        "school_class_id", "subject_id", "term_id", "column", "day"
    )
    return Calendar(
        year.id,
        year.name,
        level,
        terms,
        values,
        frozenset(changed),
        {(c, s, term_number[t], col): day for c, s, t, col, day in rows},
    )


def _ensure_school(actor: Actor, year: SchoolYear) -> None:
    if year.school_id != actor.school_id:
        raise PermissionDenied(_("Bạn không có quyền với trường này."))


async def show_calendar(actor: Actor, year: SchoolYear) -> list[Entry]:
    """The calendar as a list of lines; any staff member of the school may see it."""
    _ensure_school(actor, year)
    return (await load_calendar(year)).entries()


async def set_deadline(actor: Actor, year: SchoolYear, key: str, text: str) -> Entry:
    """Change one calendar value; the admins keep the calendar, on the principal's decisions
    (003, Điều 3, khoản 3 and Điều 6, khoản 2), so admins and the principal may set it.

    A lock that has already fallen cannot be moved here: opening the book again is a
    principal's timed decision (core.services.locks.unlock), never a calendar edit.
    """
    _ensure_school(actor, year)
    if not actor.has(Role.ADMIN, Role.PRINCIPAL):
        raise PermissionDenied(
            _("Chỉ quản trị học bạ số hoặc Hiệu trưởng được sửa lịch hạn của trường.")
        )
    calendar = await load_calendar(year)
    if key not in keys_for(calendar.level):
        raise NotFound(
            _("Không có mục lịch «{key}». Các mục: {keys}.").format(
                key=key, keys=", ".join(keys_for(calendar.level))
            )
        )
    spec = KEYS[key]
    value: object
    if spec.kind is ValueKind.MOMENT:
        value = parse_moment(text, calendar.deadline_time)
    elif spec.kind is ValueKind.WEEKDAY:
        value = parse_weekday(text)
    elif spec.kind is ValueKind.TIME:
        value = parse_time(text)
    else:
        value = parse_days(text)
    if key in TIME_LOCKS and await Lock.exists(year_id=year.id, source=f"calendar:{key}"):
        raise InvalidValue(
            _(
                "«{label}» đã khóa lúc {at}: không dời được nữa. Muốn mở lại cần quyết định "
                "của Hiệu trưởng, có lý do và thời hạn (hocba unlock)."
            ).format(label=spec.label, at=formatting.date_time(calendar.moment(key)))
        )
    before = stored_text(calendar.values[key])
    after = stored_text(value)
    async with in_transaction():
        await DeadlineSetting.update_or_create(
            year=year, key=key, defaults={"value": after, "updated_by": actor.label}
        )
        await audit.record(
            audit.Event(
                actor.label,
                "calendar.set",
                f"calendar:{year.id}:{key}",
                {"value": before},
                {"value": after},
            )
        )
    return Entry(key, spec.label, show_value(spec.kind, value), True, spec.citation)


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
    """The calendar of the school's current year as the bot's /lich shows it (the changed
    entry only, after a change)."""

    year: str
    entries: list[Entry]


async def current_calendar(actor: Actor) -> CalendarView:
    """/lich: the current year's calendar; anyone of the school may read it."""
    year = await current_year(actor.school_id)
    return CalendarView(year.name, await show_calendar(actor, year))


async def set_current_deadline(actor: Actor, key: str, text: str) -> CalendarView:
    """/lich MỤC GIÁ_TRỊ: `set_deadline` in the current year."""
    year = await current_year(actor.school_id)
    return CalendarView(year.name, [await set_deadline(actor, year, key, text)])
