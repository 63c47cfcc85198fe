"""Issued means frozen (issue 12, Done when): once 6A's records are issued, nobody writes its
gradebook but the correction flow; a completed correction gets the student's record issued
again as version 2 through the whole chain, version 1 verifies as replaced, and
`hocba records check` finds the records and the gradebook agreeing, or says where they do not.

The demo school with its test PKI (tests/signing/conftest.py `demo`): 6A closed on the
principal's decision, on the issuing day (2/6/2026, term II's entry over, its correction
cut-off ahead). The correction goes through the real flow's core calls, as tests/corrections.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from tortoise import connections

from bot.cli_signing import issue_class
from core.models import (
    AuditEvent,
    CellKind,
    ClassClosure,
    IssuedRecord,
    Mark,
    MarkKind,
    RecordRevision,
    RecordState,
    RequestState,
    Role,
    SchoolClass,
    Staff,
    Subject,
    TeachingAssignment,
    Term,
    Witness,
)
from core.services import corrections, gradebook, school_rules
from core.services.access import Actor
from core.services.evidence import accept
from core.services.frozen import RecordsFrozen
from core.services.issuance.drift import issued_data
from core.services.issuance.reissue import reason_of, reissue_corrected
from core.services.issuance.revise import revise
from core.services.verification import verify_file
from core.signing.trust import load_roots
from core.storage import FileStore
from tests.corrections.conftest import JPEG, PNG
from tests.signing.conftest import ISSUING_2025_2026


class Walk:
    """6A issued, and what the walk needs: Toán's teacher, the first student, term II."""

    def __init__(self, runtime, school, school_class: SchoolClass, tmp_path: Path):
        self.runtime, self.school, self.school_class = runtime, school, school_class
        self.store = FileStore(tmp_path / "files")

    async def load(self) -> Walk:
        self.subject = await Subject.get(school=self.school, code="TOAN")
        taught = await TeachingAssignment.get(
            school_class=self.school_class, subject=self.subject
        ).prefetch_related("staff")
        self.teacher = await Actor.of_staff(taught.staff)
        self.term = await Term.get(year_id=self.school_class.year_id, number=2)
        [(_e, self.student), *_rest] = await gradebook.class_students(self.school_class)
        return self

    async def final_mark(self) -> Mark:
        return await Mark.get(
            student=self.student, subject=self.subject, term=self.term, kind=MarkKind.FINAL
        )

    def entry(self, value: str) -> gradebook.MarkEntry:
        return gradebook.MarkEntry(
            self.student.id,
            self.school_class,
            self.subject,
            self.term,
            MarkKind.FINAL,
            1,
            Decimal(value),
        )

    async def records(self) -> list[IssuedRecord]:
        return await IssuedRecord.filter(student=self.student).order_by("version")

    async def correct(self, value: str) -> int:
        """The Toán teacher's request for CK of term II, forwarded, approved by the principal,
        witnessed, and the approved value applied: the real flow, end to end."""
        draft = corrections.Draft(
            token=corrections.new_token(),
            class_id=self.school_class.id,
            student_id=self.student.id,
            subject_id=self.subject.id,
            term_id=self.term.id,
            changes=(corrections.Change(CellKind.FINAL, 1, value),),
            reason="Cộng nhầm điểm bài kiểm tra cuối kỳ",
            evidence=(accept(self.store, PNG, "bai1.png"), accept(self.store, JPEG, "bai2.jpg")),
        )
        request = await corrections.submit(self.teacher, draft, self.store)
        if RequestState(request.state) is RequestState.AT_ADMINS:
            admin = await Staff.filter(school=self.school, roles__role=Role.ADMIN).first()
            await corrections.forward(await Actor.of_staff(admin), [request.id])
        principal = await Staff.get(school=self.school, roles__role=Role.PRINCIPAL)
        await corrections.approve(await Actor.of_staff(principal), request.id)
        for staff_id in set(
            await Witness.filter(request_id=request.id).values_list("staff_id", flat=True)
        ):
            await corrections.confirm_witness(
                await Actor.of_staff(await Staff.get(id=staff_id)), request.id
            )
        [item] = (await corrections.load_view(request.id)).items
        done = await corrections.apply_value(
            self.teacher, request.id, item.id, value, self.store, self.runtime.workers
        )
        assert RequestState(done.state) is RequestState.APPLIED and done.closed_at is not None
        return request.id


@pytest.fixture
async def walk(demo, runtime, tmp_path: Path) -> Walk:
    _config, school, school_class = demo
    assert await ClassClosure.exists(school_class=school_class)
    assert await issue_class(runtime, school, school_class) == 40
    return await Walk(runtime, school, school_class, tmp_path).load()


def records_check(sqlite_db: str, tmp_path: Path, *argv: str) -> subprocess.CompletedProcess:
    """`hocba records check` run as the admin runs it, on the issuing day."""
    env = {
        **os.environ,
        "HOCBA_DATABASE_URL": sqlite_db,
        "HOCBA_STORAGE_DIR": str(tmp_path / "cli-files"),
        "HOCBA_WORKERS_PROCESSES": "1",
        "HOCBA_STAGING_NOW": ISSUING_2025_2026.strftime("%Y-%m-%d %H:%M"),
    }
    command = [sys.executable, "-m", "bot.cli", "--school", "THCS-DEMO", "records", "check", *argv]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


async def test_issued_frozen_corrected_reissued_and_checked(
    walk: Walk, demo, sqlite_db: str, tmp_path: Path
) -> None:
    config = demo[0]
    before = (await walk.final_mark()).score
    [v1] = await walk.records()
    admin = Actor.command_line(walk.school.id)
    principal = await Staff.filter(school=walk.school, roles__role=Role.PRINCIPAL).first()
    # the admin may enter marks for teachers here (001 Điều 17.2): the close still refuses them
    await school_rules.set_rule(admin, "admin_enters_marks", "yes", decided_by=principal.code)
    # a teacher and an admin try to change the mark: refused, naming the records and the way
    for who in (walk.teacher, admin):
        with pytest.raises(RecordsFrozen) as refused:
            await gradebook.write_marks(who, [walk.entry("2")])
        said = str(refused.value)
        for expected in ("6A", "đã chốt năm học", walk.student.full_name, v1.code, "/suadiem"):
            assert expected in said, said
        assert "Điều 25" in said
    homeroom = await Actor.of_staff(await Staff.get(id=walk.school_class.homeroom_id))
    with pytest.raises(RecordsFrozen):  # the homeroom teacher's cells are frozen as well
        await gradebook.write_absences(
            homeroom,
            [gradebook.AbsenceEntry(walk.student.id, walk.school_class, walk.term, 9, 9)],
        )
    assert (await walk.final_mark()).score == before

    new_value = "2" if before >= 5 else "9"
    request_id = await walk.correct(new_value)
    assert (await walk.final_mark()).score == Decimal(new_value)
    intent = await RecordRevision.get(request_id=request_id)  # committed with the close
    assert intent.done_at is None and await walk.records() == [v1]

    [done] = await reissue_corrected(walk.runtime.workers, walk.runtime.portal)
    v2 = await IssuedRecord.get(id=done.record_id)
    assert (v2.version, v2.state) == (2, RecordState.SIGNING) and f"SĐ-{request_id}" in (
        v2.correction_reason
    )
    assert (
        await reissue_corrected(walk.runtime.workers, walk.runtime.portal) == []
    )  # once, however often it runs
    assert await issue_class(walk.runtime, walk.school, walk.school_class) == 40

    old, new = await walk.records()
    assert (old.id, old.state, new.state) == (v1.id, RecordState.REVOKED, RecordState.ISSUED)
    assert f"SĐ-{request_id}" in old.revoked_reason and "phiên bản 2" in old.revoked_reason
    roots = load_roots([config.signing.pkcs12_dir / "ca.pem"])
    current = await verify_file(new.xml, roots, "v2.xml", walk.runtime.workers)
    assert current.ok and len(current.signatures) == 3, "\n".join(current.lines())
    assert "hiện hành" in current.status
    replaced = await verify_file(old.xml, roots, "v1.xml", walk.runtime.workers)
    assert replaced.valid and not replaced.ok, "\n".join(replaced.lines())
    assert "ĐÃ BỊ THAY THẾ" in replaced.status and "phiên bản 2" in replaced.status

    ran = records_check(sqlite_db, tmp_path)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "40 học bạ đang có hiệu lực khớp với sổ điểm" in ran.stdout


async def test_a_crash_after_the_new_version_started_gives_one_version(walk: Walk) -> None:
    """The job started version 2 and died before marking its row: the next run finds the
    version with this correction's reason and only marks the row."""
    before = (await walk.final_mark()).score
    request_id = await walk.correct("2" if before >= 5 else "9")
    intent = await RecordRevision.get(request_id=request_id)
    request = await corrections.load_view(request_id)
    principal = await Actor.of_staff(
        await Staff.get(school=walk.school, roles__role=Role.PRINCIPAL)
    )
    [v1] = await walk.records()
    started = await revise(
        principal, v1, reason_of(request.request), walk.runtime.workers, walk.runtime.portal
    )
    [done] = await reissue_corrected(walk.runtime.workers, walk.runtime.portal)
    assert done.record_id == started.id
    assert [r.version for r in await walk.records()] == [1, 2]
    assert (await RecordRevision.get(id=intent.id)).done_at is not None


async def test_records_check_reports_a_change_behind_the_cores_back(
    walk: Walk, sqlite_db: str, tmp_path: Path
) -> None:
    mark = await walk.final_mark()
    changed = Decimal("2.0") if mark.score >= 5 else Decimal("9.0")
    connection = connections.get("default")
    await connection.execute_query(
        "UPDATE mark SET score = ? WHERE id = ?", [str(changed), mark.id]
    )
    records = await IssuedRecord.all().values_list("id", "state", "xml_sha256")
    events = await AuditEvent.filter(action__not="results.read").count()
    ran = records_check(sqlite_db, tmp_path, "--year", "2025-2026")
    assert ran.returncode == 1, ran.stdout + ran.stderr
    lines = [line for line in ran.stdout.splitlines() if walk.student.full_name in line]
    assert any("Toán, HK II" in line for line in lines), ran.stdout
    [record] = await walk.records()
    assert all(record.code in line and "phiên bản 1" in line for line in lines)
    issued = next(s for s in issued_data(record).subjects if s.code == "TOAN")
    [term2] = [line for line in lines if "Toán, HK II" in line]
    said = re.search("học bạ ghi «(.*)», sổ điểm hiện là «(.*)»", term2)
    assert said is not None, term2  # the record's value, then the gradebook's
    assert said[1] == issued.term2 and said[2] != said[1], term2
    assert "chỗ học bạ khác sổ điểm, trên 40 học bạ đang có hiệu lực" in ran.stdout
    # a read: the records and the log (but for the audited read itself) are as they were
    assert await IssuedRecord.all().values_list("id", "state", "xml_sha256") == records
    assert await AuditEvent.filter(action__not="results.read").count() == events
    assert (await walk.final_mark()).score == changed
