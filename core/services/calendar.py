"""The deadline calendar of a school year: defaults from the regulations, every value editable.

What the regulations fix, and the defaults that follow (all times on the school's clock,
Asia/Ho_Chi_Minh; a deadline given as a day falls at `deadline.time`, 17:00 by default, the end
of the office day, so no deadline falls at night, when reminders are held back, and the admins
who execute locks are at work when one falls):

- Regular marks (ĐĐGtx) are entered "by the end of each week" (regulation 003, Điều 7, khoản 1).
  Schools teach Monday to Saturday, so the week ends on Saturday: `regular.weekday` = Saturday,
  at `deadline.time`. A regular test's marks are due the first such deadline on or after its day.
- Periodic marks (ĐĐGgk, ĐĐGck; the primary periodic assessments) are entered "at the latest 2
  weeks after the test" (003, Điều 7, khoản 1): `periodic.days` = 14 after the recorded test date.
  When no test date was recorded, the test is taken to be `periodic.days` before the term's end,
  so its marks are due at the term's end.
- Every column is due at the latest at the term's entry deadline `entry.termN`: the term's end,
  except primary term II, whose school plan closes entry (marks, comments, teachers' sign-off
  handed to the leadership) on 25/5 (regulation 002, Tiến độ, mục 2).
- Locks (003, Điều 10, khoản 1: "after the term and the year end, the principal decides the
  lock"): the regulations date only the year's. `lock.year` is 30/6 for secondary schools (001,
  Điều 25, khoản 1: data closed before 30/6) and 25/5 for primary, the end of entry in the school
  plan, before records are created (27/5), signed by the leadership (29/5) and sealed (31/5)
  (002, mục 3–5); those three are kept as `records`, `signatures`, `seal` for the signing jobs.
  `lock.term1` is two weeks after term I's entry deadline (a week for the homeroom teacher to
  check averages and results, 003 Điều 4, khoản 4, and the correction week below); `lock.term2`
  is the year lock, since term II results are the year's.
- Corrections close `correction.days` = 7 days before each lock (regulation 000, mục sửa dữ liệu:
  "01 tuần trước thời điểm khóa"; 003, Điều 8, khoản 3 likewise a week ahead).
- Supplementary results (students who had not completed the year at 30/6) until 15/8, after
  which nothing changes (001, Điều 25, khoản 2 and 4): `supplementary.end`, which a school may
  move (regulation 002 sends supplementary packages until 25/8). The lock applied then is final.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from tortoise.transactions import in_transaction

from core import audit, clock, formatting
from core.errors import InvalidValue, NotFound, PermissionDenied
from core.i18n import _
from core.models import Role, SchoolClass, SchoolYear, Subject, Term
from core.models.calendar import DeadlineSetting, TestDate
from core.models.locks import Lock
from core.rules.catalog import SchoolLevel
from core.rules.primary import TestPoint
from core.services.access import Actor, ensure_can_write_subject
from core.text import fold

# Primary assessment points as the record book and the teachers' sheets name them.
POINT_COLUMNS: dict[TestPoint, str] = {
    TestPoint.MID_1: "GHK1",
    TestPoint.END_1: "CHK1",
    TestPoint.MID_2: "GHK2",
    TestPoint.END_YEAR: "CN",
}
POINT_TERM: dict[TestPoint, int] = {
    TestPoint.MID_1: 1,
    TestPoint.END_1: 1,
    TestPoint.MID_2: 2,
    TestPoint.END_YEAR: 2,
}
SECONDARY_TEST_COLUMNS = ("TX1", "TX2", "TX3", "TX4", "GK", "CK")
# Lock keys of the calendar and what they lock: (term number or None for the year, final).
TIME_LOCKS: dict[str, tuple[int | None, bool]] = {
    "lock.term1": (1, False),
    "lock.term2": (2, False),
    "lock.year": (None, False),
    "supplementary.end": (None, True),
}
_SATURDAY = 6
_DEFAULT_TIME = dt.time(17, 0)


class ValueKind(StrEnum):
    MOMENT = "moment"
    WEEKDAY = "weekday"
    TIME = "time"
    DAYS = "days"


class DeadlineKind(StrEnum):
    REGULAR = "regular"  # the weekly deadline of regular marks
    PERIODIC = "periodic"  # a recorded test's marks
    ENTRY = "entry"  # everything of a term
    CORRECTION = "correction"  # last day for correction requests before a lock
    LOCK = "lock"
    MILESTONE = "milestone"  # records, signatures, seal (primary school plan)


@dataclass(frozen=True)
class KeySpec:
    key: str
    kind: ValueKind
    deadline: DeadlineKind | None = None  # the kind of deadline a MOMENT key is
    term: int | None = None

    @property
    def label(self) -> str:
        return {
            "regular.weekday": _("Hạn điểm thường xuyên: ngày trong tuần"),
            "deadline.time": _("Giờ của các hạn tính theo ngày"),
            "periodic.days": _("Hạn điểm định kỳ: số ngày sau bài kiểm tra"),
            "correction.days": _("Hạn đề nghị sửa điểm: số ngày trước mỗi lần khóa"),
            "entry.term1": _("Hạn nhập xong học kỳ I"),
            "entry.term2": _("Hạn nhập xong học kỳ II"),
            "lock.term1": _("Khóa sổ học kỳ I"),
            "lock.term2": _("Khóa sổ học kỳ II"),
            "lock.year": _("Khóa sổ năm học"),
            "supplementary.end": _("Hạn kết quả bổ sung (sau hạn này không sửa được nữa)"),
            "records": _("Khởi tạo học bạ số"),
            "signatures": _("Ban giám hiệu ký học bạ số"),
            "seal": _("Đóng dấu (ký số tổ chức) học bạ số"),
        }[self.key]

    @property
    def citation(self) -> str:
        return {
            "regular.weekday": "003 Điều 7.1",
            "deadline.time": "",
            "periodic.days": "003 Điều 7.1",
            "correction.days": "000; 003 Điều 8.3",
            "entry.term1": "003 Điều 7.1",
            "entry.term2": "003 Điều 7.1; 002 mục 2",
            "lock.term1": "003 Điều 10.1",
            "lock.term2": "003 Điều 10.1",
            "lock.year": "001 Điều 25.1; 002 mục 2",
            "supplementary.end": "001 Điều 25.2, 25.4",
            "records": "002 mục 3",
            "signatures": "002 mục 4",
            "seal": "002 mục 5",
        }[self.key]


_SPECS = (
    KeySpec("regular.weekday", ValueKind.WEEKDAY),
    KeySpec("deadline.time", ValueKind.TIME),
    KeySpec("periodic.days", ValueKind.DAYS),
    KeySpec("correction.days", ValueKind.DAYS),
    KeySpec("entry.term1", ValueKind.MOMENT, DeadlineKind.ENTRY, 1),
    KeySpec("entry.term2", ValueKind.MOMENT, DeadlineKind.ENTRY, 2),
    KeySpec("lock.term1", ValueKind.MOMENT, DeadlineKind.LOCK, 1),
    KeySpec("lock.term2", ValueKind.MOMENT, DeadlineKind.LOCK, 2),
    KeySpec("lock.year", ValueKind.MOMENT, DeadlineKind.LOCK),
    KeySpec("supplementary.end", ValueKind.MOMENT, DeadlineKind.LOCK),
    KeySpec("records", ValueKind.MOMENT, DeadlineKind.MILESTONE),
    KeySpec("signatures", ValueKind.MOMENT, DeadlineKind.MILESTONE),
    KeySpec("seal", ValueKind.MOMENT, DeadlineKind.MILESTONE),
)
KEYS: dict[str, KeySpec] = {s.key: s for s in _SPECS}
_PRIMARY_ONLY = frozenset({"records", "signatures", "seal"})


def keys_for(level: SchoolLevel) -> tuple[str, ...]:
    """The calendar keys of a school level, in the order they are shown."""
    return tuple(
        s.key for s in _SPECS if level is SchoolLevel.PRIMARY or s.key not in _PRIMARY_ONLY
    )


def school_moment(day: dt.date, at: dt.time) -> dt.datetime:
    """`day` at `at` on the school's clock, as an aware datetime."""
    return clock.at_school(day, at)


