"""End-to-end tests talk to the fake Telegram server; fixtures live in tests.telegram_fake."""

from tests.telegram_fake.fixtures import *  # noqa: F403
