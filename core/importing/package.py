"""The zip container of an .xlsx, checked before any spreadsheet code opens it.

A 20 MB upload may unpack to gigabytes (a zip bomb), declare small sizes and unpack to more,
hide a part behind a duplicate name, or be encrypted. Parsers trust the container: Rust's zip
reader limits what it reads, not what it unpacks, and a parser that reads one part twice as
big as expected holds it in memory. So, before python-calamine sees the file:

- `open_package` reads only the central directory (no decompression, milliseconds): how many
  parts, the total unpacked size they declare, each large part's compression ratio, the
  compression method, encryption, duplicate names. The importer runs it in the bot's process
  before handing the bytes to a worker, so a bomb never reaches one.
- `part_chunks` unpacks one part here, in chunks, with a hard stop at its declared size: a
  stream that produces more, ends early, or has another checksum is refused as damaged. After
  every part went through it, the declared sizes are the true sizes, so the limits above bound
  what any parser will unpack.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Iterator

from core.i18n import _
from core.importing.cells import whole_file_problem

MAX_PARTS = 1_000  # a workbook has a dozen parts, a few hundred with many sheets and images
MAX_UNPACKED = 128 * 1024 * 1024  # every part together, as declared (and then checked)
MAX_RATIO = 100  # unpacked / packed size of a part: sheets of text compress 5-20 times
RATIO_FROM = 1024 * 1024  # small parts may compress better without harm
CHUNK = 1024 * 1024

_LOCAL_HEADER = struct.Struct("<4s5H3L2H")
_LOCAL_MAGIC = b"PK\x03\x04"
_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)


def _mib(size: int) -> str:
    return f"{size / 1024 / 1024:,.0f}".replace(",", ".")


def _damaged(filename: str, what: str) -> Exception:
    return whole_file_problem(
        filename,
        _("Tệp .xlsx bị hỏng hoặc bị sửa ({what})").format(what=what),
        _("mở tệp bằng Excel, LibreOffice hoặc Google Trang tính rồi lưu lại thành .xlsx mới"),
    )


def _bomb(filename: str, problem: str) -> Exception:
    return whole_file_problem(
        filename,
        problem,
        _(
            "một bảng tính .xlsx bình thường (dưới {limit} MB khi giải nén); bỏ ảnh, bỏ các "
            "trang tính không cần, hoặc chia tệp theo khối, theo lớp"
        ).format(limit=_mib(MAX_UNPACKED)),
    )


def open_package(data: bytes, filename: str) -> zipfile.ZipFile:
    """The zip's central directory, refused when what it declares could not be a workbook."""
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise _damaged(filename, _("mục lục tệp nén không đọc được")) from exc
    parts = package.infolist()
    if len(parts) > MAX_PARTS:
        raise _bomb(
            filename,
            _("Tệp nén chứa {n} phần, quá nhiều cho một bảng tính").format(n=len(parts)),
        )
    if len({p.filename for p in parts}) != len(parts):
        raise _damaged(filename, _("hai phần trùng tên"))
    total = 0
    for part in parts:
        if part.flag_bits & 0x1:
            raise whole_file_problem(
                filename,
                _("Tệp đặt mật khẩu, không đọc được"),
                _("mở tệp, bỏ mật khẩu (Tệp > Thông tin > Bảo vệ sổ làm việc) rồi gửi lại"),
            )
        if part.compress_type not in _METHODS:
            raise _damaged(filename, _("cách nén lạ ở phần {name}").format(name=part.filename))
        total += part.file_size
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > RATIO_FROM and ratio > MAX_RATIO:
            raise _bomb(
                filename,
                _(
                    "Tệp nén bất thường: phần {name} nén {ratio:.0f} lần (một bảng tính "
                    "thường chỉ 5–20 lần), dấu hiệu của tệp «bom nén»"
                ).format(name=part.filename, ratio=ratio),
            )
    if total > MAX_UNPACKED:
        raise _bomb(
            filename,
            _("Tệp nặng {size} MB khi giải nén, quá giới hạn {limit} MB").format(
                size=_mib(total), limit=_mib(MAX_UNPACKED)
            ),
        )
    return package


def _packed(data: memoryview, part: zipfile.ZipInfo, filename: str) -> memoryview:
    """The packed bytes of `part`, found through its local header as any zip reader does."""
    start = part.header_offset
    header = bytes(data[start : start + _LOCAL_HEADER.size])
    if len(header) < _LOCAL_HEADER.size or header[:4] != _LOCAL_MAGIC:
        raise _damaged(filename, _("phần {name} không tìm thấy").format(name=part.filename))
    name_length, extra_length = _LOCAL_HEADER.unpack(header)[-2:]
    begin = start + _LOCAL_HEADER.size + name_length + extra_length
    end = begin + part.compress_size
    if end > len(data):
        raise _damaged(filename, _("phần {name} bị cắt cụt").format(name=part.filename))
    return data[begin:end]


def _inflated(packed: memoryview) -> Iterator[bytes]:
    """Raw deflate in chunks of at most CHUNK bytes; zlib.error for a broken stream, and an
    unfinished stream yields nothing more (the caller then finds the size wrong)."""
    inflate = zlib.decompressobj(-zlib.MAX_WBITS)
    for start in range(0, len(packed), CHUNK):
        pending = bytes(packed[start : start + CHUNK])
        while pending and not inflate.eof:
            yield inflate.decompress(pending, CHUNK)
            pending = inflate.unconsumed_tail
        if inflate.eof:
            return
    while not inflate.eof:
        chunk = inflate.decompress(b"", CHUNK)
        if not chunk:
            return
        yield chunk


def part_chunks(data: bytes, part: zipfile.ZipInfo, filename: str) -> Iterator[bytes]:
    """The unpacked bytes of `part` in chunks of at most CHUNK bytes, never more than its
    declared size in all; a part that unpacks to another size or checksum is refused."""
    packed = _packed(memoryview(data), part, filename)
    wrong = _damaged(
        filename, _("phần {name} khác với kích thước khai báo").format(name=part.filename)
    )
    if part.compress_type == zipfile.ZIP_STORED:
        chunks: Iterator[bytes] = (
            bytes(packed[start : start + CHUNK]) for start in range(0, len(packed), CHUNK)
        )
    else:
        chunks = _inflated(packed)
    crc = 0
    size = 0
    try:
        for chunk in chunks:
            size += len(chunk)
            if size > part.file_size:
                raise wrong  # unpacks to more than it declares: never read further
            crc = zlib.crc32(chunk, crc)
            if chunk:
                yield chunk
    except zlib.error as exc:
        raise wrong from exc
    if size != part.file_size or crc != part.CRC:
        raise wrong
