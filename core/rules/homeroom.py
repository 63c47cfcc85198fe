"""What the homeroom teacher enters for each student, checked once for every way it comes in.

The homeroom teacher's sheet (an .xlsx sent back to the bot or imported with `hocba import`)
and the bot's guided entry (core.services.homeroom_entry) take the same values, so they are
read and refused here, with the same words, whatever the entry point:

- conduct of a term (kết quả rèn luyện), secondary only: Tốt / Khá / Đạt / Chưa đạt
  (Thông tư 22/2021, Điều 8, khoản 1). Primary school has no conduct result: Thông tư 27/2020
  assesses qualities and competencies instead (Điều 6, khoản 2);
- qualities and competencies of a term, primary only: Tốt / Đạt / Cần cố gắng (TT27 Điều 7,
  khoản 2); secondary records have no such levels;
- days absent in a term, with and without permission (regulation 001 Điều 34, khoản 1 and 4:
  the homeroom teacher follows attendance and signs the number of days off; 003 Điều 4,
  khoản 2): whole numbers, never negative, and no more than the term's school days (Monday to
  Saturday from its first to its last day: holidays are not taken off, so the bound never
  refuses a true count and still catches a typo);
- the homeroom teacher's comment on a student (001 Điều 24, khoản 5b and 34, khoản 5; 000
  Điều 7): text of at most `MAX_COMMENT` characters.

Pure: values in, a value or an `InvalidValue` that says what is expected out. A refusal quotes
at most `QUOTED` characters of what was given, so a pasted page never comes back whole.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from core.errors import InvalidValue
from core.i18n import _
from core.rules.catalog import SchoolLevel, read_number
from core.rules.primary import QualityLevel
from core.rules.secondary import Level
from core.validation import check_visible

# A comment is printed in the record's box for the homeroom teacher's comment (PDF, and the XML
# field nhanxetgvcn): 1,000 characters (some 150 words, eight printed lines) is far more than
# the few sentences teachers write, and still shows whole in one Telegram message (4,096).
MAX_COMMENT = 1_000
QUOTED = 20  # characters of a refused value quoted back
# Schools teach Monday to Saturday (the week the calendar's regular-mark deadline ends on).
_SUNDAY = 7
# "2, 1", "2 1", "2;1", "2/1": excused first, then unexcused.
_NEGATIVE = re.compile(r"-\s*\d+(?:[.,]\d+)?")
_TWO_COUNTS = re.compile(r"^\s*(\S+?)\s*(?:[,;/]\s*|\s+)(\S+)\s*$")


def quoted(raw: object) -> str:
    """What was given, as a refusal quotes it: stripped, and cut when long."""
    text = str(raw).strip()
    return text if len(text) <= QUOTED else text[:QUOTED] + "…"


def ensure_conduct(level: SchoolLevel) -> None:
    """Only secondary schools have a conduct result (TT22 Điều 8); primary ones assess the
    qualities and competencies instead (TT27 Điều 6, khoản 2)."""
    if level is SchoolLevel.PRIMARY:
        raise InvalidValue(
            _(
                "Tiểu học không xếp loại rèn luyện: Thông tư 27 đánh giá phẩm chất và năng lực "
                "(Tốt, Đạt, Cần cố gắng). Hãy nhập phẩm chất, năng lực thay cho rèn luyện."
            )
        )


def parse_conduct(raw: object, level: SchoolLevel) -> Level:
    """A term's conduct result as the homeroom teacher writes it: its code (T, K, Đ, CĐ), its
    words (Tốt, Khá, Đạt, Chưa đạt), accents optional (TT22 Điều 8, khoản 1)."""
    ensure_conduct(level)
    try:
        return Level.parse(str(raw))
    except InvalidValue:
        raise InvalidValue(
            _(
                "Kết quả rèn luyện «{value}» không hợp lệ: chỉ có Tốt (T), Khá (K), Đạt (Đ) "
                "hoặc Chưa đạt (CĐ)."
            ).format(value=quoted(raw))
        ) from None


def parse_quality(raw: object, level: SchoolLevel) -> QualityLevel:
    """A quality's or competency's level, primary only: Tốt (T), Đạt (Đ), Cần cố gắng (C)
    (TT27 Điều 7, khoản 2)."""
    if level is not SchoolLevel.PRIMARY:
        raise InvalidValue(
            _(
                "Trung học không đánh giá phẩm chất, năng lực theo mức Tốt/Đạt/Cần cố gắng: "
                "Thông tư 22 xếp loại rèn luyện. Hãy nhập kết quả rèn luyện (Tốt, Khá, Đạt, "
                "Chưa đạt)."
            )
        )
    try:
        return QualityLevel.parse(str(raw))
    except InvalidValue:
        raise InvalidValue(
            _(
                "Mức phẩm chất, năng lực «{value}» không hợp lệ: chỉ có Tốt (T), Đạt (Đ) hoặc "
                "Cần cố gắng (C)."
            ).format(value=quoted(raw))
        ) from None


def school_days(starts: dt.date, ends: dt.date) -> int:
    """The days a term has classes, Monday to Saturday from its first day to its last: the
    most days a student can miss in it. Holidays (Tết) are not taken off, so the bound is
    generous; it catches a typo (140 for 14), not a close count."""
    span = (ends - starts).days + 1
    return sum(
        1 for n in range(max(span, 0)) if (starts + dt.timedelta(days=n)).isoweekday() != _SUNDAY
    )


def parse_days(raw: object, *, most: int, what: str) -> int:
    """A number of days absent (`what` names it: "nghỉ có phép"): a whole number from 0 to
    `most`, the term's school days. A spreadsheet's 2.0 is 2; an empty cell is the caller's
    business (not entered). The refusal says what is wrong with the value; the caller adds
    what is expected (the sheet's column, the bot's question), as it does for every value."""
    text = quoted(raw)
    value = None if isinstance(raw, bool) else read_number(raw)  # type: ignore[arg-type]
    if value is None:
        negative = _NEGATIVE.fullmatch(text) is not None or (
            isinstance(raw, int | float | Decimal) and not isinstance(raw, bool) and raw < 0
        )
        reason = _("số ngày không thể âm") if negative else _("đây không phải một số")
    elif value != value.to_integral_value():
        reason = _("số ngày nghỉ phải là số nguyên, không có phần lẻ")
    elif value > most:
        reason = _("nhiều hơn số ngày học của học kỳ ({most} ngày)").format(most=most)
    else:
        return int(value)
    raise InvalidValue(
        _("Số ngày {what} «{value}» không hợp lệ: {reason}").format(
            what=what, value=text, reason=reason
        )
    )


def check_absences(excused: int, unexcused: int, *, most: int) -> None:
    """Both counts together cannot exceed the term's school days either."""
    if excused + unexcused > most:
        raise InvalidValue(
            _(
                "Tổng số ngày nghỉ ({excused} có phép + {unexcused} không phép = {total}) nhiều "
                "hơn số ngày học của học kỳ ({most} ngày)."
            ).format(excused=excused, unexcused=unexcused, total=excused + unexcused, most=most)
        )


