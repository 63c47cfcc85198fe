"""Numbers and dates as the reader's locale writes them (Vietnamese: 7,3 and 28/11/2025)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_decimal

from core.i18n import current_locale


def score(value: Decimal) -> str:
    """A mark or an average with its one decimal: 7,0 rather than 7."""
    return format_decimal(value, format="0.0", locale=current_locale())


def date(value: dt.date, fmt: str = "short") -> str:
    return format_date(value, format=fmt, locale=current_locale())
