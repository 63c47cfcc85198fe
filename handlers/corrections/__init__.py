"""Correction requests in the bot, one module per side of the procedure:

- request: the teacher's guided request (/suadiem);
- decide: the buttons of the people who decide (view evidence, forward, approve, reject or ask
  for more with their texts, witness, allow a late request);
- answer: the teacher answers an ask-for-more and types the approved value;
- board: the board of waiting requests (/phieusua), cell history (/lichsu), delegation
  (/uyquyen, /thoiuyquyen).

Thin by design: every button is read through core.buttons, every step is one call to
core.services.corrections, which checks rights, state and values again.
"""

from __future__ import annotations

from telegram.ext import Application

from handlers.corrections import answer, board, decide, request


def register(application: Application) -> None:
    persistent = application.persistence is not None
    request.register(application, persistent)
    answer.register(application, persistent)
    decide.register(application, persistent)
    board.register(application)
