"""Each signer's signature image (core.services.signature_images; 001 Điều 13): what is
accepted becomes blue strokes on a transparent PNG, one current image per person, audited;
everything else is refused with what to send instead, and nothing is written.
"""

from __future__ import annotations

from io import BytesIO

import pytest
from PIL import Image, ImageDraw

from core.errors import InvalidValue, PermissionDenied
from core.models import AuditEvent, Role, School, SignatureImage, Staff, StaffRole
from core.render.images import BLUE
from core.services import signature_images
from core.services.access import Actor
from core.workers import WorkerPool

WIDTH, HEIGHT = 600, 250


def _strokes(draw: ImageDraw.ImageDraw, colour) -> None:
    draw.line([(40, 200), (150, 40), (260, 210), (380, 50), (560, 190)], fill=colour, width=7)


def transparent_black() -> bytes:
    """Black strokes on a transparent ground, with an opaque white halo near them (what a
    careless background removal leaves)."""
    image = Image.new("RGBA", (WIDTH, HEIGHT), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rectangle((30, 30, 570, 220), fill=(255, 255, 255, 255))
    _strokes(draw, (0, 0, 0, 255))
    return _png(image)


def white_paper(paper: int = 248) -> bytes:
    """A scan of the signature on white paper: opaque RGB."""
    image = Image.new("RGB", (WIDTH, HEIGHT), (paper, paper, paper))
    _strokes(ImageDraw.Draw(image), (25, 25, 60))
    return _png(image)


def _png(image: Image.Image, kind: str = "PNG") -> bytes:
    out = BytesIO()
    image.save(out, format=kind)
    return out.getvalue()


@pytest.fixture
async def people(secondary) -> dict[str, Actor]:
    """The school's principal, a subject teacher and an admin who teaches nothing."""
    school, _year = secondary
    actors = {}
    for code, name, role in (
        ("HT01", "Trần Đức Thắng", Role.PRINCIPAL),
        ("GV01", "Phạm Quốc Bảo", Role.SUBJECT_TEACHER),
        ("QT01", "Vũ Quản Trị", Role.ADMIN),
    ):
        staff = await Staff.create(school=school, code=code, full_name=name)
        await StaffRole.create(staff=staff, role=role)
        actors[code] = await Actor.of_staff(staff)
    return actors


def _decoded(data: bytes) -> Image.Image:
    image = Image.open(BytesIO(data))
    assert image.format == "PNG" and image.mode == "RGBA"
    return image


def assert_blue_on_transparent(data: bytes) -> None:
    image = _decoded(data)
    alpha = image.getchannel("A")
    assert alpha.getextrema() == (0, 255)
    colours = {colour for _count, colour in image.getcolors(maxcolors=1 << 16)}
    strokes = {colour[:3] for colour in colours if colour[3] == 255}
    assert strokes == {BLUE[:3]}
    assert image.getpixel((0, 0))[3] == 0  # the ground, at a corner


async def test_a_transparent_png_is_stored_blue_and_cropped(people):
    actor = people["HT01"]
    stored = await signature_images.upload(actor, transparent_black())
    assert not stored.converted and not stored.replaced
    assert_blue_on_transparent(stored.png)
    assert stored.width < WIDTH and stored.height < HEIGHT  # cropped to the strokes
    assert await signature_images.image_for(actor.staff_id) == stored.png
    row = await SignatureImage.get(staff_id=actor.staff_id)
    assert (row.sha256, row.uploaded_by) == (stored.sha256, actor.label)
    event = await AuditEvent.get(action="signature_image.upload")
    assert event.target == f"staff:{actor.staff_id}" and event.before is None
    assert event.after["sha256"] == stored.sha256 and event.after["converted"] is False


async def test_a_new_upload_replaces_the_old_and_the_log_keeps_both(people):
    actor = people["GV01"]
    first = await signature_images.upload(actor, transparent_black())
    second = await signature_images.upload(actor, white_paper())
    assert second.replaced and second.converted  # the white paper made transparent
    assert_blue_on_transparent(second.png)
    assert await SignatureImage.filter(staff_id=actor.staff_id).count() == 1
    assert await signature_images.image_for(actor.staff_id) == second.png
    events = await AuditEvent.filter(action="signature_image.upload").order_by("seq")
    assert [e.before for e in events] == [None, {"sha256": first.sha256}]
    mine = await signature_images.mine(actor)
    assert mine is not None and mine.png == second.png


async def test_the_worker_pool_checks_the_same(people, workers: WorkerPool):
    stored = await signature_images.upload(people["HT01"], white_paper(), workers)
    assert stored.converted
    assert_blue_on_transparent(stored.png)


def _opaque_photo() -> bytes:
    """Strokes on grey, unevenly lit paper: no clean ground to take away."""
    image = Image.linear_gradient("L").resize((WIDTH, HEIGHT)).convert("RGB")
    _strokes(ImageDraw.Draw(image), (10, 10, 10))
    return _png(image)


def _jpeg() -> bytes:
    return _png(Image.open(BytesIO(white_paper())).convert("RGB"), "JPEG")


def _too_big() -> bytes:
    noise = Image.effect_noise((1200, 900), 120).convert("RGBA")
    data = _png(noise)
    assert len(data) > signature_images.MAX_BYTES
    return data


BAD = {
    "a JPEG named .png": (_jpeg, "ảnh JPEG, không phải PNG"),
    "over 1 MB": (_too_big, "quá giới hạn 1 MB"),
    "not an image": (lambda: "Chữ ký: Trần Đức Thắng".encode(), "không phải ảnh PNG"),
    "an opaque photo": (_opaque_photo, "không phải giấy trắng đều màu"),
    "a damaged PNG": (lambda: transparent_black()[:400], "bị hỏng hoặc không đọc được"),
    "a tiny image": (lambda: _png(Image.new("RGBA", (80, 30))), "Ảnh chỉ 80 × 30 điểm ảnh"),
    "no strokes": (lambda: _png(Image.new("RGBA", (WIDTH, HEIGHT))), "Không thấy nét chữ ký"),
    "an empty file": (lambda: b"", "Tệp trống"),
}


@pytest.mark.parametrize("case", BAD)
async def test_bad_images_are_refused_and_nothing_is_written(people, case):
    make, expected = BAD[case]
    with pytest.raises(InvalidValue) as refused:
        await signature_images.upload(people["HT01"], make())
    message = str(refused.value)
    assert expected in message
    assert "PNG" in message and "TỆP" in message  # and what to send instead
    assert not await SignatureImage.exists()
    assert not await AuditEvent.filter(action="signature_image.upload").exists()


async def test_only_people_who_sign_upload_their_own(people):
    with pytest.raises(PermissionDenied, match="Chỉ người ký số cá nhân"):
        await signature_images.upload(people["QT01"], transparent_black())
    with pytest.raises(PermissionDenied, match="mỗi người tự gửi"):
        school = await School.get()
        await signature_images.upload(Actor.command_line(school.id), transparent_black())
    with pytest.raises(PermissionDenied):
        await signature_images.mine(people["QT01"])
    assert not await SignatureImage.exists()
    assert await signature_images.image_for(people["HT01"].staff_id) is None
