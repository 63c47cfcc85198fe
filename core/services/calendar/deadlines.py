"""The calendar of one year, once loaded, and the questions jobs ask it: what is due when,
which reminders fall in a span, which locks have fallen. Pure: every question takes the moment
it is asked about, so jobs and tests control the clock."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from core import clock
from core.errors import InvalidValue
from core.i18n import _
from core.rules.catalog import SchoolLevel
from core.rules.primary import TestPoint
from core.services.calendar.keys import (
    FOLLOWS,
    KEYS,
    POINT_COLUMNS,
    TIME_LOCKS,
    DeadlineKind,
    keys_for,
    school_moment,
)
from core.services.calendar.values import parse_time, show_value
from core.services.school_rules import RULES, Rules


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
            at = parse_time(text.partition("@")[2]) if "@" in text else dt.time(7, 0)
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
    rules: Rules = field(default_factory=Rules)  # the school's (core.services.school_rules)

    def moment(self, key: str) -> dt.datetime:
        return self.values[key]  # type: ignore[return-value]

    def movers(self, key: str) -> frozenset[str]:
        """The items that move when `key` is set: itself, and those that follow it (`FOLLOWS`)
        because the school has not set them apart."""
        followers = {f for f, source in FOLLOWS.items() if source == key and f not in self.changed}
        return frozenset({key} | followers)

    def changed_to(self, key: str, value: object) -> Calendar:
        """This calendar with `key` set to `value`, what follows it moved along: what a change
        would make of it, before anything is written."""
        values = dict(self.values)
        for moved in self.movers(key):
            values[moved] = value
        return replace(self, values=values, changed=self.changed | {key})

    @property
    def deadline_time(self) -> dt.time:
        return self.values["deadline.time"]  # type: ignore[return-value]

    def _number(self, key: str) -> int:
        return self.values[key]  # type: ignore[return-value]

    def entry_deadline(self, term: int) -> dt.datetime:
        return self.moment(f"entry.term{term}")

    def homeroom_deadline(self, term: int) -> dt.datetime:
        """When the homeroom teacher's part of a term is due (`homeroom.termN`, keys)."""
        return self.moment(f"homeroom.term{term}")

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

    def exam_day(
        self, term: int, class_id: int | None = None, subject_id: int | None = None
    ) -> dt.date:
        """The day of a term's exam (CK; primary: the end-of-term assessment) of a class ×
        subject: as recorded, else, as for its marks' deadline, `periodic.days` before the
        term's end."""
        point = TestPoint.END_1 if term == 1 else TestPoint.END_YEAR
        column = POINT_COLUMNS[point] if self.level is SchoolLevel.PRIMARY else "CK"
        tested = self.test_dates.get((class_id or 0, subject_id or 0, term, column))
        return tested or self.terms[term].ends - dt.timedelta(days=self._number("periodic.days"))

    def correction_cutoff(
        self, lock_key: str, class_id: int | None = None, subject_id: int | None = None
    ) -> dt.datetime:
        """The last moment for correction requests before the lock `lock_key`: a week (the
        `correction.days`) before it (000 Điều 8), or, by the school's rule, before the term's
        exam of the class × subject (003 Điều 8.3; the year's lock: term II's). The final lock
        after the supplementary results has no exam: always a week before it."""
        ahead = dt.timedelta(days=self._number("correction.days"))
        term, final = TIME_LOCKS[lock_key]
        if self.rules.correction_cutoff != "exam" or final:
            return self.moment(lock_key) - ahead
        exam = self.exam_day(term or max(self.terms), class_id, subject_id)
        return school_moment(exam, self.deadline_time) - ahead

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

    def _citation(self, key: str) -> str:
        """The item's article; the supplementary end the school's rule moved cites that rule."""
        rule = RULES["supplementary_end"]
        chosen = rule.choice(self.rules.supplementary_end)
        by_rule = key == "supplementary.end" and key not in self.changed
        if by_rule and chosen is not None and chosen != rule.default:
            return chosen.article
        return KEYS[key].citation

    def entries(self) -> list[Entry]:
        return [
            Entry(
                key,
                KEYS[key].label,
                show_value(KEYS[key].kind, self.values[key]),
                key in self.changed,
                self._citation(key),
            )
            for key in keys_for(self.level)
        ]
