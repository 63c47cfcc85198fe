"""/chuky through the fake Telegram server and the real runtime: the principal of the small
school is asked for their signature image, sends it as a compressed photo (told to send the
file instead), then a JPEG renamed .png (refused, saying why), then a PNG scan of their
signature on white paper as a file: the bot stores it and sends back what it stored, blue on a
transparent ground, which /chuky then shows. An admin who signs nothing is refused.
"""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from PIL import Image, ImageDraw

from core.models import AuditEvent, SignatureImage, Staff
from core.render.images import BLUE
from tests.e2e.bot_harness import bot_config, running_bot
from tests.e2e.small_school import seed_small, signed_in
from tests.telegram_fake import FakeTelegramServer

WAIT = 15


def scan(kind: str = "PNG") -> bytes:
    """The signature in dark ink on white paper, as a scanner (or a screenshot) saves it."""
    image = Image.new("RGB", (640, 260), (250, 250, 248))
    ImageDraw.Draw(image).line(
        [(40, 210), (160, 40), (280, 220), (400, 60), (600, 200)], fill=(20, 20, 40), width=8
    )
    out = BytesIO()
    image.save(out, format=kind)
    return out.getvalue()


async def test_principal_uploads_a_signature_image(
    telegram_server: FakeTelegramServer, tmp_path: Path
) -> None:
    config = bot_config(telegram_server, tmp_path)
    async with running_bot(config, seed_small, schedule_jobs=False):
        principal = await signed_in(telegram_server, "HT01", 7601)
        await principal.send_command("/chuky")
        asked = await principal.wait_for_message(timeout=WAIT)
        assert "chưa gửi ảnh chữ ký nào" in asked.text and "gửi dạng TỆP" in asked.text

        await principal.send_photo(scan("JPEG"))
        told = await principal.wait_for_message(timeout=WAIT)
        assert "bị Telegram nén thành JPEG" in told.text and "«Tệp»" in told.text

        await principal.send_document(scan("JPEG"), "chu-ky.png", "image/png")
        refused = await principal.wait_for_message(timeout=WAIT)
        assert refused.text.startswith("❌ Tệp này là ảnh JPEG, không phải PNG")
        assert not await SignatureImage.exists()

        await principal.send_document(scan(), "chu-ky.png", "image/png")
        stored = await principal.wait_for_message(lambda m: m.document is not None, timeout=WAIT)
        assert stored.caption.startswith("✅ Đã lưu ảnh chữ ký tay của thầy/cô")
        assert "Nền giấy trắng của ảnh đã được đổi thành trong suốt." in stored.caption
        image = Image.open(BytesIO(stored.document.data))
        assert image.format == "PNG" and image.mode == "RGBA"
        assert image.getpixel((0, 0))[3] == 0
        assert {c[:3] for _n, c in image.getcolors(1 << 16) if c[3] == 255} == {BLUE[:3]}

        staff = await Staff.get(code="HT01")
        row = await SignatureImage.get(staff_id=staff.id)
        assert bytes(row.png) == stored.document.data
        assert await AuditEvent.filter(
            action="signature_image.upload", actor=f"staff:{staff.id}"
        ).exists()

        await principal.send_command("/chuky")  # the question ended: asked again, shown it
        shown = await principal.wait_for_message(lambda m: m.document is not None, timeout=WAIT)
        assert shown.document.data == stored.document.data
        assert "Ảnh chữ ký tay hiện tại" in shown.caption
        await principal.send_command("/huy")
        cancelled = await principal.wait_for_message(timeout=WAIT)
        assert cancelled.text == "Đã hủy, ảnh chữ ký tay không thay đổi."

        admin = await signed_in(telegram_server, "QT01", 7602)
        await admin.send_command("/chuky")
        denied = await admin.wait_for_message(timeout=WAIT)
        assert "Chỉ người ký số cá nhân" in denied.text
