"""The primary school plan's issuance milestones in the reminder rounds (regulation 002, mục
III.3: records by 27/5, signatures by 29/5, the seal by 31/5; core.services.milestones).

A small primary school, 5A and 5B, on a real database. Its documents are staged in the state
issuance leaves them (a closure, unsigned sheets, records waiting for a step): what is tested
here is who hears what, not the building of the documents (tests/signing does that).
"""

from __future__ import annotations

import datetime as dt

import pytest

from core.models import (
    ClassClosure,
    IssuedRecord,
    Notification,
    RecordState,
    Role,
    SchoolClass,
    SignatureRole,
    Staff,
    Student,
    Subject,
    SubjectSheetDoc,
)
from core.rules.catalog import SchoolLevel
from core.services import roster
from core.services.access import Actor
from core.services.milestones import MILESTONE, MILESTONE_LATE
from core.services.reminders import QuietHours
from core.services.rounds import RoundPlan, plan_round, run_round, send_plan
from core.services.school_rules import set_rule
from core.services.schools import create_school, ensure_year
from core.validation import Gender
from tests.deadlines.conftest import at

QUIET = QuietHours(dt.time(21, 0), dt.time(6, 30))
MILESTONE_KINDS = {MILESTONE, MILESTONE_LATE}
STAFF = [
    ("HT01", "Đỗ Thị Hiệu", {Role.PRINCIPAL}, None),
    ("PHT01", "Lê Văn Phó", {Role.VICE_PRINCIPAL}, None),
    ("QT01", "Vũ Quản Trị", {Role.ADMIN}, None),
    ("HV01", "Mai Học Vụ", {Role.REGISTRAR}, None),
    ("VT01", "Tạ Văn Thư", {Role.CLERK}, None),
    ("GV01", "Ngô Chủ Nhiệm", {Role.SUBJECT_TEACHER, Role.HOMEROOM}, "5A"),
    ("GV02", "Bùi Thị Anh", {Role.SUBJECT_TEACHER}, None),
    ("GV03", "Phan Văn Năm", {Role.SUBJECT_TEACHER, Role.HOMEROOM}, "5B"),
    ("GV04", "Hồ Thị Nhạc", {Role.SUBJECT_TEACHER}, None),
]
STUDENTS = [
    ("031215000001", "Nguyễn Văn An", "5A"),
    ("031315000002", "Trần Thị Bình", "5A"),
    ("031215000003", "Lê Văn Cường", "5B"),
]


async def _primary() -> dict[str, Staff]:
    """TH-MOC in 2025-2026 (its calendar: records 27/5/2026, signatures 29/5, seal 31/5, at
    17:00); returns its staff by code."""
    school = await create_school("TH-MOC", "Trường Tiểu học Mốc", SchoolLevel.PRIMARY)
    year = await ensure_year(school, "2025-2026")
    admin = Actor.command_line(school.id)
    await roster.write_students(
        admin,
        year,
        [
            roster.StudentEntry(nid, name, dt.date(2015, 3, 1), Gender.MALE, klass, 5, n)
            for n, (nid, name, klass) in enumerate(STUDENTS, 1)
        ],
    )
    await roster.write_staff(
        admin,
        year,
        [roster.StaffEntry(c, n, frozenset(r), homeroom_class=h) for c, n, r, h in STAFF],
    )
    subjects = {s.code: s for s in await Subject.filter(school=school)}
    await roster.write_assignments(
        admin,
        year,
        [
            roster.AssignmentEntry("GV01", "5A", subjects["TOAN"].id),
            roster.AssignmentEntry("GV02", "5A", subjects["NN1"].id),
            roster.AssignmentEntry("GV04", "5B", subjects["AN"].id),
        ],
    )
    return {s.code: s for s in await Staff.filter(school=school)}


async def _class(name: str) -> SchoolClass:
    return await SchoolClass.get(name=name, year__school__code="TH-MOC")


