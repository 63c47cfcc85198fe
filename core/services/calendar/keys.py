"""The calendar's items: what each one is, its label and citation, and the regulations' defaults.

What the regulations fix, and the defaults that follow (all times on the school's clock; a
deadline given as a day falls at `deadline.time`, 17:00 by default, the end of the office day,
so no deadline falls at night, when reminders are held back, and the admins who execute locks
are at work when one falls):

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
- The homeroom teacher's part of a term (conduct, days absent, comments; the primary qualities
  and competencies) is due by `homeroom.termN`: the homeroom teacher "updates the class's
  assessment results at the end of each term and of the year" and attendance "periodically
  (weekly/monthly)" (003, Điều 4, khoản 2–3), and the primary school plan closes comments with
  the marks on 25/5 (002, mục 2). So it follows the term's entry deadline (`FOLLOWS`) until the
  school sets it apart: then it has its own date, from the term's first day to the term's lock,
  and its own reminders and escalation (core.services.rounds).
- Locks (003, Điều 10, khoản 1: "after the term and the year end, the principal decides the
  lock"): the regulations date only the year's. `lock.year` is 30/6 for secondary schools (001,
  Điều 25, khoản 1: data closed before 30/6) and 25/5 for primary, the end of entry in the school
  plan, before records are created (27/5), signed by the leadership (29/5) and sealed (31/5)
  (002, mục 3–5); those three are kept as `records`, `signatures`, `seal` for the signing jobs.
  `lock.term1` is two weeks after term I's entry deadline (a week for the homeroom teacher to
  check averages and results, 003 Điều 4, khoản 4, and the correction week below); `lock.term2`
  is the year lock, since term II results are the year's, and follows it (`FOLLOWS`) until the
  school sets it apart.
- Corrections close `correction.days` = 7 days before each lock (regulation 000, Điều 8: "01
  tuần trước thời điểm khóa"), or, where the school's rule `correction_cutoff` is "exam", before
  the term's exam (003, Điều 8, khoản 3: "1 tuần trước khi kiểm tra học kì"; Calendar.exam_day).
- Supplementary results (students who had not completed the year at 30/6) until 15/8, after
  which nothing changes (001, Điều 25, khoản 2 and 4): `supplementary.end`, whose default the
  school's rule `supplementary_end` moves to 20/8 (000 Điều 6) or 25/8 (002 mục II.2; see
  core.services.school_rules), and which a school may also set to a date. The lock applied then
  is final.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from core import clock
from core.i18n import _
from core.rules.catalog import SchoolLevel
from core.rules.primary import TestPoint
from core.services.school_rules import Rules

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
# An item the school has not set follows the item it defaults from: term II's lock is the
# year's (term II results are the year's), so moving the year's lock moves it along and the two
# never cross; the homeroom teacher's deadline of a term is the term's entry deadline.
FOLLOWS: dict[str, str] = {
    "lock.term2": "lock.year",
    "homeroom.term1": "entry.term1",
    "homeroom.term2": "entry.term2",
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
    HOMEROOM = "homeroom"  # the homeroom teacher's part of a term
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
            "homeroom.term1": _("Hạn giáo viên chủ nhiệm nhập xong học kỳ I"),
            "homeroom.term2": _("Hạn giáo viên chủ nhiệm nhập xong học kỳ II"),
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
            "correction.days": "000 Điều 8; 003 Điều 8.3",
            "entry.term1": "003 Điều 7.1",
            "entry.term2": "003 Điều 7.1; 002 mục 2",
            "homeroom.term1": "003 Điều 4.2, 4.3",
            "homeroom.term2": "003 Điều 4.2, 4.3; 002 mục 2",
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
    KeySpec("homeroom.term1", ValueKind.MOMENT, DeadlineKind.HOMEROOM, 1),
    KeySpec("homeroom.term2", ValueKind.MOMENT, DeadlineKind.HOMEROOM, 2),
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


def defaults(
    level: SchoolLevel, first: int, terms: Mapping[int, dt.date], rules: Rules
) -> dict[str, object]:
    """The regulations' calendar for a year starting in `first`; `terms` maps each term to its
    last day; the school's `rules` choose the supplementary end (15/8, 20/8 or 25/8). See the
    module docstring for the citations."""
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
        "supplementary.end": day(*rules.supplementary_day),
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
    for follower, source in FOLLOWS.items():
        values[follower] = values[source]
    return values
