"""A .csv file read as text, only when its encoding is certain.

Accepted: UTF-8 with or without a BOM (Excel's "CSV UTF-8", Google Sheets, LibreOffice), and
UTF-16 with its BOM (Excel's "Unicode text"). Anything else is refused, never guessed: a file
in Windows-1258, TCVN3 or Latin-1 decoded with the wrong table turns "Nguyễn" into "NguyÅn"
without a single error, and those names would then be stored and signed. The sender is told to
save the file again as "CSV UTF-8". A UTF-8 file that already holds such garbled text (a file
once opened with the wrong table and saved) is refused the same way.

The size is bounded before decoding: the number of lines and of separators (every one is a
cell) are counted in the bytes, so a 20 MB file of newlines or commas is refused at once.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections import Counter
from pathlib import PurePath

from core.i18n import _
from core.importing.cells import MAX_ROWS, Sheet, collect, whole_file_problem

MAX_LINES = 2 * MAX_ROWS  # blank lines between rows are common; more is a runaway export
MAX_SEPARATORS = 4_000_000  # cells of the whole file, as for a sheet (xlsx_scan.MAX_AREA)
_DELIMITERS = (";", ",", "\t")
_SAMPLE_LINES = 50
# UTF-8 read through Windows-1252 or Latin-1 and saved again: "Æ°" for "ư", "á»" and "áº" for
# the letters with a tone, "Ä‘" for "đ", "Ã" and a symbol for "à", "á", "â"... None of these
# pairs occurs in Vietnamese.
_MOJIBAKE = re.compile("Æ[°¯¡ ]|á[º»]|Ä[‘\u0091\u0090]|Ã[\u00a1-\u00bf\u0080-\u009f]")


def _refuse(filename: str, problem: str) -> Exception:
    return whole_file_problem(
        filename,
        problem,
        _(
            "mở tệp bằng Excel rồi chọn Tệp > Lưu thành > «CSV UTF-8 (Comma delimited) "
            "(*.csv)»; hoặc gửi tệp .xlsx"
        ),
    )


def _not_text(filename: str) -> Exception:
    return whole_file_problem(
        filename,
        _("Tệp không phải bảng tính: không đọc được như .xlsx hay như văn bản .csv"),
        _("một tệp .xlsx, hoặc .csv lưu bằng UTF-8"),
    )


def decode(data: bytes, filename: str) -> str:
    """The file's text, NFC; refused unless its encoding is certain (see the module)."""
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        raise _refuse(filename, _("Tệp văn bản lưu bằng mã UTF-32, chưa đọc được"))
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding, name = "utf-16", "UTF-16"
    elif b"\x00" in data[:8192]:  # an image, an archive, UTF-16 without its BOM: not a table
        raise _not_text(filename)
    else:
        encoding, name = "utf-8-sig", "UTF-8"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        if encoding == "utf-8-sig":
            raise _refuse(
                filename,
                _(
                    "Tệp .csv không lưu bằng mã UTF-8 (có thể là Windows-1258, TCVN3 hay một "
                    "mã cũ), nên không biết chắc chữ có dấu đọc thế nào"
                ),
            ) from exc
        raise _refuse(
            filename, _("Tệp bị hỏng: không đọc được như văn bản {name}").format(name=name)
        ) from exc
    if "\x00" in text:
        raise _not_text(filename)
    garbled = _MOJIBAKE.search(text)
    if garbled:
        raise _refuse(
            filename,
            _("Tệp có chữ đã bị lỗi mã («{sample}»): tệp từng được mở bằng bảng mã sai").format(
                sample=text[max(0, garbled.start() - 8) : garbled.end() + 8].strip()
            ),
        )
    return unicodedata.normalize("NFC", text)


def _check_size(data: bytes, filename: str) -> None:
    lines = data.count(b"\n")
    if lines > MAX_LINES:
        raise whole_file_problem(
            filename,
            _("Tệp có {n} dòng, quá giới hạn {limit} dòng").format(
                n=f"{lines:,}".replace(",", "."), limit=f"{MAX_LINES:,}".replace(",", ".")
            ),
            _("chia tệp thành nhiều tệp nhỏ hơn, ví dụ theo khối hoặc theo lớp"),
        )
    separators = sum(data.count(d.encode()) for d in _DELIMITERS)
    if separators > MAX_SEPARATORS:
        raise whole_file_problem(
            filename,
            _("Tệp có {n} dấu phân cách ô, quá nhiều cho một bảng tính của trường").format(
                n=f"{separators:,}".replace(",", ".")
            ),
            _("một bảng ít cột hơn; chia tệp thành nhiều tệp nhỏ hơn"),
        )


def _delimiter(sample: list[str]) -> str:
    """The separator that splits the first lines into the most columns, most consistently.

    `csv.Sniffer` is fooled by Vietnamese decimal commas ("7,5") in semicolon files; the mode
    of the column count is not, because each decimal comma sits inside one field. A tie goes to
    the semicolon, which Excel uses wherever the comma is the decimal separator.
    """

    def width(delimiter: str) -> int:
        counts = Counter(len(r) for r in csv.reader(sample, delimiter=delimiter))
        return counts.most_common(1)[0][0] if counts else 0

    return max(_DELIMITERS, key=width)


def read_csv(data: bytes, filename: str) -> list[Sheet]:
    _check_size(data, filename)
    text = decode(data, filename)
    sample = []
    for line in io.StringIO(text):
        if line.strip():
            sample.append(line)
            if len(sample) == _SAMPLE_LINES:
                break
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(sample))
    try:
        return [collect(PurePath(filename).name, reader)]
    except csv.Error as exc:
        raise whole_file_problem(
            filename,
            _("Tệp .csv sai định dạng ở dòng {line}: {reason}").format(
                line=reader.line_num, reason=exc
            ),
            _(
                "mỗi dòng là các ô cách nhau bởi dấu phẩy hoặc chấm phẩy; ô có dấu ngoặc kép "
                "phải đóng ngoặc"
            ),
        ) from exc
