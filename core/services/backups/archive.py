"""A backup archive: one gzip'd tar holding the sealed manifest first, then the database snapshot
and every file of the file store, each listed in the manifest with its size and SHA-256.

Reading an archive trusts nothing in it until checked: the manifest's seal first (the school's,
core.signing.sealed), then each member against its line (name, size, hash) while it streams to
a staging folder, then that nothing listed is missing. Member names are only those this module
writes (no absolute paths, no `..`, no links), so an archive cannot write outside the staging
folder, and a member bigger than its line is cut off at its line's size, so a crafted archive
cannot fill the disk beyond what its sealed manifest declared.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import tarfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from core.errors import InvalidValue
from core.i18n import _
from core.render.xml_base import NS
from core.signing.keys import Signer, subject_name
from core.signing.sealed import check_sealed, seal, sealed_document
from core.signing.trust import Trust

MANIFEST = "manifest.xml"
DATABASE = {"sqlite": "database.sqlite3", "postgres": "database.pgdump"}
FILES = "files"
_MEMBER = re.compile(r"database\.(sqlite3|pgdump)|files/[0-9a-f]{2}/[0-9a-f]{64}")
_MAX_MANIFEST = 64 * 1024 * 1024  # ~150 bytes a line: hundreds of thousands of files
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Member:
    path: str  # inside the archive
    size: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    """What the archive holds: whose it is, when it was made, the database's kind and schema
    (its last migration), and every member."""

    school_code: str
    made_at: dt.datetime
    database: str  # "sqlite" | "postgres"
    schema: str
    members: tuple[Member, ...]

    @property
    def total_size(self) -> int:
        return sum(m.size for m in self.members)


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def hashed(path: Path) -> tuple[int, str]:
    """A file's size and SHA-256, read in chunks."""
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as source:
        while chunk := source.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def store_files(root: Path) -> Iterator[tuple[str, Path]]:
    """The file store's files as archive members: files/ab/abcdef… (core.storage's layout)."""
    if not root.is_dir():
        return
    for path in sorted(root.glob("??/*")):
        name = f"{FILES}/{path.parent.name}/{path.name}"
        if path.is_file() and _MEMBER.fullmatch(name):
            yield name, path


def sealed_manifest(manifest: Manifest, signer: Signer) -> bytes:
    root, data = sealed_document("saoluu", "dulieusaoluu")
    for tag, value in (
        ("matruong", manifest.school_code),
        ("thoidiem", manifest.made_at.isoformat()),
        ("csdl", manifest.database),
        ("luocdo", manifest.schema),
    ):
        etree.SubElement(data, _q(tag)).text = value
    for member in manifest.members:
        etree.SubElement(
            data, _q("tep"), duongdan=member.path, kichthuoc=str(member.size), sha256=member.sha256
        )
    return seal(root, signer, manifest.made_at)


def write_archive(target: Path, manifest: bytes, members: Iterable[tuple[str, Path]]) -> None:
    """The archive at `target`: the sealed manifest first, then each member from its file."""
    with tarfile.open(target, "w:gz", format=tarfile.PAX_FORMAT) as archive:
        info = tarfile.TarInfo(MANIFEST)
        info.size = len(manifest)
        archive.addfile(info, _Bytes(manifest))
        for name, path in members:
            archive.add(path, arcname=name, recursive=False)


class _Bytes:
    """A file object over bytes, for tarfile.addfile (io.BytesIO's name is taken by tarfile)."""

    def __init__(self, data: bytes):
        self.data, self.at = data, 0

    def read(self, size: int = -1) -> bytes:
        end = len(self.data) if size < 0 else self.at + size
        chunk, self.at = self.data[self.at : end], min(end, len(self.data))
        return chunk


