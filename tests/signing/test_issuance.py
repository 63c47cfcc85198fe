"""The whole chain on the demo school: order and rights checked in the core, issue, export,
correction as a new version that revokes the old one, and verification of both."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from bot.cli_signing import issue_class
from core.errors import NotFound, PermissionDenied
from core.models import IssuedRecord, RecordState, SignatureRole, Staff
from core.services import issuance
from core.services.access import Actor
from core.services.verification import verify_file
from core.signing.trust import load_roots


async def test_order_and_rights_are_checked_in_core(demo):
    _config, school, school_class = demo
    await issuance.prepare_class(Actor.command_line(school.id), school_class)
    homeroom = await Actor.of_staff(await Staff.get(id=school_class.homeroom_id))
    with pytest.raises(NotFound):  # subject sheets are not signed yet
        await issuance.start_batch(homeroom, school_class, SignatureRole.HOMEROOM, "pkcs12")
    with pytest.raises(PermissionDenied):
        await issuance.start_batch(homeroom, school_class, SignatureRole.PRINCIPAL, "pkcs12")
    waiting = await issuance.waiting_for(homeroom)
    assert [(w.role, w.count) for w in waiting] == [(SignatureRole.SUBJECT_TEACHER, 3)]


async def test_issue_export_revise_verify(demo, tmp_path: Path, capsys):
    config, school, school_class = demo
    assert await issue_class(config, school, school_class) == 40
    roots = load_roots([config.signing.pkcs12_dir / "ca.pem"])
    first = await IssuedRecord.filter(school_class=school_class).order_by("id").first()
    report = await verify_file(first.xml, roots, "test")
    assert report.ok and len(report.signatures) == 3 and "hiện hành" in report.status
    old_pdf = first.pdf

    admin = Actor.command_line(school.id)
    with pytest.raises(PermissionDenied):
        await issuance.revise(admin.__class__(school.id, "x"), first, "sai điểm")
    new = await issuance.revise(admin, first, "Sửa điểm Toán theo biên bản số 3")
    assert new.version == 2 and new.state is RecordState.SIGNING
    assert await issue_class(config, school, school_class) == 40
    old = await IssuedRecord.get(id=first.id)
    assert old.state is RecordState.REVOKED and "biên bản số 3" in old.revoked_reason
    assert (await verify_file(old.xml, roots, "test")).ok  # still verifiable...
    assert "thu hồi" in (await verify_file(old_pdf, roots, "test")).status  # ...and marked so
    current = await IssuedRecord.get(id=new.id)
    assert "hiện hành" in (await verify_file(current.pdf, roots, "test")).status

    from bot.cli_signing import cmd_export

    out = tmp_path / "out"
    await cmd_export(argparse.Namespace(klass="6A", dir=str(out), school=None, year=None), config)
    assert len(list(out.glob("*.xml"))) == 40 and len(list(out.glob("*.pdf"))) == 40
    assert (out / "ca.pem").is_file()
