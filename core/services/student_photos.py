"""Students' photos for the cover of their record (issue 13: "cover with the student's data, and
photo when given"; the paper học bạ's 3 × 4 photo).

Whatever front end takes the file (`hocba photos import`, the bot), the checks are the core's,
each refusal saying what to do next and writing nothing:

- a JPEG, PNG or WebP picture, by its first bytes and by Pillow reading it whole (a renamed
  file is what its bytes say), at most MAX_BYTES, with a sane declared size: a small file that
  declares an enormous picture is refused before anything is decoded;
- big enough to print sharp at 3 × 4 cm.

The stored photo is made here, in the worker pool when one is given (a phone's 12-megapixel
picture takes a moment): turned upright as the phone's EXIF says, cropped to 3:4 around the
centre, scaled to KEPT_SIZE and re-encoded as a JPEG without any metadata, so no GPS position
or device name taken by a phone travels into a record that is handed to other schools.

Who may give a student's photo: the school's admins and registrars (học vụ, who create the
record: 001 Điều 24.4b), and the homeroom teacher of the student's class this year, who reviews
the student's information (Điều 24.4a). One current photo per student; each upload is an audit
event with the old and new hashes.
"""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO

from PIL import Image, ImageOps, UnidentifiedImageError
from tortoise.transactions import in_transaction

from core import audit, clock
from core.errors import InvalidValue, NotFound, PermissionDenied
from core.i18n import _, current_language, use_language
from core.models import Enrollment, Role, SchoolClass, Student, StudentPhoto
from core.services.access import Actor
from core.services.schools import current_year
from core.storage import sha256
from core.workers import WorkerPool

MAX_BYTES = 10 * 1024 * 1024  # a phone's photo as it is taken, before anyone shrinks it
MAX_PIXELS = 50_000_000  # declared size: a 12-megapixel phone photo, with room to spare
MIN_SIZE = (150, 200)  # pixels of the 3:4 crop: under this, 3 × 4 cm prints blurred
KEPT_SIZE = (354, 472)  # pixels: 3 × 4 cm at 300 dpi
QUALITY = 85
GIVERS = frozenset({Role.ADMIN, Role.REGISTRAR})
_KINDS = (  # first bytes → the picture formats accepted
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
)


@dataclass(frozen=True)
class Uploaded:
    """What an upload stored, for whom, and whether it replaced an earlier photo."""

    jpeg: bytes
    sha256: str
    replaced: bool
    student_name: str


@dataclass(frozen=True)
class ClassPhotos:
    """The homeroom teacher's class this year: each student by their number in the class, and
    whether the student has a photo yet."""

    class_name: str
    students: tuple[tuple[int, str, bool], ...]  # number, full name, has a photo

    @property
    def missing(self) -> int:
        return sum(1 for _n, _name, has in self.students if not has)


def how_to_send() -> str:
    """What to send, for a front end's question and for every refusal about the picture."""
    return _(
        "Cần: ảnh chân dung của học sinh (JPEG, PNG hoặc WebP), tối đa 10 MB, chụp thẳng, rõ "
        "mặt; Trợ lý tự cắt theo khổ 3 × 4."
    )


def _refuse(problem: str) -> InvalidValue:
    return InvalidValue(f"{problem}\n{how_to_send()}")


def _kind(data: bytes) -> str | None:
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return next((kind for magic, kind in _KINDS if data.startswith(magic)), None)


def normalised(data: bytes, language: str) -> bytes:
    """Worker-pool task: every check of the module's docstring, in the reader's language; the
    photo as it is stored (3:4, KEPT_SIZE at most, JPEG without metadata)."""
    with use_language(language):
        if not data:
            raise _refuse(_("Tệp trống, không có ảnh nào."))
        if len(data) > MAX_BYTES:
            raise _refuse(
                _("Tệp nặng {size:.1f} MB, quá giới hạn 10 MB.").format(
                    size=len(data) / 1024 / 1024
                )
            )
        kind = _kind(data)
        if kind is None:
            raise _refuse(_("Tệp này không phải ảnh JPEG, PNG hay WebP."))
        try:
            with Image.open(BytesIO(data)) as probe:
                if probe.format != kind or probe.width * probe.height > MAX_PIXELS:
                    raise _refuse(_("Ảnh quá lớn hoặc không đúng định dạng của nó."))
                probe.verify()
            with Image.open(BytesIO(data)) as image:
                image.load()
                upright = ImageOps.exif_transpose(image).convert("RGB")
        except (
            UnidentifiedImageError,
            OSError,
            SyntaxError,
            ValueError,
            Image.DecompressionBombError,
        ):
            raise _refuse(_("Tệp ảnh bị hỏng hoặc không đọc được.")) from None
        portrait = ImageOps.fit(upright, _crop_size(upright.size), centering=(0.5, 0.4))
        if portrait.width < MIN_SIZE[0] or portrait.height < MIN_SIZE[1]:
            raise _refuse(
                _(
                    "Ảnh chỉ {width} × {height} điểm ảnh sau khi cắt theo khổ 3 × 4: in ra sẽ "
                    "bị nhòe. Cần ít nhất {min_w} × {min_h}."
                ).format(
                    width=portrait.width,
                    height=portrait.height,
                    min_w=MIN_SIZE[0],
                    min_h=MIN_SIZE[1],
                )
            )
        portrait.thumbnail(KEPT_SIZE, Image.Resampling.LANCZOS)
        out = BytesIO()
        portrait.save(out, "JPEG", quality=QUALITY, optimize=True)  # no EXIF: none is passed
        return out.getvalue()


