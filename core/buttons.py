"""Every inline button of the product, in one table: its compact code and its parameters.

The core puts buttons on the notifications it decides (a request to approve, a reminder) and the
bot's handlers draw the others; both build the button's data here (`Action.data`) and the
handlers recognise and read it here (`Action.pattern`, `Action.parse`), so a format is written
once. Telegram allows 64 bytes of callback data, and anybody can send any data with a modified
client: `parse` accepts exactly what `data` produces (numbers of at most 9 digits, codes from a
fixed set) and the handler then asks the core, which checks rights and state again.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from core.errors import InvalidValue
from core.i18n import _

MAX_BYTES = 64  # Telegram refuses longer callback data


@dataclass(frozen=True)
class Param:
    """One parameter of a button: the text it may be, and how it reads back."""

    regex: str
    read: Callable[[str], object]
    sample: str = "1"  # one valid value, for the table's own check


ID = Param(r"\d{1,9}", int)  # a database id
TOKEN = Param(r"[0-9a-f]{8}", str, "0a1b2c3d")  # a random key kept in the person's data


def choice(*codes: str) -> Param:
    """One of a fixed set of short codes, read back as the code itself."""
    return Param("|".join(re.escape(c) for c in codes), str, codes[0])


@dataclass(frozen=True)
class Action:
    """A button kind: `code` plus its parameters, joined by ":" ("crx:12:40")."""

    code: str
    params: tuple[Param, ...] = ()
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        parts = [re.escape(self.code), *(f"({p.regex})" for p in self.params)]
        object.__setattr__(self, "pattern", re.compile("^" + ":".join(parts) + "$"))

    def data(self, *values: object) -> str:
        """The callback data of one button of this kind."""
        if len(values) != len(self.params):
            raise ValueError(f"{self.code}: {len(self.params)} values needed, got {values!r}")
        text = ":".join([self.code, *(str(v) for v in values)])
        if not self.pattern.match(text) or len(text.encode()) > MAX_BYTES:
            raise ValueError(f"{self.code}: not valid callback data: {text!r}")
        return text

    def parse(self, data: str | None) -> tuple:
        """The values of a pressed button; a forged or foreign one is refused."""
        matched = self.pattern.match(data or "")
        if matched is None:
            raise InvalidValue(_("Nút này không còn hiệu lực. Hãy mở lại menu và chọn lại."))
        return tuple(p.read(g) for p, g in zip(self.params, matched.groups(), strict=True))

    def id(self, data: str | None) -> int:
        """The one id of a single-id button."""
        (value,) = self.parse(data)
        assert isinstance(value, int)
        return value


@dataclass(frozen=True)
class Choice:
    """One button a service offers: its label (in the reader's language) and its data, built
    with `Action.data`. Front ends draw it as they draw buttons."""

    label: str
    data: str


# regular, mid-term, final, learning topic (core.models.grades.MarkKind)
MARK_KIND = choice("r", "m", "f", "t")
TERM_NUMBER = choice("1", "2")
SIGNING_ROLE = choice("gvbm", "gvcn", "ht", "dv")  # core.models.records.SignatureRole values
LANGUAGE = choice("vi", "en")

# --- the correction request form (/suadiem) -------------------------------------------------
FORM_CLASS = Action("csc", (ID,))
FORM_STUDENT = Action("css", (ID,))
FORM_SUBJECT = Action("csj", (ID,))
FORM_HOMEROOM = Action("csh")  # the homeroom teacher's own data instead of a subject
FORM_TERM = Action("cst", (ID,))
FORM_ASK_LATE = Action("csl")
# a mark column, or a homeroom cell: conduct, days absent with (p) and without (k) permission,
# a quality by its number, or a primary subject's level (l) or periodic score (s) at an
# assessment point by its number (core.services.corrections.draft.KIND_CODES)
CELL_KIND = choice("r", "m", "f", "t", "c", "p", "k", "q", "l", "s")
FORM_COLUMN = Action("csk", (CELL_KIND, ID))
FORM_ADD_CELL = Action("csa")
FORM_TO_REASON = Action("csn")
FORM_FILES_DONE = Action("csd")
FORM_SUBMIT = Action("cso")
FORM_CANCEL = Action("csx")

# --- a correction request's notifications ---------------------------------------------------
REQUEST_VIEW = Action("crv", (ID,))
REQUEST_FORWARD = Action("crf", (ID,))
REQUEST_APPROVE = Action("cra", (ID,))
REQUEST_REJECT = Action("crr", (ID,))
REQUEST_ASK = Action("crq", (ID,))
REQUEST_WITNESS = Action("crw", (ID,))
REQUEST_GRANT_LATE = Action("crg", (ID,))
REQUEST_SUPPLEMENT = Action("crs", (ID,))
REQUEST_APPLY = Action("crx", (ID, ID))  # request, item
BOARD_TOGGLE = Action("crt", (ID,))
BOARD_FORWARD_PICKED = Action("crF")
BOARD_APPROVE_PICKED = Action("crA")
# a request waiting on someone: send again what it waits for, or name another witness
WITNESS_ROLE = choice("leadership", "admin", "inspector")  # replaceable: not teacher, homeroom
BOARD_RESEND = Action("crR", (ID,))
BOARD_REPLACE = Action("crW", (ID, WITNESS_ROLE))  # request, the witness's role
BOARD_REPLACE_WITH = Action("crP", (ID, WITNESS_ROLE, ID))  # request, role, the new witness

# --- a single mark (/nhapdiem) --------------------------------------------------------------
MARK_SHEET = Action("mk:a", (ID, ID))  # class, subject
MARK_TERM = Action("mk:t", (TERM_NUMBER,))
MARK_COLUMN = Action("mk:c", (MARK_KIND, ID))
MARK_STUDENT = Action("mk:s", (ID,))
MARK_SAVE = Action("mk:ok")
MARK_CANCEL = Action("mk:x")
MARK_NEXT_STUDENT = Action("mk:n")

# --- one student's conduct or days absent (/chunhiem, core.services.homeroom_entry) ----------
HOMEROOM_CLASS = Action("hr:c", (ID,))
HOMEROOM_TERM = Action("hr:t", (TERM_NUMBER,))
HOMEROOM_KIND = Action("hr:k", (choice("rl", "ng"),))  # conduct, days absent
HOMEROOM_STUDENT = Action("hr:s", (ID,))
HOMEROOM_LEVEL = Action("hr:l", (choice("T", "K", "Đ", "CĐ"),))  # core.rules.secondary.Level
HOMEROOM_SAVE = Action("hr:ok")
HOMEROOM_CANCEL = Action("hr:x")
HOMEROOM_NEXT = Action("hr:n")

# --- a teacher's reminder -------------------------------------------------------------------
REMINDER_DETAILS = Action("rm:d")
REMINDER_DONE = Action("rm:ok")
REMINDER_SNOOZE = Action("rm:s")
REMINDER_SNOOZE_FOR = Action("rm:s", (choice("2h", "tm"),))  # two hours, tomorrow morning
REMINDER_TEMPLATES = Action("rm:t")
REMINDER_TEMPLATE = Action("rm:t", (ID, ID, TERM_NUMBER))  # class, subject, term
# the homeroom teacher's sheet of a class and term («📚 Lớp của tôi»)
HOMEROOM_SHEET = Action("hsh", (ID, TERM_NUMBER))

# --- the school's progress ------------------------------------------------------------------
PROGRESS_REMIND = Action("pg:r", (ID,))  # one teacher
PROGRESS_REMIND_ALL = Action("pg:ra")

# --- a calendar change that would lock soon (/lich), kept under a token in user_data -------
CALENDAR_CONFIRM = Action("cal:ok", (TOKEN,))
CALENDAR_CANCEL = Action("cal:x", (TOKEN,))

# --- signing and language -------------------------------------------------------------------
SIGN_CLASS = Action("sgn", (ID, SIGNING_ROLE))
SIGN_ALL = Action("sga", (SIGNING_ROLE,))  # every class where the step waits: one approval
CLOSE_CLASS = Action("cls", (ID,))  # the principal closes a class's year for issuance
# ... on its lists, confirmed under a token kept in user_data (handlers/closing.py)
CLOSE_CONFIRM = Action("cls:ok", (TOKEN,))
CLOSE_CANCEL = Action("cls:x", (TOKEN,))
CLASS_LISTS = Action("lst", (ID,))  # a class's end-of-year lists (/danhsach)
CHOOSE_LANGUAGE = Action("lang", (LANGUAGE,))

# --- a long answer's next page (handlers/replies.py) -------------------------------------
MORE_PAGES = Action("more", (TOKEN,))

# --- a record issued for a student a guardian is linked to (core.services.families) ----------
FAMILY_RECORD = Action("fam", (ID,))  # the issued record

ALL: tuple[Action, ...] = tuple(v for v in list(globals().values()) if isinstance(v, Action))


def _check_table() -> None:
    """No two actions may read the same data: each button reaches exactly one handler."""
    for action in ALL:
        sample = action.data(*(p.sample for p in action.params))
        taken = [o.code for o in ALL if o is not action and o.pattern.match(sample)]
        if taken:
            raise AssertionError(f"button {action.code} is read by {taken} too")


_check_table()
