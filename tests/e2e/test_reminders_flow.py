"""Deadlines, reminders teachers answer from the phone, progress, and locks — through the fake
Telegram server and the real runtime, on a controlled clock (core.clock)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from core import clock
from core.errors import HocbaError
from core.models import (
    Mark,
    MarkKind,
    Notification,
    Role,
    School,
    SchoolClass,
    Staff,
    Student,
    Subject,
    Term,
)
from core.models.outbox import DeliveryState, Failure
from core.rules.catalog import SchoolLevel
from core.services import gradebook, roster
from core.services.access import Actor
from core.services.reminders import QuietHours
from core.services.rounds import run_round
from core.services.schools import create_school, ensure_year
from core.validation import Gender
from jobs import locks as locks_job
from tests.e2e.bot_harness import bot_config, running_bot
from tests.telegram_fake import FakeTelegramServer

VN = dt.timezone(dt.timedelta(hours=7))
MONDAY = dt.datetime(2026, 1, 12, 17, 30, tzinfo=VN)  # 3 days before term I entry (15/01 17:00)
QUIET = QuietHours(dt.time(21, 0), dt.time(6, 30))
PEOPLE = [
    ("GV001", "Phạm Văn Hiệu", {Role.PRINCIPAL}, "+84911111111"),
    ("GV002", "Ngô Thị Quản", {Role.ADMIN}, "+84922222222"),
    ("GV010", "Lê Thị Hoa", {Role.SUBJECT_TEACHER}, "+84912345678"),
    ("GV011", "Trần Văn Bình", {Role.SUBJECT_TEACHER}, "+84987654321"),
]


async def seed() -> None:
    """6A with two students; Hoa (maths) has only TX1–TX2 of term I, Bình (informatics) all."""
    school = await create_school("THCS-E2E", "Trường THCS Thử", SchoolLevel.LOWER_SECONDARY)
    year = await ensure_year(school, "2025-2026")
    admin = Actor.command_line(school.id)
    await roster.write_students(
        admin,
        year,
        [
            roster.StudentEntry(
                "037214000001", "Nguyễn Văn An", dt.date(2014, 1, 2), Gender.MALE, "6A", 6, 1
            ),
            roster.StudentEntry(
                "037314000002", "Lê Thị Bích", dt.date(2014, 5, 6), Gender.FEMALE, "6A", 6, 2
            ),
        ],
    )
    await roster.write_staff(
        admin, year, [roster.StaffEntry(c, n, frozenset(r), phone=p) for c, n, r, p in PEOPLE]
    )
    maths = await Subject.get(school=school, code="TOAN")
    informatics = await Subject.get(school=school, code="TH")
    await roster.write_assignments(
        admin,
        year,
        [
            roster.AssignmentEntry("GV010", "6A", maths.id),
            roster.AssignmentEntry("GV011", "6A", informatics.id),
        ],
    )
    klass = await SchoolClass.get(year=year, name="6A")
    term = await Term.get(year=year, number=1)
    cells = [(maths, MarkKind.REGULAR, 1), (maths, MarkKind.REGULAR, 2)]
    cells += [
        (informatics, MarkKind.REGULAR, 1),
        (informatics, MarkKind.REGULAR, 2),
        (informatics, MarkKind.MIDTERM, 1),
        (informatics, MarkKind.FINAL, 1),
    ]
    students = await Student.all()
    for teacher, taught in (("GV010", maths), ("GV011", informatics)):  # each enters their own
        await gradebook.write_marks(
            await Actor.of_staff(await Staff.get(school=school, code=teacher)),
            [
                gradebook.MarkEntry(s.id, klass, subject, term, kind, index, Decimal("8"))
                for s in students
                for subject, kind, index in cells
                if subject == taught
            ],
        )


@pytest.fixture
async def bot(telegram_server: FakeTelegramServer, tmp_path: Path) -> AsyncIterator[object]:
    clock.set_time(MONDAY.astimezone(dt.UTC))
    try:
        config = bot_config(telegram_server, tmp_path)
        async with running_bot(config, seed, schedule_jobs=False):
            users = {}
            for user_id, (code, _name, _roles, phone) in enumerate(PEOPLE, start=7001):
                user = telegram_server.user(user_id, code, phone=phone)
                await user.share_contact()
                await user.wait_for_message()
                users[code] = user
            yield users
    finally:
        clock.set_time(None)


def advance(**delta: float) -> dt.datetime:
    clock.set_time(clock.now() + dt.timedelta(**delta))
    return clock.now()


async def round_now(minutes_back: int = 60):
    now = clock.now()
    school = await School.get(code="THCS-E2E")
    return await run_round(
        school, since=now - dt.timedelta(minutes=minutes_back), now=now, quiet=QUIET
    )


async def test_round_reaches_only_the_incomplete_teacher(telegram_server, bot) -> None:
    result = await round_now()
    hoa = await Staff.get(code="GV010")
    assert result.reminded == [hoa.id]
    message = await bot["GV010"].wait_for_message(timeout=10)
    assert "Nhắc hạn nhập điểm" in message.text
    assert "6A — Toán, HK I: TX3 (2 HS), TX4 (2 HS), GK (2 HS), CK (2 HS)" in message.text
    assert message.inline_buttons == [
        "🔎 Chi tiết",
        "✅ Đã nhập xong",
        "📄 Gửi bảng điểm",
        "⏰ Nhắc lại sau",
    ]
    before = await Notification.all().count()
    again = await round_now()  # the same round again (a re-run after a crash): nothing twice
    assert again.reminded == [hoa.id] and await Notification.all().count() == before
    binh = await Staff.get(code="GV011")
    assert not await Notification.filter(staff=binh, kind="reminder").exists()


async def test_details_snooze_and_done(telegram_server, bot) -> None:
    await round_now()
    teacher = bot["GV010"]
    await teacher.wait_for_message(timeout=10)
    await teacher.press("🔎 Chi tiết")
    details = await teacher.wait_for_message(timeout=10)
    assert "TX3" in details.text and "Nguyễn Văn An, Lê Thị Bích" in details.text
    await teacher.press("⏰ Nhắc lại sau")
    await teacher.wait_for_message(timeout=10)
    await teacher.press("Sau 2 giờ")
    edit = await teacher.wait_for_edit()
    assert "19:30" in edit.text
    advance(hours=2, minutes=1)
    again = await teacher.wait_for_message(timeout=15)
    assert "Nhắc lại" in again.text and "TX3 (2 HS)" in again.text
    await teacher.press("✅ Đã nhập xong")
    assert "vẫn còn thiếu" in (await teacher.wait_for_message(timeout=10)).text


def _fill(data: bytes, values: dict[str, object]) -> bytes:
    """Fill the template's empty columns for every student row."""
    book = load_workbook(io.BytesIO(data))
    sheet = book.active
    rows = list(sheet.iter_rows())
    header_row = next(r for r in rows if any(c.value == "TX3" for c in r))
    columns = {c.value: c.column_letter for c in header_row if c.value in values}
    for row in rows[header_row[0].row :]:
        if row[1].value:
            for name, value in values.items():
                sheet[f"{columns[name]}{row[0].row}"] = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def _template(teacher) -> bytes:
    await teacher.press("📄 Gửi bảng điểm")
    await teacher.wait_for_message(timeout=10)
    await teacher.press("6A — Toán, HK I")
    document = await teacher.wait_for_message(timeout=10)
    assert document.document.file_name.endswith(".xlsx")
    return document.document.data


