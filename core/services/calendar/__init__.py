"""The deadline calendar of a school year: defaults from the regulations, every value editable.

- `keys`: the calendar's items, their labels and citations, the regulations' defaults;
- `values`: dates, weekdays, times and numbers of days as people type and read them;
- `deadlines`: a loaded year's calendar and the questions jobs ask it (pure, clock given);
- `stored`: loading, showing and changing a year's calendar, and recording test dates.

Every public name is importable from `core.services.calendar` itself.
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
    current_calendar,
    load_calendar,
    record_test_date,
    set_current_deadline,
    set_deadline,
    show_calendar,
    tested_columns,
)
from core.services.calendar.values import parse_moment, show_value, weekday_name

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
    "current_calendar",
    "keys_for",
    "load_calendar",
    "parse_moment",
    "record_test_date",
    "school_moment",
    "set_current_deadline",
    "set_deadline",
    "show_calendar",
    "show_value",
    "tested_columns",
    "weekday_name",
]