def _defaults(level: SchoolLevel, first: int, terms: Mapping[int, dt.date]) -> dict[str, object]:
    """The regulations' calendar for a year starting in `first`; `terms` maps each term to its
    last day. See the module docstring for the citations."""
    at = _DEFAULT_TIME

    def day(month: int, d: int) -> dt.datetime:
        return school_moment(dt.date(first + 1, month, d), at)

    entry1 = school_moment(terms[1], at)
    values: dict[str, object] = {
        "regular.weekday": _SATURDAY,
        "deadline.time": at,
        "periodic.days": 14,
        "correction.days": 7,
        "entry.term1": entry1,
        "lock.term1": entry1 + dt.timedelta(days=14),
        "supplementary.end": day(8, 15),
    }
    if level is SchoolLevel.PRIMARY:
        values |= {
            "entry.term2": day(5, 25),
            "lock.year": day(5, 25),
            "records": day(5, 27),
            "signatures": day(5, 29),
            "seal": day(5, 31),
        }
    else:
        values |= {"entry.term2": school_moment(terms[2], at), "lock.year": day(6, 30)}
    values["lock.term2"] = values["lock.year"]
    return values


# ---------------------------------------------------------------------------------------------
# Reading and writing values as people type them


_WEEKDAYS = {"thu2": 1, "thu3": 2, "thu4": 3, "thu5": 4, "thu6": 5, "thu7": 6, "chunhat": 7}
_WEEKDAY_WORDS = {"hai": 2, "ba": 3, "tu": 4, "nam": 5, "sau": 6, "bay": 7}
_DATE = re.compile(
    r"^(?:(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})|(\d{4})-(\d{2})-(\d{2}))"
    r"(?:[ T]+(\d{1,2})(?:[:h](\d{2})?)?h?)?$"
)
_TIME = re.compile(r"^(\d{1,2})(?:[:h](\d{2})?)?h?$")


