"""Telegram adapters, one module per flow; `register_all` wires them in order of precedence."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, TypeHandler

from handlers import errors, fallback, invite, language, menu, signin
from handlers.common import set_reader_language


def register_all(application: Application) -> None:
    """Language first (group -1, for every update), then the flows, the catch-all last."""
    application.add_handler(TypeHandler(Update, set_reader_language), group=-1)
    for flow in (signin, invite, language, menu):
        flow.register(application)
    fallback.register(application)
    errors.register(application)
