"""Students' photos for the record's cover (core.services.student_photos, `hocba photos`): a
phone's photo becomes an upright 3:4 JPEG without metadata, one per student, audited; the wrong
file or the wrong person is refused with what to do next, and nothing is written."""

from __future__ import annotations

import datetime as dt
import struct
import zipfile
import zlib
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image

from core.errors import InvalidValue, NotFound, PermissionDenied
from core.models import AuditEvent, Role, Student, StudentPhoto
from core.rules.catalog import SchoolLevel
from core.services import roster, student_photos
from core.services.access import Actor
from core.services.schools import create_school, ensure_year
from core.validation import Gender
from core.workers import WorkerPool
from tests.integration.console import console

AN, BINH, KHAC = "001214000011", "001214000012", "001214000099"
RED, BLUE = (220, 20, 20), (20, 20, 220)
HOMEROOM = frozenset({Role.HOMEROOM})


def phone_photo() -> bytes:
    """A landscape 1600 × 1200 JPEG, left half red, right half blue, that the phone says to
    turn (EXIF orientation 6: 90° clockwise, so red ends on top), with a GPS position and the
    phone's name in its EXIF."""
    image = Image.new("RGB", (1600, 1200), RED)
    image.paste(BLUE, (800, 0, 1600, 1200))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation
    exif[0x0110] = "Điện thoại của cô Hoa"  # Model
    exif[0x8825] = {1: "N", 2: (21.0, 1.0, 30.0)}  # GPSInfo
    out = BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def picture(size: tuple[int, int], kind: str = "PNG") -> bytes:
    out = BytesIO()
    Image.new("RGB", size, (200, 180, 160)).save(out, kind)
    return out.getvalue()


@pytest.fixture
async def people(secondary) -> dict[str, Actor]:
    """6A with An and Bình, its homeroom teacher GVCN, 6B's homeroom teacher GVCN2, a subject
    teacher, a registrar; another school with a student of its own."""
    school, year = secondary
    admin = Actor.command_line(school.id)
    born = dt.date(2013, 3, 1)
    await roster.write_students(
        admin,
        year,
        [
            roster.StudentEntry(AN, "Lê Văn An", born, Gender.MALE, "6A", 6, 1),
            roster.StudentEntry(BINH, "Trần Thị Bình", born, Gender.FEMALE, "6A", 6, 2),
            roster.StudentEntry("001214000013", "Phạm Chi", born, Gender.FEMALE, "6B", 6, 1),
        ],
    )
    await roster.write_staff(
        admin,
        year,
        [
            roster.StaffEntry(
                "GVCN", "Ngô Chủ Nhiệm", frozenset({Role.HOMEROOM}), homeroom_class="6A"
            ),
            roster.StaffEntry("GVCN2", "Lý Thị B", frozenset({Role.HOMEROOM}), homeroom_class="6B"),
            roster.StaffEntry("GV01", "Hoàng Văn Toán", frozenset({Role.SUBJECT_TEACHER})),
            roster.StaffEntry("HV01", "Đỗ Học Vụ", frozenset({Role.REGISTRAR})),
        ],
    )
    other = await create_school("THCS-KHAC", "Trường THCS Khác", SchoolLevel.LOWER_SECONDARY)
    await roster.write_students(
        Actor.command_line(other.id),
        await ensure_year(other, "2025-2026"),
        [roster.StudentEntry(KHAC, "Vũ Khác", born, Gender.MALE, "6A", 6, 1)],
    )
    actors = {"admin": admin}
    for code in ("GVCN", "GVCN2", "GV01", "HV01"):
        actors[code] = await Actor.of_staff(await school.staff.filter(code=code).get())
    return actors


async def test_a_phone_photo_is_stored_upright_3_by_4_without_metadata(people) -> None:
    stored = await student_photos.upload(people["GVCN"], AN, phone_photo())
    assert not stored.replaced
    image = Image.open(BytesIO(stored.jpeg))
    assert image.format == "JPEG" and image.size == student_photos.KEPT_SIZE
    assert not image.getexif() and "exif" not in image.info  # no GPS, no phone's name
    top, bottom = image.getpixel((177, 20)), image.getpixel((177, 450))
    assert top[0] > 150 > top[2] and bottom[2] > 150 > bottom[0]  # turned as the phone said
    an = await Student.get(national_id=AN)
    assert (await student_photos.photos_of([an.id])) == {an.id: stored.jpeg}
    event = await AuditEvent.get(action="student.photo", target=f"student:{an.id}")
    assert event.actor == people["GVCN"].label and event.before is None
    assert event.after["sha256"] == stored.sha256

    again = await student_photos.upload(people["HV01"], AN, picture((900, 1200), "WEBP"))
    assert again.replaced and again.sha256 != stored.sha256
    assert await StudentPhoto.all().count() == 1
    last = await AuditEvent.filter(action="student.photo").order_by("-id").first()
    assert last.before == {"sha256": stored.sha256}


