"""The whole procedure in the core: submit → forward → approve → witnesses → apply → minutes."""

from __future__ import annotations

import shutil
import subprocess
from decimal import Decimal

import pytest

from core.errors import InvalidValue, PermissionDenied
from core.models import (
    AuditEvent,
    CorrectionRequest,
    Mark,
    MarkKind,
    Notification,
    Opening,
    RequestState,
    WitnessRole,
)
from core.services import corrections, gradebook
from core.services.locks import ScopeLocked
from tests.corrections.conftest import School


def pdf_text(data: bytes, tmp_path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    path = tmp_path / "minutes.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


async def mark_of(school: School, column_kind=MarkKind.REGULAR, index=1) -> Decimal:
    mark = await Mark.get(
        student_id=school.students["Trần Thị Bình"],
        subject=school.subjects["NV"],
        term=school.terms[1],
        kind=column_kind,
        index=index,
    )
    return mark.score


async def approved(school: School, draft=None) -> CorrectionRequest:
    request = await corrections.submit(
        await school.teacher(), draft or school.draft(), school.store
    )
    await corrections.forward(await school.actor("QT01"), [request.id])
    return await corrections.approve(await school.actor("HT01"), request.id)


async def opened(school: School, draft=None) -> CorrectionRequest:
    request = await approved(school, draft)
    for code in ("HT01", "QT01", "TT01", "GV03", "GV02"):
        request = await corrections.confirm_witness(await school.actor(code), request.id)
    return request


@pytest.mark.poppler
async def test_whole_path_applies_relocks_and_minutes(school: School, tmp_path) -> None:
    await school.lock_nv()
    teacher = await school.teacher()
    draft = school.draft((MarkKind.REGULAR, 1, "7.5"), (MarkKind.MIDTERM, 1, "8"))
    request = await corrections.submit(teacher, draft, school.store)
    assert request.state == RequestState.AT_ADMINS
    admins = await Notification.filter(kind="correction.forward")
    assert [n.staff_id for n in admins] == [school.staff["QT01"].id]
    assert "6,0 → <b>7,5</b>" in admins[0].text and "Nhập nhầm" in admins[0].text

    await corrections.forward(await school.actor("QT01"), [request.id])
    card = await Notification.get(kind="correction.decide", staff_id=school.staff["HT01"].id)
    assert "crv:" in str(card.buttons) and "cra:" in str(card.buttons)
    # before approval the locked cell refuses the teacher
    entry = school.mark("Trần Thị Bình", "6A", "NV", MarkKind.REGULAR, 1, "7.5")
    with pytest.raises(ScopeLocked):
        await gradebook.write_marks(teacher, [entry])

    request = await corrections.approve(await school.actor("HT01"), request.id)
    assert request.state == RequestState.APPROVED
    # 000 Điều 8: leadership, admin board, people's inspection board, the teacher; and the
    # class's homeroom teacher (001 Điều 17.3)
    witnesses = await request.witnesses.all().prefetch_related("staff").order_by("id")
    assert [(w.role, w.staff.code) for w in witnesses] == [
        (WitnessRole.LEADERSHIP, "HT01"),
        (WitnessRole.ADMIN, "QT01"),
        (WitnessRole.INSPECTOR, "TT01"),
        (WitnessRole.TEACHER, "GV02"),
        (WitnessRole.HOMEROOM, "GV03"),
    ]
    for code in ("HT01", "QT01", "TT01", "GV03"):
        request = await corrections.confirm_witness(await school.actor(code), request.id)
        assert request.state == RequestState.APPROVED
    request = await corrections.confirm_witness(teacher, request.id)
    assert request.state == RequestState.OPEN
    assert await Opening.filter(staff_id=school.staff["GV02"].id, closed_at=None).count() == 2

    view = await corrections.load_view(request.id)
    tx1 = next(i for i in view.items if i.column == "TX1")
    gk = next(i for i in view.items if i.column == "GK")
    # another student's cell, or another teacher, stays locked
    other = school.mark("Phạm Thị Chi", "6A", "NV", MarkKind.REGULAR, 1, "5")
    with pytest.raises(ScopeLocked):
        await gradebook.write_marks(teacher, [other])
    with pytest.raises(InvalidValue, match="7,5"):
        await corrections.apply_value(
            teacher, request.id, tx1.id, "9", school.store, school.workers
        )
    with pytest.raises(PermissionDenied):
        await corrections.apply_value(
            await school.actor("GV01"), request.id, tx1.id, "7.5", school.store, school.workers
        )
    await corrections.apply_value(teacher, request.id, tx1.id, "7,5", school.store, school.workers)
    assert await mark_of(school) == Decimal("7.5")
    with pytest.raises(ScopeLocked):  # relocked at once
        await gradebook.write_marks(teacher, [entry])
    request = await corrections.apply_value(
        teacher, request.id, gk.id, "8", school.store, school.workers
    )
    assert request.state == RequestState.APPLIED and request.minutes_sha256
    assert await Opening.filter(closed_at=None, cell__not_isnull=True).count() == 0

    minutes = await Notification.filter(kind="correction.minutes")
    assert {n.staff_id for n in minutes} == {school.staff[c].id for c in ("HT01", "QT01", "GV02")}
    assert all(n.file_sha256 == request.minutes_sha256 for n in minutes)
    text = pdf_text(school.store.get(request.minutes_sha256), tmp_path)
    for expected in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "BIÊN BẢN SỬA CHỮA DỮ LIỆU",
        "TRƯỜNG THCS NHỎ",
        "Trần Thị Bình",
        "Bùi Thị Văn",
        "Đỗ Thị Hiệu",
        "Mai Thanh Tra",
        "Đại diện Ban thanh tra nhân dân",
        "Ngô Chủ Nhiệm",
        "Giáo viên chủ nhiệm lớp",
        "Những người xác nhận",
        draft.evidence[0].sha256,
        "7,5",
    ):
        assert expected in text, expected
    again = await corrections.regenerate_minutes(
        await school.actor("HT01"), request.id, school.workers
    )
    assert pdf_text(again, tmp_path) == text

    history = await corrections.history(
        await school.actor("QT01"), school.students["Trần Thị Bình"]
    )
    tx1_lines = [
        h
        for h in history
        if h.column == "TX1" and h.cell.split(":")[2] == str(school.subjects["NV"].id)
    ]
    assert [(h.before, h.after, h.request) for h in tx1_lines] == [
        (None, "6", None),
        ("6", "7.5", f"SĐ-{request.id}"),
    ]
    actions = await AuditEvent.filter(target=f"correction:{request.id}").values_list(
        "action", flat=True
    )
    assert actions[:4] == [
        "correction.submit",
        "correction.forward",
        "correction.approve",
        "correction.witness",
    ]
    assert "correction.applied" in actions
