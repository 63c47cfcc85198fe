"""Signing a class from the phone, through the fake Telegram server and the real runtime: the
homeroom teacher and then the principal (remote, CSC, one approval) sign class 6A with one
button each, the clerk seals and the records are issued; a refused approval signs nothing; a
teacher who is not the homeroom teacher cannot sign, even with a forged button."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.bootstrap import build_runtime
from bot.cli_signing import issue_class
from core import clock
from core.db import database
from core.models import IssuedRecord, RecordState, Role, School, SignatureRole, Staff
from core.services import issuance
from core.services.access import Actor
from core.services.schools import find_class, latest_year
from core.workers import WorkerPool
from demo.school import COMPLETE_CLASS, SECONDARY, create_demo
from demo.signing import demo_signing
from tests.e2e.bot_harness import bot_config, is_listing, remote_person, running_bot, signed_in
from tests.portal import PORTAL
from tests.signing.conftest import ISSUING_2025_2026
from tests.telegram_fake import FakeTelegramServer


@pytest.fixture
async def signing_bot(telegram_server: FakeTelegramServer, tmp_path: Path, workers: WorkerPool):
    """The demo school with class 6A closed and prepared; the principal signs through a CSC
    server (certomancer-csc-dummy), everyone else with the demo's PKCS#12 files. The clock at
    the year's end, before its final lock."""
    clock.set_time(ISSUING_2025_2026)
    config = bot_config(telegram_server, tmp_path, HOCBA_SIGNING_PKCS12_DIR=str(tmp_path / "keys"))
    async with database(config.database.url, from_models=True):
        await create_demo("2025-2026")
        await demo_signing(config.signing.pkcs12_dir, config.signing.pkcs12_password)
        school = await School.get(code=SECONDARY.code)
        school_class = await find_class(await latest_year(school), COMPLETE_CLASS)
        principal = await Staff.get(school=school, roles__role=Role.PRINCIPAL)
        csc, remote = await remote_person(config, principal, school, tmp_path / "csc", workers)
        admin = Actor.command_line(school.id)
        await issuance.prepare_class(admin, school_class, workers, PORTAL)
    async with running_bot(remote) as config:
        await telegram_server.wait_until(
            lambda: telegram_server.calls_to("getUpdates"), timeout=10, what="polling"
        )
        yield config, csc
    await csc.stop()


async def _records(school_class) -> list[IssuedRecord]:
    return await IssuedRecord.filter(school_class=school_class).order_by("id")


async def test_class_signed_in_order_from_the_phone(telegram_server, signing_bot, workers) -> None:
    config, csc = signing_bot
    school = await School.get(code=SECONDARY.code)
    school_class = await find_class(await latest_year(school), COMPLETE_CLASS)
    homeroom = await Staff.get(id=school_class.homeroom_id)

    # a subject teacher of 6A who is not its homeroom teacher: sees only their sheets, and a
    # forged "sign as homeroom" button is refused by the core, changing nothing
    other = (
        await Staff.filter(assignments__school_class=school_class, roles__role=Role.SUBJECT_TEACHER)
        .exclude(id=homeroom.id)
        .first()
    )
    teacher = await signed_in(telegram_server, other, 7001)
    await teacher.press_reply("✍️ Ký học bạ")
    listing = await teacher.wait_for_message(is_listing)
    assert "bảng điểm môn chờ ký" in listing.text and "học bạ chờ ký" not in listing.text
    before = [r.xml for r in await _records(school_class)]
    await teacher.press_forged(f"sgn:{school_class.id}:gvcn")
    refusal = await teacher.wait_for_message()
    assert "không phải Giáo viên chủ nhiệm" in refusal.text
    await teacher.press_forged("sgn:999999:ht")
    assert "Lớp này không còn" in (await teacher.wait_for_message()).text
    assert [r.xml for r in await _records(school_class)] == before

    # the subject teachers sign their sheets (from the console here), then the homeroom teacher
    console = await build_runtime(config, workers)
    await issue_class(console, school, school_class, stop_before=SignatureRole.HOMEROOM)
    user = await signed_in(telegram_server, homeroom, 7002)
    await user.press_reply("✍️ Ký học bạ")
    listing = await user.wait_for_message(is_listing)
    assert "Lớp 6A: 40 học bạ chờ ký" in listing.text
    await user.press("✍️ Ký lớp 6A (40)")
    shown = await user.wait_for_edit(
        listing.message_id, predicate=lambda m: "40/40" in m.text, timeout=30
    )
    assert "đã ký 40/40 tài liệu" in shown.text
    done = await user.wait_for_message(lambda m: "✅" in m.text and "40" in m.text, timeout=30)
    assert "đã ký 40 tài liệu" in done.text
    assert all(r.next_role is SignatureRole.PRINCIPAL for r in await _records(school_class))

    # the principal signs remotely: a refusal first signs nothing, then one approval signs all
    principal = await Staff.get(school=school, roles__role=Role.PRINCIPAL)
    user = await signed_in(telegram_server, principal, 7003)
    csc.control.answer = "refuse"
    await user.press_reply("✍️ Ký học bạ")
    listing = await user.wait_for_message(is_listing)
    await user.press("✍️ Ký lớp 6A (40)")
    asking = await user.wait_for_edit(listing.message_id)
    assert "phê duyệt" in asking.text
    refused = await user.wait_for_message(lambda m: "❌" in m.text, timeout=30)
    assert "từ chối" in refused.text and "chưa ký học bạ nào" in refused.text
    assert all(r.next_role is SignatureRole.PRINCIPAL for r in await _records(school_class))

    csc.control.answer = "approve"
    await user.press_reply("✍️ Ký học bạ")
    listing = await user.wait_for_message(is_listing)
    await user.press("✍️ Ký lớp 6A (40)")
    progress = await user.wait_for_edit(
        listing.message_id, predicate=lambda m: "đã được phê duyệt" in m.text, timeout=30
    )
    assert "đang ký 40 tài liệu" in progress.text
    done = await user.wait_for_message(lambda m: "✅" in m.text, timeout=30)
    assert "đã ký 40 tài liệu (Hiệu trưởng)" in done.text
    assert csc.control.authorisations == [80, 80]  # one approval per batch: 40 XML + 40 PDF

    # the clerk seals: the records are issued
    clerk = await Staff.get(school=school, roles__role=Role.CLERK)
    user = await signed_in(telegram_server, clerk, 7004)
    await user.press_reply("✍️ Ký học bạ")
    listing = await user.wait_for_message(is_listing)
    await user.press("✍️ Ký lớp 6A (40)")
    done = await user.wait_for_message(lambda m: "✅" in m.text, timeout=30)
    assert "phát hành" in done.text
    records = await _records(school_class)
    assert len(records) == 40 and all(r.state is RecordState.ISSUED for r in records)
