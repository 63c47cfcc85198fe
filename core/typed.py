"""What a person types at one step of a conversation, refused at that step when it is too long
for what the step asks.

Telegram lets anyone send 4,096 characters where the assistant asks for a mark or a few letters
of a name. Such a text is refused at once with the limit, instead of being searched for, quoted
back in a refusal (which then overflows Telegram's own limit and reaches nobody) or carried to
a later step that fails there. Reasons, questions and answers have their own limit where they
are checked (core.services.corrections.submit.check_reason).
"""

from __future__ import annotations

from core.errors import InvalidValue
from core.i18n import _

NAME_PART = 50  # a class-list number or a few letters of a student's name
MARK = 20  # "7,5", "Đ", "CĐ", a level's label such as "Chưa đạt", with room to spare


def name_part(text: str) -> str:
    """A typed class-list number or part of a name, stripped."""
    text = text.strip()
    if len(text) > NAME_PART:
        raise InvalidValue(
            _(
                "Gõ số thứ tự hoặc vài chữ trong tên học sinh (tối đa {n} ký tự), ví dụ «binh»."
            ).format(n=NAME_PART)
        )
    return text


def mark(text: str) -> str:
    """A typed mark, stripped; its value is checked by the grading rules afterwards."""
    text = text.strip()
    if len(text) > MARK:
        raise InvalidValue(
            _(
                "Giá trị gõ vào dài quá {n} ký tự. Gõ điểm từ 0 đến 10 (ví dụ 7 hoặc 7,5), hoặc "
                "Đ / CĐ với môn đánh giá bằng nhận xét."
            ).format(n=MARK)
        )
    return text
