"""The portal's pages, in Vietnamese, as plain HTML: a clerk of another school or an employer
opens them on any phone or computer, with nothing to install and no script to run.

Every value shown is escaped: a report quotes what a forged file says about itself.
"""

from __future__ import annotations

from html import escape

from core.i18n import _
from core.signing.reports import FileReport, SignatureReport

_STYLE = """
body{font-family:system-ui,sans-serif;max-width:46rem;margin:0 auto;padding:1rem;
line-height:1.5;color:#1a1a1a}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:1.5rem}
.verdict{padding:.8rem 1rem;border-radius:.4rem;font-weight:600}
.valid{background:#e3f4e6;border:1px solid #2e7d32}
.invalid{background:#fdecea;border:1px solid #c62828}
.withdrawn{background:#fff4e0;border:1px solid #e08a00}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.4rem;
text-align:left;vertical-align:top}.ok{color:#2e7d32}.bad{color:#c62828}
form{margin:1rem 0}input[type=file]{display:block;margin:.5rem 0 1rem}
button{font-size:1rem;padding:.5rem 1.2rem}footer{margin-top:2rem;color:#555;font-size:.9rem}
"""


def page(title: str, body: str) -> str:
    """A whole page of the portal: its title, the body (HTML already escaped), the footer."""
    footer = escape(_("Học bạ số — cổng xác thực của trường."))
    return (
        '<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{escape(title)}</h1>{body}<footer>{footer}</footer></body></html>"
    )


def _form(action: str) -> str:
    label, button = escape(_("Tệp học bạ (.xml hoặc .pdf):")), escape(_("Kiểm tra"))
    return (
        f'<form method="post" action="{escape(action)}" enctype="multipart/form-data">'
        f'<label for="file">{label}</label>'
        '<input type="file" id="file" name="file" accept=".xml,.pdf,application/xml,'
        'text/xml,application/pdf" required>'
        f'<button type="submit">{button}</button></form>'
    )


def upload_page(action: str) -> str:
    """The form: what the check answers, and the file to give."""
    intro = _(
        "Tải lên tệp học bạ số (XML hoặc PDF) mà trường đã cấp. Trang này kiểm tra từng chữ ký "
        "theo bốn nội dung của Quy chế học bạ số (Điều 15): chữ ký hợp lệ, nội dung đã ký không "
        "bị thay đổi, chứng thư số hợp lệ, thời điểm ký hợp lệ; và cho biết học bạ còn hiệu lực, "
        "đã bị thay thế hay đã bị thu hồi. Tệp chỉ được kiểm tra, không được lưu lại."
    )
    return page(_("Xác thực học bạ số"), f"<p>{escape(intro)}</p>{_form(action)}")


def _verdict(report: FileReport) -> tuple[str, str]:
    if not report.valid:
        return "invalid", _("Tệp KHÔNG có giá trị: có nội dung không hợp lệ (xem chi tiết dưới).")
    if report.withdrawn:
        return "withdrawn", _(
            "Các chữ ký hợp lệ nhưng học bạ này KHÔNG còn hiệu lực: hãy dùng bản hiện hành."
        )
    return "valid", _("Mọi chữ ký hợp lệ.")


def _check(problems: list[str]) -> str:
    if not problems:
        valid = escape(_("hợp lệ"))
        return f'<span class="ok">✓ {valid}</span>'
    return f'<span class="bad">✗ {escape("; ".join(problems))}</span>'


def _signature(report: SignatureReport) -> str:
    role = report.role.label if report.role else _("không rõ vai trò")
    rows = [
        (_("a) Chữ ký"), report.signature),
        (_("b) Nội dung đã ký"), report.content),
        (_("c) Chứng thư số"), report.certificate),
        (_("d) Thời điểm ký"), report.time),
    ]
    cells = "".join(f"<tr><th>{escape(q)}</th><td>{_check(p)}</td></tr>" for q, p in rows)
    notes = "".join(
        "<p>" + escape(_("Lưu ý: {note}").format(note=note)) + "</p>" for note in report.notes
    )
    title = _("Chữ ký {label} — {signer} ({role})").format(
        label=report.label, signer=report.signer, role=role
    )
    return f"<h2>{escape(title)}</h2><table>{cells}</table>{notes}"


def report_page(report: FileReport, action: str) -> str:
    """The answer for one file: the verdict first, then the status, the file's problems and
    each signature's four checks, and the form again for the next file."""
    kind, verdict = _verdict(report)
    parts = [f'<p class="verdict {kind}" id="verdict">{escape(verdict)}</p>']
    if report.status:
        parts.append(f'<p id="status">{escape(report.status)}</p>')
    if report.problems:
        items = "".join(f"<li>{escape(p)}</li>" for p in report.problems)
        heading = escape(_("Lỗi của tệp"))
        parts.append(f"<h2>{heading}</h2><ul>{items}</ul>")
    parts += [_signature(s) for s in report.signatures]
    again = escape(_("Kiểm tra tệp khác"))
    parts.append(f"<h2>{again}</h2>{_form(action)}")
    return page(_("Kết quả xác thực học bạ số"), "".join(parts))


def refusal_page(message: str, action: str) -> str:
    """A file that could not be checked (too big, not a record, no file): why, and the form."""
    body = f'<p class="verdict invalid" id="verdict">{escape(message)}</p>{_form(action)}'
    return page(_("Không kiểm tra được tệp"), body)
