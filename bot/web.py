"""The aiohttp server beside the bot: /healthz, /readyz and /metrics for the operator, the
verification portal (web.portal), and the Telegram webhook when enabled. `hocba serve` runs it
with the bot; `hocba web` alone, on the same [web] host and port, for a deployment that serves
the portal without Telegram.

/metrics answers only the bearer of `[web] metrics_token` (none set: it is off): behind a
reverse proxy every caller comes from this machine, so the address would protect nothing.

Telegram signs each webhook call with the secret given to setWebhook (the
X-Telegram-Bot-Api-Secret-Token header); a call without it is refused before it is parsed.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import ipaddress
import logging
import re
import secrets
import signal
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp_remotes import XForwardedFiltered
from telegram import Update
from telegram.ext import Application

from bot.bootstrap import running
from bot.config import Config
from bot.metrics import Metrics
from core import logs
from core.db import connection
from core.runtime import Role, Runtime
from core.services.code_channels import channel_for
from core.services.operations import readiness
from core.services.outbox import Doorbell
from core.services.verification import verify_for
from core.signing.reports import FileReport
from web import lookup, recovery
from web import portal as portal_pages

log = logging.getLogger("hocba.web")
WEBHOOK_PATH = "/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_UPDATE_BYTES = 1 << 20  # an update is a few KB; files are fetched separately
PORTAL_ACTOR = "web:xac-thuc"  # who read a record's status, in the audit log
REQUEST_ID = "X-Request-Id"
# aiohttp's default access line, with the request's reference (written after the handler, so
# outside its context: the response header carries it there)
ACCESS_LOG = '%a %t "%r" %s %b "%{Referer}i" "%{User-Agent}i" ref=%{X-Request-Id}o'
_SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")  # what a log line may carry from a caller


@web.middleware
async def _referenced(request: web.Request, handler) -> web.StreamResponse:
    """Each request's lines logged under its reference (core.logs): the caller's X-Request-Id
    (a reverse proxy's) when it is a sane one, else a new one; given back in the response."""
    given = request.headers.get(REQUEST_ID, "")
    reference = given if _SANE_ID.fullmatch(given) else f"w{secrets.token_hex(5)}"
    with logs.bound(reference):
        response = await handler(request)
    response.headers[REQUEST_ID] = reference
    return response


def _ringing(doorbell: Doorbell):
    """After each request, what it enqueued (a family's request told to the school) leaves at
    once (core.services.outbox.doorbell)."""

    @web.middleware
    async def ring(request: web.Request, handler) -> web.StreamResponse:
        try:
            return await handler(request)
        finally:
            await doorbell.ring()

    return ring


def behind_proxies(proxies: tuple[str, ...]):
    """The client's own address (request.remote) behind the trusted reverse proxies: the
    right-most X-Forwarded-For entry that is not one of them (aiohttp_remotes), believed only
    when the request itself comes from one of them, so a client that reaches the server
    directly cannot pick the address its failures are counted under (core.services.doors)."""
    trusted = [ipaddress.ip_network(proxy, strict=False) for proxy in proxies]
    filtered = XForwardedFiltered(set(trusted))

    @web.middleware
    async def forwarded(request: web.Request, handler) -> web.StreamResponse:
        peer = ipaddress.ip_address(request.remote or "0.0.0.0")
        if any(peer in network for network in trusted):
            return await filtered.middleware(request, handler)
        return await handler(request)

    return forwarded


async def healthz(_request: web.Request) -> web.Response:
    """200 when the database answers, 503 otherwise: what a supervisor or load balancer asks."""
    try:
        await connection().execute_query("SELECT 1")
    except Exception as exc:  # any failure means "not healthy"; the reason is logged
        log.warning("health check: database does not answer: %s", exc)
        return web.json_response({"status": "error", "database": "down"}, status=503)
    return web.json_response({"status": "ok", "database": "ok"})


def _readyz(runtime: Runtime, application: Application | None):
    async def readyz(_request: web.Request) -> web.Response:
        """200 when the database, the worker processes and the scheduler (when this process
        runs one) all answer; 503 naming the part that does not (core.services.operations).
        `leader`: whether this process runs the scheduled rounds (core.leader)."""
        scheduler = None
        if application is not None and application.job_queue is not None:
            scheduler = application.job_queue.scheduler.running
        # only a process that runs the jobs asks for the lead (asking takes it when free)
        leader = runtime.leader if runtime.role.works else None
        found = await readiness(runtime.workers, scheduler, leader)
        answer: dict[str, object] = {"status": "ok" if found.ready else "not ready"}
        answer |= found.checks
        if found.leads is not None:
            answer["leader"] = found.leads
        return web.json_response(answer, status=200 if found.ready else 503)

    return readyz


def _metrics(metrics: Metrics, token: str):
    async def scrape(request: web.Request) -> web.Response:
        if not token:
            return web.Response(status=404, text="/metrics is off: set [web] metrics_token\n")
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return web.Response(status=401, headers={"WWW-Authenticate": "Bearer"})
        return web.Response(body=await metrics.exposition(), content_type="text/plain")

    return scrape


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


async def _verify(runtime: Runtime, data: bytes) -> FileReport:
    return await verify_for(runtime, data, PORTAL_ACTOR)


def make_web_app(
    runtime: Runtime,
    config: Config,
    application: Application | None = None,
    webhook_secret: str | None = None,
    metrics: Metrics | None = None,
    *,
    portal: bool = True,
) -> web.Application:
    """/healthz, /readyz, /metrics (`metrics`: the bot's counters; none: the state figures
    alone); the portal and the families' page unless `portal` is False (the bot and worker
    processes of a split deployment); the webhook when the bot is served by one
    (`application`)."""
    middlewares = [_referenced, _ringing(runtime.doorbell)]
    if config.web.trusted_proxies:
        middlewares.insert(0, behind_proxies(config.web.trusted_proxies))
    # uploads are read in chunks
    app = web.Application(client_max_size=MAX_UPDATE_BYTES, middlewares=middlewares)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", _readyz(runtime, application))
    app.router.add_get("/metrics", _metrics(metrics or Metrics(), config.web.metrics_token))
    if portal:
        _add_portal(app, runtime, config)
    if application is not None and webhook_secret:
        app.router.add_post(WEBHOOK_PATH, _webhook(application, webhook_secret))
    return app


def _add_portal(app: web.Application, runtime: Runtime, config: Config) -> None:
    """The verification portal, the lookup page and the families' page."""
    portal_pages.add_routes(app, functools.partial(_verify, runtime))
    lookup.add_routes(app)
    families = config.families
    channel = channel_for(families.code_channel, families.sms_url, families.sms_token)
    recovery.add_routes(app, recovery.FamilyDoor(channel, runtime.school_id))
    log.info("/lay-lai-hoc-ba: one-time codes go by %s", channel.label())


async def start_site(app: web.Application, config: Config) -> web.AppRunner:
    """Listen on the configured [web] host and port; the runner, to clean up."""
    runner = web.AppRunner(app, access_log_format=ACCESS_LOG)
    await runner.setup()
    await web.TCPSite(runner, config.web.host, config.web.port).start()
    return runner


async def serve_web(config: Config, stop: asyncio.Event) -> None:
    """`hocba web` (`hocba serve --role web`): the portal alone (no Telegram token needed),
    until `stop` is set."""
    async with running(config, Role.WEB) as runtime:
        runner = await start_site(make_web_app(runtime, config), config)
        log.info("web portal on %s:%s%s", config.web.host, config.web.port, portal_pages.PAGE)
        try:
            await stop.wait()
        finally:
            await runner.cleanup()


def until_signal(serve: Callable[[asyncio.Event], Awaitable[None]], config: Config) -> None:
    """Run `serve(stop)` until SIGINT or SIGTERM sets `stop`, with the server's logging
    ([log], core.logs)."""
    logs.configure(config.log.format, config.log.level)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await serve(stop)

    asyncio.run(main())
