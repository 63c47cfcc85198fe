"""The minutes of a correction sealed by the school (PAdES), checked by pdfsig and by pyhanko's
validator; who confirmed, with times on the school's clock; and minutes that go out without
the seal, saying so, when the school's seal cannot be used, with the admins and clerks told.
The seal on a PKCS#11 token: tests/signing/test_minutes_seal.py."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from core import clock
from core.models import CorrectionRequest, Notification, Role, Staff
from core.models.records import SignatureRole
from core.render.minutes import ChangeLine, MinutesFacts, WitnessLine
from core.services import corrections, roster
from core.signing.backends import SEAL_CODE, SigningSettings, pkcs12_path
from core.signing.pdf_verify import verify_pdf
from core.signing.worker import seal_minutes
from demo.pki import Issued, issue, make_ca, write_pkcs12
from tests.corrections.conftest import School
from tests.corrections.test_flow import opened, pdf_text
from tests.signing.conftest import SCHOOL, tool

SCHOOL_NAME = "Trường THCS Nhỏ"  # the small school of tests/deadlines
# Yesterday at 07:30 UTC, 14:30 at the school (UTC+7); the seal's certificate is older.
MOMENT = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).replace(
    hour=7, minute=30, second=0, microsecond=0
)


@pytest.fixture(scope="module")
def ca() -> Issued:
    """Valid from before MOMENT whatever the hour the test runs (a CA valid "from yesterday"
    counted from now is not yet valid at yesterday's 07:30 UTC once today's has passed)."""
    return make_ca(not_before=MOMENT - dt.timedelta(days=3))


@pytest.fixture
def at_moment() -> Iterator[dt.datetime]:
    """The whole correction happens at 07:30 UTC: the minutes must say 14:30."""
    clock.set_time(MOMENT)
    yield MOMENT
    clock.set_time(None)


def seal_settings(directory: Path, ca_issued: Issued, school_code: str = "THCS-NHO", **kw):
    """A PKCS#12 seal for the school in `directory`, as `hocba demo` or a clerk would keep it."""
    kw.setdefault("not_before", dt.datetime.now(dt.UTC) - dt.timedelta(days=3))
    seal = issue(ca_issued, SCHOOL_NAME, SCHOOL_NAME, **kw)
    write_pkcs12(seal, pkcs12_path(directory, school_code, SEAL_CODE), "", SCHOOL_NAME)
    return SigningSettings(pkcs12_dir=directory, seal="pkcs12", demo=True)


def pdfsig(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "sealed.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        [tool("pdfsig"), "-nocert", str(path)], capture_output=True, text=True, check=False
    ).stdout


def first_revision(pdf: bytes) -> bytes:
    """The document as drawn, before the seal's incremental update."""
    return pdf[: pdf.index(b"%%EOF")]


async def applied(school: School, signing: SigningSettings | None) -> CorrectionRequest:
    await school.lock_nv()
    request = await opened(school)
    item = (await corrections.load_view(request.id)).items[0]
    return await corrections.apply_value(
        await school.teacher(),
        request.id,
        item.id,
        "7,5",
        school.store,
        school.workers,
        signing=signing,
    )


@pytest.mark.poppler
async def test_minutes_are_sealed_and_name_who_confirmed_when(
    school: School,
    ca: Issued,
    at_moment,
    tmp_path,
) -> None:
    settings = seal_settings(tmp_path / "keys", ca)
    request = await applied(school, settings)
    pdf = school.store.get(request.minutes_sha256)
    # pyhanko writes the signature's own time (/M) from the real clock, not core.clock: check
    # the seal now, as anyone receiving the minutes would
    clock.set_time(None)

    out = pdfsig(pdf, tmp_path)
    assert out.count("Signature Validation: Signature is Valid.") == 1, out
    assert SCHOOL_NAME in out and "DauNhaTruong" in out
    reports = await verify_pdf(pdf, [ca.certificate])
    assert [(r.role, r.signer, r.ok) for r in reports] == [
        (SignatureRole.SEAL, SCHOOL_NAME, True)
    ], [r.lines() for r in reports]

    text = pdf_text(pdf, tmp_path)
    assert f"Ký bởi: {SCHOOL_NAME}" in text  # the seal's visible stamp
    assert "chưa có chữ ký số" not in text
    when = rf"14:30, (Thứ \w+|Chủ Nhật), {MOMENT:%d/%m/%Y}"
    for role, name in (
        ("Người duyệt phiếu", "Đỗ Thị Hiệu"),
        ("Đại diện Ban giám hiệu", "Đỗ Thị Hiệu"),
        ("Đại diện Ban quản trị", "Vũ Quản Trị"),
        ("Đại diện Ban thanh tra nhân dân", "Mai Thanh Tra"),
        ("Giáo viên đề nghị sửa", "Bùi Thị Văn"),
        ("Giáo viên nhập giá trị đã duyệt", "Bùi Thị Văn"),
    ):
        assert re.search(rf"{role}\s+{name}\s+{when}", text), (role, text)
    assert re.search(rf"ĐĐGtx 1\s+6,0\s+7,5\s+{when}", text), text

    minutes = await Notification.filter(kind="correction.minutes")
    assert len(minutes) == 3 and {n.file_sha256 for n in minutes} == {request.minutes_sha256}
    assert not await Notification.exists(kind="correction.unsealed")

    again = await corrections.regenerate_minutes(
        await school.actor("HT01"), request.id, school.workers, settings
    )
    assert first_revision(again) == first_revision(pdf)  # the same drawing, sealed anew
    assert all(r.ok for r in await verify_pdf(again, [ca.certificate]))


