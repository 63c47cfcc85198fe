"""Plain Vietnamese, from the phone: the minutes of a correction arrive sealed by the school
(PAdES, checked by pdfsig and pyhanko's validator) or, without a usable seal, say so while the
admins are told; /lichsu reads in the grade sheet's words; the school's progress says how many
teachers it did not list.

The correction runs through the real bot: everyone signs in first, the request is filed and
decided through the core (tests/e2e/test_corrections_flow.py drives those steps by buttons),
then the teacher enters the approved value from the button the bot sends.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core import clock
from core.models import (
    AuditEvent,
    CorrectionRequest,
    MarkKind,
    Notification,
    Role,
    School,
    SchoolClass,
    SchoolYear,
    Staff,
    Student,
    Subject,
    Term,
)
from core.services import corrections, roster
from core.services.access import Actor
from core.services.evidence import accept
from core.signing.backends import SEAL_CODE, pkcs12_path
from core.signing.pdf_verify import verify_pdf
from core.storage import FileStore
from demo.pki import Issued, issue, make_ca, write_pkcs12
from tests.corrections.conftest import JPEG, PNG
from tests.corrections.test_flow import pdf_text
from tests.e2e.bot_harness import bot_config, running_bot
from tests.e2e.small_school import signed_in
from tests.e2e.test_corrections_flow import seed
from tests.e2e.test_reminders_flow import VN
from tests.e2e.test_reminders_flow import seed as seed_reminders
from tests.telegram_fake import FakeTelegramServer
from tests.telegram_fake.user import FakeUser

WAIT = 30
SCHOOL_NAME = "Trường THCS Nhỏ"
BINH_ID = "001314000002"


@pytest.fixture(scope="module")
def ca() -> Issued:
    return make_ca()


async def _serve(server: FakeTelegramServer, tmp_path: Path, **env: str) -> AsyncIterator[None]:
    async with running_bot(bot_config(server, tmp_path, **env), seed):
        await server.wait_until(lambda: server.calls_to("getUpdates"), timeout=10, what="polling")
        yield


@pytest.fixture
async def sealed_bot(telegram_server, tmp_path, ca) -> AsyncIterator[None]:
    """The school's seal installed as a PKCS#12 file, where [signing] pkcs12_dir points."""
    keys = tmp_path / "keys"
    seal = issue(ca, SCHOOL_NAME, SCHOOL_NAME)
    write_pkcs12(seal, pkcs12_path(keys, "THCS-NHO", SEAL_CODE), "", SCHOOL_NAME)
    async for _ in _serve(telegram_server, tmp_path, HOCBA_SIGNING_PKCS12_DIR=str(keys)):
        yield


@pytest.fixture
async def unsealed_bot(telegram_server, tmp_path) -> AsyncIterator[None]:
    """No seal: the key folder is empty."""
    keys = tmp_path / "no-keys"
    async for _ in _serve(telegram_server, tmp_path, HOCBA_SIGNING_PKCS12_DIR=str(keys)):
        yield


async def correct_from_the_phone(
    server: FakeTelegramServer, tmp_path: Path
) -> tuple[CorrectionRequest, dict[str, FakeUser]]:
    """Everyone signs in; Bình's TX1 (6) is corrected to 7,5; the teacher enters it from the
    bot's button. Returns the applied request and the people."""
    people = {
        code: await signed_in(server, code, user_id)
        for code, user_id in (("GV02", 6402), ("HT01", 6410), ("QT01", 6411), ("TT01", 6412))
    }
    # GV03, 6A's homeroom teacher, witnesses too (001 Điều 17.3), without signing in here
    actor = {code: await Actor.of_staff(await Staff.get(code=code)) for code in [*people, "GV03"]}
    store = FileStore(tmp_path / "files")  # where bot_config keeps the bot's files
    klass = await SchoolClass.get(name="6A")
    draft = corrections.Draft(
        token=corrections.new_token(),
        class_id=klass.id,
        student_id=(await Student.get(national_id=BINH_ID)).id,
        subject_id=(await Subject.get(code="NV")).id,
        term_id=(await Term.get(year_id=klass.year_id, number=1)).id,
        changes=(corrections.Change(MarkKind.REGULAR, 1, "7.5"),),
        reason="Nhập nhầm điểm bài kiểm tra 15 phút",
        evidence=(accept(store, PNG, "anh1.png"), accept(store, JPEG, "anh2.jpg")),
    )
    request = await corrections.submit(actor["GV02"], draft, store)
    await corrections.forward(actor["QT01"], [request.id])
    await corrections.approve(actor["HT01"], request.id)
    for code in ("HT01", "QT01", "TT01", "GV02", "GV03"):
        await corrections.confirm_witness(actor[code], request.id)

    teacher = people["GV02"]
    opened = await teacher.wait_for_message(lambda m: "mở cho thầy cô" in m.content, timeout=WAIT)
    await teacher.press(opened.inline_buttons[0])
    asked = await teacher.wait_for_message(timeout=WAIT)
    assert "Gõ giá trị đã duyệt" in asked.text, asked.text
    await teacher.send_text("7,5")
    assert "Đã ghi và khóa lại" in (await teacher.wait_for_message(timeout=WAIT)).text
    return await CorrectionRequest.get(id=request.id), people


