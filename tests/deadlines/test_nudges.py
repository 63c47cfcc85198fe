"""Leadership's one-tap reminders in the core: true counts, no double sending, quiet hours."""

from __future__ import annotations

import datetime as dt

import pytest

from core import clock
from core.errors import PermissionDenied
from core.models import Notification, Staff
from core.services import nudges
from core.services.reminders import QuietHours

from .conftest import Small

VN = dt.timezone(dt.timedelta(hours=7))
NIGHT = dt.datetime(2026, 1, 15, 22, 0, tzinfo=VN)  # term I's entry closed at 17:00
QUIET = QuietHours(dt.time(21, 0), dt.time(6, 30))


@pytest.fixture
def night():
    clock.set_time(NIGHT.astimezone(dt.UTC))
    yield NIGHT
    clock.set_time(None)


async def test_remind_late_at_night_counts_and_never_sends_twice(small: Small, night) -> None:
    await Staff.filter(code="GV02").update(telegram_user_id=5002)  # Văn has signed in
    principal = await small.actor("HT01")

    nudge = await nudges.remind_late(principal, now=night, quiet=QUIET)

    late = {small.staff["GV02"].id, small.staff["GV03"].id}  # Văn (Ngữ văn), Nhiệm (conduct)
    assert set(nudge.teachers) == late and nudge.repeated == 0 and nudge.complete == ()
    morning = dt.datetime(2026, 1, 16, 6, 30, tzinfo=VN)
    assert nudge.deliver_at == morning
    assert nudge.status() == (
        "🌙 Nhắc nhở tới 2 giáo viên sẽ được gửi lúc 06:30, Thứ Sáu, 16/01/2026, sau giờ yên "
        "lặng. Trợ lý báo ngay ai sẽ nhận được."
    )
    report = await nudges.report_when_done(principal, nudge, patience=5)  # no waiting: held
    assert report.text().splitlines() == [
        "📣 <b>Kết quả nhắc nhập điểm</b>: 2 giáo viên",
        "🌙 1 sẽ nhận lúc 06:30, Thứ Sáu, 16/01/2026 (sau giờ yên lặng)",
        "🔑 1 chưa đăng nhập Trợ lý: tin nhắc chờ đến khi họ đăng nhập (gửi họ mã mời, /moi): "
        "Ngô Chủ Nhiệm",
    ]
    sent = await Notification.get(kind=nudges.REPORT, staff=small.staff["HT01"])
    assert sent.text == report.text()

    again = await nudges.remind_late(principal, now=night + dt.timedelta(minutes=30), quiet=QUIET)
    assert again.repeated == 2
    assert await Notification.filter(kind="reminder").count() == 2
    assert "↩️ 2 giáo viên đã được nhắc đúng những điểm còn thiếu này hôm nay" in (
        (await nudges.report_when_done(principal, again, patience=5)).text()
    )


async def test_only_leadership_and_admins_remind(small: Small, night) -> None:
    with pytest.raises(PermissionDenied, match="Chỉ Ban giám hiệu"):
        await nudges.remind_late(await small.actor("GV01"), now=night, quiet=QUIET)
    assert not await Notification.exists()


async def test_a_teacher_with_nothing_missing_is_not_reminded(small: Small, night) -> None:
    nudge = await nudges.remind(
        await small.actor("QT01"), [small.staff["GV01"].id], now=night, quiet=QUIET
    )
    assert nudge.teachers == () and nudge.complete == ("Hoàng Văn Toán",)
    assert nudge.status() == "✅ Hoàng Văn Toán không còn thiếu điểm: không cần nhắc."
    assert not await Notification.exists()