@pytest.mark.poppler
async def test_without_a_usable_seal_the_minutes_go_out_saying_so_and_admins_are_told(
    school: School, tmp_path
) -> None:
    await roster.write_staff(  # a clerk, on the principal's decision (001 Điều 16.2, 33.2)
        school.admin,
        school.year,
        [roster.StaffEntry("VT01", "Lê Văn Thư", frozenset({Role.CLERK}))],
        decided_by=school.staff["HT01"],
    )
    no_seal = SigningSettings(  # the seal was never installed
        pkcs12_dir=tmp_path / "no-keys", seal="pkcs12", demo=True
    )
    request = await applied(school, no_seal)
    assert request.minutes_sha256 and request.closed_at is not None  # closed all the same
    pdf = school.store.get(request.minutes_sha256)
    assert await verify_pdf(pdf, []) == []  # no signature at all
    text = " ".join(pdf_text(pdf, tmp_path).split())
    assert "Biên bản này chưa có chữ ký số (con dấu) của nhà trường" in text
    assert "SEAL.p12" not in text  # the server's paths are for the admins, not the document

    minutes = await Notification.filter(kind="correction.minutes")
    assert {n.file_sha256 for n in minutes} == {request.minutes_sha256} and len(minutes) == 3
    told = await Notification.filter(kind="correction.unsealed").prefetch_related("staff")
    assert sorted(n.staff.code for n in told) == ["QT01", "VT01"]
    for notice in told:
        assert request.number in notice.text and "SEAL.p12" in notice.text
        assert "Việc cần làm" in notice.text and "[signing]" in notice.text
    # the job finds nothing left to conclude and tells nobody again
    await corrections.expire_sessions(clock.now(), school.store, school.workers, no_seal)
    assert await Notification.filter(kind="correction.unsealed").count() == 2


async def test_a_caller_without_signing_settings_still_sends_the_minutes(school: School) -> None:
    request = await applied(school, None)
    assert request.minutes_sha256
    notice = await Notification.get(kind="correction.unsealed")
    assert notice.staff_id == (await Staff.get(code="QT01")).id and "[signing]" in notice.text


def facts(number: str = "SĐ-7") -> MinutesFacts:
    return MinutesFacts(
        language="vi",
        zone=clock.zone(),
        school_name=SCHOOL.name,
        province=SCHOOL.province,
        number=number,
        created_at=MOMENT,
        teacher="Bùi Thị Văn",
        student="Trần Thị Bình",
        school_class="6A",
        subject="Ngữ văn",
        term="I",
        year="2025-2026",
        reason="Nhập nhầm điểm",
        items=(ChangeLine("ĐĐGtx 1", "6,0", "7,5", MOMENT),),
        evidence=(("anh1.jpg", "ab" * 32, 1234),),
        approver="Đỗ Thị Hiệu",
        approved_at=MOMENT,
        opened_at=MOMENT,
        closed_at=MOMENT,
        witnesses=(WitnessLine("Đại diện Ban quản trị", "Vũ Quản Trị", MOMENT),),
    )


async def test_an_expired_seal_is_not_used(ca: Issued, tmp_path) -> None:
    settings = seal_settings(
        tmp_path / "keys",
        ca,
        "THCS-CU",
        days=30,
        not_before=dt.datetime.now(dt.UTC) - dt.timedelta(days=60),
    )
    now = dt.datetime.now(dt.UTC)
    sealed = await asyncio.to_thread(seal_minutes, settings, "THCS-CU", facts(), now)
    assert sealed.sealed_by == "" and "không còn hiệu lực" in sealed.problem
    assert await verify_pdf(sealed.pdf, []) == []