async def test_template_round_trip_bad_then_good(telegram_server, bot) -> None:
    await round_now()
    teacher = bot["GV010"]
    reminder = await teacher.wait_for_message(timeout=10)
    template = await _template(teacher)
    bad = _fill(template, {"TX3": 11, "TX4": 7, "GK": "7,5", "CK": 8.25})
    await teacher.send_document(bad, "bang-diem.xlsx", "application/vnd.ms-excel")
    refusal = await teacher.wait_for_message(timeout=10)
    assert refusal.text.startswith(
        "❌ Chưa lưu gì từ tệp «bang-diem.xlsx»: tệp có 4 lỗi, nên không dòng nào được ghi"
    )
    assert "rồi gửi lại cả tệp cho Trợ lý:" in refusal.text
    assert "• Bảng điểm, dòng 6 (Nguyễn Văn An), cột «TX3»: Điểm «11» không hợp lệ" in (
        refusal.text
    )
    assert "• Bảng điểm, dòng 7 (Lê Thị Bích), cột «CK»: Điểm «8,25» không hợp lệ" in (refusal.text)
    assert "7.5" not in refusal.text and "8.25" not in refusal.text
    assert "Hướng dẫn" not in refusal.text
    assert await Mark.filter(kind=MarkKind.FINAL, subject__code="TOAN").count() == 0
    good = _fill(template, {"TX3": 9, "TX4": 7, "GK": "7,5", "CK": 8})
    await teacher.send_document(good, "bang-diem.xlsx", "application/vnd.ms-excel")
    saved = await teacher.wait_for_message(timeout=10)
    assert "Đã nhập" in saved.text and "Hướng dẫn" not in saved.text and "Bỏ qua" not in saved.text
    assert await Mark.filter(subject__code="TOAN").count() == 12
    await teacher.press("✅ Đã nhập xong", message_id=reminder.message_id)  # "done", no gaps
    assert "đã đủ điểm" in (await teacher.wait_for_message(timeout=10)).text
    await teacher.send_command("/start")
    await teacher.wait_for_message(timeout=10)
    await teacher.press_reply("📋 Tiến độ của tôi")
    assert "đã nhập đủ" in (await teacher.wait_for_message(timeout=10)).text