def _weekday(text: str) -> int:
    """Vietnamese weekday names: "thứ 7", "T7", "thứ bảy", "7" are Saturday; "CN" is Sunday."""
    key = re.sub(r"[^a-z0-9]", "", fold(text))
    key = re.sub(r"^t(?=\d)", "thu", key)
    key = re.sub(r"^(\d)$", r"thu\1", key)
    for word, number in _WEEKDAY_WORDS.items():
        key = key.replace(f"thu{word}", f"thu{number}")
    if key in ("cn", "chunhat", "thu8"):
        return 7
    if key not in _WEEKDAYS:
        raise InvalidValue(
            _("«{value}» không phải một ngày trong tuần: ghi như thứ 7, T7 hoặc CN.").format(
                value=text
            )
        )
    return _WEEKDAYS[key]


def _time(text: str) -> dt.time:
    match = _TIME.match(text.strip().lower())
    hour, minute = (int(match.group(1)), int(match.group(2) or 0)) if match else (99, 0)
    if hour > 23 or minute > 59:
        raise InvalidValue(_("Giờ «{value}» không hợp lệ: ghi như 17:00.").format(value=text))
    return dt.time(hour, minute)


def _days(text: str) -> int:
    if not text.strip().isdigit() or not 1 <= int(text) <= 60:
        raise InvalidValue(
            _("Số ngày «{value}» không hợp lệ: một số nguyên từ 1 đến 60.").format(value=text)
        )
    return int(text)