async def _stage_documents() -> None:
    """5A closed, its sheets of Toán (GV01) and Ngoại ngữ (GV02) unsigned, so its two records
    wait for the subject teachers before the homeroom teacher; 5B closed, its record signed by
    its homeroom teacher and waiting for the principal."""
    a, b = await _class("5A"), await _class("5B")
    await ClassClosure.create(school_class=a, closed_by="HT01")
    await ClassClosure.create(school_class=b, closed_by="HT01")
    school = await a.year
    for code, teacher in (("TOAN", "GV01"), ("NN1", "GV02")):
        await SubjectSheetDoc.create(
            school_class=a,
            subject=await Subject.get(school_id=school.school_id, code=code),
            period="CN",
            teacher=await Staff.get(code=teacher),
            xml=b"<x/>",
        )
    for n, (_nid, name, klass) in enumerate(STUDENTS, 1):
        await IssuedRecord.create(
            student=await Student.get(full_name=name),
            year=school,
            school_class=a if klass == "5A" else b,
            code=f"TH-MOC.{n}",
            next_role=SignatureRole.HOMEROOM if klass == "5A" else SignatureRole.PRINCIPAL,
            state=RecordState.SIGNING,
            data_hash="0" * 64,
            xml=b"<x/>",
        )


async def _round(moment: dt.datetime, school_code: str = "TH-MOC") -> RoundPlan:
    """The round of the ten minutes up to `moment`."""
    from core.models import School

    school = await School.get(code=school_code)
    return await plan_round(
        school, since=moment - dt.timedelta(minutes=10), now=moment, quiet=QUIET
    )


def _told(plan: RoundPlan) -> dict[str, str]:
    """Staff code → the text of their milestone message (one each, checked)."""
    mine = [m for m in plan.messages if m.kind in MILESTONE_KINDS]
    codes = [m.staff.code for m in mine]
    assert len(codes) == len(set(codes)), codes
    return {m.staff.code: m.text() for m in mine}


async def test_records_remind_the_principal_and_the_registrars_of_the_classes(db: str) -> None:
    staff = await _primary()
    plan = await _round(at("26/05/2026", "17:00"))  # a day before 27/5
    assert plan.reminders == ["records@1d"]
    told = _told(plan)
    # the vice principal without the principal's delegation closes nothing; teachers neither
    assert sorted(told) == ["HT01", "HV01", "QT01"]
    principal = told["HT01"]
    assert "Khởi tạo học bạ số: hạn 17:00, Thứ Tư, 27/05/2026" in principal
    assert "• Chưa chốt năm học: 5A, 5B." in principal
    assert "/chotnam" in principal and "hocba close" not in principal
    assert "hocba close LỚP --decided-by MÃ_HIỆU_TRƯỞNG" in told["QT01"]
    (message,) = [m for m in plan.messages if m.staff.code == "HT01"]
    labels = [row[0]["text"] for row in message.buttons()]
    assert labels == ["🔒 Chốt lớp 5A", "🔒 Chốt lớp 5B"]
    assert message.expires_at == at("27/05/2026", "17:00")
    assert not next(m for m in plan.messages if m.staff.code == "HV01").buttons()

    # 5A closed, its records not made (a run that failed after the close): said apart
    await ClassClosure.create(school_class=await _class("5A"), closed_by="HT01")
    plan = await _round(at("27/05/2026", "07:00"))
    assert plan.reminders == ["records@morning"]
    text = _told(plan)["HT01"]
    assert "• Chưa chốt năm học: 5B." in text
    assert "• Đã chốt nhưng chưa lập học bạ: 5A." in text

    # after the milestone: the leaders and admins, the vice principal too, but no registrar
    plan = await _round(at("27/05/2026", "17:05"))
    assert plan.escalated == ["records"]
    told = _told(plan)
    assert sorted(told) == ["HT01", "PHT01", "QT01"]
    assert "Quá hạn: Khởi tạo học bạ số" in told["PHT01"]
    assert staff["HT01"].id in {m.staff.id for m in plan.messages}


