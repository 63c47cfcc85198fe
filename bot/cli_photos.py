"""`hocba photos PATH`: students' photos for the cover of their records, from a file, a folder
or a .zip, each file named by the student's personal ID (`001214000011.jpg`), as a school's
photographer delivers them. Every file is checked by the core (core.services.student_photos)
and reported on its own line; a refused file writes nothing and does not stop the others."""

from __future__ import annotations

import argparse
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

from bot.config import Config
from core.errors import HocbaError
from core.i18n import _
from core.runtime import Runtime
from core.services import student_photos
from core.services.access import Actor
from core.services.schools import find_school

_NAMED = re.compile(r"(\d{12})\.(jpe?g|png|webp)", re.IGNORECASE)
MAX_FILES = 5000  # a large school's students, with room: a zip of more is no photo delivery


def _files(path: Path) -> Iterator[tuple[str, bytes | None]]:
    """(file name, bytes) of each picture file under `path`; bytes None for one too big to
    read (the core's limit), which is then reported like any refusal."""
    if path.is_dir():
        for child in sorted(path.iterdir()):
            if child.is_file():
                small = child.stat().st_size <= student_photos.MAX_BYTES
                yield child.name, child.read_bytes() if small else None
    elif zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            if len(members) > MAX_FILES:
                raise HocbaError(
                    _("Tệp nén có {n} tệp, quá {max}: hãy chia thành nhiều tệp nhỏ hơn.").format(
                        n=len(members), max=MAX_FILES
                    )
                )
            for member in members:  # the declared size, checked before anything is inflated
                small = member.file_size <= student_photos.MAX_BYTES
                name = Path(member.filename).name
                yield name, archive.read(member)[: student_photos.MAX_BYTES + 1] if small else None
    elif path.is_file():
        yield (
            path.name,
            path.read_bytes() if path.stat().st_size <= student_photos.MAX_BYTES else None,
        )
    else:
        raise HocbaError(_("Không thấy tệp hay thư mục {path}.").format(path=path))


async def cmd_photos(args: argparse.Namespace, config: Config, runtime: Runtime) -> int:
    school = await find_school(args.school or config.school.code or None)
    admin = Actor.command_line(school.id)
    stored = refused = 0
    for name, data in _files(Path(args.path)):
        named = _NAMED.fullmatch(name)
        try:
            if named is None:
                raise HocbaError(
                    _(
                        "Tên tệp phải là mã định danh 12 chữ số của học sinh, ví dụ "
                        "001214000011.jpg."
                    )
                )
            if data is None:
                raise HocbaError(_("Tệp quá giới hạn 10 MB."))
            done = await student_photos.upload(admin, named.group(1), data, runtime.workers)
        except HocbaError as refusal:
            refused += 1
            print(_("✗ {name}: {why}").format(name=name, why=str(refusal).replace("\n", " ")))
            continue
        stored += 1
        said = _("thay ảnh cũ") if done.replaced else _("ảnh mới")
        print(_("✓ {name}: {said}").format(name=name, said=said))
    print(
        _("Đã lưu {stored} ảnh; {refused} tệp bị từ chối.").format(stored=stored, refused=refused)
    )
    return 1 if refused else 0


def add_photo_commands(commands: argparse._SubParsersAction) -> None:
    """Register `photos` on `hocba`'s sub-command parser."""
    photos = commands.add_parser(
        "photos",
        help=_(
            "ảnh 3 × 4 của học sinh cho bìa học bạ (tệp, thư mục hoặc .zip mang tên mã định danh)"
        ),
    )
    photos.add_argument("path", help=_("tệp ảnh, thư mục hoặc tệp .zip"))
    photos.set_defaults(run=cmd_photos)