def _manifest(data: etree._Element) -> Manifest:
    text = lambda tag: data.findtext(_q(tag), default="")  # noqa: E731
    members = []
    for line in data.iterfind(_q("tep")):
        path, size, digest = (line.get(k, "") for k in ("duongdan", "kichthuoc", "sha256"))
        if (
            not _MEMBER.fullmatch(path)
            or not size.isdigit()
            or not re.fullmatch(r"[0-9a-f]{64}", digest)
        ):
            raise InvalidValue(
                _("Bản kê của bản sao lưu có dòng không hợp lệ: «{path}».").format(path=path[:120])
            )
        members.append(Member(path, int(size), digest))
    database = text("csdl")
    try:
        made_at = dt.datetime.fromisoformat(text("thoidiem"))
    except ValueError:
        made_at = None
    if database not in DATABASE or made_at is None or made_at.tzinfo is None:
        raise InvalidValue(_("Bản kê của bản sao lưu thiếu thời điểm hoặc loại cơ sở dữ liệu."))
    paths = [m.path for m in members]
    if len(set(paths)) != len(paths) or DATABASE[database] not in paths:
        raise InvalidValue(_("Bản kê của bản sao lưu không có cơ sở dữ liệu, hoặc kê trùng tệp."))
    return Manifest(text("matruong"), made_at, database, text("luocdo"), tuple(members))


@dataclass(frozen=True)
class Unpacked:
    """A checked archive unpacked in `folder`, and the seal's certificate (the caller holds it
    to the seal it expects)."""

    manifest: Manifest
    folder: Path
    seal_subject: str
    seal_certificate_der: bytes


def _damaged(name: str) -> InvalidValue:
    return InvalidValue(
        _(
            "Bản sao lưu đã bị thay đổi hoặc hỏng: tệp «{name}» không khớp bản kê đã niêm phong. "
            "Không dùng bản này; hãy lấy bản sao lưu ở nơi lưu khác."
        ).format(name=name[:120])
    )


def unpack(archive: Path, folder: Path, trust: Trust, now: dt.datetime) -> Unpacked:
    """Check `archive` and unpack its members into `folder` (which must be empty); InvalidValue
    saying what is wrong otherwise (the folder may then hold a part: the caller discards it)."""
    if not archive.is_file():
        raise InvalidValue(
            _("Không có tệp sao lưu «{path}»: kiểm tra lại đường dẫn.").format(path=archive)
        )
    try:
        with tarfile.open(archive, "r|gz") as stream:
            return _read(stream, folder, trust, now)
    except (OSError, tarfile.TarError, EOFError) as error:
        raise InvalidValue(
            _("Bản sao lưu «{name}» hỏng hoặc không phải bản sao lưu (.tar.gz): {error}.").format(
                name=archive.name, error=error
            )
        ) from None


def _read(stream: tarfile.TarFile, folder: Path, trust: Trust, now: dt.datetime) -> Unpacked:
    first = stream.next()
    if first is None or first.name != MANIFEST or not first.isfile() or first.size > _MAX_MANIFEST:
        raise InvalidValue(_("Bản sao lưu không mở đầu bằng bản kê (manifest.xml) hợp lệ."))
    reader = stream.extractfile(first)
    assert reader is not None
    sealed = check_sealed(reader.read(), "saoluu", trust, now)
    manifest = _manifest(sealed.data)
    expected = {m.path: m for m in manifest.members}
    while (info := stream.next()) is not None:  # (iterating would start again at the manifest)
        member = expected.pop(info.name, None)
        if member is None or not info.isfile() or info.size != member.size:
            raise _damaged(info.name)
        source = stream.extractfile(info)
        assert source is not None
        target = folder / member.path
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        with target.open("xb") as out:
            while chunk := source.read(_CHUNK):
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != member.sha256:
            raise _damaged(info.name)
    if expected:
        raise InvalidValue(
            _("Bản sao lưu thiếu {n} tệp có trong bản kê, ví dụ «{name}».").format(
                n=len(expected), name=next(iter(expected))
            )
        )
    certificate = sealed.certificate
    return Unpacked(
        manifest, folder, subject_name(certificate), certificate.public_bytes(Encoding.DER)
    )
