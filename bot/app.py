"""Building and running the python-telegram-bot Application from the configuration.

The database is opened in `post_init` and closed in `post_shutdown`, inside PTB's own event
loop, so the record core and the bot share one loop and one connection pool.
"""

from __future__ import annotations

from telegram import BotCommand
from telegram.constants import ParseMode
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, Defaults

from bot.config import Config
from core.db import close_database, open_database
from core.i18n import _
from handlers import start


def build_application(config: Config) -> Application:
    builder = (
        ApplicationBuilder()
        .token(config.require_token())
        .defaults(Defaults(parse_mode=ParseMode.HTML))
        .rate_limiter(AIORateLimiter())
    )
    if config.telegram.base_url:
        builder = builder.base_url(config.telegram.base_url)
    if config.telegram.base_file_url:
        builder = builder.base_file_url(config.telegram.base_file_url)

    async def post_init(application: Application) -> None:
        await open_database(config.database.url)
        await application.bot.set_my_commands(
            [BotCommand("start", _("Bắt đầu")), BotCommand("help", _("Hướng dẫn"))]
        )

    async def post_shutdown(_application: Application) -> None:
        await close_database()

    application = builder.post_init(post_init).post_shutdown(post_shutdown).build()
    start.register(application)
    return application


def run(config: Config) -> None:
    """Serve until SIGINT/SIGTERM: long polling by default, or a webhook when configured."""
    application = build_application(config)
    if config.telegram.mode == "webhook":
        application.run_webhook(
            listen=config.web.host,
            port=config.web.port,
            url_path="telegram",
            webhook_url=config.telegram.webhook_url,
            secret_token=config.telegram.webhook_secret,
        )
    else:
        application.run_polling()