def parse_moment(text: str, default_time: dt.time) -> dt.datetime:
    """ "30/06/2026", "30/6/2026 17:00", "2026-06-30 17h" on the school's clock."""
    match = _DATE.match(text.strip())
    try:
        if match is None:
            raise ValueError(text)
        d, m, y, iy, im, idd, hh, mm = match.groups()
        day = dt.date(int(y), int(m), int(d)) if d else dt.date(int(iy), int(im), int(idd))
        at = dt.time(int(hh), int(mm or 0)) if hh else default_time
    except ValueError:
        raise InvalidValue(
            _("Ngày «{value}» không hợp lệ: ghi như 30/06/2026 hoặc 30/06/2026 17:00.").format(
                value=text
            )
        ) from None
    return school_moment(day, at)


def _stored(value: object) -> str:
    if isinstance(value, dt.datetime):
        return clock.local(value).isoformat(timespec="minutes")
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    return str(value)


def _loaded(kind: ValueKind, text: str) -> object:
    if kind is ValueKind.MOMENT:
        return dt.datetime.fromisoformat(text)
    if kind is ValueKind.TIME:
        return dt.time.fromisoformat(text)
    return int(text)


def weekday_name(iso: int) -> str:
    """Thứ Hai … Chủ Nhật, in the reader's language."""
    return formatting.date(dt.date(2024, 1, iso), "EEEE")  # 1/1/2024 was a Monday


def show_value(kind: ValueKind, value: object) -> str:
    if isinstance(value, dt.datetime):
        return formatting.date_time(value)
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if kind is ValueKind.WEEKDAY:
        return weekday_name(int(value))  # type: ignore[call-overload]
    return _("{n} ngày").format(n=value)


# ---------------------------------------------------------------------------------------------
# The calendar of one year and the questions jobs ask it


@dataclass(frozen=True)
class TermDates:
    id: int
    number: int
    starts: dt.date
    ends: dt.date


@dataclass(frozen=True)
class Deadline:
    """One moment something is due. `key` is stable, for reminders' dedupe keys; `class_id`,
    `subject_id`, `column` are set for a recorded test's deadline."""

    key: str
    kind: DeadlineKind
    at: dt.datetime
    term: int | None = None
    class_id: int | None = None
    subject_id: int | None = None
    column: str | None = None

    @property
    def label(self) -> str:
        if self.key in KEYS:
            return KEYS[self.key].label
        if self.kind is DeadlineKind.REGULAR:
            return _("Hạn điểm thường xuyên của tuần")
        if self.kind is DeadlineKind.PERIODIC:
            return _("Hạn điểm bài kiểm tra {column}").format(column=self.column)
        return _("Hạn đề nghị sửa điểm trước: {lock}").format(
            lock=KEYS[self.key.removeprefix("correction:")].label
        )


@dataclass(frozen=True)
class Lead:
    """How long before a deadline a reminder goes out: `before` it, or on `morning` of its day
    (on the school's clock). `name` goes into reminders' dedupe keys."""

    name: str
    before: dt.timedelta = dt.timedelta(0)
    morning: dt.time | None = None

    @classmethod
    def parse(cls, text: str) -> Lead:
        """ "3d" (days), "12h" (hours), "morning" or "morning@06:30"."""
        text = text.strip().lower()
        if text.startswith("morning"):
            at = _time(text.partition("@")[2]) if "@" in text else dt.time(7, 0)
            return cls(text, morning=at)
        match = re.fullmatch(r"(\d+)([dh])", text)
        if match is None:
            raise InvalidValue(
                _("Thời gian nhắc trước «{value}» không hợp lệ: ghi như 3d, 12h, morning.").format(
                    value=text
                )
            )
        unit = "days" if match.group(2) == "d" else "hours"
        return cls(text, before=dt.timedelta(**{unit: int(match.group(1))}))

    def moment(self, deadline: dt.datetime) -> dt.datetime:
        if self.morning is None:
            return deadline - self.before
        return school_moment(clock.local(deadline).date(), self.morning)


