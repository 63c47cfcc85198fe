"""Telegram adapters, one module per flow; `register_all` wires them in order of precedence."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, TypeHandler

from handlers import (
    calendar,
    closing,
    corrections,
    door,
    errors,
    fallback,
    families,
    gradesheet,
    homeroom,
    invite,
    language,
    leaving,
    locks,
    markentry,
    menu,
    progress,
    reminders,
    replies,
    signature_image,
    signin,
    signing,
    student_photo,
    verify,
)
from handlers.common import set_reader_language

LANGUAGE_GROUP = -3


def register_all(application: Application) -> None:
    """Before the flows, for every update in turn: the reader's language (LANGUAGE_GROUP), the
    door that answers someone not signed in who reaches for a staff-only thing
    (handlers/door.py), and the leaving of any conversation in progress on a command or a
    main-menu button (handlers/leaving.py). Then the flows (group 0), the catch-all last.

    Order matters within the group: the first handler that accepts an update takes it. A
    conversation comes before the grade-sheet upload, so a file sent inside /suadiem is that
    request's evidence and never a sheet to import."""
    application.add_handler(TypeHandler(Update, set_reader_language), group=LANGUAGE_GROUP)
    door.register(application)
    leaving.register(application)
    flows = (
        families,  # its contact step before the staff sign-in's contact
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
        signature_image,  # a conversation: before the files the flows below take
        student_photo,  # a conversation too
        closing,
        markentry,
        homeroom,
        calendar,
        gradesheet,
        verify,
    )
    for flow in flows:
        flow.register(application)
    fallback.register(application)
    errors.register(application)
