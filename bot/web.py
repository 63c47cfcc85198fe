"""The small aiohttp server beside the bot: /healthz always, the Telegram webhook when enabled.

Telegram signs each webhook call with the secret given to setWebhook (the
X-Telegram-Bot-Api-Secret-Token header); a call without it is refused before it is parsed.
"""

from __future__ import annotations

import hmac
import logging

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from core.db import connection

log = logging.getLogger("hocba.web")
WEBHOOK_PATH = "/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_UPDATE_BYTES = 1 << 20  # an update is a few KB; files are fetched separately


async def healthz(_request: web.Request) -> web.Response:
    """200 when the database answers, 503 otherwise: what a supervisor or load balancer asks."""
    try:
        await connection().execute_query("SELECT 1")
    except Exception as exc:  # any failure means "not healthy"; the reason is logged
        log.warning("health check: database does not answer: %s", exc)
        return web.json_response({"status": "error", "database": "down"}, status=503)
    return web.json_response({"status": "ok", "database": "ok"})


def _webhook(application: Application, secret: str):
    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return web.Response(status=403)
        if (request.content_length or 0) > MAX_UPDATE_BYTES:
            return web.Response(status=413)
        try:
            update = Update.de_json(await request.json(), application.bot)
        except ValueError:
            return web.Response(status=400)
        await application.update_queue.put(update)
        return web.Response()

    return receive


def make_web_app(application: Application, webhook_secret: str | None) -> web.Application:
    app = web.Application(client_max_size=MAX_UPDATE_BYTES)
    app.router.add_get("/healthz", healthz)
    if webhook_secret:
        app.router.add_post(WEBHOOK_PATH, _webhook(application, webhook_secret))
    return app
