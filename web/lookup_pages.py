"""The pages of a record's QR code (`/xac-thuc/{code}`), in Vietnamese, plain HTML that works
without script: the access code form, and the record's status and summary."""

from __future__ import annotations

from html import escape

from core import formatting
from core.i18n import _
from core.render.xml_record import StudentRecord
from core.rules import primary as tt27
from core.rules import secondary as tt22
from core.services.lookup_codes import ACCESS_DIGITS, LOOKUP_PATH
from core.services.record_lookup import LookedUp
from web.pages import page


def _notice(message: str) -> str:
    return f'<p class="verdict invalid" id="notice">{escape(message)}</p>' if message else ""


def access_page(code: str, message: str = "") -> str:
    """The form for the access code. It says the same whatever `code` is: whether a record
    has it is told only to someone who also has its access code."""
    intro = _(
        "Nhập mã truy cập gồm {digits} chữ số in dưới mã QR trên học bạ để xem tình trạng học bạ "
        "(còn hiệu lực, đã bị thay thế hay đã bị thu hồi) và thông tin chính của học bạ."
    ).format(digits=ACCESS_DIGITS)
    label, button = escape(_("Mã truy cập:")), escape(_("Xem học bạ"))
    shown = escape(_("Mã tra cứu: {code}").format(code=code))
    form = (
        f'<form method="post" action="{escape(LOOKUP_PATH)}/{escape(code)}">'
        f'<label for="access">{label}</label>'
        '<input type="text" id="access" name="access" inputmode="numeric" autocomplete="off" '
        'required style="display:block;margin:.3rem 0 1rem;font-size:1rem;padding:.3rem">'
        f'<button type="submit">{button}</button></form>'
    )
    body = f"{_notice(message)}<p>{escape(intro)}</p><p>{shown}</p>{form}"
    return page(_("Tra cứu học bạ số"), body)


def _results(record: StudentRecord) -> list[tuple[str, str]]:
    """The year's outcome: TT22's learning, conduct, promotion and title, or TT27's education
    result, completion and award."""
    if (year := record.primary) is not None:
        rows = [
            (_("Kết quả giáo dục cả năm"), tt27.YearResult.label_of(year.result)),
            (
                _("Hoàn thành chương trình lớp học"),
                _("Có") if year.class_completed else _("Chưa"),
            ),
        ]
        if year.award:
            rows.append((_("Khen thưởng"), _("Học sinh Xuất sắc")))
        return rows
    rows = [
        (_("Kết quả học tập cả năm"), tt22.Level.label_of(record.learning[2])),
        (_("Kết quả rèn luyện cả năm"), tt22.Level.label_of(record.conduct[2])),
        (_("Kết quả cuối năm"), tt22.Promotion.label_of(record.promotion)),
    ]
    if record.title:
        rows.append((_("Danh hiệu"), tt22.Title.label_of(record.title)))
    return rows


def _rows(found: LookedUp) -> list[tuple[str, str]]:
    record = found.record
    rows = [
        (_("Học sinh"), record.full_name),
        (_("Ngày sinh"), formatting.numeric_date(record.born)),
        (_("Trường"), f"{record.school.name} ({record.school.code})"),
        (_("Năm học, lớp"), f"{record.year_name}, {record.class_name}"),
        (_("Mã học bạ, phiên bản"), f"{record.record_code}, {record.version}"),
    ]
    if found.issued_at is not None:
        rows.append((_("Phát hành lúc"), formatting.date_time(found.issued_at)))
    rows += _results(record)
    if found.xml_sha256:
        rows.append((_("SHA-256 của tệp XML"), found.xml_sha256))
    if found.pdf_sha256:
        rows.append((_("SHA-256 của tệp PDF"), found.pdf_sha256))
    return rows


def _table(rows: list[tuple[str, str]]) -> str:
    cells = "".join(
        f"<tr><th>{escape(label)}</th><td>{escape(value)}</td></tr>" for label, value in rows
    )
    return f"<table>{cells}</table>"


def _earlier(found: LookedUp) -> str:
    """The level's earlier years the record carries (its learning history, 001 Điều 22.1),
    oldest first, each with its class and outcome."""
    if not found.earlier:
        return ""
    heading = escape(_("Các năm học trước trong học bạ"))
    title = _("Năm học {year}, lớp {klass}")
    years = "".join(
        f"<h3>{escape(title.format(year=r.year_name, klass=r.class_name))}</h3>"
        f"{_table(_results(r))}"
        for r in found.earlier
    )
    return f'<section id="earlier"><h2>{heading}</h2>{years}</section>'


def record_page(found: LookedUp) -> str:
    """The record's status first, then its summary (this year's, then the earlier years it
    carries), and where to check a copy's signatures."""
    kind = "withdrawn" if found.withdrawn else "valid"
    check = _(
        "Để kiểm tra chữ ký của tệp học bạ đang có trong tay, hãy tải tệp lên trang xác thực; "
        "mã SHA-256 ở trên giúp đối chiếu tệp với bản nhà trường đã phát hành."
    )
    link = escape(_("Mở trang xác thực tệp học bạ"))
    body = (
        f'<p class="verdict {kind}" id="status" data-state="{escape(found.state)}">'
        f"{escape(found.status)}</p>{_table(_rows(found))}{_earlier(found)}<p>{escape(check)} "
        f'<a href="{escape(LOOKUP_PATH)}">{link}</a></p>'
    )
    return page(_("Học bạ số: tình trạng và thông tin chính"), body)
