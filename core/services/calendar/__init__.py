"""The deadline calendar of a school year: defaults from the regulations, every value editable.

- `keys`: the calendar's items, their labels and citations, the regulations' defaults;
- `values`: dates, weekdays, times and numbers of days as people type and read them;
- `deadlines`: a loaded year's calendar and the questions jobs ask it (pure, clock given);
- `limits`: where each date may fall (the school year, the regulations' deadlines, the order of
  related dates), and the refusal that says what range is allowed;
- `stored`: loading and showing a year's calendar (several years' at once, in one query, for
  the lock check of every write), and recording test dates;
- `changes`: changing one value, checked, and held for confirmation when it would make a lock
  fall now or within the hour.

Every public name is importable from `core.services.calendar` itself, except those of
`changes` (import `core.services.calendar.changes`): it asks the progress and the locks, which
themselves read this package.
"""

from core.services.calendar.deadlines import (
    DEFAULT_LEADS,
    Calendar,
    Deadline,
    Entry,
    Lead,
    Reminder,
    TermDates,
)
from core.services.calendar.keys import (
    KEYS,
    POINT_COLUMNS,
    POINT_TERM,
    SECONDARY_TEST_COLUMNS,
    TIME_LOCKS,
    DeadlineKind,
    KeySpec,
    ValueKind,
    keys_for,
    school_moment,
)
from core.services.calendar.stored import (
    CalendarView,
    calendars_of,
    current_calendar,
    load_calendar,
    record_test_date,
    show_calendar,
    tested_columns,
)
from core.services.calendar.values import parse_moment, show_value, typed, weekday_name

__all__ = [
    "DEFAULT_LEADS",
    "KEYS",
    "POINT_COLUMNS",
    "POINT_TERM",
    "SECONDARY_TEST_COLUMNS",
    "TIME_LOCKS",
    "Calendar",
    "CalendarView",
    "Deadline",
    "DeadlineKind",
    "Entry",
    "KeySpec",
    "Lead",
    "Reminder",
    "TermDates",
    "ValueKind",
    "calendars_of",
    "current_calendar",
    "keys_for",
    "load_calendar",
    "parse_moment",
    "record_test_date",
    "school_moment",
    "show_calendar",
    "show_value",
    "tested_columns",
    "typed",
    "weekday_name",
]
