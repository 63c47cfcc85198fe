"""One approval across classes, from the phone (001 Điều 24.5a; issue 13): a primary subject
teacher whose subject is taught in 4A and 5A signs their part of both classes with one press and
ONE approval in their remote signing app; then the homeroom teacher, the principal and the clerk
finish 5A, whose records are issued. Through the fake Telegram server and the real runtime."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.bootstrap import build_runtime
from bot.cli_signing import issue_class
from core import clock
from core.db import database
from core.models import (
    IssuedRecord,
    RecordState,
    Role,
    School,
    SchoolClass,
    SignatureRole,
    Staff,
    SubjectSheetDoc,
    TeachingAssignment,
)
from core.services import issuance
from core.services.access import Actor
from core.services.schools import find_class, latest_year
from core.workers import WorkerPool
from demo.school import PRIMARY, create_demo
from demo.signing import demo_signing
from tests.e2e.bot_harness import bot_config, is_listing, remote_person, running_bot, signed_in
from tests.portal import PORTAL
from tests.signing.conftest import ISSUING_2025_2026
from tests.telegram_fake import FakeTelegramServer


async def _classes() -> tuple[School, SchoolClass, SchoolClass]:
    school = await School.get(code=PRIMARY.code)
    year = await latest_year(school)
    return school, await find_class(year, "4A"), await find_class(year, "5A")


async def _teacher_of_both(four_a: SchoolClass, five_a: SchoolClass) -> Staff:
    """A subject teacher with sheets in both classes who is the homeroom teacher of neither."""

    def teaching(school_class: SchoolClass):
        return TeachingAssignment.filter(school_class=school_class).values_list(
            "staff_id", flat=True
        )

    in_both = set(await teaching(four_a)) & set(await teaching(five_a))
    in_both -= {four_a.homeroom_id, five_a.homeroom_id}
    return await Staff.filter(id__in=in_both).order_by("code").first()


@pytest.fixture
async def across_bot(telegram_server: FakeTelegramServer, tmp_path: Path, workers: WorkerPool):
    """The demo's primary school with 4A closed as well as 5A, both prepared; the chosen
    subject teacher signs through a CSC server, everyone else with the demo's key files."""
    clock.set_time(ISSUING_2025_2026)
    config = bot_config(telegram_server, tmp_path, HOCBA_SIGNING_PKCS12_DIR=str(tmp_path / "keys"))
    async with database(config.database.url, from_models=True):
        await create_demo("2025-2026")
        await demo_signing(config.signing.pkcs12_dir, config.signing.pkcs12_password)
        school, four_a, five_a = await _classes()
        principal = await Staff.get(school=school, roles__role=Role.PRINCIPAL)
        admin = Actor.command_line(school.id)
        await issuance.close_year(admin, four_a.id, decided_by=principal)
        teacher = await _teacher_of_both(four_a, five_a)
        csc, remote = await remote_person(config, teacher, school, tmp_path / "csc", workers)
        for school_class in (four_a, five_a):
            await issuance.prepare_class(admin, school_class, workers, PORTAL)
    async with running_bot(remote) as config:
        await telegram_server.wait_until(
            lambda: telegram_server.calls_to("getUpdates"), timeout=10, what="polling"
        )
        yield config, csc, teacher
    await csc.stop()


async def _unsigned(teacher: Staff, *classes: SchoolClass) -> int:
    return await SubjectSheetDoc.filter(
        teacher_id=teacher.id, school_class_id__in=[c.id for c in classes], signed_at__isnull=True
    ).count()


async def test_a_subject_teacher_signs_two_classes_with_one_approval(
    telegram_server, across_bot, workers
) -> None:
    config, csc, teacher = across_bot
    school, four_a, five_a = await _classes()
    sheets = await _unsigned(teacher, four_a, five_a)
    in_four_a = await _unsigned(teacher, four_a)
    assert 0 < in_four_a < sheets  # their sheets of both classes wait

    user = await signed_in(telegram_server, teacher, 7101)
    await user.press_reply("✍️ Ký học bạ")
    listing = await user.wait_for_message(is_listing)
    assert "Lớp 4A:" in listing.text and "Lớp 5A:" in listing.text
    # a forged «sign all as the principal» signs nothing: nothing waits for them in that role
    await user.press_forged("sga:ht")
    assert (
        "Không có tài liệu nào chờ thầy/cô ký (Hiệu trưởng)" in (await user.wait_for_message()).text
    )
    assert await _unsigned(teacher, four_a, five_a) == sheets
    assert csc.control.authorisations == []
    await user.press(f"✍️ Ký tất cả 2 lớp ({sheets}, Giáo viên bộ môn)")
    asking = await user.wait_for_edit(listing.message_id)
    assert "Lớp 4A, 5A" in asking.text and "phê duyệt MỘT lần" in asking.text
    done = await user.wait_for_message(lambda m: "✅" in m.text, timeout=30)
    assert f"Lớp 4A, 5A: đã ký {sheets} tài liệu (Giáo viên bộ môn)" in done.text
    assert csc.control.authorisations == [sheets]  # ONE approval for both classes
    assert await _unsigned(teacher, four_a, five_a) == 0

    # the other subject teachers sign 5A's sheets (from the console here); then the homeroom
    # teacher, the principal and the clerk finish 5A from their phones
    console = await build_runtime(config, workers)
    await issue_class(console, school, five_a, stop_before=SignatureRole.HOMEROOM)
    signers = [
        await Staff.get(id=five_a.homeroom_id),
        await Staff.get(school=school, roles__role=Role.PRINCIPAL),
        await Staff.get(school=school, roles__role=Role.CLERK),
    ]
    for number, signer in enumerate(signers, 7102):
        user = await signed_in(telegram_server, signer, number)
        await user.press_reply("✍️ Ký học bạ")
        listing = await user.wait_for_message(is_listing)
        await user.press("✍️ Ký lớp 5A (25)")
        done = await user.wait_for_message(lambda m: "✅" in m.text, timeout=60)
        assert "Lớp 5A: đã ký 25 tài liệu" in done.text
    records = await IssuedRecord.filter(school_class=five_a)
    assert len(records) == 25 and all(r.state is RecordState.ISSUED for r in records)
    # 4A is still waiting for its other signers, untouched by 5A's
    assert not await IssuedRecord.filter(school_class=four_a, state=RecordState.ISSUED).exists()
