"""Translation of user-facing text for the core and every front end.

Source strings are written in Vietnamese, the product's default language, so a missing or
uncompiled catalog still shows Vietnamese to the user; `locales/en` translates them.
The current language lives in a context variable: a front end sets it per update
(`use_language`), and the core formats its messages with `_()` at the moment it raises or
replies, so one message is built once, in the reader's language.
"""

from __future__ import annotations

import gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel import Locale

DEFAULT_LANGUAGE = "vi"
LANGUAGES = ("vi", "en")
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"

_language: ContextVar[str] = ContextVar("hocba_language", default=DEFAULT_LANGUAGE)


@cache
def _catalog(language: str) -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[language], fallback=True)


def current_language() -> str:
    return _language.get()


def current_locale() -> Locale:
    return Locale.parse(current_language())


def activate(language: str | None) -> None:
    """Make `language` the reader's language for the rest of the current task (one update)."""
    _language.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)


@contextmanager
def use_language(language: str | None) -> Iterator[None]:
    """Run a block with `language` as the reader's language (unknown codes fall back to vi)."""
    token = _language.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)
    try:
        yield
    finally:
        _language.reset(token)


def _(message: str) -> str:
    """Translate `message` into the current language."""
    return _catalog(current_language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _catalog(current_language()).ngettext(singular, plural, n)
