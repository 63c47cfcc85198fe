"""/start and /help: what the assistant is and what a person can do with it."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes

from core.i18n import _


def welcome_text() -> str:
    return _(
        "Xin chào! Đây là trợ lý Học bạ số của nhà trường.\n\n"
        "• Thầy cô: nhận nhắc hạn nhập điểm, gửi bảng điểm, đề nghị sửa điểm, ký số học bạ.\n"
        "• Ban giám hiệu: xem tiến độ, duyệt đề nghị sửa điểm, khóa sổ, ký học bạ.\n"
        "• Phụ huynh: lấy lại bản học bạ số đã cấp sau khi xác minh.\n\n"
        "Gõ /help để xem hướng dẫn."
    )


def help_text() -> str:
    return _(
        "<b>Hướng dẫn</b>\n"
        "/start — bắt đầu, đăng nhập bằng mã mời nhà trường gửi\n"
        "/help — hướng dẫn này\n\n"
        "Cần trợ giúp thêm, thầy cô liên hệ quản trị học bạ số của trường."
    )


async def start(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_message:
        await update.effective_message.reply_text(welcome_text())


async def help_command(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_message:
        await update.effective_message.reply_text(help_text())


def register(application: Application) -> None:
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CommandHandler("help", help_command))
