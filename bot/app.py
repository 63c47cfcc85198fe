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
from bot.web import WEBHOOK_PATH, make_web_app, serve_web, start_site, until_signal
from core.i18n import _, use_language
from core.runtime import Role, Runtime
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
    """The PTB application of a process in `runtime.role`: call it after the database is open
    (`bot.bootstrap.running`), because PTB reads the persisted conversations in
    `initialize()`. `metrics` counts and times the updates handled (bot.metrics).

    A worker's application takes no updates: it has the bot (to send) and the JobQueue, no
    handlers and no persistence, so it never writes conversations the bot process owns."""
    builder = (
        ApplicationBuilder()
        .bot(_bot(config, runtime))
        .application_class(BotApplication)
        .context_types(CONTEXT_TYPES)
    )
    if runtime.role.takes_updates:
        builder = builder.persistence(
            # bot_data is not used: the runtime carries this process's settings
            DatabasePersistence(store_data=PersistenceInput(bot_data=False))
        ).concurrent_updates(PerUserUpdateProcessor(metrics=metrics, doorbell=runtime.doorbell))
    application = builder.build()
    attach(application, runtime)
    if runtime.role.takes_updates:
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


async def serve(
    config: Config, stop: asyncio.Event, *, role: Role = Role.ALL, schedule_jobs: bool = True
) -> None:
    """Run until `stop` is set, doing what `role` does (core.runtime.Role); the portal alone
    (WEB) is bot.web.serve_web. Every role listens on [web] port for /healthz, /readyz and
    /metrics; the bot role (and ALL) takes the webhook there, ALL serves the portal too.
    Tests that drive the reminder and lock rounds themselves, on a chosen clock, pass
    `schedule_jobs=False` (the outbox delivery job always runs)."""
    async with running(config, role) as runtime:
        metrics = Metrics()
        application = build_application(config, runtime, metrics)
        runner: web.AppRunner | None = None
        try:
            await application.initialize()
            if role.takes_updates:
                await _set_commands(application)
            await application.start()
            # workers started now, in a thread, so nobody's first grade sheet waits for them
            warming = asyncio.create_task(asyncio.to_thread(runtime.workers.start))
            if role.works:
                schedule_all(application, runtime, scheduled=schedule_jobs)
                await runtime.doorbell.listen()  # the other processes' rings
            secret = await _take_updates(application, config) if role.takes_updates else None
            app = make_web_app(
                runtime, config, application, secret, metrics, portal=role is Role.ALL
            )
            runner = await start_site(app, config)
            log.info(
                "serving as %s (%s), web on %s:%s%s",
                role.value,
                config.telegram.mode,
                config.web.host,
                config.web.port,
                WEBHOOK_PATH if secret else "",
            )
            await stop.wait()
            await warming
        finally:
            await _shutdown(application, runner)


async def _set_commands(application: Application) -> None:
    """The bot's command menu, in each language it speaks."""
    for language in ("vi", "en"):
        with use_language(language):
            await application.bot.set_my_commands(
                _commands(), language_code=None if language == "vi" else language
            )


async def _take_updates(application: Application, config: Config) -> str | None:
    """Start taking Telegram's updates: the webhook (its secret returned, for the route) or
    polling (None)."""
    if config.telegram.mode == "webhook":
        await application.bot.set_webhook(
            config.telegram.webhook_url,
            secret_token=config.telegram.webhook_secret,
            allowed_updates=Update.ALL_TYPES,
        )
        return config.telegram.webhook_secret
    await application.bot.delete_webhook()
    await application.updater.start_polling(allowed_updates=Update.ALL_TYPES)
    return None


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


def run(config: Config, role: Role = Role.ALL) -> None:
    """Serve in `role` until SIGINT/SIGTERM."""
    if role is Role.WEB:
        until_signal(functools.partial(serve_web, config), config)
        return
    until_signal(functools.partial(serve, config, role=role), config)
