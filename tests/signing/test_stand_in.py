"""A teacher who left before the year ended (001 Điều 18.5, 18.7, 27): with nobody named in
their place, the principal signs their step; a successor named in the assignment signs it
themselves. The documents still name the teacher who taught; their signer lists name who
signed, and the verifier and the PDF say so."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bot.cli_signing import issue_class
from core.errors import PermissionDenied
from core.models import (
    IssuedRecord,
    Role,
    SignatureRole,
    Staff,
    SubjectSheetDoc,
    TeachingAssignment,
)
from core.render.xml_record import data_element, parse_own, record_from_xml, signers_from_xml
from core.services import issuance
from core.services.access import Actor
from core.services.verification import verify_file
from core.signing.trust import load_roots
from tests.signing.conftest import tool


async def _maths(school_class) -> TeachingAssignment:
    return await TeachingAssignment.get(
        school_class=school_class, subject__code="TOAN"
    ).prefetch_related("staff", "subject")


@pytest.mark.poppler
async def test_the_principal_signs_for_teachers_who_left(demo, runtime, tmp_path: Path):
    config, school, school_class = demo
    maths = await _maths(school_class)
    homeroom = await Staff.get(id=school_class.homeroom_id)
    principal = await Staff.get(school=school, roles__role=Role.PRINCIPAL)
    for gone in (maths.staff, homeroom):  # both left the school (27.1), nobody named instead
        gone.active = False
        await gone.save()
    assert await issue_class(runtime, school, school_class) == 40

    sheets = await SubjectSheetDoc.filter(school_class=school_class, subject=maths.subject)
    assert len(sheets) == 3 and {s.teacher_id for s in sheets} == {principal.id}
    sheet = data_element(parse_own(sheets[0].xml))
    assert sheet.findtext("{urn:hocbaso:hocba:1.0}giaovien") == maths.staff.full_name
    assert [(s.role, s.name) for s in signers_from_xml(sheet)] == [("gvbm", principal.full_name)]
    record = await IssuedRecord.filter(school_class=school_class).first()
    data = record_from_xml(parse_own(record.xml))
    assert data.homeroom == homeroom.full_name  # who taught the class
    assert [(s.role, s.name) for s in data.signers][:2] == [
        ("gvcn", principal.full_name),
        ("ht", principal.full_name),
    ]
    roots = load_roots([config.signing.pkcs12_dir / "ca.pem"])
    report = await verify_file(record.xml, roots, "test", runtime.workers)
    assert report.ok, "\n".join(report.lines())
    path = tmp_path / "r.pdf"
    path.write_bytes(record.pdf)
    text = subprocess.run(
        [tool("pdftotext"), str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert f"{principal.full_name} ký thay" in text


async def test_a_successor_signs_and_the_one_who_left_cannot(demo, runtime):
    _config, school, school_class = demo
    maths = await _maths(school_class)
    leaver = maths.staff
    successor = (
        await Staff.filter(school=school, roles__role=Role.SUBJECT_TEACHER)
        .exclude(id=leaver.id)
        .first()
    )
    maths.staff = successor  # 18.5, 27.2: who teaches the subject at the year's end signs
    await maths.save()
    leaver.active = False
    await leaver.save()
    await issuance.prepare_class(
        Actor.command_line(school.id), school_class, runtime.workers, runtime.portal
    )
    sheets = await SubjectSheetDoc.filter(school_class=school_class, subject_id=maths.subject_id)
    assert {s.teacher_id for s in sheets} == {successor.id}
    with pytest.raises(PermissionDenied):
        await issuance.start_batch(
            await Actor.of_staff(leaver), school_class, SignatureRole.SUBJECT_TEACHER, "pkcs12"
        )