async def test_late_list_escalation_and_one_tap_reminder(telegram_server, bot) -> None:
    clock.set_time(dt.datetime(2026, 1, 15, 17, 30, tzinfo=VN).astimezone(dt.UTC))
    result = await round_now()  # the term I entry deadline passed half an hour ago
    assert result.escalated == ["entry.term1"]
    for code in ("GV001", "GV002"):
        digest = await bot[code].wait_for_message(timeout=10)
        assert "Quá hạn" in digest.text and "Lê Thị Hoa: thiếu 8 ô điểm" in digest.text
    admin = bot["GV002"]
    await admin.press_reply("📊 Tiến độ toàn trường")
    view = await admin.wait_for_message(timeout=10)
    assert view.text.index("Lê Thị Hoa") < view.text.index("Theo lớp")
    assert "trễ hạn" in view.text and "Nhắc Lê Thị Hoa" in view.inline_buttons
    press = await admin.press("Nhắc Lê Thị Hoa")
    assert "Đang gửi" in (await press.wait_answer())["text"]
    assert "tới 1 giáo viên" in (await admin.wait_for_message(timeout=10)).text
    reminder = await bot["GV010"].wait_for_message(timeout=10)
    assert "Ban giám hiệu nhắc" in reminder.text
    report = await admin.wait_for_message(lambda m: "Kết quả" in m.text, timeout=15)
    assert "1 giáo viên" in report.text and "✅ 1 đã nhận" in report.text


async def test_automatic_lock_refuses_writes_and_timed_unlock_relocks(telegram_server, bot) -> None:
    teacher = bot["GV010"]
    await round_now()
    await teacher.wait_for_message(timeout=10)
    template = await _template(teacher)
    clock.set_time(dt.datetime(2026, 1, 29, 17, 1, tzinfo=VN).astimezone(dt.UTC))
    await locks_job.run()  # the lock job at the calendar's time
    locked_note = await teacher.wait_for_message(timeout=10)
    assert "khóa" in locked_note.text.lower()
    sheet = _fill(template, {"TX3": 9, "TX4": 7, "GK": 8, "CK": 8})
    await teacher.send_document(sheet, "bang-diem.xlsx", "application/vnd.ms-excel")
    refused = await teacher.wait_for_message(timeout=10)
    assert "Không ghi được" in refused.text and "Hiệu trưởng" in refused.text
    # the same refusal for a direct service call (what the command line and importer use)
    hoa = await Actor.of_staff(await Staff.get(code="GV010"))
    klass = await SchoolClass.get(name="6A")
    maths = await Subject.get(code="TOAN")
    term = await Term.get(year_id=klass.year_id, number=1)
    student = await Student.get(national_id="037214000001")
    with pytest.raises(HocbaError, match="Không ghi được"):
        await gradebook.write_marks(
            hoa,
            [gradebook.MarkEntry(student.id, klass, maths, term, MarkKind.FINAL, 1, Decimal("8"))],
        )

    principal = bot["GV001"]
    await principal.send_command("/moso", args="6A Toán HK1 | 1 | nhập sót điểm")
    assert "Đã mở" in (await principal.wait_for_message(timeout=10)).text
    await teacher.send_document(sheet, "bang-diem.xlsx", "application/vnd.ms-excel")
    assert "Đã nhập" in (await teacher.wait_for_message(timeout=20)).text
    advance(hours=2)
    await locks_job.run()  # records the relock and tells the teacher
    with pytest.raises(HocbaError, match="Không ghi được"):
        await gradebook.write_marks(
            hoa,
            [gradebook.MarkEntry(student.id, klass, maths, term, MarkKind.FINAL, 1, Decimal("9"))],
        )