DEFAULT_LEADS = (Lead.parse("3d"), Lead.parse("1d"), Lead.parse("morning"))


@dataclass(frozen=True)
class Reminder:
    deadline: Deadline
    lead: Lead
    at: dt.datetime

    @property
    def dedupe_key(self) -> str:
        return f"{self.deadline.key}@{self.lead.name}"


@dataclass(frozen=True)
class Entry:
    """One line of `calendar show`."""

    key: str
    label: str
    value: str
    changed: bool
    citation: str


@dataclass(frozen=True)
class Calendar:
    """The year's calendar: defaults with the school's settings over them, and test dates.

    Pure once loaded: every question takes the moment it is asked about, so jobs and tests
    control the clock.
    """

    year_id: int
    year_name: str
    level: SchoolLevel
    terms: Mapping[int, TermDates]
    values: Mapping[str, object]
    changed: frozenset[str] = frozenset()
    # (class id, subject id, term number, column) -> the day the test was given
    test_dates: Mapping[tuple[int, int, int, str], dt.date] = field(default_factory=dict)

    def moment(self, key: str) -> dt.datetime:
        return self.values[key]  # type: ignore[return-value]

    @property
    def deadline_time(self) -> dt.time:
        return self.values["deadline.time"]  # type: ignore[return-value]

    def _number(self, key: str) -> int:
        return self.values[key]  # type: ignore[return-value]

    def entry_deadline(self, term: int) -> dt.datetime:
        return self.moment(f"entry.term{term}")

    def week_deadline(self, day: dt.date) -> dt.datetime:
        """The first weekly regular-mark deadline on or after `day` (003, Điều 7, khoản 1)."""
        ahead = (self._number("regular.weekday") - day.isoweekday()) % 7
        return school_moment(day + dt.timedelta(days=ahead), self.deadline_time)

    def due(
        self,
        term: int,
        column: str,
        *,
        regular: bool,
        class_id: int | None = None,
        subject_id: int | None = None,
    ) -> dt.datetime:
        """When a column of a class × subject × term is due: from its recorded test date, or
        by the rule for an unknown date, and never after the term's entry deadline."""
        ends = self.terms[term].ends
        tested = self.test_dates.get((class_id or 0, subject_id or 0, term, column))
        delay = dt.timedelta(days=self._number("periodic.days"))
        if regular:
            due = self.week_deadline(tested or ends)
        else:
            due = school_moment((tested or ends - delay) + delay, self.deadline_time)
        return min(due, self.entry_deadline(term))

    def correction_cutoff(self, lock_key: str) -> dt.datetime:
        """The last moment for correction requests before the lock `lock_key` (000; 003 Đ8.3)."""
        return self.moment(lock_key) - dt.timedelta(days=self._number("correction.days"))

    def current_term(self, now: dt.datetime) -> int:
        """The term teachers are working on: the first one not yet locked, else the last."""
        for number in sorted(self.terms):
            if self.moment(f"lock.term{number}") > now:
                return number
        return max(self.terms)

    def time_locks(self, now: dt.datetime) -> list[tuple[str, dt.datetime, int | None, bool]]:
        """The calendar's locks that have fallen at `now`: (key, at, term number, final)."""
        return [
            (key, self.moment(key), term, final)
            for key, (term, final) in TIME_LOCKS.items()
            if self.moment(key) <= now
        ]

    def next_change(self, now: dt.datetime) -> dt.datetime | None:
        """The next moment a calendar lock falls, so a job can be scheduled exactly then."""
        upcoming = [self.moment(key) for key in TIME_LOCKS if self.moment(key) > now]
        return min(upcoming, default=None)

    def _weekly(self) -> Iterable[Deadline]:
        for number, term in sorted(self.terms.items()):
            at = self.week_deadline(term.starts)
            entry = self.entry_deadline(number)
            while at <= entry:
                key = f"regular:{at.date().isoformat()}"
                yield Deadline(key, DeadlineKind.REGULAR, at, number)
                at += dt.timedelta(days=7)

    def _all(self) -> Iterable[Deadline]:
        yield from self._weekly()
        for (class_id, subject_id, term, column), _day in self.test_dates.items():
            regular = column.startswith("TX")
            yield Deadline(
                f"test:{class_id}:{subject_id}:{term}:{column}",
                DeadlineKind.REGULAR if regular else DeadlineKind.PERIODIC,
                self.due(term, column, regular=regular, class_id=class_id, subject_id=subject_id),
                term,
                class_id,
                subject_id,
                column,
            )
        for key in keys_for(self.level):
            spec = KEYS[key]
            if spec.deadline is not None:
                yield Deadline(key, spec.deadline, self.moment(key), spec.term)
        for key, (term, _final) in TIME_LOCKS.items():
            yield Deadline(
                f"correction:{key}", DeadlineKind.CORRECTION, self.correction_cutoff(key), term
            )

    def deadlines(self, start: dt.datetime, end: dt.datetime) -> list[Deadline]:
        """Every deadline in (start, end], in time order."""
        found = [d for d in self._all() if start < d.at <= end]
        return sorted(found, key=lambda d: (d.at, d.key))

    def reminders_due(
        self, start: dt.datetime, end: dt.datetime, leads: Iterable[Lead] = DEFAULT_LEADS
    ) -> list[Reminder]:
        """Reminders whose moment falls in (start, end]: a job running every so often asks for
        the span since its last run, so each reminder comes up exactly once (its dedupe key
        keeps a re-run from sending twice). A reminder due at or after its deadline is dropped:
        that is `passed` territory."""
        leads = tuple(leads)
        reach = max((lead.before for lead in leads), default=dt.timedelta(0))
        found = []
        for deadline in self.deadlines(start, end + reach + dt.timedelta(days=1)):
            for lead in leads:
                at = lead.moment(deadline.at)
                if start < at <= end and at < deadline.at:
                    found.append(Reminder(deadline, lead, at))
        return sorted(found, key=lambda r: (r.at, r.deadline.key, r.lead.name))

    def passed(self, start: dt.datetime, end: dt.datetime) -> list[Deadline]:
        """Deadlines that fell in (start, end]: what escalation looks at."""
        return self.deadlines(start, end)

    def entries(self) -> list[Entry]:
        return [
            Entry(
                key,
                KEYS[key].label,
                show_value(KEYS[key].kind, self.values[key]),
                key in self.changed,
                KEYS[key].citation,
            )
            for key in keys_for(self.level)
        ]


async def load_calendar(year: SchoolYear) -> Calendar:
    """The year's calendar, in four queries."""
    school = await year.school
    level = SchoolLevel(school.level)
    terms = {
        t.number: TermDates(t.id, t.number, t.starts, t.ends) for t in await Term.filter(year=year)
    }
    values = _defaults(level, int(year.name[:4]), {n: t.ends for n, t in terms.items()})
    changed = set()
    for setting in await DeadlineSetting.filter(year=year):
        if setting.key in values:
            values[setting.key] = _loaded(KEYS[setting.key].kind, setting.value)
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
        value = _weekday(text)
    elif spec.kind is ValueKind.TIME:
        value = _time(text)
    else:
        value = _days(text)
    if key in TIME_LOCKS and await Lock.exists(year_id=year.id, source=f"calendar:{key}"):
        raise InvalidValue(
            _(
                "«{label}» đã khóa lúc {at}: không dời được nữa. Muốn mở lại cần quyết định "
                "của Hiệu trưởng, có lý do và thời hạn (hocba unlock)."
            ).format(label=spec.label, at=formatting.date_time(calendar.moment(key)))
        )
    before = _stored(calendar.values[key])
    after = _stored(value)
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