async def test_the_worker_pool_makes_the_same_photo(people, workers: WorkerPool) -> None:
    data = phone_photo()
    here = student_photos.normalised(data, "vi")
    assert (await student_photos.upload(people["admin"], BINH, data, workers)).jpeg == here


def _declares_a_huge_picture() -> bytes:
    """A PNG of a few bytes whose header declares 8,000 × 8,000 pixels (192 MB decoded)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data).to_bytes(4, "big")
        return len(data).to_bytes(4, "big") + kind + data + crc

    header = struct.pack(">IIBBBBB", 8000, 8000, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(100)))
        + chunk(b"IEND", b"")
    )


BAD = {
    "an empty file": (lambda: b"", "Tệp trống"),
    "not a picture": (lambda: b"Lop 6A - anh the".ljust(4000, b"."), "không phải ảnh JPEG"),
    "a GIF": (lambda: picture((300, 400), "GIF"), "không phải ảnh JPEG, PNG hay WebP"),
    "a damaged JPEG": (lambda: phone_photo()[:3000], "bị hỏng hoặc không đọc được"),
    "too small": (lambda: picture((120, 160)), "Ảnh chỉ 120 × 160 điểm ảnh"),
    "over 10 MB": (lambda: b"\xff\xd8\xff" + bytes(10 * 1024 * 1024), "quá giới hạn 10 MB"),
    "a picture too large to decode": (_declares_a_huge_picture, "Ảnh quá lớn"),
}


@pytest.mark.parametrize("case", BAD)
async def test_bad_files_are_refused_and_nothing_is_written(people, case) -> None:
    make, expected = BAD[case]
    with pytest.raises(InvalidValue) as refused:
        await student_photos.upload(people["GVCN"], AN, make())
    assert expected in str(refused.value) and "3 × 4" in str(refused.value)  # what to send
    assert not await StudentPhoto.exists()
    assert not await AuditEvent.filter(action="student.photo").exists()


async def test_only_the_homeroom_teacher_and_the_office_give_a_photo(people) -> None:
    photo = picture((300, 400))
    for who in ("GV01", "GVCN2"):  # a subject teacher; another class's homeroom teacher
        with pytest.raises(PermissionDenied, match="giáo viên chủ nhiệm lớp của em"):
            await student_photos.upload(people[who], AN, photo)
    for national_id in (KHAC, "000000000000"):  # another school's student is nobody here
        with pytest.raises(NotFound, match=f"không có học sinh nào có mã định danh {national_id}"):
            await student_photos.upload(people["admin"], national_id, photo)
    assert not await StudentPhoto.exists()


async def test_the_command_line_takes_a_zip_named_by_personal_ids(
    people, db: str, tmp_path: Path
) -> None:
    delivery = tmp_path / "anh-6A.zip"
    with zipfile.ZipFile(delivery, "w") as archive:
        archive.writestr(f"6A/{AN}.jpg", phone_photo())
        archive.writestr(f"6A/{BINH}.PNG", picture((600, 800)))
        archive.writestr("6A/Lê Văn An.jpg", phone_photo())
        archive.writestr("6A/001214000013.jpg", b"not a photo")
    async with console(db, tmp_path) as hocba:
        code, out, err = await hocba("--school", "THCS-DA", "photos", str(delivery))
    assert code == 1, err
    assert f"✓ {AN}.jpg: ảnh mới" in out and f"✓ {BINH}.PNG: ảnh mới" in out
    assert "✗ Lê Văn An.jpg: Tên tệp phải là mã định danh 12 chữ số" in out
    assert "✗ 001214000013.jpg: Tệp này không phải ảnh JPEG" in out
    assert "Đã lưu 2 ảnh; 2 tệp bị từ chối." in out
    assert await StudentPhoto.all().count() == 2
