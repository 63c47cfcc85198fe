"""«📣 Nhắc tất cả người trễ» with 24 late teachers, 22 of them never signed in and one who
blocked the bot, through the fake Telegram server: the press is answered at once, the report
comes when delivery has settled with true counts, a second press sends nothing twice, another
teacher's reply meanwhile stays under 300 ms, and the late-teacher digest tells "received",
"not signed in" and "blocked the bot" apart."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from core import clock
from core.models import Notification, Role, School, SchoolClass, Staff, Subject, Term
from core.models.outbox import DeliveryState, Failure
from core.rules.catalog import SchoolLevel
from core.services import gradebook, roster
from core.services.access import Actor
from core.services.gradebook import mark_columns
from core.services.reminders import QuietHours
from core.services.rounds import run_round
from core.services.schools import create_school, ensure_year
from core.validation import Gender
from tests.e2e.bot_harness import bot_config, running_bot
from tests.telegram_fake import FakeTelegramServer
from tests.telegram_fake.user import FakeUser

VN = dt.timezone(dt.timedelta(hours=7))
AFTER_ENTRY = dt.datetime(2026, 1, 15, 17, 30, tzinfo=VN)  # term I entry closed at 17:00
BORN = dt.date(2014, 1, 2)
QUIET = QuietHours(dt.time(21, 0), dt.time(6, 30))
CLASSES = ("6A", "6B", "6C", "6D", "6E", "6F")
SUBJECTS = ("TOAN", "NV", "NN1", "KHTN")
LATE = [f"GV{100 + n}" for n in range(1, 25)]  # 24 teachers, one class × subject each
HOA, BINH, DAO = "GV101", "GV102", "GV130"  # receives, blocks the bot, complete
PRINCIPAL, ADMIN = "GV001", "GV002"
SIGNED_IN = {PRINCIPAL: 8001, ADMIN: 8002, HOA: 8101, BINH: 8102, DAO: 8130}
NAMES = {HOA: "Lê Thị Hoa", BINH: "Trần Văn Bình", DAO: "Đào Văn Đủ"}
REPLY_LIMIT = 0.3  # seconds: what the issue asks of a teacher's reply while remind-all runs


def _phone(code: str) -> str:
    return f"+8491{int(code[2:]):07d}"


async def seed() -> None:
    school = await create_school("THCS-NHAC", "Trường THCS Nhắc", SchoolLevel.LOWER_SECONDARY)
    year = await ensure_year(school, "2025-2026")
    admin = Actor.command_line(school.id)
    await roster.write_students(
        admin,
        year,
        [
            roster.StudentEntry(
                f"0372140000{n:02d}",
                f"Học Sinh {klass}",
                dt.date(2014, 1, 2),
                Gender.MALE,
                klass,
                6,
                1,
            )
            for n, klass in enumerate(CLASSES, start=1)
        ],
    )
    people = [
        (PRINCIPAL, "Phạm Văn Hiệu", {Role.PRINCIPAL}),
        (ADMIN, "Ngô Thị Quản", {Role.ADMIN}),
        (DAO, NAMES[DAO], {Role.SUBJECT_TEACHER}),
    ]
    people += [
        (code, NAMES.get(code, f"Giáo Viên {code}"), {Role.SUBJECT_TEACHER}) for code in LATE
    ]
    await roster.write_staff(
        admin,
        year,
        [roster.StaffEntry(c, n, frozenset(r), phone=_phone(c)) for c, n, r in people],
    )
    subjects = {s.code: s for s in await Subject.filter(school=school)}
    pairs = [(klass, code) for klass in CLASSES for code in SUBJECTS]
    assignments = [
        roster.AssignmentEntry(teacher, klass, subjects[code].id)
        for teacher, (klass, code) in zip(LATE, pairs, strict=True)
    ]
    assignments.append(roster.AssignmentEntry(DAO, "6A", subjects["TH"].id))
    await roster.write_assignments(admin, year, assignments)
    klass = await SchoolClass.get(year=year, name="6A")
    term = await Term.get(year=year, number=1)
    student = (await klass.enrollments.all())[0].student_id
    await gradebook.write_marks(  # Đào has entered everything of term I, himself (17.2)
        await Actor.of_staff(await Staff.get(school=school, code=DAO)),
        [
            gradebook.MarkEntry(student, klass, subjects["TH"], term, kind, index, Decimal("8"))
            for kind, index in mark_columns(subjects["TH"], 6)
        ],
    )


@pytest.fixture
async def people(
    telegram_server: FakeTelegramServer, tmp_path: Path
) -> AsyncIterator[dict[str, FakeUser]]:
    clock.set_time(AFTER_ENTRY.astimezone(dt.UTC))
    try:
        config = bot_config(telegram_server, tmp_path)
        async with running_bot(config, seed, schedule_jobs=False):
            users = {}
            for code, user_id in SIGNED_IN.items():
                user = telegram_server.user(user_id, code, phone=_phone(code))
                await user.share_contact()
                await user.wait_for_message(timeout=10)
                users[code] = user
            users[BINH].block_bot()
            yield users
    finally:
        clock.set_time(None)


def _sent_to(server: FakeTelegramServer, chat_id: int, after: float) -> list[float]:
    """When the bot sent messages to a chat, after a moment (time.monotonic)."""
    return [
        c.time for c in server.calls_to("sendMessage") if c.chat_id == chat_id and c.time > after
    ]


def _sent_at(server: FakeTelegramServer, chat_id: int, fragment: str) -> float:
    """When the bot sent a chat the (first) message containing `fragment`."""
    return next(
        c.time
        for c in server.calls_to("sendMessage")
        if c.chat_id == chat_id and fragment in c.params.get("text", "")
    )


async def test_remind_all_answers_at_once_counts_truly_and_never_holds_others(
    telegram_server: FakeTelegramServer, people: dict[str, FakeUser]
) -> None:
    principal, teacher = people[PRINCIPAL], people[DAO]
    await principal.press_reply("📊 Tiến độ toàn trường")
    await principal.wait_for_message(
        lambda m: "📣 Nhắc tất cả người trễ" in m.inline_buttons, timeout=10
    )
    reminders = Notification.filter(kind="reminder")
    assert await reminders.count() == 0

    pressed_at = time.monotonic()
    press = await principal.press("📣 Nhắc tất cả người trễ")
    await asyncio.sleep(0.02)  # the bot has the press in hand: now the teacher writes
    typed_at = time.monotonic()
    await teacher.press_reply("📋 Tiến độ của tôi")
    reply = await teacher.wait_for_message(timeout=5)
    assert "đã nhập đủ" in reply.text
    (replied_at,) = _sent_to(telegram_server, SIGNED_IN[DAO], typed_at)
    assert replied_at - typed_at < REPLY_LIMIT, f"teacher waited {replied_at - typed_at:.3f} s"

    answer = await press.wait_answer()
    assert answer["text"] == "📣 Đang gửi nhắc nhở…"
    (answered,) = [c.time for c in telegram_server.calls_to("answerCallbackQuery")]
    assert answered - pressed_at < REPLY_LIMIT
    status = await principal.wait_for_message(timeout=10)
    assert status.text == (
        "📣 Đang gửi nhắc nhở tới 24 giáo viên. Trợ lý sẽ báo kết quả khi gửi xong."
    )
    report = await principal.wait_for_message(lambda m: "Kết quả" in m.text, timeout=30)
    reported_at = _sent_at(telegram_server, SIGNED_IN[PRINCIPAL], "Kết quả")
    assert replied_at < reported_at  # the teacher was answered while remind-all ran

    lines = report.text.splitlines()
    assert lines[0] == "📣 Kết quả nhắc nhập điểm: 24 giáo viên"
    assert "✅ 1 đã nhận" in lines
    assert any(line.startswith("🔑 22 chưa đăng nhập Trợ lý") for line in lines)
    assert any(line.startswith("🚫 1 đã chặn Trợ lý") and NAMES[BINH] in line for line in lines)
    assert "…" not in report.text and "đang được gửi" not in report.text
    assert "Ban giám hiệu nhắc" in (await people[HOA].wait_for_message(timeout=10)).text
    assert await reminders.count() == 24
    assert await reminders.filter(state=DeliveryState.WAITING_LINK).count() == 22
    assert await reminders.filter(state=DeliveryState.SENT).count() == 1
    assert await reminders.filter(failure=Failure.BLOCKED).count() == 1

    await principal.press("📣 Nhắc tất cả người trễ")  # again: nothing is sent twice
    assert "tới 24 giáo viên" in (await principal.wait_for_message(timeout=10)).text
    again = await principal.wait_for_message(lambda m: "Kết quả" in m.text, timeout=30)
    assert "↩️ 24 giáo viên đã được nhắc đúng những điểm còn thiếu này hôm nay" in again.text
    assert "✅ 1 đã nhận" in again.text
    assert await reminders.count() == 24
    await asyncio.sleep(1)  # a second reminder, had one been enqueued, would arrive now
    assert sum("Ban giám hiệu nhắc" in (m.text or "") for m in people[HOA].messages()) == 1


async def test_one_tap_for_a_teacher_who_has_caught_up_says_so(
    telegram_server: FakeTelegramServer, people: dict[str, FakeUser]
) -> None:
    principal, name = people[PRINCIPAL], "Giáo Viên GV103"  # 6A, Ngoại ngữ 1
    await principal.press_reply("📊 Tiến độ toàn trường")
    await principal.wait_for_message(lambda m: f"Nhắc {name}" in m.inline_buttons, timeout=10)
    klass = await SchoolClass.get(name="6A")
    english = await Subject.get(code="NN1")
    term = await Term.get(year_id=klass.year_id, number=1)
    student = (await klass.enrollments.all())[0].student_id
    await gradebook.write_marks(  # the teacher catches up after the view was drawn
        await Actor.of_staff(await Staff.get(code="GV103")),
        [
            gradebook.MarkEntry(student, klass, english, term, kind, index, Decimal("7"))
            for kind, index in mark_columns(english, 6)
        ],
    )
    press = await principal.press(f"Nhắc {name}")
    assert (await press.wait_answer())["text"] == "📣 Đang gửi nhắc nhở…"
    done = await principal.wait_for_message(timeout=10)
    assert done.text == f"✅ {name} không còn thiếu điểm: không cần nhắc."
    assert not await Notification.filter(kind="reminder").exists()


async def test_digest_tells_received_not_signed_in_and_blocked_apart(
    telegram_server: FakeTelegramServer, people: dict[str, FakeUser]
) -> None:
    """Hoa once had a message Telegram refused (the old digest then named her "unreachable"
    for good); she receives her reminders, and the digest says so."""
    hoa = await Staff.get(code=HOA)
    await Notification.create(
        school_id=hoa.school_id,
        staff=hoa,
        kind="incident",
        text="…",
        dedupe_key="old-refused",
        state=DeliveryState.FAILED,
        failure=Failure.REJECTED,
        next_attempt_at=clock.now(),
    )
    principal = people[PRINCIPAL]
    await principal.press_reply("📊 Tiến độ toàn trường")
    await principal.wait_for_message(
        lambda m: "📣 Nhắc tất cả người trễ" in m.inline_buttons, timeout=10
    )
    await principal.press("📣 Nhắc tất cả người trễ")
    await principal.wait_for_message(lambda m: "Kết quả" in m.text, timeout=30)

    school = await School.get(code="THCS-NHAC")
    now = clock.now()
    result = await run_round(school, since=now - dt.timedelta(hours=1), now=now, quiet=QUIET)
    assert result.escalated == ["entry.term1"]
    for code in (PRINCIPAL, ADMIN):
        digest = await people[code].wait_for_message(lambda m: "Quá hạn" in m.text, timeout=15)
        assert "24 giáo viên chưa nhập xong" in digest.text
        assert f"• {NAMES[HOA]}: thiếu 6 ô điểm — đã nhận nhắc nhở" in digest.text
        assert f"• {NAMES[BINH]}: thiếu 6 ô điểm — đã chặn Trợ lý" in digest.text
        assert "• Giáo Viên GV103: thiếu 6 ô điểm — chưa đăng nhập Trợ lý" in digest.text
        assert (
            "Nhắc nhở tới những giáo viên này: 1 đã nhận; 22 chưa đăng nhập Trợ lý (tin chờ "
            "đến khi họ đăng nhập: gửi họ mã mời, /moi); 1 đã chặn Trợ lý hoặc chưa bấm «Bắt "
            "đầu» (hãy báo trực tiếp và nhờ họ mở lại Trợ lý)."
        ) in digest.text
        assert len(digest.text) <= 4096
