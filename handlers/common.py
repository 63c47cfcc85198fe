"""What every handler needs: who is writing, in which language, and the keyboards to show."""

from __future__ import annotations

import functools
import html
from collections.abc import Awaitable, Callable, Iterable

from telegram import KeyboardButton, Message, ReplyKeyboardMarkup, Update
from telegram.ext import ConversationHandler, filters

from core.errors import PermissionDenied
from core.i18n import _, activate
from core.services import signin
from core.services.access import Actor
from core.services.overview import Feature, menu
from handlers.context import BotContext

LANGUAGE_KEY = "language"  # user_data of people without a staff record


async def current_person(update: Update) -> signin.Person | None:
    """The signed-in staff member writing (None: not signed in)."""
    user = update.effective_user
    return await signin.person(user.id) if user else None


async def current_actor(update: Update) -> Actor | None:
    person = await current_person(update)
    return person.actor if person else None


def sign_in_first() -> str:
    """What someone not signed in is told when they reach for a staff-only thing."""
    return _("Thầy cô cần đăng nhập trước: gõ /start để xem cách đăng nhập.")


async def require_actor(update: Update) -> Actor:
    """The signed-in staff member writing; anyone else is refused with what to do."""
    actor = await current_actor(update)
    if actor is None:
        raise PermissionDenied(sign_in_first())
    return actor


StaffButton = Callable[[Update, BotContext, Actor], Awaitable[None]]


def staff_button(handler: StaffButton) -> Callable[[Update, BotContext], Awaitable[None]]:
    """A button meant for signed-in staff: the press is acknowledged (Telegram shows a spinner
    until it is), and the handler runs with the actor; anyone else is told to sign in first
    (an alert) and nothing changes."""

    @functools.wraps(handler)
    async def pressed(update: Update, context: BotContext) -> None:
        actor = await current_actor(update)
        if actor is None:
            await update.callback_query.answer(sign_in_first(), show_alert=True)
            return
        await update.callback_query.answer()
        await handler(update, context, actor)

    return pressed


async def set_reader_language(update: Update, context: BotContext) -> None:
    """Runs first for every update: the reply is in the language the person chose."""
    user = update.effective_user
    language = await signin.language_of(user.id) if user else None
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
    def homeroom_entry() -> str:
        return _("📝 Nhập cho lớp chủ nhiệm")

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

    @staticmethod
    def family() -> str:
        return _("👪 Phụ huynh lấy học bạ của con")

    @staticmethod
    def family_requests() -> str:
        return _("👪 Yêu cầu của phụ huynh")


class MenuButton(filters.MessageFilter):
    """A press of a main-menu button, recognised in the reader's current language (set by
    `set_reader_language` before any other handler looks at the update)."""

    def __init__(self, label: Callable[[], str]) -> None:
        super().__init__(name=f"MenuButton({label.__name__})")
        self.label = label

    def filter(self, message: Message) -> bool:
        return message.text == self.label()


_LABELS: dict[Feature, Callable[[], str]] = {
    Feature.MY_PROGRESS: Menu.my_progress,
    Feature.MY_CLASSES: Menu.my_classes,
    Feature.MARK_ENTRY: Menu.mark_entry,  # handlers/markentry.py
    Feature.HOMEROOM_ENTRY: Menu.homeroom_entry,  # handlers/homeroom.py
    Feature.SCHOOL_PROGRESS: Menu.school_progress,
    Feature.SCHOOL: Menu.school,
    Feature.LOCKS: Menu.locks,
    Feature.INVITE: Menu.invite,
    Feature.CORRECTION_REQUEST: Menu.correction_request,
    Feature.CORRECTION_REQUESTS: Menu.correction_requests,
    Feature.SIGN_RECORDS: Menu.sign_records,
    Feature.FAMILY_REQUESTS: Menu.family_requests,  # handlers/families.py
    Feature.LANGUAGE: Menu.language,
    Feature.HELP: Menu.help,
    Feature.SIGN_OUT: Menu.sign_out,
}


class MenuButtons(filters.MessageFilter):
    """A press of any of these main-menu buttons (every one by default), in the reader's
    current language."""

    def __init__(self, labels: Iterable[Callable[[], str]] = ()) -> None:
        super().__init__(name="MenuButtons")
        self.labels = tuple(labels) or tuple(_LABELS.values())

    def filter(self, message: Message) -> bool:
        return message.text in {label() for label in self.labels}


# What a person types at a step of a conversation: text that is neither a command nor a press
# of the main menu (those leave the conversation and do what they say: handlers/leaving.py).
TYPED = filters.TEXT & ~filters.COMMAND & ~MenuButtons()


def staff_menu_buttons() -> MenuButtons:
    """The main-menu buttons only a signed-in staff member can use (not language, help or
    sign-out, which answer anyone)."""
    public = {Feature.LANGUAGE, Feature.HELP, Feature.SIGN_OUT}
    return MenuButtons(label for feature, label in _LABELS.items() if feature not in public)


def main_menu(actor: Actor) -> ReplyKeyboardMarkup:
    """What this person can do (the core's `menu`, by role), as a reply keyboard."""
    rows = [[_LABELS[feature]() for feature in row] for row in menu(actor)]
    return ReplyKeyboardMarkup(rows, resize_keyboard=True, is_persistent=True)


async def end_conversation(update: Update, text: str) -> int:
    """Say `text`, give a signed-in person their main menu back, and end the conversation (a
    conversation's /huy, or its last step)."""
    actor = await current_actor(update)
    await update.effective_message.reply_text(
        text, reply_markup=main_menu(actor) if actor else None
    )
    return ConversationHandler.END


def sign_in_keyboard() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [
            [KeyboardButton(Menu.share_phone(), request_contact=True)],
            [Menu.family()],
            [Menu.language()],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


def matches(found: int, shown: int, typed: str) -> str:
    """The line above the students a search found: how many, and how many are not shown (a
    search as loose as one letter can match half the class; the buttons show the first few)."""
    text = _("Có {n} học sinh khớp «{typed}», chọn một:").format(n=found, typed=html.escape(typed))
    if found > shown:
        text += "\n" + _("(Đang hiện {shown} em đầu; gõ thêm chữ trong tên để thu hẹp.)").format(
            shown=shown
        )
    return text