async def test_signatures_remind_each_signer_of_their_own_documents(db: str) -> None:
    await _primary()
    await _stage_documents()
    plan = await _round(at("28/05/2026", "17:00"))  # a day before 29/5
    assert plan.reminders == ["signatures@1d"]
    told = _told(plan)
    # the homeroom teacher of 5A waits for the subject teachers; 5B's has signed; the clerk's
    # seal is the next milestone's; GV04 and the admins have nothing to sign
    assert sorted(told) == ["GV01", "GV02", "HT01"]
    assert "• Lớp 5A: 1 bảng điểm môn chờ ký (Giáo viên bộ môn)" in told["GV01"]
    assert "học bạ chờ ký" not in told["GV01"]
    assert "• Lớp 5A: 1 bảng điểm môn chờ ký (Giáo viên bộ môn)" in told["GV02"]
    assert "• Lớp 5B: 1 học bạ chờ ký (Hiệu trưởng)" in told["HT01"]
    assert "Ký học bạ số: hạn 17:00, Thứ Sáu, 29/05/2026" in told["HT01"]
    assert "«✍️ Ký học bạ»" in told["HT01"]
    (principal,) = [m for m in plan.messages if m.staff.code == "HT01"]
    (row,) = principal.buttons()
    assert row[0]["text"] == "✍️ Ký lớp 5B (1)" and row[0]["callback_data"].startswith("sgn")

    # once the subject teachers have signed, the homeroom teacher's records wait for them
    await SubjectSheetDoc.all().update(signed_at=at("28/05/2026", "18:00"))
    plan = await _round(at("29/05/2026", "07:00"))
    told = _told(plan)
    assert sorted(told) == ["GV01", "HT01"]
    assert "• Lớp 5A: 2 học bạ chờ ký (Giáo viên chủ nhiệm)" in told["GV01"]

    # after the milestone: what waits for whom, to the leaders and admins
    plan = await _round(at("29/05/2026", "17:05"))
    assert plan.escalated == ["signatures"]
    told = _told(plan)
    assert sorted(told) == ["HT01", "PHT01", "QT01"]
    digest = told["QT01"]
    assert "Quá hạn: Ban giám hiệu ký học bạ số" in digest
    assert "• Lớp 5A — Giáo viên chủ nhiệm: 2 học bạ (Ngô Chủ Nhiệm)" in digest
    assert "• Lớp 5B — Hiệu trưởng: 1 học bạ (Đỗ Thị Hiệu)" in digest


async def test_the_seal_reminds_the_clerk_or_the_admin_the_school_assigned(db: str) -> None:
    staff = await _primary()
    await _stage_documents()
    await IssuedRecord.filter(school_class=await _class("5B")).update(next_role=SignatureRole.SEAL)
    plan = await _round(at("30/05/2026", "17:00"))  # a day before 31/5
    assert plan.reminders == ["seal@1d"]
    told = _told(plan)
    assert sorted(told) == ["VT01"]  # 5A's records still wait for people: not the clerk's yet
    assert "• Lớp 5B: 1 học bạ chờ đóng dấu (Nhà trường (ký số tổ chức))" in told["VT01"]
    assert "hocba issue" in told["VT01"]

    # 004 Điều 9.4: where the principal assigns the seal to the admin, the admin hears too
    principal = await Actor.of_staff(staff["HT01"])
    await set_rule(principal, "seal_operator", "admin")
    plan = await _round(at("31/05/2026", "07:00"))
    assert sorted(_told(plan)) == ["QT01", "VT01"]

    plan = await _round(at("31/05/2026", "17:05"))
    assert plan.escalated == ["seal"]
    digest = _told(plan)["HT01"]
    assert "• Lớp 5B — Nhà trường (ký số tổ chức): 1 học bạ (Tạ Văn Thư)" in digest
    assert "• Lớp 5A — Giáo viên bộ môn: 2 bảng điểm môn" in digest


async def test_a_round_run_again_sends_nothing_twice(db: str) -> None:
    await _primary()
    await _stage_documents()
    from core.models import School

    school = await School.get(code="TH-MOC")
    moment = at("28/05/2026", "17:00")
    span = {"since": moment - dt.timedelta(minutes=5), "now": moment, "quiet": QUIET}
    first = await run_round(school, **span)
    assert first.reminders == ["signatures@1d"] and first.added == 3
    count = await Notification.filter(kind=MILESTONE).count()
    again = await run_round(school, **span)
    assert again.added == 0
    assert await Notification.filter(kind=MILESTONE).count() == count == 3


async def test_a_round_in_the_quiet_hours_is_held_until_the_morning(db: str) -> None:
    """A school that moved the morning reminder before the quiet hours end still gets it
    after them (the round's `deliver_at`)."""
    await _primary()
    night = at("26/05/2026", "22:00")
    plan = await _round(at("26/05/2026", "17:00"))
    plan.now, plan.deliver_at = night, QUIET.defer(night)
    await send_plan(plan)
    (row,) = await Notification.filter(kind=MILESTONE, staff__code="HT01")
    assert row.next_attempt_at == at("27/05/2026", "06:30")


@pytest.mark.parametrize(
    "moment",
    ["26/05/2026 17:00", "27/05/2026 17:05", "28/05/2026 17:00", "29/05/2026 17:05"],
)
async def test_a_secondary_school_has_no_milestones(small, moment: str) -> None:
    day, hm = moment.split()
    plan = await _round(at(day, hm), "THCS-NHO")
    assert not [m for m in plan.messages if m.kind in MILESTONE_KINDS]
    assert not [r for r in plan.reminders if r.split("@")[0] in {"records", "signatures", "seal"}]
