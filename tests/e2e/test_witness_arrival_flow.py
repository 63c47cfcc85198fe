"""People who arrive later, through the fake Telegram server and the real runtime.

A correction request waits on people: the principal who has not signed in yet, a witness who
never does. What was decided for them waits in the outbox and reaches them when they sign in,
if it still applies; what lapsed meanwhile is told in one line of the greeting, never sent.
The principal sees on /phieusua whom each request waits on, and from the phone sends an
invitation again or names another witness.

The small school of tests/e2e (6A Ngữ văn term I locked; Bình's TX1 is 6, the request asks
for 7,5), with two inspectors. The request is filed and forwarded in the seed, before anyone
has signed in.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from core import clock
from core.models import (
    CorrectionRequest,
    Mark,
    MarkKind,
    Notification,
    RequestState,
    Role,
    Staff,
)
from core.models.outbox import DeliveryState
from core.services import corrections, locks, outbox, roster
from core.services.access import Actor
from core.services.corrections import Change, Draft, new_token
from core.services.evidence import accept
from core.services.reminders import REMINDER
from core.storage import FileStore
from tests.corrections.conftest import PNG
from tests.e2e.bot_harness import bot_config, running_bot
from tests.e2e.small_school import PHONES, seed_small
from tests.telegram_fake import FakeTelegramServer
from tests.telegram_fake.user import BotMessage, FakeUser

WAIT = 30
BINH = "Trần Thị Bình"
TT02_PHONE = "+84912000013"


async def seed(store_dir: Path, *, approve: bool) -> None:
    """The school with two inspectors, and Bình's request filed and forwarded (and approved,
    when `approve`), all while nobody has signed in to the bot."""
    small = await seed_small()
    await roster.write_staff(
        small.admin,
        small.year,
        [
            roster.StaffEntry(
                "TT01", "Mai Thanh Tra", frozenset({Role.INSPECTOR}), phone=PHONES["TT01"]
            ),
            roster.StaffEntry(
                "TT02", "Hồ Thanh Tra", frozenset({Role.INSPECTOR}), phone=TT02_PHONE
            ),
        ],
    )

    async def actor(code: str) -> Actor:
        return await Actor.of_staff(await Staff.get(code=code))

    scope = await locks.parse_scope(small.year, ["6A", "Ngữ", "văn", "HK1"])
    await locks.lock(await actor("HT01"), scope, now=clock.now())
    store = FileStore(store_dir)
    draft = Draft(
        token=new_token(),
        class_id=small.classes["6A"].id,
        student_id=small.students[BINH],
        subject_id=small.subjects["NV"].id,
        term_id=small.terms[1].id,
        changes=(Change(MarkKind.REGULAR, 1, "7.5"),),
        reason="Nhập nhầm điểm bài kiểm tra 15 phút",
        evidence=(accept(store, PNG, "anh1.jpg"),),
    )
    request = await corrections.submit(await actor("GV02"), draft, store)
    await corrections.forward(await actor("QT01"), [request.id])
    if approve:
        await corrections.approve(await actor("HT01"), request.id)


async def _bot(server: FakeTelegramServer, tmp_path: Path, *, approve: bool):
    config = bot_config(server, tmp_path)
    async with running_bot(config, lambda: seed(tmp_path / "files", approve=approve)):
        await server.wait_until(lambda: server.calls_to("getUpdates"), timeout=10, what="polling")
        yield


@pytest.fixture
async def forwarded(telegram_server, tmp_path):
    async for _ in _bot(telegram_server, tmp_path, approve=False):
        yield


@pytest.fixture
async def approved(telegram_server, tmp_path):
    async for _ in _bot(telegram_server, tmp_path, approve=True):
        yield


async def sign_in(server: FakeTelegramServer, code: str, user_id: int) -> tuple[FakeUser, str]:
    """`code` shares their phone; returns the user and the greeting's text."""
    phone = TT02_PHONE if code == "TT02" else PHONES[code]
    user = server.user(user_id, code, phone=phone)
    await user.share_contact()
    greeting = await user.wait_for_message(lambda m: "Chào thầy/cô" in m.content, timeout=WAIT)
    return user, greeting.text


async def press_and_wait(user: FakeUser, button: str, expect: str, message_id: int | None = None):
    await user.press(button, message_id)
    message = await user.wait_for_message(lambda m: expect in m.content, timeout=WAIT)
    return message


async def invitation(user: FakeUser) -> BotMessage:
    return await user.wait_for_message(
        lambda m: "✅ Xác nhận chứng kiến" in m.inline_buttons, timeout=WAIT
    )


async def confirm(user: FakeUser) -> None:
    invite = await invitation(user)
    await press_and_wait(user, "✅ Xác nhận chứng kiến", "Đã ghi nhận", invite.message_id)


async def waiting_board(principal: FakeUser) -> BotMessage:
    await principal.send_command("/phieusua")
    return await principal.wait_for_message(
        lambda m: "Đang chờ người khác" in m.content, timeout=WAIT
    )


