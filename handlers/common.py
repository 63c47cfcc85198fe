"""What every handler needs: who is writing, in which language, and the keyboards to show."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

from telegram import KeyboardButton, Message, ReplyKeyboardMarkup, Update
from telegram.ext import ContextTypes, filters

from core.i18n import _, activate
from core.models import Role, Staff
from core.services.access import LEADERSHIP, READ_ALL, Actor
from core.services.signin import staff_for

TEACHING = (Role.SUBJECT_TEACHER, Role.HOMEROOM)
LANGUAGE_KEY = "language"  # user_data of people without a staff record


async def current_staff(update: Update) -> Staff | None:
    user = update.effective_user
    return await staff_for(user.id) if user else None


async def current_actor(update: Update) -> Actor | None:
    staff = await current_staff(update)
    return await Actor.of_staff(staff) if staff else None


StaffButton = Callable[[Update, ContextTypes.DEFAULT_TYPE, Actor], Awaitable[None]]


def staff_button(
    handler: StaffButton,
) -> Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[None]]:
    """A button meant for signed-in staff: the press is acknowledged (Telegram shows a spinner
    until it is), and the handler runs with the actor; anyone else's press changes nothing."""

    @functools.wraps(handler)
    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.callback_query.answer()
        actor = await current_actor(update)
        if actor is not None:
            await handler(update, context, actor)

    return pressed


async def set_reader_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Runs first for every update: the reply is in the language the person chose."""
    staff = await current_staff(update)
    language = staff.language if staff else None
    if language is None and context.user_data is not None:
        language = context.user_data.get(LANGUAGE_KEY)
    activate(language)


class Menu:
    """Labels of the main-menu buttons in the reader's language (built per update)."""

    @staticmethod
    def my_classes() -> str:
        return _("📚 Lớp của tôi")

    @staticmethod
    def school() -> str:
        return _("🏫 Tổng quan trường")

    @staticmethod
    def invite() -> str:
        return _("🎟 Tạo mã mời")

    @staticmethod
    def my_progress() -> str:
        return _("📋 Tiến độ của tôi")

    @staticmethod
    def school_progress() -> str:
        return _("📊 Tiến độ toàn trường")

    @staticmethod
    def locks() -> str:
        return _("🔒 Khóa sổ")

    @staticmethod
    def mark_entry() -> str:
        return _("✍️ Nhập một điểm")

    @staticmethod
    def correction_request() -> str:
        return _("✏️ Đề nghị sửa điểm")

    @staticmethod
    def correction_requests() -> str:
        return _("🗂 Phiếu sửa điểm")

    @staticmethod
    def sign_records() -> str:
        return _("✍️ Ký học bạ")

    @staticmethod
    def language() -> str:
        return _("🌐 Ngôn ngữ")

    @staticmethod
    def help() -> str:
        return _("❓ Hướng dẫn")

    @staticmethod
    def sign_out() -> str:
        return _("🚪 Đăng xuất")

    @staticmethod
    def share_phone() -> str:
        return _("📱 Chia sẻ số điện thoại của tôi")


class MenuButton(filters.MessageFilter):
    """A press of a main-menu button, recognised in the reader's current language (set by
    `set_reader_language` before any other handler looks at the update)."""

    def __init__(self, label: Callable[[], str]) -> None:
        super().__init__(name=f"MenuButton({label.__name__})")
        self.label = label

    def filter(self, message: Message) -> bool:
        return message.text == self.label()


def main_menu(actor: Actor) -> ReplyKeyboardMarkup:
    """What this person can do, by role: teachers see their classes, leadership and the office
    the school, admins also invites; everyone language, help and sign-out."""
    rows = []
    if actor.has(*TEACHING):
        rows.append([Menu.my_progress(), Menu.my_classes()])
        rows.append([Menu.mark_entry()])  # handlers/markentry.py
    if actor.has(*READ_ALL):
        rows.append([Menu.school_progress(), Menu.school()])
    if actor.has(Role.ADMIN, *LEADERSHIP):
        rows.append([Menu.locks()] + ([Menu.invite()] if actor.has(Role.ADMIN) else []))
    # correction requests: teachers ask, admins and leadership act
    corrections_row = [Menu.correction_request()] if actor.has(*TEACHING) else []
    corrections_row += [Menu.correction_requests()] if actor.has(Role.ADMIN, *LEADERSHIP) else []
    if corrections_row:
        rows.append(corrections_row)
    # signing: whoever signs a step of the record chain
    if actor.has(Role.SUBJECT_TEACHER, Role.HOMEROOM, Role.PRINCIPAL, Role.CLERK):
        rows.append([Menu.sign_records()])
    rows.append([Menu.language(), Menu.help(), Menu.sign_out()])
    return ReplyKeyboardMarkup(rows, resize_keyboard=True, is_persistent=True)


def sign_in_keyboard() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [[KeyboardButton(Menu.share_phone(), request_contact=True)], [Menu.language()]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )
