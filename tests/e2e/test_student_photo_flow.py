"""/anh through the fake Telegram server and the real runtime: 6A's homeroom teacher of the small
school sees who has no photo, sends a picture without a caption (asked for the number), one
captioned with a number nobody has (refused), a text file as a picture (refused), then An's
photo as a compressed photo captioned «1» and Bình's as a file captioned with her personal ID:
each comes back cropped 3 × 4, and /anh then counts them. A subject teacher is refused."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from PIL import Image

from core.models import Student, StudentPhoto
from core.services import student_photos
from tests.e2e.bot_harness import bot_config, running_bot
from tests.e2e.small_school import seed_small, signed_in
from tests.telegram_fake import FakeTelegramServer

WAIT = 15


def portrait(kind: str = "JPEG") -> bytes:
    out = BytesIO()
    Image.new("RGB", (960, 1280), (210, 190, 170)).save(out, kind)
    return out.getvalue()


async def test_the_homeroom_teacher_sends_the_class_photos(
    telegram_server: FakeTelegramServer, tmp_path: Path
) -> None:
    config = bot_config(telegram_server, tmp_path)
    async with running_bot(config, seed_small, schedule_jobs=False):
        teacher = await signed_in(telegram_server, "GV03", 7701)
        await teacher.send_command("/anh")
        asked = await teacher.wait_for_message(timeout=WAIT)
        assert "Ảnh học sinh lớp 6A" in asked.text and "0/3 em đã có ảnh." in asked.text
        assert "Chưa có ảnh:\n1. Nguyễn Văn An\n2. Trần Thị Bình\n3. Phạm Thị Chi" in asked.text

        await teacher.send_photo(portrait())
        told = await teacher.wait_for_message(timeout=WAIT)
        assert told.text.startswith("Ảnh này chưa có chú thích.")

        await teacher.send_photo(portrait(), caption="9")
        refused = await teacher.wait_for_message(timeout=WAIT)
        assert refused.text.startswith("❌ Lớp 6A không có học sinh số 9.")

        await teacher.send_document(b"day la anh", "anh.jpg", "image/jpeg", caption="1")
        refused = await teacher.wait_for_message(timeout=WAIT)
        assert refused.text.startswith("❌ Tệp này không phải ảnh JPEG, PNG hay WebP.")
        assert not await StudentPhoto.exists()

        students = await Student.all().order_by("id")
        first = next(s for s in students if s.full_name == "Nguyễn Văn An")
        second = next(s for s in students if s.full_name == "Trần Thị Bình")
        await teacher.send_photo(portrait(), caption="1")
        stored = await teacher.wait_for_message(lambda m: m.photo is not None, timeout=WAIT)
        assert stored.caption.startswith("✅ Đã lưu ảnh của em Nguyễn Văn An (ảnh mới)")
        assert Image.open(BytesIO(stored.photo.data)).size == student_photos.KEPT_SIZE

        await teacher.send_document(
            portrait("PNG"), "binh.png", "image/png", caption=second.national_id
        )
        stored = await teacher.wait_for_message(lambda m: m.photo is not None, timeout=WAIT)
        assert stored.caption.startswith("✅ Đã lưu ảnh của em Trần Thị Bình")
        await teacher.send_command("/xong")
        assert "Xong." in (await teacher.wait_for_message(timeout=WAIT)).text
        assert set(await StudentPhoto.all().values_list("student_id", flat=True)) == {
            first.id,
            second.id,
        }

        await teacher.send_command("/anh")
        assert "2/3 em đã có ảnh." in (await teacher.wait_for_message(timeout=WAIT)).text

        subject_teacher = await signed_in(telegram_server, "GV01", 7702)
        await subject_teacher.send_command("/anh")
        answer = await subject_teacher.wait_for_message(timeout=WAIT)
        assert "không chủ nhiệm lớp nào năm học này" in answer.text
