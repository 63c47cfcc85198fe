"""Building and running the python-telegram-bot Application from the configuration.

One event loop runs the record core's database, the PTB application (polling, or updates pushed
by the webhook) and the aiohttp server; CPU-heavy work goes to the runtime's worker pool.
SIGTERM/SIGINT stop it gracefully: no new updates are taken, the ones in hand finish, then the
workers stop and the database closes.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from telegram import BotCommand, Update
from telegram.constants import ParseMode
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    Defaults,
    PersistenceInput,
)
from telegram.request import HTTPXRequest

from bot.bootstrap import BotApplication, attach, running
from bot.config import Config
from bot.fitting import FittingBot
from bot.metrics import Metrics
from bot.persistence import DatabasePersistence
from bot.updates import PerUserUpdateProcessor
from bot.web import WEBHOOK_PATH, make_web_app, start_site, until_signal
from core.i18n import _, use_language
from core.runtime import Runtime
from handlers import register_all
from handlers.context import CONTEXT_TYPES
from jobs import schedule_all

log = logging.getLogger("hocba.bot")
CONNECTIONS = 256  # what ApplicationBuilder gives a bot's requests (getUpdates has its own)


def _bot(config: Config, runtime: Runtime) -> FittingBot:
    """The one bot every handler, job and the outbox send through: within Telegram's limits
    whatever the text (bot/fitting.py), paced by AIORateLimiter, HTML by default, and as many
    connections as ApplicationBuilder would open."""
    urls = {
        "base_url": config.telegram.base_url,
        "base_file_url": config.telegram.base_file_url,
    }
    return FittingBot(
        config.require_token(),
        request=HTTPXRequest(connection_pool_size=CONNECTIONS),
        get_updates_request=HTTPXRequest(),
        defaults=Defaults(parse_mode=ParseMode.HTML, tzinfo=runtime.zone),
        rate_limiter=AIORateLimiter(),
        **{key: url for key, url in urls.items() if url},
    )


def build_application(
    config: Config, runtime: Runtime, metrics: Metrics | None = None
) -> Application:
    """The PTB application with our persistence and the runtime: call it after the database is
    open (`bot.bootstrap.running`), because PTB reads the persisted conversations in
    `initialize()`. `metrics` counts and times the updates handled (bot.metrics)."""
    application = (
        ApplicationBuilder()
        .bot(_bot(config, runtime))
        .application_class(BotApplication)
        .context_types(CONTEXT_TYPES)
        # bot_data is not used: the runtime carries this process's settings
        .persistence(DatabasePersistence(store_data=PersistenceInput(bot_data=False)))
        .concurrent_updates(PerUserUpdateProcessor(metrics=metrics, doorbell=runtime.doorbell))
        .build()
    )
    attach(application, runtime)
    register_all(application)
    return application


def _commands() -> list[BotCommand]:
    return [
        BotCommand("start", _("Bắt đầu, đăng nhập")),
        BotCommand("help", _("Hướng dẫn")),
        BotCommand("nhapdiem", _("Nhập một điểm")),
        BotCommand("chunhiem", _("Nhập rèn luyện, ngày nghỉ (chủ nhiệm)")),
        BotCommand("suadiem", _("Đề nghị sửa điểm")),
        BotCommand("chuky", _("Ảnh chữ ký tay (người ký học bạ)")),
        BotCommand("language", _("Đổi ngôn ngữ")),
        BotCommand("dangxuat", _("Đăng xuất")),
    ]


async def serve(config: Config, stop: asyncio.Event, *, schedule_jobs: bool = True) -> None:
    """Run until `stop` is set. Tests that drive the reminder and lock rounds themselves, on a
    chosen clock, pass `schedule_jobs=False` (the outbox delivery job always runs)."""
    async with running(config) as runtime:
        metrics = Metrics()
        application = build_application(config, runtime, metrics)
        runner: web.AppRunner | None = None
        try:
            await application.initialize()
            for language in ("vi", "en"):
                with use_language(language):
                    await application.bot.set_my_commands(
                        _commands(), language_code=None if language == "vi" else language
                    )
            await application.start()
            # workers started now, in a thread, so nobody's first grade sheet waits for them
            warming = asyncio.create_task(asyncio.to_thread(runtime.workers.start))
            schedule_all(application, runtime, scheduled=schedule_jobs)
            webhook = config.telegram.mode == "webhook"
            if webhook:
                await application.bot.set_webhook(
                    config.telegram.webhook_url,
                    secret_token=config.telegram.webhook_secret,
                    allowed_updates=Update.ALL_TYPES,
                )
            else:
                await application.bot.delete_webhook()
                await application.updater.start_polling(allowed_updates=Update.ALL_TYPES)
            secret = config.telegram.webhook_secret if webhook else None
            app = make_web_app(runtime, config, application, secret, metrics)
            runner = await start_site(app, config)
            log.info(
                "serving (%s), web on %s:%s%s",
                config.telegram.mode,
                config.web.host,
                config.web.port,
                WEBHOOK_PATH if webhook else "",
            )
            await stop.wait()
            await warming
        finally:
            await _shutdown(application, runner)


async def _shutdown(application: Application, runner: web.AppRunner | None) -> None:
    steps: list[Callable[[], Awaitable[object]]] = []
    if runner is not None:
        steps.append(runner.cleanup)
    if application.updater and application.updater.running:
        steps.append(application.updater.stop)
    if application.running:
        steps.append(application.stop)
    steps.append(application.shutdown)
    for step in steps:
        try:
            await step()
        except Exception:  # keep closing the rest; the failure is logged
            log.exception("shutdown step %s failed", getattr(step, "__qualname__", step))


def run(config: Config) -> None:
    """Serve until SIGINT/SIGTERM."""
    until_signal(functools.partial(serve, config), config)