def parse_absences(excused: object, unexcused: object, *, most: int) -> tuple[int, int]:
    """The two counts of a term, each checked, then together."""
    counts = (
        parse_days(excused, most=most, what=_("nghỉ có phép")),
        parse_days(unexcused, most=most, what=_("nghỉ không phép")),
    )
    check_absences(*counts, most=most)
    return counts


def parse_typed_absences(text: str, *, most: int) -> tuple[int, int]:
    """Both counts typed in one message, excused first: "2, 1", "2 1", "2;1" or "2/1"."""
    matched = _TWO_COUNTS.match(text)
    if matched is None:
        raise InvalidValue(
            _(
                "Cần hai số: số ngày nghỉ có phép, rồi số ngày nghỉ không phép, ví dụ «2, 1» "
                "(hoặc «0, 0» nếu học sinh không nghỉ ngày nào). Đã nhận «{value}»."
            ).format(value=quoted(text))
        )
    return parse_absences(matched.group(1), matched.group(2), most=most)


def parse_comment(raw: object) -> str:
    """A comment on a student as written, each line without stray spaces: not empty (an empty
    cell of a sheet is "not entered", the caller's business), no control, invisible or
    direction-changing characters (a record shows what it says, core.validation), at most
    MAX_COMMENT characters."""
    lines = [" ".join(line.split()) for line in ("" if raw is None else str(raw)).splitlines()]
    text = "\n".join(line for line in lines if line)
    if not text:
        raise InvalidValue(_("Nhận xét đang trống: hãy viết vài câu nhận xét về học sinh."))
    check_visible(text, _("Nhận xét"), newlines=True)  # no hidden or reordering characters
    if len(text) > MAX_COMMENT:
        raise InvalidValue(
            _(
                "Nhận xét dài {n} ký tự, quá giới hạn {most} ký tự của ô nhận xét trong học bạ: "
                "hãy viết ngắn lại."
            ).format(n=len(text), most=MAX_COMMENT)
        )
    return text
