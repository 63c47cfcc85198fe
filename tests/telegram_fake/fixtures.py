"""Pytest fixtures and helpers for driving a real PTB Application against the fake server.

Import into a conftest with ``from tests.telegram_fake.fixtures import *``.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from telegram.ext import Application, ApplicationBuilder

from tests.telegram_fake.server import DEFAULT_TOKEN, FakeTelegramServer

__all__ = [
    "TOKEN",
    "application_builder",
    "free_port",
    "running_polling",
    "running_webhook",
    "telegram_app_builder",
    "telegram_server",
]

TOKEN = DEFAULT_TOKEN


def free_port() -> int:
    """A currently free loopback TCP port (for the bot's own webhook listener)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def application_builder(server: FakeTelegramServer) -> ApplicationBuilder:
    """An ApplicationBuilder already pointed at ``server``; add handlers/options and build()."""
    return (
        ApplicationBuilder()
        .token(server.token)
        .base_url(server.base_url)
        .base_file_url(server.base_file_url)
    )


@contextlib.asynccontextmanager
async def running_polling(
    app: Application, *, timeout: int = 1, **polling_kwargs: Any
) -> AsyncIterator[Application]:
    """initialize → start → start_polling; always stops and shuts down on exit."""
    await app.initialize()
    try:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=timeout, **polling_kwargs)
        yield app
    finally:
        await _stop(app)


@contextlib.asynccontextmanager
async def running_webhook(
    app: Application,
    *,
    secret_token: str | None = None,
    url_path: str = "telegram",
    **webhook_kwargs: Any,
) -> AsyncIterator[Application]:
    """Run the PTB webhook server on a free loopback port; the fake server POSTs to it."""
    port = free_port()
    await app.initialize()
    try:
        await app.start()
        await app.updater.start_webhook(
            listen="127.0.0.1",
            port=port,
            url_path=url_path,
            webhook_url=f"http://127.0.0.1:{port}/{url_path}",
            secret_token=secret_token,
            **webhook_kwargs,
        )
        yield app
    finally:
        await _stop(app)


async def _stop(app: Application) -> None:
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    await app.shutdown()


@pytest_asyncio.fixture
async def telegram_server() -> AsyncIterator[FakeTelegramServer]:
    """A fresh fake Bot API on 127.0.0.1:<free port>, stopped after the test."""
    server = FakeTelegramServer(TOKEN)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
def telegram_app_builder(telegram_server: FakeTelegramServer) -> ApplicationBuilder:
    """ApplicationBuilder for the ``telegram_server`` fixture (token and URLs set)."""
    return application_builder(telegram_server)
