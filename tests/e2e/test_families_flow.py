"""Parents get their child's records in the bot (issue 14, part 2; 001 Điều 30, 31.2), through
the fake Telegram server: /phuhuynh, the personal ID, the date of birth, then the guardian's
own contact. The files that come back are the current record's, protected from forwarding,
and pass xmlsec1 and pdfsig. Someone else's contact is refused; a wrong ID and a right ID with
a wrong phone get byte-identical answers; the sixth guess waits, and the admins are told."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.config import Config
from core import clock
from core.db import database
from core.models import (
    AccessAttempt,
    AuditEvent,
    Guardian,
    GuardianLink,
    IssuedRecord,
    Notification,
    Role,
    Staff,
    StaffRole,
    Student,
)
from core.models.records import RECORD_ORDER
from core.services import families
from demo.pki import Issued
from tests.e2e.bot_harness import bot_config, running_bot
from tests.hostile import forgery_kit
from tests.hostile.forgery_kit import Kit, seed_school
from tests.signing import conftest as signing
from tests.signing.oracles import pdfsig, xmlsec_verify
from tests.telegram_fake import FakeTelegramServer
from tests.telegram_fake import fixtures as telegram

ca, ca_file, record, signers = signing.ca, signing.ca_file, signing.record, signing.signers
other_school = forgery_kit.other_school
telegram_server = telegram.telegram_server

PARENT_PHONE = "+84912000111"
STRANGER_PHONE = "+84912000999"


@dataclass
class School:
    """The bot's configuration, and how to seed its school: the forgery kit's (a student
    whose record is issued twice, v1 replaced by v2) with the mother's phone registered,
    then whatever a test adds for that student."""

    config: Config
    seeded: Callable[[], Awaitable[Kit]]
    kit: Kit | None = None

    async def seed(self, more: Callable[[Student], Awaitable[None]] | None = None) -> None:
        self.kit = await self.seeded()
        student = await Student.get(national_id=self.kit.record.national_id)
        await Guardian.create(student=student, full_name="Mẹ", relation="Mẹ", phone=PARENT_PHONE)
        if more is not None:
            await more(student)


@pytest.fixture
def school(telegram_server, tmp_path, ca: Issued, ca_file: Path, signers, other_school, record):
    config = bot_config(telegram_server, tmp_path, HOCBA_TRUST_ROOTS=str(ca_file))
    return School(config, lambda: seed_school(ca, signers, other_school, record))


async def _family(user, national_id: str, born: str) -> None:
    """The first two steps: the personal ID, then the date of birth."""
    await user.send_command("phuhuynh")
    await user.wait_for_message(lambda m: "Bước 1/3" in m.content, timeout=10)
    await user.send_text(national_id)
    await user.wait_for_message(lambda m: "Bước 2/3" in m.content, timeout=10)
    await user.send_text(born)
    await user.wait_for_message(lambda m: "Bước 3/3" in m.content, timeout=10)


async def _each_refused(user, answers: tuple[str, ...], *phrases: str) -> None:
    """Each answer is refused at its step with the phrases, and the step asked again."""
    for answer in answers:
        user.mark_all_read()
        await user.send_text(answer)
        said = (await user.wait_for_message(timeout=10)).content
        assert all(phrase in said for phrase in phrases), said


async def _answer(user) -> str:
    user.mark_all_read()
    await user.share_contact()
    return (await user.wait_for_message(timeout=10)).content


@pytest.mark.xmlsec1
@pytest.mark.poppler
async def test_a_guardian_gets_the_current_record(
    telegram_server: FakeTelegramServer, school: School, record, ca_file: Path, tmp_path: Path
) -> None:
    config = school.config
    born = record.born.strftime("%d/%m/%Y")
    async with running_bot(config, school.seed, schedule_jobs=False):
        parent = telegram_server.user(9501, "Phụ huynh", phone=PARENT_PHONE)
        await parent.send_command("start")
        start = await parent.wait_for_message(timeout=10)
        assert "👪 Phụ huynh lấy học bạ của con" in start.reply_buttons
        await _family(parent, record.national_id, born)
        parent.mark_all_read()
        await parent.share_contact()
        said, xml, pdf = await parent.wait_for_messages(3, timeout=20)
    kit = school.kit
    assert record.full_name in said.content and "năm sau" in said.content
    assert (xml.document.data, pdf.document.data) == (kit.v2, kit.pdf2)  # the current version
    assert xml.raw.get("has_protected_content") and pdf.raw.get("has_protected_content")
    (tmp_path / "hocba.xml").write_bytes(xml.document.data)
    (tmp_path / "hocba.pdf").write_bytes(pdf.document.data)
    for role in RECORD_ORDER:
        assert xmlsec_verify(tmp_path / "hocba.xml", ca_file, role.signature_id), role
    assert pdfsig(tmp_path / "hocba.pdf").count("Signature is Valid") == 2
    listed = subprocess.run(
        [sys.executable, "-m", "bot.cli", "--school", "THCS-DA", "requests"],
        env={**os.environ, "HOCBA_DATABASE_URL": config.database.url},
        capture_output=True,
        text=True,
        check=False,
    )
    assert listed.returncode == 0, listed.stderr
    listed = listed.stdout
    assert "telegram:9501" in listed and record.full_name in listed
    assert f"đã nhận {record.record_code} v2 (telegram)" in listed
    async with database(config.database.url):
        link = await GuardianLink.get(telegram_user_id=9501).prefetch_related("student")
        assert link.student.national_id == record.national_id and link.phone == PARENT_PHONE
        given = await AuditEvent.get(action="family.records_given")
        assert given.actor == "telegram:9501" and given.after["channel"] == "telegram"


async def test_no_one_learns_anything_without_the_registered_phone(
    telegram_server: FakeTelegramServer, school: School, record, ca_file: Path, tmp_path: Path
) -> None:
    config = school.config

    async def admin(student: Student) -> None:
        admin = await Staff.create(
            school_id=student.school_id, code="QT09", full_name="Quản Trị", telegram_user_id=9690
        )
        await StaffRole.create(staff=admin, role=Role.ADMIN)

    born = record.born.strftime("%d/%m/%Y")
    other_id = "001" + record.national_id[3:-1] + str((int(record.national_id[-1]) + 1) % 10)
    async with running_bot(config, lambda: school.seed(admin), schedule_jobs=False):
        stranger = telegram_server.user(9601, "Người lạ", phone=STRANGER_PHONE)
        await _family(stranger, record.national_id, born)
        stranger.mark_all_read()
        await stranger.share_contact(phone=PARENT_PHONE, user_id=9501)  # the parent's contact
        not_own = (await stranger.wait_for_message(timeout=10)).content
        assert "không phải số điện thoại của chính bạn" in not_own

        answers = []
        for national_id in (record.national_id, other_id):  # right ID wrong phone; wrong ID
            await _family(stranger, national_id, born)
            answers.append(await _answer(stranger))
        assert answers[0] == answers[1] and "chưa khớp" in answers[0]
        assert record.full_name not in answers[0]

        for _guess in range(2):  # the fourth and fifth failures (the contact was the first)
            await _family(stranger, other_id, born)
            await _answer(stranger)
        await _family(stranger, other_id, born)
        waits = await _answer(stranger)
        assert "Đã thử sai nhiều lần" in waits and "thử lại sau" in waits

        # accounts taking turns at one ID: after its fifth failure the ID waits, whoever asks
        for n in range(4):  # the stranger's first wrong phone was the ID's first failure
            other = telegram_server.user(9610 + n, "Người lạ khác", phone=f"+8491200090{n}")
            await _family(other, record.national_id, born)
            assert "chưa khớp" in await _answer(other)
        late = telegram_server.user(9620, "Người lạ cuối", phone="+84912000920")
        await _family(late, record.national_id, born)
        assert "Đã thử sai nhiều lần" in await _answer(late)

        admin = telegram_server.user(9690, "Quản Trị")  # the school sees every try
        await admin.send_command("start")
        await admin.wait_for_message(timeout=10)
        admin.mark_all_read()
        await admin.press_reply("👪 Yêu cầu của phụ huynh")
        listed = (await admin.wait_for_message(timeout=10)).content
        assert listed.count("telegram:96") == 11 and "đang phải chờ" in listed
        assert "thông tin không khớp" in listed and "không phải của người gửi" in listed
        assert record.full_name not in listed  # no student named before a phone matched
    async with database(config.database.url):
        assert not await GuardianLink.exists()
        assert not await AuditEvent.filter(action="family.records_given").exists()
        reasons = await AuditEvent.filter(action="family.refused").values_list("after", flat=True)
        assert sorted(r["reason"] for r in reasons) == sorted(
            ["someone_elses_contact"] + ["mismatch"] * 8 + ["waiting"] * 2
        )  # every refusal audited; a try while waiting is not counted as a failure
        assert await AccessAttempt.filter(key="tg:9601").count() == 5
        stored = await AccessAttempt.all().values_list("key", flat=True)
        assert not any(record.national_id in key or "912000" in key for key in stored)
        alerted = await Notification.filter(kind="family.guessing").values_list(
            "staff_id", flat=True
        )
        admins = await Staff.filter(roles__role=Role.ADMIN, active=True).distinct()
        # the student's ID started to wait on its fifth failure: each admin told once
        assert sorted(alerted) == sorted(a.id for a in admins) and admins


async def test_each_step_says_what_is_wrong(
    telegram_server: FakeTelegramServer, school: School, record, ca_file: Path, tmp_path: Path
) -> None:
    """A malformed ID or date is named at once (that reveals nothing); a phone typed as text
    is no proof; a guardian whose child has no issued record yet is told so, after the phone
    matched, and stays linked for when it is."""
    config = school.config

    async def young_one(first: Student) -> None:
        young = await Student.create(
            school_id=first.school_id,
            national_id="037213000099",
            full_name="Trần Bé Út",
            born=dt.date(2013, 3, 4),
            gender="female",
        )
        await Guardian.create(student=young, full_name="Bố", relation="Bố", phone=PARENT_PHONE)

    async with running_bot(config, lambda: school.seed(young_one), schedule_jobs=False):
        parent = telegram_server.user(9701, "Phụ huynh", phone=PARENT_PHONE)
        await parent.send_command("phuhuynh")
        await parent.wait_for_message(lambda m: "Bước 1/3" in m.content, timeout=10)
        wrong_ids = ("03721300009", "0372130000999", "03721300009A", "abc")
        await _each_refused(parent, wrong_ids, "cần đúng 12 chữ số", "gửi lại mã định danh")
        await parent.send_text("037213000099")
        await parent.wait_for_message(lambda m: "Bước 2/3" in m.content, timeout=10)
        wrong_dates = ("31/02/2013", "2013", "04/03/2099")
        await _each_refused(parent, wrong_dates, "không hợp lệ", "gửi lại ngày sinh")
        await parent.send_text("04/03/2013")
        await parent.wait_for_message(lambda m: "Bước 3/3" in m.content, timeout=10)
        parent.mark_all_read()
        await parent.send_text(PARENT_PHONE)  # typed, not shared
        typed = await parent.wait_for_message(timeout=10)
        assert "gõ tay không chứng minh" in typed.content
        assert typed.reply_keyboard  # the contact button again
        none_yet = await _answer(parent)
        assert "Trần Bé Út" in none_yet and "chưa phát hành" in none_yet
    async with database(config.database.url):
        assert await GuardianLink.filter(telegram_user_id=9701).count() == 1
        assert await AuditEvent.filter(action="family.none_issued").count() == 1
        assert not await AccessAttempt.exists()  # malformed input is not a guess


async def test_a_linked_guardian_is_sent_a_newly_issued_record(
    telegram_server: FakeTelegramServer, school: School, record, ca_file: Path, tmp_path: Path
) -> None:
    """The message the issue enqueued (core.services.families.announce_issued, called by the
    seal's step) reaches the linked account, and its button gives the files (who else may
    press it: tests/signing/test_family_delivery.py)."""
    config = school.config

    async def linked(student: Student) -> None:
        await GuardianLink.create(
            telegram_user_id=9901, student=student, phone=PARENT_PHONE, linked_at=clock.now()
        )
        current = await IssuedRecord.get(student=student, version=2)
        await families.announce_issued([current], clock.now())

    async with running_bot(config, lambda: school.seed(linked), schedule_jobs=False):
        parent = telegram_server.user(9901, "Phụ huynh", phone=PARENT_PHONE)
        told = await parent.wait_for_message(lambda m: "đã phát hành" in m.content, timeout=20)
        (data,) = told.callback_data
        parent.mark_all_read()
        await parent.press(data, told.message_id)
        xml, pdf = await parent.wait_for_messages(2, timeout=20)
    assert (xml.document.data, pdf.document.data) == (school.kit.v2, school.kit.pdf2)
    assert xml.raw.get("has_protected_content") and pdf.raw.get("has_protected_content")
