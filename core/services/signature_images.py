"""Each signer's handwritten signature image: uploaded once, checked here, drawn by their stamps.

Regulation 001 Điều 13: a personal signature on the record's PDF shows the person's handwritten
signature, blue, on a transparent PNG. Whatever front end takes the file (the bot's /chuky), the
checks are the core's, each refusal saying what to do next and writing nothing:

- a PNG, by its first bytes and by Pillow reading it whole (a JPEG renamed .png is a JPEG);
- at most 1 MB (issue 13), and a sensible size: big enough to print sharp, small enough to
  handle, with strokes neither a dot nor a line;
- a transparent ground. Most teachers have their signature on white paper, not as a
  transparent PNG, and phones give no easy way to make one. So an opaque image whose ground
  is clean white paper (a scan, or a screenshot of a photo of the paper: screenshots are PNG)
  is accepted and its paper made transparent here; an opaque image whose ground is not
  (shadows, grey or coloured paper, a photo of anything else) is refused with how to make a
  good one. The stored image is shown back to the person, so they see exactly what their
  stamp will draw and can send another.

Whatever the colour of the strokes, the stored image is the regulation's blue
(core.render.images.inked), cropped to the strokes and no larger than a stamp needs (every
record PDF embeds it). The work on the pixels runs in the worker pool when one is given: a
4000 × 4000 image takes a noticeable moment. One current image per person
(core.models.signature_images); each upload is an audit event with the old and new hashes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from io import BytesIO

from PIL import Image, UnidentifiedImageError
from tortoise.transactions import in_transaction

from core import audit, clock
from core.errors import InvalidValue, PermissionDenied
from core.i18n import _, current_language, use_language
from core.models import Role, SignatureImage
from core.render.images import inked, png
from core.services.access import Actor
from core.storage import sha256
from core.workers import WorkerPool

MAX_BYTES = 1024 * 1024  # issue 13: "a signature image that is not a PNG, or over 1 MB"
MIN_SIZE = (120, 40)  # pixels: smaller prints blurred in a stamp 180 points wide
MAX_SIZE = (4000, 4000)  # pixels: a signature needs far less (and 64 MB to hold it decoded)
MIN_STROKES = (40, 15)  # pixels: the strokes themselves, once cropped
STROKE_RATIO = (0.5, 10.0)  # width / height of the strokes: not a column, not a line
KEPT_SIZE = (1200, 600)  # pixels: 300 dpi over the principal's stamp (180 × 90 points)
TRANSPARENT = 32  # alpha below this is ground
INK = 128  # opacity from this is a stroke
# An image with its own transparency: at least this share of it must be transparent ground.
MIN_GROUND = 0.3
# A share of stroke pixels outside this range is no signature on a clean ground.
INK_SHARE = (0.002, 0.6)
# An opaque image: its ground must be white paper (median grey level) and evenly lit (three
# quarters of it within PAPER_SPREAD levels of the paper) for the paper to be taken away.
PAPER = 200
PAPER_SPREAD = 40
SIGNING_ROLES = frozenset(
    {Role.PRINCIPAL, Role.VICE_PRINCIPAL, Role.HOMEROOM, Role.SUBJECT_TEACHER}
)
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_OTHER_KINDS = (  # what people send instead, by their first bytes
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF8", "GIF"),
    (b"BM", "BMP"),
    (b"%PDF", "PDF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
)


@dataclass(frozen=True)
class Checked:
    """An upload that passed every check, as it will be stored."""

    png: bytes
    width: int
    height: int
    converted: bool  # its white paper was made transparent here


@dataclass(frozen=True)
class Uploaded:
    """What an upload stored: the image, and whether it replaced an earlier one."""

    png: bytes
    sha256: str
    width: int
    height: int
    converted: bool
    replaced: bool


@dataclass(frozen=True)
class Current:
    """A person's current signature image and when it was uploaded."""

    png: bytes
    uploaded_at: dt.datetime


def how_to_send() -> str:
    """What to send, for a front end's question and for every refusal about the image."""
    return _(
        "Cần: chữ ký tay màu mực đậm trên nền trong suốt hoặc giấy trắng, định dạng PNG, tối đa "
        "1 MB, gửi dạng TỆP (📎 → Tệp), không gửi dạng ảnh: Telegram nén ảnh thành JPEG và "
        "làm mất nền trong suốt."
    )


