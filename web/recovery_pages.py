"""The pages of `/lay-lai-hoc-ba`, in Vietnamese, plain HTML forms that work without script."""

from __future__ import annotations

from html import escape

from core import formatting
from core.i18n import _
from core.services.family_web import Opened, Requested
from web.pages import page

FORM = "/lay-lai-hoc-ba"
CODE = "/lay-lai-hoc-ba/ma"
FILES = "/lay-lai-hoc-ba/tai"


def _notice(message: str) -> str:
    return f'<p class="verdict invalid" id="notice">{escape(message)}</p>' if message else ""


def _field(name: str, label: str, kind: str = "text", value: str = "", extra: str = "") -> str:
    return (
        f'<label for="{name}">{escape(label)}</label>'
        f'<input type="{kind}" id="{name}" name="{name}" value="{escape(value)}" required '
        f'style="display:block;margin:.3rem 0 1rem;font-size:1rem;padding:.3rem" {extra}>'
    )


def details_page(message: str = "", national_id: str = "", born: str = "") -> str:
    """The first form: the student's personal ID and date of birth, the registered phone."""
    intro = _(
        "Phụ huynh lấy lại tệp học bạ số của con (Quy chế học bạ số, Điều 31). Nhập mã định danh "
        "của học sinh, ngày sinh và số điện thoại phụ huynh đã đăng ký với nhà trường; nhà trường "
        "sẽ gửi một mã một lần tới đúng số điện thoại ấy."
    )
    fields = (
        _field(
            "national_id",
            _("Mã định danh cá nhân của học sinh (12 số):"),
            value=national_id,
            extra='inputmode="numeric" autocomplete="off"',
        )
        + _field(
            "born",
            _("Ngày sinh của học sinh (ngày/tháng/năm):"),
            value=born,
            extra='placeholder="05/09/2013"',
        )
        + _field(
            "phone", _("Số điện thoại phụ huynh đã đăng ký:"), "tel", extra='autocomplete="tel"'
        )
    )
    body = f"<p>{escape(intro)}</p>{_notice(message)}" + _form(FORM, fields, _("Gửi mã"))
    return page(_("Lấy lại học bạ số"), body)


def _form(action: str, fields: str, button: str) -> str:
    return (
        f'<form method="post" action="{action}">{fields}'
        f'<button type="submit">{escape(button)}</button></form>'
    )


def code_page(requested: Requested) -> str:
    """The answer to the details, the same whether they matched: where the code comes from."""
    sent = _(
        "Nếu thông tin khớp với hồ sơ nhà trường, mã một lần đã được gửi qua {channel}. Mã dùng "
        "được đến {until}."
    ).format(channel=requested.channel, until=formatting.date_time(requested.expires_at))
    fields = f'<input type="hidden" name="token" value="{escape(requested.token)}">' + _field(
        "code", _("Mã một lần (6 số):"), extra='inputmode="numeric" autocomplete="one-time-code"'
    )
    body = f'<p id="sent">{escape(sent)}</p>' + _form(CODE, fields, _("Mở học bạ"))
    return page(_("Nhập mã một lần"), body)


def files_page(opened: Opened) -> str:
    """The download links of a redeemed code, and until when they work."""
    until = _("Các đường dẫn dùng được đến {until}; sau đó hãy yêu cầu mã mới.").format(
        until=formatting.date_time(opened.expires_at)
    )
    if not opened.files:
        none = _("Nhà trường chưa phát hành học bạ số nào của học sinh.")
        items = f"<p>{escape(none)}</p>"
    else:
        links = "".join(
            f'<li><a href="{FILES}/{escape(opened.token)}/{escape(name)}" download>'
            f"{escape(name)}</a></li>"
            for name in opened.files
        )
        items = f'<ul id="files">{links}</ul>'
    return page(_("Tải học bạ số"), f"{items}<p>{escape(until)}</p>")


def refused_page(message: str) -> str:
    again = escape(_("Bắt đầu lại"))
    return page(_("Lấy lại học bạ số"), _notice(message) + f'<p><a href="{FORM}">{again}</a></p>')
