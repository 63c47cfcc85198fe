"""The small school of tests/deadlines as the end-to-end tests serve it: a year still to come
(no calendar lock has fallen), and phone numbers for the people who sign in by contact."""

from __future__ import annotations

from core.models import Staff
from tests.deadlines.conftest import Small, build_small, future_year
from tests.telegram_fake import FakeTelegramServer
from tests.telegram_fake.user import FakeUser

PHONES = {
    "GV01": "+84912000001",
    "GV02": "+84912000002",
    "GV03": "+84912000003",  # 6A's homeroom teacher
    "HT01": "+84912000010",
    "QT01": "+84912000011",
    "TT01": "+84912000012",
}


async def seed_small() -> Small:
    """The school, with every staff member of PHONES given that phone."""
    small = await build_small(future_year())
    for code, phone in PHONES.items():
        await Staff.filter(school=small.school, code=code).update(phone=phone)
    return small


async def signed_in(
    server: FakeTelegramServer, code: str, user_id: int, timeout: float = 10
) -> FakeUser:
    """Staff member `code` signs in by sharing their own contact; the greeting is read."""
    user = server.user(user_id, code, phone=PHONES[code])
    await user.share_contact()
    await user.wait_for_message(timeout=timeout)
    return user
