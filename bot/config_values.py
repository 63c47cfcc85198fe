"""How one value of config.toml or of a HOCBA_ variable is read, by the type its key declares.

bot.config walks the sections and keys; each parser here takes one value (already converted
from the environment's text where needed) and returns it typed, or raises `Invalid` with what is
needed instead, in Vietnamese, which bot.config reports beside the key's name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import Field
from datetime import datetime, time
from pathlib import Path
from types import MappingProxyType

_HH_MM = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
_MOMENT_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M")
_FLAGS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


class Invalid(ValueError):
    """A value of the wrong shape; the message says what is needed instead."""


def _text(value: object, f: Field) -> str:
    if isinstance(value, str):
        return value
    raise Invalid("cần một chuỗi trong dấu nháy kép")


def _integer(value: object, f: Field) -> int:
    low, high = f.metadata["between"]
    if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
        return value
    raise Invalid(f"cần một số nguyên từ {low} đến {high}")


def _path(value: object, f: Field) -> Path:
    return Path(_text(value, f))


def _paths(value: object, f: Field) -> tuple[Path, ...]:
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(Path(item) for item in value)
    raise Invalid('cần một danh sách đường dẫn, ví dụ ["certs/root-ca.pem"]')


def _texts(value: object, f: Field) -> tuple[str, ...]:
    """A list of texts; empty only where the field's metadata says `may_be_empty`."""
    empty = f.metadata.get("may_be_empty", False)
    if (
        isinstance(value, list)
        and (value or empty)
        and all(isinstance(i, str) and i.strip() for i in value)
    ):
        return tuple(item.strip() for item in value)
    example = f.metadata.get("example", '["var/backups", "s3://hocba/truong"]')
    kind = "một danh sách" if empty else "một danh sách không rỗng"
    raise Invalid(f"cần {kind}, ví dụ {example}")


def _flag(value: object, f: Field) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _FLAGS:
        return _FLAGS[value.strip().lower()]
    raise Invalid("cần true hoặc false")


def _clock(value: object, f: Field) -> time:
    if isinstance(value, time):  # a TOML local time: quiet_start = 21:00:00
        return value
    if isinstance(value, str) and (match := _HH_MM.fullmatch(value)):
        return time(int(match[1]), int(match[2]))
    raise Invalid('cần giờ dạng "HH:MM", ví dụ "21:00"')


def _moment(value: object, f: Field) -> datetime | None:
    """A TOML date-time (2026-05-20T08:00:00) or a string "2026-05-20 08:00" (also
    "20/05/2026 08:00"); "" = none. Without an offset it is the school's wall clock."""
    if isinstance(value, datetime):
        return value
    if value == "":
        return None
    if isinstance(value, str):
        for fmt in _MOMENT_FORMATS:
            try:
                return datetime.strptime(value.strip(), fmt)
            except ValueError:
                continue
    raise Invalid(
        'cần ngày giờ theo giờ của trường, dạng "2026-05-20 08:00" (hoặc "20/05/2026 08:00"); '
        '"" để dùng giờ thật'
    )


def _table(value: object, f: Field) -> Mapping[str, str]:
    if isinstance(value, dict):
        return MappingProxyType(dict(value))
    raise Invalid(f'cần một bảng [signing.{f.name}] dạng "mã cán bộ" = "cách ký"')


PARSERS: dict[object, Callable[[object, Field], object]] = {
    str: _text,
    int: _integer,
    bool: _flag,
    Path: _path,
    tuple[Path, ...]: _paths,
    tuple[str, ...]: _texts,
    time: _clock,
    datetime | None: _moment,
    Mapping[str, str]: _table,
}