def _kind(data: bytes) -> str | None:
    for magic, kind in _OTHER_KINDS:
        if data.startswith(magic):
            return kind
    if data[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1") or data[8:12] == b"WEBP":
        return "HEIC" if data[4:8] == b"ftyp" else "WEBP"
    return None


def _refuse(problem: str) -> InvalidValue:
    return InvalidValue(f"{problem}\n{how_to_send()}")


def too_big(size: int) -> InvalidValue:
    """The refusal of a file over MAX_BYTES: a front end says it before downloading it."""
    return _refuse(
        _(
            "Tệp nặng {size:.1f} MB, quá giới hạn 1 MB. Hãy cắt sát chữ ký và thu nhỏ ảnh "
            "(khoảng 600 × 250 điểm ảnh là đủ) rồi gửi lại."
        ).format(size=size / 1024 / 1024)
    )


def _check_file(data: bytes) -> None:
    """Size and kind, from the bytes alone."""
    if not data:
        raise _refuse(_("Tệp trống, không có ảnh nào."))
    if len(data) > MAX_BYTES:
        raise too_big(len(data))
    if not data.startswith(_PNG_MAGIC):
        kind = _kind(data)
        if kind is None:
            raise _refuse(_("Tệp này không phải ảnh PNG (cũng không phải ảnh nào Trợ lý biết)."))
        raise _refuse(
            _(
                "Tệp này là ảnh {kind}, không phải PNG (đổi đuôi tên tệp không đổi được loại "
                "ảnh). Hãy lưu chữ ký thành PNG: ví dụ mở ảnh chữ ký trên giấy trắng, chụp màn "
                "hình (ảnh chụp màn hình là PNG), cắt sát chữ ký rồi gửi tệp đó."
            ).format(kind=kind)
        )


def _opened(data: bytes) -> Image.Image:
    """The image, read whole by Pillow, after its declared size is checked (a small PNG can
    declare an enormous picture: nothing is decoded before the size is known to be sane)."""
    try:
        with Image.open(BytesIO(data)) as probe:
            probe.verify()  # the whole file: chunks, checksums
        image = Image.open(BytesIO(data))
        if image.format != "PNG":
            raise _refuse(_("Tệp này không phải ảnh PNG."))
        _check_size(*image.size)
        if getattr(image, "is_animated", False):
            raise _refuse(_("Đây là ảnh động: cần một ảnh PNG tĩnh của chữ ký."))
        image.load()
        return image
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise _unreadable() from None


def _unreadable() -> InvalidValue:
    return _refuse(_("Tệp PNG bị hỏng hoặc không đọc được. Hãy lưu lại ảnh chữ ký rồi gửi lại."))


def _check_size(width: int, height: int) -> None:
    if width < MIN_SIZE[0] or height < MIN_SIZE[1]:
        raise _refuse(
            _(
                "Ảnh chỉ {width} × {height} điểm ảnh: in ra chữ ký sẽ bị nhòe. Cần ít nhất "
                "{min_w} × {min_h}; khoảng 600 × 250 là vừa."
            ).format(width=width, height=height, min_w=MIN_SIZE[0], min_h=MIN_SIZE[1])
        )
    if width > MAX_SIZE[0] or height > MAX_SIZE[1]:
        raise _refuse(
            _(
                "Ảnh tới {width} × {height} điểm ảnh, quá {max_w} × {max_h}. Hãy cắt sát chữ ký "
                "và thu nhỏ ảnh (khoảng 600 × 250 là đủ)."
            ).format(width=width, height=height, max_w=MAX_SIZE[0], max_h=MAX_SIZE[1])
        )


def _share(channel: Image.Image, below: int) -> float:
    """The share of pixels of a one-channel image whose value is below `below`."""
    histogram = channel.histogram()
    return sum(histogram[:below]) / max(1, sum(histogram))


def _own_ground(image: Image.Image) -> bool:
    """Whether the image has a transparent ground of its own (an alpha channel, or a PNG
    transparent colour, that leaves MIN_GROUND of it see-through)."""
    if image.mode not in ("RGBA", "LA", "PA") and "transparency" not in image.info:
        return False
    return _share(image.convert("RGBA").getchannel("A"), TRANSPARENT) >= MIN_GROUND


def _paper(image: Image.Image) -> int:
    """The grey level of the white paper an opaque image was made on; refused when its ground
    is not clean, even white paper (the strokes could not be told from it)."""
    grey = image.convert("L")
    histogram = grey.histogram()
    total = sum(histogram)

    def level(share: float) -> int:
        seen = 0
        for value, count in enumerate(histogram):
            seen += count
            if seen >= share * total:
                return value
        return 255

    paper = level(0.5)
    if paper < PAPER or level(0.25) < paper - PAPER_SPREAD:
        raise _refuse(
            _(
                "Ảnh chưa có nền trong suốt, và nền của nó không phải giấy trắng đều màu (có "
                "bóng, giấy ngả màu hay hình khác), nên Trợ lý không tách được nét chữ ký (Quy "
                "chế 001, Điều 13: chữ ký màu xanh trên nền trong suốt). Hãy ký bằng bút mực "
                "đậm trên giấy trắng, chụp hoặc quét thẳng dưới ánh sáng đều, không có bóng, "
                "cắt sát chữ ký; hoặc xóa nền bằng một công cụ xóa nền ảnh rồi lưu thành PNG "
                "nền trong suốt."
            )
        )
    return paper


def _strokes(inked_image: Image.Image) -> Image.Image:
    """The strokes cropped with a small margin, no larger than KEPT_SIZE; refused when there
    are too few or too many strokes, or they make no signature's shape."""
    alpha = inked_image.getchannel("A")
    ink = 1.0 - _share(alpha, INK)
    if ink < INK_SHARE[0]:
        raise _refuse(
            _(
                "Không thấy nét chữ ký nào trong ảnh (nét quá nhạt hoặc màu trắng). Hãy ký bằng "
                "bút mực đậm (đen hoặc xanh)."
            )
        )
    if ink > INK_SHARE[1]:
        raise _refuse(
            _(
                "Ảnh này không giống chữ ký trên nền trong suốt: phần lớn ảnh là nét đậm. Hãy "
                "gửi ảnh chỉ có chữ ký, cắt sát."
            )
        )
    box = alpha.point(lambda v: 255 if v > TRANSPARENT else 0).getbbox()
    assert box is not None  # there is ink
    x1, y1, x2, y2 = box
    width, height = x2 - x1, y2 - y1
    if width < MIN_STROKES[0] or height < MIN_STROKES[1]:
        raise _refuse(
            _(
                "Nét chữ ký trong ảnh chỉ {width} × {height} điểm ảnh: quá nhỏ để in rõ. Hãy "
                "chụp gần hơn, để chữ ký chiếm gần hết ảnh."
            ).format(width=width, height=height)
        )
    if not STROKE_RATIO[0] <= width / height <= STROKE_RATIO[1]:
        raise _refuse(
            _(
                "Nét trong ảnh rộng {width} × cao {height} điểm ảnh: không giống một chữ ký "
                "(quá dẹt hoặc quá cao). Hãy gửi ảnh chỉ có chữ ký của thầy/cô."
            ).format(width=width, height=height)
        )
    margin = max(4, round(0.04 * max(width, height)))
    image = inked_image.crop(
        (
            max(0, x1 - margin),
            max(0, y1 - margin),
            min(inked_image.width, x2 + margin),
            min(inked_image.height, y2 + margin),
        )
    )
    image.thumbnail(KEPT_SIZE, Image.Resampling.LANCZOS)
    return image


def checked_signature(data: bytes, language: str) -> Checked:
    """Worker-pool task: every check of the module's docstring, in the reader's language;
    the image as it will be stored, or InvalidValue saying what to send instead."""
    with use_language(language):
        _check_file(data)
        image = _opened(data)
        try:  # a PNG Pillow reads but cannot convert (an exotic mode) is unreadable here too
            own = _own_ground(image)
            drawn = inked(image, None if own else _paper(image))
        except (ValueError, OSError):
            raise _unreadable() from None
        result = _strokes(drawn)
        return Checked(png(result), result.width, result.height, converted=not own)


def _may_upload(actor: Actor) -> int:
    """The staff id an upload is for: one's own, and only for someone who signs in person."""
    if actor.staff_id is None:
        raise PermissionDenied(
            _(
                "Ảnh chữ ký tay là của từng người: mỗi người tự gửi ảnh của mình trong Trợ lý "
                "(/chuky), sau khi đăng nhập."
            )
        )
    if not actor.has(*SIGNING_ROLES):
        raise PermissionDenied(
            _(
                "Chỉ người ký số cá nhân trên học bạ (giáo viên bộ môn, giáo viên chủ nhiệm, "
                "Hiệu trưởng, Phó hiệu trưởng) cần ảnh chữ ký tay (Quy chế 001, Điều 13)."
            )
        )
    return actor.staff_id


async def upload(actor: Actor, data: bytes, workers: WorkerPool | None = None) -> Uploaded:
    """Check `data` (the module's docstring) and make it the actor's signature image,
    replacing theirs; audited. Refused with what to do next, and nothing written, when the
    actor does not sign in person or the file is not a fit signature image."""
    staff_id = _may_upload(actor)
    language = current_language()
    if workers is None:
        checked = checked_signature(data, language)
    else:
        checked = await workers.run(checked_signature, data, language)
    digest = sha256(checked.png)
    async with in_transaction():
        row = await SignatureImage.get_or_none(staff_id=staff_id)
        before = {"sha256": row.sha256} if row else None
        values = {
            "png": checked.png,
            "sha256": digest,
            "width": checked.width,
            "height": checked.height,
            "uploaded_at": clock.now(),
            "uploaded_by": actor.label,
        }
        await SignatureImage.update_or_create(values, staff_id=staff_id)
        await audit.record(
            audit.Event(
                actor.label,
                "signature_image.upload",
                f"staff:{staff_id}",
                before=before,
                after={
                    "sha256": digest,
                    "uploaded_sha256": sha256(data),
                    "width": checked.width,
                    "height": checked.height,
                    "converted": checked.converted,
                },
            )
        )
    return Uploaded(
        checked.png,
        digest,
        checked.width,
        checked.height,
        checked.converted,
        replaced=row is not None,
    )


async def image_for(staff_id: int) -> bytes | None:
    """The stored signature image of a staff member (PNG), None when they uploaded none: what
    their stamp draws when they sign (core.signing.worker)."""
    row = await SignatureImage.get_or_none(staff_id=staff_id)
    return bytes(row.png) if row else None


async def mine(actor: Actor) -> Current | None:
    """The actor's own current signature image, to show it back to them before they send
    another; refused, as an upload would be, to someone who does not sign in person."""
    row = await SignatureImage.get_or_none(staff_id=_may_upload(actor))
    return Current(bytes(row.png), row.uploaded_at) if row else None
