"""Telegram adapters, one module per flow; `register_all` wires them in order of precedence."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, TypeHandler

from handlers import (
    calendar,
    corrections,
    errors,
    fallback,
    gradesheet,
    invite,
    language,
    locks,
    markentry,
    menu,
    progress,
    reminders,
    replies,
    signin,
    signing,
)
from handlers.common import set_reader_language


def register_all(application: Application) -> None:
    """Language first (group -1, for every update), then the flows, the catch-all last.

    Order matters within the group: the first handler that accepts an update takes it. A
    conversation comes before the grade-sheet upload, so a file sent inside /suadiem is that
    request's evidence and never a sheet to import."""
    application.add_handler(TypeHandler(Update, set_reader_language), group=-1)
    flows = (
        signin,
        invite,
        language,
        menu,
        replies,
        progress,
        reminders,
        locks,
        corrections,
        signing,
        markentry,
        calendar,
        gradesheet,
    )
    for flow in flows:
        flow.register(application)
    fallback.register(application)
    errors.register(application)
