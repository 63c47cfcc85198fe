"""Where each calendar date may fall: inside the school year, within the regulations' deadlines,
and in order with the dates it relates to. Pure: a loaded calendar and a value in, a refusal
that says what range is allowed out.

Why: a typo (01/01/2020) once locked term I for the whole school, and the help's example date,
a year gone by, locked the whole year. A date is refused, with the range it may take, when
- it lies outside the school year: from the first day of term I to 25/08 of the year's second
  half, after which nothing changes any more (002, mục 2: supplementary packages before 25/8;
  001, Điều 25, khoản 4);
- it passes a regulations' deadline: the year's data closed, and the primary school plan's
  records, signatures and seal done, by 30/06 (001, Điều 25, khoản 1; 002, mục 2);
- it breaks the order of related dates (`ORDER`): a term's entry deadline before its lock,
  term I's lock before term II's before the year's, the year's before the supplementary end and
  the primary milestones after it; the homeroom teacher's deadline of a term lies in the term's
  work, from its first day to its lock (the homeroom teacher's results of a term come at its
  end, 003 Điều 4.3, and nothing is entered once it is locked);
- it leaves no time for corrections: a lock's correction cut-off, `correction.days` before it
  (000; 003, Điều 8, khoản 3), must fall inside the lock's term, or teachers could never ask.

Only the bounds the changed item takes part in are checked, so a calendar stored before these
checks existed never blocks an unrelated change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from core import formatting
from core.errors import InvalidValue
from core.formatting import roman
from core.i18n import _
from core.services.calendar.deadlines import Calendar
from core.services.calendar.keys import KEYS, TIME_LOCKS, ValueKind, keys_for, school_moment

# (earlier, later): the later may not come before the earlier.
ORDER: tuple[tuple[str, str], ...] = (
    ("entry.term1", "entry.term2"),
    ("entry.term1", "lock.term1"),
    ("entry.term2", "lock.term2"),
    ("lock.term1", "lock.term2"),
    ("lock.term2", "lock.year"),
    ("lock.year", "supplementary.end"),
    ("lock.year", "records"),
    ("records", "signatures"),
    ("signatures", "seal"),
    # after the entry pairs: when two bounds tie, the refusal names the entry deadline
    ("homeroom.term1", "lock.term1"),
    ("homeroom.term2", "lock.term2"),
)
# Items closed with the year's data, by 30/06 (001 Điều 25.1; 002 mục 2).
_BY_END_OF_JUNE = frozenset({"lock.year", "records", "signatures", "seal"})
_LAST_DAY = (8, 25)  # nothing changes after it (002 mục 2; 001 Điều 25.4)
_DATA_CLOSED = (6, 30)


@dataclass(frozen=True)
class Bound:
    """One limit of an item: the moment, and what sets it as people say it."""

    at: dt.datetime
    why: str


def _day_start(day: dt.date) -> dt.datetime:
    return school_moment(day, dt.time(0, 0))


def _day_end(day: dt.date) -> dt.datetime:
    return school_moment(day, dt.time(23, 59))


def _term_start(calendar: Calendar, term: int) -> Bound:
    return Bound(
        _day_start(calendar.terms[term].starts),
        _("ngày bắt đầu học kỳ {term}").format(term=roman(term)),
    )


def lock_term(calendar: Calendar, key: str) -> int:
    """The term a lock closes (a year's lock: the last term)."""
    term, _final = TIME_LOCKS[key]
    return term or max(calendar.terms)


def year_span(calendar: Calendar) -> tuple[Bound, Bound]:
    """The school year, as far as its calendar goes: term I's first day to 25/08."""
    second = int(calendar.year_name[5:])
    return _term_start(calendar, min(calendar.terms)), Bound(
        _day_end(dt.date(second, *_LAST_DAY)),
        _("ngày cuối cùng được sửa dữ liệu của năm học"),
    )


def _fixed(calendar: Calendar, key: str) -> tuple[list[Bound], list[Bound]]:
    """The bounds an item has whatever the other items say."""
    first, last = year_span(calendar)
    lows, highs = [first], [last]
    spec = KEYS[key]
    if spec.deadline is not None and spec.term is not None:
        lows.append(_term_start(calendar, spec.term))
    if key in TIME_LOCKS:
        term = lock_term(calendar, key)
        days = calendar.values["correction.days"]
        start = _term_start(calendar, term)
        lows.append(
            Bound(
                start.at + dt.timedelta(days=days),  # type: ignore[arg-type]
                _("{days} ngày sau ngày bắt đầu học kỳ {term}, để còn hạn đề nghị sửa điểm").format(
                    days=days, term=roman(term)
                ),
            )
        )
    if key in _BY_END_OF_JUNE:
        second = int(calendar.year_name[5:])
        highs.append(
            Bound(
                _day_end(dt.date(second, *_DATA_CLOSED)),
                _("hạn chốt dữ liệu học bạ 30/06 theo Quy chế học bạ số, Điều 25, khoản 1"),
            )
        )
    return lows, highs


def allowed(calendar: Calendar, key: str) -> tuple[Bound, Bound]:
    """The earliest and latest moment `key` may take, the other items as they are (those that
    follow it move along, `Calendar.movers`)."""
    movers = calendar.movers(key)
    present = set(keys_for(calendar.level))
    lows: list[Bound] = []
    highs: list[Bound] = []
    for moved in movers:
        low, high = _fixed(calendar, moved)
        lows += low
        highs += high
    for before, after in ORDER:
        if before not in present or after not in present:
            continue
        if after in movers and before not in movers:
            lows.append(Bound(calendar.moment(before), f"«{KEYS[before].label}»"))
        elif before in movers and after not in movers:
            highs.append(Bound(calendar.moment(after), f"«{KEYS[after].label}»"))
    return max(lows, key=lambda b: b.at), min(highs, key=lambda b: b.at)


def _check_moment(calendar: Calendar, key: str, value: dt.datetime) -> None:
    low, high = allowed(calendar, key)
    if low.at <= value <= high.at:
        return
    label = KEYS[key].label
    if low.at > high.at:
        raise InvalidValue(
            _(
                "Không đặt được «{label}»: lịch hiện tại không còn chỗ cho mục này, vì {low} "
                "({low_at}) đã muộn hơn {high} ({high_at}). Hãy sửa các mục đó trước. Lịch "
                "chưa thay đổi."
            ).format(
                label=label,
                low=low.why,
                low_at=formatting.date_time(low.at),
                high=high.why,
                high_at=formatting.date_time(high.at),
            )
        )
    first, last = year_span(calendar)
    if not first.at <= value <= last.at:
        reason = _("ngày này nằm ngoài năm học {year} (từ {first} đến {last})").format(
            year=calendar.year_name,
            first=formatting.numeric_date(first.at.date()),
            last=formatting.numeric_date(last.at.date()),
        )
    elif value < low.at:
        reason = _("sớm hơn {low}").format(low=low.why)
    else:
        reason = _("muộn hơn {high}").format(high=high.why)
    raise InvalidValue(
        _(
            "Không đặt được «{label}» vào {value}: {reason}. Mục này đặt được từ {low_at} "
            "({low}) đến {high_at} ({high}). Lịch chưa thay đổi."
        ).format(
            label=label,
            value=formatting.date_time(value),
            reason=reason,
            low_at=formatting.date_time(low.at),
            low=low.why,
            high_at=formatting.date_time(high.at),
            high=high.why,
        )
    )


def _check_correction_days(calendar: Calendar, days: int) -> None:
    """Each lock's correction cut-off stays inside the lock's term."""
    for key in TIME_LOCKS:
        start = _term_start(calendar, lock_term(calendar, key))
        lock_at = calendar.moment(key)
        if lock_at - dt.timedelta(days=days) >= start.at:
            continue
        most = min(
            (calendar.moment(k) - _term_start(calendar, lock_term(calendar, k)).at).days
            for k in TIME_LOCKS
        )
        raise InvalidValue(
            _(
                "Không đặt được {days} ngày: khi đó hạn đề nghị sửa điểm trước «{lock}» sẽ là "
                "{cutoff}, sớm hơn {start} ({start_at}). Với lịch hiện tại, tối đa {most} ngày. "
                "Lịch chưa thay đổi."
            ).format(
                days=days,
                lock=KEYS[key].label,
                cutoff=formatting.date_time(lock_at - dt.timedelta(days=days)),
                start=start.why,
                start_at=formatting.numeric_date(start.at.date()),
                most=most,
            )
        )


def check(calendar: Calendar, key: str, value: object) -> None:
    """Refuse, with the range allowed, a value `key` may not take in this calendar."""
    kind = KEYS[key].kind
    if kind is ValueKind.MOMENT:
        _check_moment(calendar, key, value)  # type: ignore[arg-type]
    elif key == "correction.days":
        _check_correction_days(calendar, value)  # type: ignore[arg-type]
