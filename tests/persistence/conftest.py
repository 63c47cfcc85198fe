"""Persistence tests use the record database (`db`, both backends) and the fake Telegram."""

from tests.telegram_fake.fixtures import *  # noqa: F403
