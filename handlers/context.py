"""The context every handler receives: PTB's CallbackContext plus the runtime.

`context.runtime` is the one object the bootstrap built (core.runtime.Runtime): the served
school, the file store, the signing settings, quiet hours, the zone and the worker pool. The
application that carries it is `RuntimeApplication`; handlers declare `context: BotContext`.
"""

from __future__ import annotations

from typing import Any, Protocol, cast

from telegram.ext import CallbackContext, ContextTypes, ExtBot

from core.runtime import Runtime


class _HasRuntime(Protocol):
    runtime: Runtime


class BotContext(CallbackContext[ExtBot, dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """The callback context of this bot's handlers."""

    @property
    def runtime(self) -> Runtime:
        return cast(_HasRuntime, self.application).runtime


CONTEXT_TYPES = ContextTypes(context=BotContext)
