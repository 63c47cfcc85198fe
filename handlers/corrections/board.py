"""For the people who oversee corrections: the board of waiting requests with ticks to forward
or approve several at once (/phieusua, «🗂 Phiếu sửa điểm»), then the requests that wait on
someone else (a witness, a teacher, a principal not signed in) with «Gửi lại» and «Thay» a
witness, a student's cell history (/lichsu), and the principal's delegation of decisions to a
vice principal (/uyquyen, /thoiuyquyen).

The ticks are kept in user_data between presses; the core keeps only those that still wait
for this person, so they never pile up.
"""

from __future__ import annotations

import html

from telegram import Update
from telegram.ext import Application, CommandHandler, MessageHandler

from core import buttons
from core.errors import InvalidValue
from core.i18n import _
from core.services import corrections
from core.services.corrections import board as service
from core.services.corrections import waiting
from core.services.corrections.board import Board
from handlers.common import Menu, MenuButton
from handlers.context import BotContext
from handlers.corrections.ui import PICKED, actor_of, keyboard, press, rows_of
from handlers.replies import reply


async def _show(update: Update, context: BotContext, shown: Board) -> None:
    context.user_data[PICKED] = shown.picked
    counts = ", ".join(f"{label}: {n}" for label, n in shown.counts)
    lines = [_("<b>Phiếu sửa điểm</b> ({counts})").format(counts=counts or "0")]
    lines += [f"• {html.escape(line.title)}: {html.escape(line.changes)}" for line in shown.lines]
    if shown.more:
        lines.append(
            _("… và {n} phiếu khác, hiện ra khi các phiếu trên được xử lý.").format(n=shown.more)
        )
    if not shown.lines:
        lines.append(_("Không có phiếu nào đang chờ thầy cô."))
    markup = keyboard([*([line.tick, line.view] for line in shown.lines), *rows_of(shown.actions)])
    if update.callback_query:
        await update.callback_query.answer()
        await update.effective_message.edit_text("\n".join(lines), reply_markup=markup)
    else:
        await update.effective_message.reply_text("\n".join(lines), reply_markup=markup)


async def pending(update: Update, context: BotContext) -> None:
    """The board, then what waits on other people (its own message: ticking edits the board)."""
    actor = await actor_of(update)
    await _show(update, context, await service.board(actor, context.user_data.get(PICKED, [])))
    others = await waiting.waiting_on_people(actor)
    if not others.requests:
        return
    lines = [_("<b>Đang chờ người khác</b>")]
    for request in others.requests:
        lines += [html.escape(line) for line in request.lines()]
    if others.more:
        lines.append(_("… và {n} phiếu khác đang chờ.").format(n=others.more))
    actions = [a for request in others.requests for a in request.actions]
    await reply(update, context, "\n".join(lines), keyboard(rows_of(actions)))


async def resend(update: Update, _context: BotContext) -> None:
    request_id = buttons.BOARD_RESEND.id(update.callback_query.data)
    done = await waiting.resend(await actor_of(update), request_id)
    await update.callback_query.answer()
    await update.effective_message.reply_text(html.escape(done.text()))


async def choose_witness(update: Update, _context: BotContext) -> None:
    request_id, role = buttons.BOARD_REPLACE.parse(update.callback_query.data)
    offered = await waiting.replacement_choices(await actor_of(update), request_id, role)
    await update.callback_query.answer()
    await update.effective_message.reply_text(
        html.escape(offered.text()), reply_markup=keyboard(rows_of(offered.choices))
    )


async def replace_witness(update: Update, _context: BotContext) -> None:
    request_id, role, staff_id = buttons.BOARD_REPLACE_WITH.parse(update.callback_query.data)
    done = await waiting.replace_witness(await actor_of(update), request_id, role, staff_id)
    await update.callback_query.answer()
    await update.effective_message.reply_text(html.escape(done.text()))


async def toggle(update: Update, context: BotContext) -> None:
    request_id = buttons.BOARD_TOGGLE.id(update.callback_query.data)
    picked = context.user_data.get(PICKED, [])
    await _show(update, context, await service.toggle(await actor_of(update), picked, request_id))


async def forward_picked(update: Update, context: BotContext) -> None:
    actor = await actor_of(update)
    moved = await corrections.forward(actor, service.picked_ids(context.user_data.get(PICKED, [])))
    context.user_data.pop(PICKED, None)
    await update.callback_query.answer()
    await update.effective_message.reply_text(
        _("➡️ Đã chuyển Hiệu trưởng: {numbers}.").format(numbers=", ".join(r.number for r in moved))
    )


async def approve_picked(update: Update, context: BotContext) -> None:
    actor = await actor_of(update)
    outcomes = await service.approve_picked(actor, context.user_data.get(PICKED, []))
    context.user_data.pop(PICKED, None)
    await update.callback_query.answer()
    await update.effective_message.reply_text(
        "\n".join(o.refusal or _("✅ {number}: đã duyệt").format(number=o.number) for o in outcomes)
    )


async def history(update: Update, context: BotContext) -> None:
    """/lichsu MÃ_ĐỊNH_DANH [MÔN] [CỘT] (or «chủ nhiệm»: the homeroom teacher's data): every
    value the cells had, by whom, under which request."""
    if not context.args:
        raise InvalidValue(
            _(
                "Cách dùng: /lichsu MÃ_ĐỊNH_DANH [MÔN] [CỘT], ví dụ /lichsu 037214000001 Toán CK; "
                "tiểu học: /lichsu 001318000020 Toán CHK1 (hoặc Mức CHK1, Điểm CHK1); "
                "/lichsu 037214000001 chủ nhiệm cho rèn luyện, ngày nghỉ, phẩm chất."
            )
        )
    found = await corrections.history_of(
        await actor_of(update), context.args[0], list(context.args[1:])
    )
    await reply(update, context, found.text())


def _who(context: BotContext) -> str:
    if not context.args:
        raise InvalidValue(_("Cách dùng: /uyquyen MÃ_CÁN_BỘ (hoặc /thoiuyquyen MÃ_CÁN_BỘ)."))
    return " ".join(context.args)


async def delegate(update: Update, context: BotContext) -> None:
    done = await corrections.delegate(await actor_of(update), _who(context))
    await update.effective_message.reply_text(
        _(
            "Đã ủy quyền cho {name} duyệt phiếu đề nghị sửa điểm và chốt năm học các lớp "
            "(/chotnam)."
        ).format(name=done.name)
    )


async def revoke(update: Update, context: BotContext) -> None:
    done = await corrections.revoke_delegation(await actor_of(update), _who(context))
    await update.effective_message.reply_text(
        _("Đã thôi ủy quyền cho {name}.").format(name=done.name)
    )


def register(application: Application) -> None:
    for handler, action in (
        (toggle, buttons.BOARD_TOGGLE),
        (forward_picked, buttons.BOARD_FORWARD_PICKED),
        (approve_picked, buttons.BOARD_APPROVE_PICKED),
        (resend, buttons.BOARD_RESEND),
        (choose_witness, buttons.BOARD_REPLACE),
        (replace_witness, buttons.BOARD_REPLACE_WITH),
    ):
        application.add_handler(press(handler, action))
    application.add_handler(CommandHandler("phieusua", pending))
    application.add_handler(MessageHandler(MenuButton(Menu.correction_requests), pending))
    application.add_handler(CommandHandler(["lichsu", "history"], history))
    application.add_handler(CommandHandler(["uyquyen", "delegate"], delegate))
    application.add_handler(CommandHandler(["thoiuyquyen", "undelegate"], revoke))