async def minutes_of(user: FakeUser, request: CorrectionRequest) -> bytes:
    message = await user.wait_for_message(lambda m: m.document is not None, timeout=WAIT)
    assert message.document.file_name == f"bien-ban-{request.number}.pdf"
    return message.document.data


@pytest.mark.poppler
async def test_sealed_minutes_and_history_in_words(
    telegram_server: FakeTelegramServer, sealed_bot, ca: Issued, tmp_path: Path
) -> None:
    request, people = await correct_from_the_phone(telegram_server, tmp_path)
    for code in ("GV02", "HT01", "QT01"):
        pdf = await minutes_of(people[code], request)
        path = tmp_path / f"{code}.pdf"
        path.write_bytes(pdf)
        out = subprocess.run(
            ["pdfsig", "-nocert", str(path)], capture_output=True, text=True, check=False
        ).stdout
        assert out.count("Signature Validation: Signature is Valid.") == 1, out
        reports = await verify_pdf(pdf, [ca.certificate])
        assert [(r.signer, r.ok) for r in reports] == [(SCHOOL_NAME, True)]
        text = pdf_text(pdf, tmp_path)
        assert "Những người xác nhận" in text and "Mai Thanh Tra" in text
        assert "chưa có chữ ký số" not in text
    assert not await Notification.exists(kind="correction.unsealed")

    principal = people["HT01"]
    await principal.send_command("/lichsu", args=f"{BINH_ID} Ngữ văn TX1")
    history = (await principal.wait_for_message(lambda m: "Lịch sử điểm" in m.text, WAIT)).text
    assert "mark:" not in history and "TX1" not in history
    assert history.startswith(f"Lịch sử điểm của Trần Thị Bình (mã định danh {BINH_ID})")
    corrected = history.split("\n")[-1]
    assert re.fullmatch(
        r"• \d\d:\d\d, (Thứ \w+|Chủ Nhật), \d\d/\d\d/\d{4} — Ngữ văn, học kỳ I, ĐĐGtx 1: "
        rf"6,0 → 7,5 \(Bùi Thị Văn, theo phiếu {request.number}\)",
        corrected,
    ), corrected
    written = await AuditEvent.filter(action="mark.update").order_by("-seq").first()
    local = clock.local(written.at)  # the school's clock, not the server's UTC
    assert corrected.startswith(f"• {local:%H:%M}, ") and f"{local:%d/%m/%Y}" in corrected


@pytest.mark.poppler
async def test_without_a_seal_the_minutes_say_so_and_the_admins_are_told(
    telegram_server: FakeTelegramServer, unsealed_bot, tmp_path: Path
) -> None:
    request, people = await correct_from_the_phone(telegram_server, tmp_path)
    pdf = await minutes_of(people["GV02"], request)
    assert await verify_pdf(pdf, []) == []
    text = " ".join(pdf_text(pdf, tmp_path).split())
    assert "Biên bản này chưa có chữ ký số (con dấu) của nhà trường" in text
    told = await people["QT01"].wait_for_message(
        lambda m: "chưa có chữ ký số" in m.content, timeout=WAIT
    )
    assert request.number in told.text and "SEAL.p12" in told.text and "Việc cần làm" in told.text
    teacher_heard = [m.text for m in people["GV02"].messages() if m.text]
    assert not any("Việc cần làm" in t for t in teacher_heard)  # the admins' business


async def seed_many_teachers() -> None:
    """The reminders' school, with thirteen more maths teachers of 6A, as late as Hoa."""
    await seed_reminders()
    school = await School.get(code="THCS-E2E")
    year = await SchoolYear.get(school=school)
    admin = Actor.command_line(school.id)
    codes = [f"GV1{n:02d}" for n in range(13)]
    await roster.write_staff(
        admin,
        year,
        [
            roster.StaffEntry(code, f"Giáo viên {code}", frozenset({Role.SUBJECT_TEACHER}))
            for code in codes
        ],
    )
    maths = await Subject.get(school=school, code="TOAN")
    await roster.write_assignments(
        admin, year, [roster.AssignmentEntry(code, "6A", maths.id) for code in codes]
    )


async def test_school_progress_counts_the_teachers_it_does_not_list(
    telegram_server: FakeTelegramServer, tmp_path: Path
) -> None:
    clock.set_time(dt.datetime(2026, 1, 15, 17, 30, tzinfo=VN).astimezone(dt.UTC))  # late now
    try:
        config = bot_config(telegram_server, tmp_path)
        async with running_bot(config, seed_many_teachers, schedule_jobs=False):
            admin = telegram_server.user(7402, "GV002", phone="+84922222222")
            await admin.share_contact()
            await admin.wait_for_message(timeout=10)
            await admin.press_reply("📊 Tiến độ toàn trường")
            view = await admin.wait_for_message(lambda m: "toàn trường" in m.text, timeout=10)
            # 14 late maths teachers and Bình (complete): 12 listed, 3 more, 2 of them late
            assert "… và 3 giáo viên khác (2 người trễ hạn)." in view.text, view.text
            # twelve teachers, one class, and the class's homeroom part (no homeroom teacher)
            assert view.text.count("• ") == 12 + 1 + 1
            assert "• 6A (chưa có GVCN): Rèn luyện 2 HS, Số ngày nghỉ 2 HS — trễ hạn" in view.text
    finally:
        clock.set_time(None)
