"""The main menu's answers: my classes, the school at a glance, help."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler, MessageHandler

from core import formatting
from core.i18n import _
from core.services.overview import my_teaching, school_overview
from handlers import replies
from handlers.common import (
    Menu,
    MenuButton,
    current_actor,
    main_menu,
    require_actor,
    sign_in_keyboard,
)
from handlers.context import BotContext
from handlers.gradesheet import offer_homeroom_sheets
from handlers.signin import sign_in_options


async def my_classes(update: Update, context: BotContext) -> None:
    actor = await require_actor(update)
    teaching = await my_teaching(actor)  # refuses plainly when the school has no year yet
    if not (teaching.homeroom or teaching.subjects):
        text = _("Thầy cô chưa được phân công lớp nào trong năm học hiện tại.")
    else:
        lines = [_("<b>Năm học {year}</b>").format(year=teaching.year)]
        lines += [_("Chủ nhiệm lớp {klass}").format(klass=k) for k in teaching.homeroom]
        lines += [f"• {klass} — {subject}" for klass, subject in teaching.subjects]
        text = "\n".join(lines)
    await replies.reply(update, context, text, main_menu(actor))
    if teaching.sheets:
        await offer_homeroom_sheets(update, teaching.sheets)


async def school(update: Update, _context: BotContext) -> None:
    actor = await require_actor(update)
    overview = await school_overview(actor)
    text = _(
        "<b>Năm học {year}</b>\n{classes} lớp, {students} học sinh\n"
        "{staff} cán bộ, giáo viên; {linked} người đã đăng nhập Trợ lý"
    ).format(
        year=overview.year,
        classes=formatting.integer(overview.classes),
        students=formatting.integer(overview.students),
        staff=formatting.integer(overview.staff),
        linked=formatting.integer(overview.staff_linked),
    )
    await update.effective_message.reply_text(text, reply_markup=main_menu(actor))


def help_text() -> str:
    return _(
        "<b>Hướng dẫn</b>\n"
        "Chọn việc cần làm trong menu bên dưới, hoặc gõ lệnh:\n"
        "/nhapdiem — nhập một điểm\n"
        "/chunhiem — (giáo viên chủ nhiệm) nhập rèn luyện, số ngày nghỉ của từng học sinh\n"
        "/suadiem — đề nghị sửa điểm (kèm minh chứng)\n"
        "/phieusua — (quản trị, Ban giám hiệu) phiếu đề nghị sửa điểm\n"
        "/khoaso, /moso — (Hiệu trưởng) khóa, mở sổ\n"
        "/lich — (quản trị, Hiệu trưởng) lịch hạn nhập điểm\n"
        "/chotnam — (Hiệu trưởng) xem danh sách cuối năm của một lớp, chốt năm học, lập học bạ "
        "và báo người ký\n"
        "/danhsach — (giáo viên chủ nhiệm, Ban giám hiệu) danh sách lên lớp, ở lại lớp, kiểm tra "
        "lại, rèn luyện hè của lớp\n"
        "/chuky — (người ký học bạ) gửi ảnh chữ ký tay hiện trên học bạ\n"
        "/anh — (giáo viên chủ nhiệm) gửi ảnh 3 × 4 của học sinh in trên bìa học bạ\n"
        "/lichsu — (quản trị, Ban giám hiệu) lịch sử một ô điểm\n"
        "/moi — (quản trị) tạo mã mời cho giáo viên\n"
        "/language — đổi ngôn ngữ; /dangxuat — đăng xuất\n"
        "Gửi tệp bảng điểm .xlsx (điểm hoặc mức, và nhận xét môn) để nhập cả bảng. Giáo viên "
        "chủ nhiệm: lấy bảng chủ nhiệm "
        "(rèn luyện hoặc phẩm chất, năng lực; số ngày nghỉ; nhận xét) ở «📚 Lớp của tôi», điền "
        "rồi gửi lại tệp.\n\n"
        "Cần trợ giúp thêm, thầy cô liên hệ quản trị học bạ số của trường."
    )


async def show_help(update: Update, _context: BotContext) -> None:
    actor = await current_actor(update)
    if actor is None:
        await update.effective_message.reply_text(
            _("<b>Hướng dẫn</b>") + "\n" + sign_in_options(), reply_markup=sign_in_keyboard()
        )
        return
    await update.effective_message.reply_text(help_text(), reply_markup=main_menu(actor))


def register(application: Application) -> None:
    application.add_handler(CommandHandler("help", show_help))
    application.add_handler(MessageHandler(MenuButton(Menu.my_classes), my_classes))
    application.add_handler(MessageHandler(MenuButton(Menu.school), school))
    application.add_handler(MessageHandler(MenuButton(Menu.help), show_help))