async def nothing_more(user: FakeUser, seconds: float = 5) -> None:
    """Nothing else arrives (the outbox runs every two seconds when idle)."""
    with pytest.raises(TimeoutError):
        unexpected = await user.wait_for_message(timeout=seconds)
        raise AssertionError(f"unexpected message: {unexpected.content}")


async def test_a_witness_who_signs_in_after_approval_completes_the_correction(
    telegram_server, forwarded
) -> None:
    # the principal signs in after the request was forwarded: its card is waiting, and comes
    principal, greeting = await sign_in(telegram_server, "HT01", 6310)
    assert "1 thông báo gửi thầy cô trong lúc vắng mặt sẽ đến ngay sau đây" in greeting
    card = await principal.wait_for_message(lambda m: "SĐ-1" in m.content, timeout=WAIT)
    assert "6,0 → <b>7,5</b>" in card.text or "6,0 → 7,5" in card.text
    # the admin's card was acted on (forwarded) before the admin came: one line, not sent
    admin, greeting = await sign_in(telegram_server, "QT01", 6311)
    assert "1 phiếu sửa điểm chờ chuyển Hiệu trưởng" in greeting and "không gửi lại" in greeting
    teacher, _greeting = await sign_in(telegram_server, "GV02", 6302)
    homeroom, _greeting = await sign_in(telegram_server, "GV03", 6303)  # 001 Điều 17.3

    await press_and_wait(principal, "✅ Duyệt", "Đã duyệt", card.message_id)
    for user in (principal, admin, teacher, homeroom):
        await confirm(user)
    assert (await CorrectionRequest.get()).state == RequestState.APPROVED

    # the board says whom the request waits on, and why
    board = await waiting_board(principal)
    assert "đã duyệt, chờ người chứng kiến xác nhận" in board.text
    assert "Mai Thanh Tra (Đại diện Ban thanh tra nhân dân): chưa đăng nhập Trợ lý" in board.text
    assert "✅ Đỗ Thị Hiệu (Đại diện Ban giám hiệu): đã xác nhận lúc" in board.text
    assert "✅ Ngô Chủ Nhiệm (Giáo viên chủ nhiệm lớp): đã xác nhận lúc" in board.text
    assert "🔁 Gửi lại lời mời (SĐ-1)" in board.inline_buttons
    assert "🔄 Thay Mai Thanh Tra (SĐ-1)" in board.inline_buttons

    # the inspector signs in: the invitation arrives, and the correction goes through
    inspector, greeting = await sign_in(telegram_server, "TT01", 6312)
    assert "1 thông báo gửi thầy cô" in greeting and "🗂" not in greeting
    invite = await invitation(inspector)
    assert "Phiếu SĐ-1 đã được duyệt" in invite.text and BINH in invite.text
    await press_and_wait(inspector, "✅ Xác nhận chứng kiến", "Đã ghi nhận", invite.message_id)
    opened = await teacher.wait_for_message(lambda m: "mở cho thầy cô" in m.content, timeout=WAIT)
    await press_and_wait(teacher, opened.inline_buttons[0], "Gõ giá trị đã duyệt")
    await teacher.send_text("7,5")
    assert "Đã ghi và khóa lại" in (await teacher.wait_for_message(timeout=WAIT)).text

    mark = await Mark.get(
        student__full_name=BINH, subject__code="NV", kind=MarkKind.REGULAR, index=1, term__number=1
    )
    assert mark.score == Decimal("7.5")
    request = await CorrectionRequest.get()
    assert request.state == RequestState.APPLIED and request.minutes_sha256
    for user in (principal, admin, teacher):
        minutes = await user.wait_for_message(lambda m: m.document is not None, timeout=WAIT)
        assert minutes.document.file_name == "bien-ban-SĐ-1.pdf"
        assert minutes.document.data.startswith(b"%PDF")