async def test_blocked_teacher_is_recorded_and_named_in_the_digest(telegram_server, bot) -> None:
    """Bình (now missing his CK marks) has blocked the bot: the round's message to him fails
    and is recorded, Hoa's arrives, and the admins' digest after the deadline names him."""
    final_marks = Mark.filter(subject__code="TH", kind=MarkKind.FINAL)
    await Mark.filter(id__in=await final_marks.values_list("id", flat=True)).delete()
    bot["GV011"].block_bot()
    hoa, binh = await Staff.get(code="GV010"), await Staff.get(code="GV011")
    result = await round_now()
    assert sorted(result.reminded) == sorted([hoa.id, binh.id])
    assert "Nhắc hạn nhập điểm" in (await bot["GV010"].wait_for_message(timeout=10)).text
    alert = await bot["GV002"].wait_for_message(
        lambda m: "Không gửi được thông báo" in m.text, timeout=15
    )
    assert "Trần Văn Bình (GV011)" in alert.text and "chặn bot" in alert.text
    failed = await Notification.get(staff=binh, kind="reminder")
    assert (failed.state, failed.failure) == (DeliveryState.FAILED, Failure.BLOCKED)
    tried = [c for c in telegram_server.calls_to("sendMessage") if c.chat_id == 7004]
    assert [c.ok for c in tried if "Nhắc hạn" in c.params["text"]] == [False]  # tried once

    clock.set_time(dt.datetime(2026, 1, 15, 17, 30, tzinfo=VN).astimezone(dt.UTC))
    assert (await round_now()).escalated == ["entry.term1"]
    for code in ("GV001", "GV002"):
        digest = await bot[code].wait_for_message(lambda m: "Quá hạn" in m.text, timeout=10)
        assert "2 giáo viên chưa nhập xong" in digest.text
        assert "Trần Văn Bình: thiếu 2 ô điểm — đã chặn Trợ lý" in digest.text
        assert "Lê Thị Hoa: thiếu 8 ô điểm — đã nhận nhắc nhở" in digest.text
        assert "1 đã nhận; 1 đã chặn Trợ lý hoặc chưa bấm «Bắt đầu»" in digest.text


async def test_stale_or_forged_ids_in_buttons_are_refused_plainly(telegram_server, bot) -> None:
    """A template or a one-tap reminder naming something gone (or never there) gets a
    sentence saying so, not the generic apology."""
    await round_now()
    teacher = bot["GV010"]
    await teacher.wait_for_message(timeout=10)
    maths = await Subject.get(code="TOAN")
    await teacher.press_forged(f"rm:t:999999:{maths.id}:1")
    gone = await teacher.wait_for_message(timeout=10)
    assert "Bảng điểm này không còn" in gone.text and "mã lỗi" not in gone.text

    clock.set_time(dt.datetime(2026, 1, 15, 17, 30, tzinfo=VN).astimezone(dt.UTC))
    admin = bot["GV002"]
    await admin.press_reply("📊 Tiến độ toàn trường")
    await admin.wait_for_message(lambda m: "Nhắc Lê Thị Hoa" in m.inline_buttons, timeout=10)
    await admin.press_forged("pg:r:999999")
    gone = await admin.wait_for_message(timeout=10)
    assert "Giáo viên này không còn trong danh sách" in gone.text
    assert not await Notification.filter(kind="incident").exists()


async def test_a_staging_clock_moves_the_bot(telegram_server, tmp_path) -> None:
    """[staging] now (here HOCBA_STAGING_NOW) fixes the bot's clock: its reminder job runs the
    round of 12/01 17:05, whose span holds the 3-day reminder of term I's entry (17:00). The
    test's own clock (17:30, for seeding) would have found nothing in its first span."""
    clock.set_time(MONDAY.astimezone(dt.UTC))
    try:
        config = bot_config(telegram_server, tmp_path, HOCBA_STAGING_NOW="12/01/2026 17:05")
        assert config.staging.now == dt.datetime(2026, 1, 12, 17, 5)
        async with running_bot(config, seed):  # the scheduled jobs run, on the staging clock
            code, _name, _roles, phone = PEOPLE[2]
            teacher = telegram_server.user(7003, code, phone=phone)
            await teacher.share_contact()
            reminder = await teacher.wait_for_message(
                lambda m: "Nhắc hạn nhập điểm" in (m.text or ""), timeout=30
            )
            assert "• Hạn nhập xong học kỳ I: 17:00, Thứ Năm, 15/01/2026" in reminder.text
            assert clock.now() == dt.datetime(2026, 1, 12, 17, 5, tzinfo=VN)
    finally:
        clock.set_time(None)
