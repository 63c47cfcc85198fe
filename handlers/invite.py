"""Admins create one-time invite codes from the phone: /moi <staff code or name>, or the menu.

/moi alone asks who; a name that matches several people is refused with their codes and the
question stays open, so the admin types the code, or /moi CODE again (the conversation starts
over on its own command; any other command leaves it, handlers/leaving.py)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    Application,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
)

from core import formatting
from core.i18n import _
from core.services.access import ensure_admin
from core.services.signin import create_invite
from handlers.common import (
    TYPED,
    Menu,
    MenuButton,
    end_conversation,
    main_menu,
    require_actor,
)
from handlers.context import BotContext
from handlers.leaving import Leave


def deep_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username}?start={code}"


async def _invite(update: Update, context: BotContext, who: str) -> None:
    actor = await require_actor(update)
    invite = await create_invite(actor, who)  # the core checks the admin role
    await update.effective_message.reply_text(
        _(
            "Mã mời cho {name} ({code}), dùng một lần, hết hạn {expires}:\n{link}\n\n"
            "Hãy gửi đường link này riêng cho thầy cô; khi mở, Telegram sẽ đăng nhập đúng hồ sơ."
        ).format(
            name=invite.full_name,
            code=invite.staff_code,
            expires=formatting.date_time(invite.expires_at),
            link=deep_link(context.bot.username, invite.code),
        ),
        reply_markup=main_menu(actor),
    )


WHO = 0


async def command(update: Update, context: BotContext) -> int:
    """/moi GV012 invites at once; /moi alone asks who."""
    if context.args:
        await _invite(update, context, " ".join(context.args))
        return ConversationHandler.END
    return await ask(update, context)


async def ask(update: Update, _context: BotContext) -> int:
    """Who to invite; someone who may not invite is refused before being asked."""
    ensure_admin(await require_actor(update))
    await update.effective_message.reply_text(
        _(
            "Gửi mã cán bộ hoặc họ tên của người cần mời (ví dụ GV012 hoặc Nguyễn Thị Lan), "
            "hoặc /huy để thôi."
        )
    )
    return WHO


async def answer(update: Update, context: BotContext) -> int:
    await _invite(update, context, update.effective_message.text)
    return ConversationHandler.END


async def cancel(update: Update, _context: BotContext) -> int:
    return await end_conversation(update, _("Đã hủy."))


def register(application: Application) -> None:
    application.add_handler(
        ConversationHandler(
            entry_points=[
                CommandHandler(["moi", "invite"], command),
                MessageHandler(MenuButton(Menu.invite), ask),
            ],
            states={WHO: [MessageHandler(TYPED, answer)]},
            fallbacks=[CommandHandler(["huy", "cancel"], cancel), Leave()],
            name="invite",
            persistent=application.persistence is not None,
            allow_reentry=True,
        )
    )
