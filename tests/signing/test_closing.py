"""Signing starts where the signers are: the principal closes a complete class's year in one
step (what is missing is said by student otherwise), its documents are created, and each signer
is told when their step opens, through the whole chain: subject teachers, homeroom teacher,
principal, clerk. `hocba prepare` does the same from the console without signing anything."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bot.cli_signing import issue_class
from core.errors import InvalidValue, NotFound, PermissionDenied
from core.models import IssuedRecord, Notification, Role, SignatureRole, Staff, SubjectSheetDoc
from core.services import issuance
from core.services.access import Actor
from core.services.schools import find_class, latest_year


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
        await issuance.close_and_prepare(await _principal(school), other.id, runtime.workers)
    text = str(refused.value)
    assert text.startswith("Lớp 6B còn ") and "chưa chốt được" in text
    assert "• 1. " in text and "HKII" in text  # by student, naming the cells
    assert not await IssuedRecord.filter(school_class=other).exists()
    teacher = await Actor.of_staff(await Staff.get(school=school, code="GV010"))
    with pytest.raises(PermissionDenied):
        await issuance.close_and_prepare(teacher, other.id, runtime.workers)
    with pytest.raises(NotFound):
        await issuance.close_and_prepare(await _principal(school), 999_999, runtime.workers)


async def test_each_signer_is_told_when_their_step_opens(demo, runtime):
    _config, school, school_class = demo
    principal = await _principal(school)
    assert "6A" in [c.name for c in await issuance.classes_to_close(principal)]
    closed = await issuance.close_and_prepare(principal, school_class.id, runtime.workers)
    assert closed.documents == 40 + await SubjectSheetDoc.filter(school_class=school_class).count()
    sheets = await _told(SignatureRole.SUBJECT_TEACHER)
    assert sorted(closed.told) == sorted(
        s.full_name for s in await Staff.filter(school=school, code__in=list(sheets))
    )
    assert all("bảng điểm môn chờ thầy/cô ký" in text for text in sheets.values())
    assert await _told(SignatureRole.HOMEROOM) == {}  # the sheets come first
    again = await issuance.close_and_prepare(principal, school_class.id, runtime.workers)
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


async def test_hocba_prepare_closes_and_prepares_without_signing(demo, sqlite_db, tmp_path):
    config, _school, school_class = demo
    env = {
        **os.environ,
        "HOCBA_DATABASE_URL": sqlite_db,
        "HOCBA_SIGNING_PKCS12_DIR": str(config.signing.pkcs12_dir),
        "HOCBA_STORAGE_DIR": str(tmp_path / "files"),
        "HOCBA_WORKERS_PROCESSES": "1",
    }
    command = [sys.executable, "-m", "bot.cli", "--school", "THCS-DEMO", "prepare", "6A"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "Đã chốt năm học lớp 6A và lập" in done.stdout and "Đã báo người ký:" in done.stdout
    records = await IssuedRecord.filter(school_class=school_class)
    assert len(records) == 40 and all(r.next_role is SignatureRole.HOMEROOM for r in records)
    again = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert again.returncode == 0 and "từ trước" in again.stdout
    refused = subprocess.run(
        [*command[:-1], "6B"], env=env, capture_output=True, text=True, check=False
    )
    assert refused.returncode == 1 and "Lớp 6B còn " in refused.stderr
