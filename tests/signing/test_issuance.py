"""The whole chain on the demo school: order and rights checked in the core, issue, export,
correction as a new version that revokes the old one, and verification of both; a batch or a
whole issue that stops half-way carries on when it runs again, and tells its signer once."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import pytest

from bot.cli_signing import cmd_export, issue_class
from core import clock
from core.errors import HocbaError, NotFound, PermissionDenied
from core.models import (
    AuditEvent,
    BatchItem,
    BatchState,
    IssuedRecord,
    Notification,
    RecordState,
    Role,
    SignatureRole,
    SigningBatch,
    Staff,
)
from core.models.records import RECORD_ORDER
from core.render.xml_record import parse_own, record_from_xml
from core.services import issuance
from core.services.access import Actor
from core.services.issuance import batches
from core.services.record_lookup import look_up
from core.services.verification import verify_file
from core.signing.backends import SEAL_CODE, pkcs12_path
from core.signing.trust import load_roots


async def test_order_and_rights_are_checked_in_core(demo, runtime):
    _config, school, school_class = demo
    await issuance.prepare_class(
        Actor.command_line(school.id), school_class, runtime.workers, runtime.portal
    )
    homeroom = await Actor.of_staff(await Staff.get(id=school_class.homeroom_id))
    with pytest.raises(NotFound):  # subject sheets are not signed yet
        await issuance.start_batch(homeroom, school_class, SignatureRole.HOMEROOM, "pkcs12")
    with pytest.raises(PermissionDenied):
        await issuance.start_batch(homeroom, school_class, SignatureRole.PRINCIPAL, "pkcs12")
    waiting = await issuance.waiting_for(homeroom)
    assert [(w.role, w.count) for w in waiting] == [(SignatureRole.SUBJECT_TEACHER, 3)]
    with pytest.raises(NotFound, match="không còn"):  # a stale or forged class id
        await issuance.begin(homeroom, 999_999, SignatureRole.HOMEROOM, runtime.signing)


async def test_issue_export_revise_verify(demo, runtime, tmp_path: Path):
    config, school, school_class = demo
    assert await issue_class(runtime, school, school_class) == 40
    roots = load_roots([config.signing.pkcs12_dir / "ca.pem"])
    first = await IssuedRecord.filter(school_class=school_class).order_by("id").first()
    report = await verify_file(first.xml, roots, "test", runtime.workers)
    assert report.ok and len(report.signatures) == 3 and "hiện hành" in report.status
    signs = await AuditEvent.filter(action="record.sign", target=f"record:{first.id}")
    assert sorted(e.after["role"] for e in signs) == sorted(r.value for r in RECORD_ORDER)
    for event in signs:  # a demonstration, and each event says so, with whose demo key file
        staff = await Staff.get(school=school, code=event.after["approved_by"]["code"])
        assert event.actor == f"staff:{staff.id}" and event.after["demo"] is True
        code = SEAL_CODE if event.after["role"] == SignatureRole.SEAL.value else staff.code
        assert (event.after["backend"], event.after["key"]) == ("pkcs12", f"{code}.p12")
    old_pdf = first.pdf
    lookups = {r.lookup_code: record_from_xml(parse_own(r.xml)).lookup for r in await _class(demo)}
    assert len(lookups) == 40  # each record its own lookup code, the one its signed data holds
    assert all(lookup and lookup.code == code for code, lookup in lookups.items())
    assert all(
        lookup.url == f"{runtime.portal.url}/xac-thuc/{lookup.code}" for lookup in lookups.values()
    )

    admin = Actor.command_line(school.id)
    with pytest.raises(PermissionDenied):
        await issuance.revise(
            admin.__class__(school.id, "x"), first, "sai điểm", runtime.workers, runtime.portal
        )
    new = await issuance.revise(
        admin, first, "Sửa điểm Toán theo biên bản số 3", runtime.workers, runtime.portal
    )
    assert new.version == 2 and new.state is RecordState.SIGNING
    assert new.lookup_code not in lookups  # a new version, a new lookup code
    assert await issue_class(runtime, school, school_class) == 40
    old = await IssuedRecord.get(id=first.id)
    assert old.state is RecordState.REVOKED and "biên bản số 3" in old.revoked_reason
    replaced = await verify_file(old.xml, roots, "test")
    assert replaced.valid and not replaced.ok  # still verifiable, no longer current...
    assert "ĐÃ BỊ THAY THẾ" in replaced.status and "phiên bản 2" in replaced.status
    old_report = await verify_file(old_pdf, roots, "test")
    assert "ĐÃ BỊ THAY THẾ" in old_report.status, "\n".join(old_report.lines())  # PDF too
    current = await IssuedRecord.get(id=new.id)
    now_pdf = await verify_file(current.pdf, roots, "test")
    assert now_pdf.ok and "hiện hành" in now_pdf.status, "\n".join(now_pdf.lines())
    old_lookup = lookups[first.lookup_code]
    assert old_lookup is not None  # the old PDF's QR code now tells it was replaced
    assert (await look_up("192.0.2.1", old_lookup.code, old_lookup.access)).state == "replaced"

    out = tmp_path / "out"
    namespace = argparse.Namespace(klass="6A", dir=str(out), school=None, year=None)
    await cmd_export(namespace, config, runtime)
    assert len(list(out.glob("*.xml"))) == 40 and len(list(out.glob("*.pdf"))) == 40
    assert (out / "ca.pem").is_file()


async def _class(demo) -> list[IssuedRecord]:
    _config, _school, school_class = demo
    return await IssuedRecord.filter(school_class=school_class)


async def _homeroom_batch(demo, runtime) -> SigningBatch:
    """Everything up to the homeroom teacher signed, and the homeroom teacher's batch started."""
    _config, school, school_class = demo
    await issue_class(runtime, school, school_class, stop_before=SignatureRole.HOMEROOM)
    homeroom = await Actor.of_staff(await Staff.get(id=school_class.homeroom_id))
    started = await issuance.begin(
        homeroom, school_class.id, SignatureRole.HOMEROOM, runtime.signing
    )
    return await SigningBatch.get(id=started.id)