async def test_the_principal_resends_and_replaces_a_witness_from_the_phone(
    telegram_server, approved
) -> None:
    # everyone but the first inspector signs in after the approval; their invitations come
    principal, greeting = await sign_in(telegram_server, "HT01", 6410)
    assert "thông báo gửi thầy cô trong lúc vắng mặt" in greeting
    assert "1 phiếu sửa điểm chờ duyệt" in greeting  # approved meanwhile: the card lapsed
    admin, _ = await sign_in(telegram_server, "QT01", 6411)
    teacher, _ = await sign_in(telegram_server, "GV02", 6402)
    second, greeting = await sign_in(telegram_server, "TT02", 6413)
    assert "Chào thầy/cô Hồ Thanh Tra" in greeting
    homeroom, _ = await sign_in(telegram_server, "GV03", 6403)
    await confirm(principal)
    await confirm(teacher)
    await confirm(homeroom)  # the class's own witness: never offered for replacement
    first_invite = await invitation(admin)  # received, not answered

    # «Gửi lại»: to the admin, who had it; not to the inspector, who is not signed in
    board = await waiting_board(principal)
    assert "Vũ Quản Trị (Đại diện Ban quản trị): đã nhận tin lúc" in board.text
    await principal.press("🔁 Gửi lại lời mời (SĐ-1)", board.message_id)
    said = await principal.wait_for_message(lambda m: "🔁 Phiếu SĐ-1" in m.content, timeout=WAIT)
    assert "Vũ Quản Trị: đã gửi lại" in said.text
    assert "Mai Thanh Tra: không gửi thêm, chưa đăng nhập Trợ lý" in said.text
    again = await invitation(admin)
    assert again.message_id != first_invite.message_id
    assert again.text.startswith("🔁 Nhắc lại lời mời chứng kiến.")
    await press_and_wait(admin, "✅ Xác nhận chứng kiến", "Đã ghi nhận", again.message_id)

    # «Thay»: the second inspector in place of the first, who never came
    board = await waiting_board(principal)
    assert "Vũ Quản Trị" not in board.inline_buttons  # confirmed: nothing to do about him
    assert not any("Ngô Chủ Nhiệm" in b for b in board.inline_buttons)
    await principal.press("🔄 Thay Mai Thanh Tra (SĐ-1)", board.message_id)
    offered = await principal.wait_for_message(
        lambda m: "Chọn người thay" in m.content, timeout=WAIT
    )
    assert offered.inline_buttons == ["👤 Hồ Thanh Tra"]
    await principal.press("👤 Hồ Thanh Tra", offered.message_id)
    done = await principal.wait_for_message(lambda m: "🔄 Phiếu SĐ-1" in m.content, timeout=WAIT)
    assert "Hồ Thanh Tra thay Mai Thanh Tra chứng kiến" in done.text
    await principal.press("👤 Hồ Thanh Tra", offered.message_id)  # a second press: refused
    refused = await principal.wait_for_message(
        lambda m: "đã là người chứng kiến" in m.content, timeout=WAIT
    )
    assert "SĐ-1" in refused.text

    await confirm(second)
    opened = await teacher.wait_for_message(lambda m: "mở cho thầy cô" in m.content, timeout=WAIT)
    assert "Nhập TX1 = 7,5" in opened.inline_buttons[0]
    assert (await CorrectionRequest.get()).state == RequestState.OPEN

    # the first inspector signs in at last: one line for the invitation, which is not sent
    first, greeting = await sign_in(telegram_server, "TT01", 6412)
    assert "1 lời mời chứng kiến sửa điểm" in greeting and "không gửi lại" in greeting
    assert "sẽ đến ngay sau đây" not in greeting
    await nothing_more(first)
    tt01 = await Staff.get(code="TT01")
    [lapsed] = await Notification.filter(staff_id=tt01.id, kind="correction.witness")
    assert lapsed.state is DeliveryState.LAPSED


async def test_what_expired_is_one_line_of_the_greeting_never_sent(
    telegram_server, forwarded
) -> None:
    """Two reminders whose deadlines passed wait for a teacher who signs in late: neither is
    sent, both are counted in one line; the rejection of the request, which still applies,
    comes."""
    teacher = await Staff.get(code="GV02")
    now = clock.now()
    await outbox.notify_staff(
        teacher,
        REMINDER,
        "⏰ Nhắc hạn nhập điểm: hạn đã qua",
        dedupe_key="e2e:reminder:passed",
        expires_at=now - dt.timedelta(hours=1),
    )
    await outbox.notify_staff(
        teacher,
        REMINDER,
        "⏰ Nhắc hạn nhập điểm: hạn cũ hơn",
        dedupe_key="e2e:reminder:older",
        expires_at=now - dt.timedelta(days=7),
    )
    principal, _ = await sign_in(telegram_server, "HT01", 6510)
    card = await principal.wait_for_message(lambda m: "SĐ-1" in m.content, timeout=WAIT)
    await press_and_wait(principal, "❌ Từ chối", "lý do từ chối", card.message_id)
    await principal.send_text("Minh chứng không khớp sổ điểm")
    await principal.wait_for_message(lambda m: "Đã từ chối" in m.content, timeout=WAIT)

    user, greeting = await sign_in(telegram_server, "GV02", 6502)
    lines = greeting.split("\n")
    # the rejection (and the notice of the term's lock, from the seed) still apply
    released = await Notification.filter(
        staff_id=teacher.id,
        state__in=[DeliveryState.PENDING, DeliveryState.SENDING, DeliveryState.SENT],
    ).count()
    assert f"📬 {released} thông báo gửi thầy cô trong lúc vắng mặt sẽ đến ngay sau đây." in lines
    [summary] = [line for line in lines if line.startswith("🗂")]
    assert "2 lời nhắc hạn nhập điểm" in summary and "không gửi lại" in summary
    told = await user.wait_for_message(lambda m: "không được duyệt" in m.content, timeout=WAIT)
    assert "Minh chứng không khớp sổ điểm" in told.text
    await nothing_more(user)
    assert not [m for m in user.messages() if "Nhắc hạn nhập điểm" in m.content]
    states = await Notification.filter(kind=REMINDER).values_list("state", flat=True)
    assert set(states) == {DeliveryState.LAPSED}