def _crop_size(size: tuple[int, int]) -> tuple[int, int]:
    """The largest 3:4 portrait inside `size`."""
    width, height = size
    if width * 4 > height * 3:
        return height * 3 // 4, height
    return width, width * 4 // 3


async def _homeroom_class(actor: Actor) -> SchoolClass | None:
    """The class the actor is the homeroom teacher of this year, if any."""
    if actor.staff_id is None:
        return None
    year = await current_year(actor.school_id)
    return await SchoolClass.get_or_none(year=year, homeroom_id=actor.staff_id)


def _not_theirs() -> PermissionDenied:
    return PermissionDenied(
        _(
            "Ảnh của học sinh do giáo viên chủ nhiệm lớp của em trong năm học này, quản trị hoặc "
            "bộ phận học vụ của trường gửi."
        )
    )


async def _student_for(actor: Actor, who: str) -> Student:
    """The student `who` names, if the actor may give their photo: a personal ID (12 digits),
    or, for a homeroom teacher, a number in their class this year (as they call the roll).
    A student of another school is as unknown as one that does not exist."""
    who = who.strip()
    by_number = who.isdigit() and len(who) <= 3
    homeroom = await _homeroom_class(actor) if by_number else None
    if homeroom is not None:
        enrolled = await Enrollment.get_or_none(school_class=homeroom, number=int(who))
        if enrolled is None:
            raise NotFound(
                _("Lớp {klass} không có học sinh số {n}.").format(klass=homeroom.name, n=who)
            )
        return await Student.get(id=enrolled.student_id)
    student = await Student.get_or_none(national_id=who, school_id=actor.school_id)
    if student is None:
        raise NotFound(_("Trường không có học sinh nào có mã định danh {id}.").format(id=who))
    if actor.has(*GIVERS):  # the office: no homeroom class to look up
        return student
    homeroom = await _homeroom_class(actor)
    if homeroom is None or not await Enrollment.exists(school_class=homeroom, student=student):
        raise _not_theirs()
    return student


async def class_photos(actor: Actor) -> ClassPhotos:
    """The homeroom teacher's class, and who has a photo (what the bot's /anh shows); refused
    to anyone who is no homeroom teacher this year (the office imports: `hocba photos`)."""
    homeroom = await _homeroom_class(actor)
    if homeroom is None:
        raise PermissionDenied(
            _(
                "Thầy/cô không chủ nhiệm lớp nào năm học này. Ảnh của học sinh do giáo viên "
                "chủ nhiệm gửi; quản trị nhập cả lớp bằng lệnh: hocba photos THƯ_MỤC_ẢNH."
            )
        )
    rows = (
        await Enrollment.filter(school_class=homeroom)
        .order_by("number", "id")
        .values_list("number", "student__full_name", "student_id")
    )
    having = set(
        await StudentPhoto.filter(student_id__in=[r[2] for r in rows]).values_list(
            "student_id", flat=True
        )
    )
    return ClassPhotos(
        homeroom.name,
        tuple((number, name, student_id in having) for number, name, student_id in rows),
    )


async def upload(
    actor: Actor, who: str, data: bytes, workers: WorkerPool | None = None
) -> Uploaded:
    """Check `data` (the module's docstring) and make it the photo of the student `who` names
    (a personal ID, or a number in the homeroom teacher's class), replacing theirs; audited.
    Refused with what to do next, and nothing written, when the actor may not or the file is
    no fit photo."""
    student = await _student_for(actor, who)
    language = current_language()
    if workers is None:
        jpeg = normalised(data, language)
    else:
        jpeg = await workers.run(normalised, data, language)
    digest = sha256(jpeg)
    async with in_transaction():
        row = await StudentPhoto.get_or_none(student_id=student.id)
        values = {
            "jpeg": jpeg,
            "sha256": digest,
            "uploaded_at": clock.now(),
            "uploaded_by": actor.label,
        }
        await StudentPhoto.update_or_create(values, student_id=student.id)
        await audit.record(
            audit.Event(
                actor.label,
                "student.photo",
                f"student:{student.id}",
                before={"sha256": row.sha256} if row else None,
                after={"sha256": digest, "uploaded_sha256": sha256(data)},
            )
        )
    return Uploaded(jpeg, digest, replaced=row is not None, student_name=student.full_name)


async def photos_of(student_ids: list[int]) -> dict[int, bytes]:
    """student id → their current photo (JPEG), for those who have one: what a record built
    now carries."""
    rows = await StudentPhoto.filter(student_id__in=student_ids).values_list("student_id", "jpeg")
    return {student_id: bytes(jpeg) for student_id, jpeg in rows}