async def _results(batch: SigningBatch) -> list[Notification]:
    return await Notification.filter(
        kind="signing.result", dedupe_key__startswith=f"batch:{batch.id}:"
    )


class _Crash(Exception):
    """The process dies while the batch is being signed."""


async def test_a_batch_cut_short_carries_on_and_tells_its_signer_once(demo, runtime):
    batch = await _homeroom_batch(demo, runtime)
    again = await issuance.begin(
        await Actor.of_staff(await Staff.get(id=batch.signer_id)),
        batch.school_class_id,
        SignatureRole.HOMEROOM,
        runtime.signing,
    )
    assert again.id == batch.id  # a double press finds the open batch, never a second one

    async def crash_after_first_chunk(done: int, total: int) -> None:
        raise _Crash

    with pytest.raises(_Crash):
        await runtime.batches.run(batch.id, crash_after_first_chunk)
    stored = await SigningBatch.get(id=batch.id)
    signed = await BatchItem.filter(batch=batch, done=True).values_list("record_id", flat=True)
    assert (
        stored.state is BatchState.PREPARED and 0 < len(signed) < 40 and stored.lease_token is None
    )
    records = await IssuedRecord.filter(school_class_id=batch.school_class_id)
    moved = {r.id: r.xml for r in records if r.next_role is SignatureRole.PRINCIPAL}
    assert set(moved) == set(signed)  # what was signed is on its documents...
    principal = await Staff.get(roles__role=Role.PRINCIPAL, school_id=demo[1].id)
    assert await issuance.waiting_for(await Actor.of_staff(principal)) == []  # ...hidden for now
    assert await _results(batch) == []

    # a runner that died holding the lease: the resume job leaves it until the lease expires
    held = await batches.claim(batch.id)
    assert held is not None and await runtime.batches.resume() == []
    clock.set_time(clock.now() + batches.LEASE + dt.timedelta(minutes=1))
    try:
        assert await runtime.batches.resume() == [batch.id]
        await runtime.batches.wait()
    finally:
        clock.set_time(None)
    done = await SigningBatch.get(id=batch.id)
    assert done.state is BatchState.DONE and done.done == 40 and done.attempts == 3
    records = await IssuedRecord.filter(school_class_id=batch.school_class_id)
    assert all(r.next_role is SignatureRole.PRINCIPAL for r in records)
    assert {r.id: r.xml for r in records if r.id in moved} == moved  # not signed twice
    [waiting] = await issuance.waiting_for(await Actor.of_staff(principal))
    assert (waiting.role, waiting.count) == (SignatureRole.PRINCIPAL, 40)
    [told] = await _results(batch)
    assert "đã ký 40 tài liệu" in told.text
    assert await runtime.batches.resume() == []  # nothing left to resume, nobody told again


async def test_an_issue_that_failed_half_way_can_be_run_again(demo, runtime):
    config, school, school_class = demo
    principal = await Staff.get(school=school, roles__role=Role.PRINCIPAL)
    key = pkcs12_path(config.signing.pkcs12_dir, school.code, principal.code)
    moved = key.with_suffix(".away")
    key.rename(moved)
    try:
        with pytest.raises(HocbaError, match="Không đọc được tệp khóa"):
            await issue_class(runtime, school, school_class)
    finally:
        moved.rename(key)
    failed = await SigningBatch.get(role=SignatureRole.PRINCIPAL)
    assert failed.state is BatchState.FAILED
    [told] = await _results(failed)
    assert "Không đọc được tệp khóa" in told.text
    records = await IssuedRecord.filter(school_class=school_class)
    assert all(r.next_role is SignatureRole.PRINCIPAL for r in records)  # homeroom step kept
    assert await issue_class(runtime, school, school_class) == 40
    assert await SigningBatch.filter(role=SignatureRole.HOMEROOM).count() == 1  # not re-signed
