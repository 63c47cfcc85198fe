"""Signing starts where the signers are: once the principal closes a complete class's year
(what is missing is said by student otherwise), its documents are created and each signer is
told when their step opens, through the whole chain: subject teachers, homeroom teacher,
principal, clerk. From the console, `hocba close CLASS --decided-by CODE` executes the
principal's decision (and nothing else closes), `hocba prepare` makes a closed class's
documents; neither signs anything. The lists and the decision's rules are tested on a small
school in test_year_end_lists.py."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.cli_signing import issue_class
from core.errors import InvalidValue, NotFound, PermissionDenied
from core.models import (
    AuditEvent,
    ClassClosure,
    IssuedRecord,
    Notification,
    Role,
    SignatureRole,
    SigningBatch,
    Staff,
    SubjectSheetDoc,
)
from core.services import issuance
from core.services.access import Actor
from core.services.school_rules import set_rule
from core.services.schools import find_class, latest_year
from tests.signing.year_end import build_secondary


async def _principal(school) -> Actor:
    return await Actor.of_staff(await Staff.get(school=school, roles__role=Role.PRINCIPAL))


async def _told(role: SignatureRole) -> dict[str, str]:
    """staff code → the text of their 'documents wait for you' messages of this step."""
    return {
        n.staff.code: n.text
        for n in await Notification.filter(kind="signing.waiting").prefetch_related("staff")
        if f"({role.label})" in n.text
    }


async def test_an_incomplete_class_is_refused_with_what_is_missing(demo, runtime):
    _config, school, _class = demo
    other = await find_class(await latest_year(school), "6B")
    with pytest.raises(InvalidValue) as refused:
        await issuance.close_and_prepare(
            await _principal(school), other.id, runtime.workers, runtime.portal
        )
    text = str(refused.value)
    assert text.startswith("Lớp 6B còn ") and "chưa chốt được" in text
    assert "• 1. " in text and "HKII" in text  # by student, naming the cells
    assert not await IssuedRecord.filter(school_class=other).exists()
    teacher = await Actor.of_staff(await Staff.get(school=school, code="GV010"))
    with pytest.raises(PermissionDenied):
        await issuance.close_and_prepare(teacher, other.id, runtime.workers, runtime.portal)
    with pytest.raises(NotFound):
        await issuance.close_and_prepare(
            await _principal(school), 999_999, runtime.workers, runtime.portal
        )


async def test_each_signer_is_told_when_their_step_opens(demo, runtime):
    _config, school, school_class = demo
    principal = await _principal(school)
    assert "6A" in [c.name for c in await issuance.classes_to_close(principal)]
    closed = await issuance.close_and_prepare(
        principal, school_class.id, runtime.workers, runtime.portal
    )
    assert closed.documents == 40 + await SubjectSheetDoc.filter(school_class=school_class).count()
    sheets = await _told(SignatureRole.SUBJECT_TEACHER)
    assert sorted(closed.told) == sorted(
        s.full_name for s in await Staff.filter(school=school, code__in=list(sheets))
    )
    assert all("bảng điểm môn chờ thầy/cô ký" in text for text in sheets.values())
    assert await _told(SignatureRole.HOMEROOM) == {}  # the sheets come first
    again = await issuance.close_and_prepare(
        principal, school_class.id, runtime.workers, runtime.portal
    )
    assert again.documents == 0 and again.told == ()
    assert "6A" not in [c.name for c in await issuance.classes_to_close(principal)]

    await issue_class(runtime, school, school_class, stop_before=SignatureRole.HOMEROOM)
    homeroom = await Staff.get(id=school_class.homeroom_id)
    assert list(await _told(SignatureRole.HOMEROOM)) == [homeroom.code]
    assert "40 học bạ chờ thầy/cô ký" in (await _told(SignatureRole.HOMEROOM))[homeroom.code]
    await issue_class(runtime, school, school_class, stop_before=SignatureRole.PRINCIPAL)
    assert list(await _told(SignatureRole.PRINCIPAL)) == ["GV001"]
    await issue_class(runtime, school, school_class, stop_before=SignatureRole.SEAL)
    clerk = await Staff.get(school=school, roles__role=Role.CLERK)
    assert list(await _told(SignatureRole.SEAL)) == [clerk.code]
    waiting = await Notification.filter(kind="signing.waiting", staff=clerk).get()
    assert waiting.buttons[0][0]["callback_data"] == f"sgn:{school_class.id}:dv"


def _hocba(env: dict[str, str], school: str) -> Callable[..., subprocess.CompletedProcess]:
    def run(*argv: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "bot.cli", "--school", school, *argv]
        return subprocess.run(command, env=env, capture_output=True, text=True, check=False)

    return run


def _env(sqlite_db: str, tmp_path: Path, **more: str) -> dict[str, str]:
    return {
        **os.environ,
        "HOCBA_DATABASE_URL": sqlite_db,
        "HOCBA_STORAGE_DIR": str(tmp_path / "files"),
        "HOCBA_WORKERS_PROCESSES": "1",
        # the console at the year's end, where the tests' clock stands (ISSUING_2025_2026):
        # after the final lock of 15/8 nothing of the year is prepared or signed
        "HOCBA_STAGING_NOW": "2026-06-02 10:00",
        **more,
    }


async def test_hocba_prepare_makes_the_documents_of_a_closed_class(demo, sqlite_db, tmp_path):
    config, _school, school_class = demo  # the demo closed 6A on its principal's decision
    hocba = _hocba(
        _env(
            sqlite_db,
            tmp_path,
            HOCBA_SIGNING_PKCS12_DIR=str(config.signing.pkcs12_dir),
            HOCBA_DEMO_ENABLED="true",
        ),
        "THCS-DEMO",
    )
    done = hocba("prepare", "6A")
    assert done.returncode == 0, done.stderr
    assert "Đã lập" in done.stdout and "Đã báo người ký:" in done.stdout
    records = await IssuedRecord.filter(school_class=school_class)
    assert len(records) == 40 and all(r.next_role is SignatureRole.HOMEROOM for r in records)
    again = hocba("prepare", "6A")
    assert again.returncode == 0 and "từ trước" in again.stdout
    refused = hocba("prepare", "6B")  # preparing is not closing: that is the principal's
    assert refused.returncode == 1
    assert "Lớp 6B chưa chốt năm học" in refused.stderr and "--decided-by" in refused.stderr
    assert not await ClassClosure.filter(school_class__name="6B").exists()


async def test_hocba_close_executes_a_named_decision_only(sqlite_db, tmp_path):
    school = await build_secondary()
    six_a = school.classes["6A"]
    hocba = _hocba(_env(sqlite_db, tmp_path), "THCS-CUOI")

    shown = hocba("close", "6A")  # the lists, and nothing closed without a decision
    assert shown.returncode == 1
    assert "Kiểm tra lại trong hè (1)" in shown.stdout and "3. Phạm Thị Chi" in shown.stdout
    assert "Ở lại lớp (1)" in shown.stdout and "5. Vũ Thị Em: nghỉ 50 buổi" in shown.stdout
    assert "--decided-by" in shown.stderr
    for code, why in (
        ("GV01", "Hoàng Văn Toán không phải Hiệu trưởng"),  # a teacher decides nothing
        ("PHT01", "Lê Thị Phó không phải Hiệu trưởng"),  # a vice principal not delegated
        ("KHONGCO", "KHONGCO"),  # nobody of that code
    ):
        refused = hocba("close", "6A", "--decided-by", code)
        assert refused.returncode == 1 and why in refused.stderr, refused.stderr
    missing = hocba("close", "6B", "--decided-by", "HT01")
    assert missing.returncode == 1
    assert "Lớp 6B còn 1 học sinh chưa đủ kết quả" in missing.stderr
    assert "1. Bùi Thị Hải: Toán HKII: CK" in missing.stderr
    assert not await ClassClosure.exists()
    assert not await AuditEvent.filter(action="class.close").exists()

    closed = hocba("close", "6A", "--decided-by", "HT01")
    assert closed.returncode == 0, closed.stderr
    assert "Đã chốt năm học lớp 6A và lập" in closed.stdout
    assert "Đã báo người ký: " in closed.stdout and "Hoàng Văn Toán" in closed.stdout
    assert "Đã báo việc chốt năm học: Ngô Chủ Nhiệm, Đỗ Văn Hiệu." in closed.stdout
    assert await ClassClosure.exists(school_class=six_a)
    assert await IssuedRecord.filter(school_class=six_a).count() == 6
    event = await AuditEvent.get(action="class.close")
    assert event.actor == "cli" and event.after["decided_by"] == "Hiệu trưởng Đỗ Văn Hiệu"
    told = await Notification.filter(kind="class.closed").prefetch_related("staff")
    assert sorted(n.staff.code for n in told) == ["GV02", "HT01"]

    again = hocba("close", "6A", "--decided-by", "HT01")
    assert again.returncode == 0 and "từ trước" in again.stdout
    assert await AuditEvent.filter(action="class.close").count() == 1
    assert hocba("close", "6A").returncode == 0  # closed: the lists, shown again


async def test_the_seal_is_the_clerks_unless_the_principal_gives_it_to_an_admin(demo, runtime):
    """001 Điều 24.5d: the clerk seals; 004 Điều 9.4: the school may assign it to the admin,
    which is the principal's decision (the rule `seal_operator`)."""
    _config, school, school_class = demo
    principal = await _principal(school)
    await issuance.close_and_prepare(principal, school_class.id, runtime.workers, runtime.portal)
    await issue_class(runtime, school, school_class, stop_before=SignatureRole.SEAL)
    admin = await Actor.of_staff(
        await Staff.filter(school=school, roles__role=Role.ADMIN)
        .exclude(roles__role=Role.CLERK)
        .exclude(roles__role=Role.PRINCIPAL)
        .first()
    )
    with pytest.raises(PermissionDenied, match="seal_operator admin --decided-by"):
        await issuance.start_batch(admin, school_class, SignatureRole.SEAL, "pkcs12")
    assert not await SigningBatch.filter(role=SignatureRole.SEAL).exists()

    await set_rule(principal, "seal_operator", "admin")
    batch = await issuance.start_batch(admin, school_class, SignatureRole.SEAL, "pkcs12")
    assert batch.role is SignatureRole.SEAL and batch.signer_id == admin.staff_id
    assert batch.total == 40
