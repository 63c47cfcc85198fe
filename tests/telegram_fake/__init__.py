"""Fake Telegram Bot API server + fake users for end-to-end tests of the bot."""

from tests.telegram_fake.fixtures import (
    TOKEN,
    application_builder,
    free_port,
    running_polling,
    running_webhook,
)
from tests.telegram_fake.server import (
    ApiError,
    Call,
    FakeTelegramServer,
    StoredFile,
    StoredMessage,
    WebhookConfig,
    WebhookDelivery,
    format_text,
)
from tests.telegram_fake.user import BotMessage, CallbackPress, FakeFile, FakeUser

__all__ = [
    "TOKEN",
    "ApiError",
    "BotMessage",
    "Call",
    "CallbackPress",
    "FakeFile",
    "FakeTelegramServer",
    "FakeUser",
    "StoredFile",
    "StoredMessage",
    "WebhookConfig",
    "WebhookDelivery",
    "application_builder",
    "format_text",
    "free_port",
    "running_polling",
    "running_webhook",
]
