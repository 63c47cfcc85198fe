"""Log lines that say which request they belong to (issue 16, part 4).

Everything the bot does for one Telegram update, and the web server for one HTTP request, is
logged under that request's reference: `u<update id>` for an update, the caller's X-Request-Id
(or a new `w…`) for a web request, so an operator can pull every line of one person's failed
action out of the log, whatever else ran at the same time. The reference lives in a context
variable: asyncio gives each task a copy, so work started for a request (a signing batch run in
the background) keeps its reference, and concurrent requests never mix theirs.

Lines are plain text by default, or one JSON object per line (`[log] format = "json"`) for a
log collector: time (UTC), level, logger, reference, message and, on an error, the traceback.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
from collections.abc import Iterator
from contextvars import ContextVar

NONE = "-"  # the reference of what runs outside any request (start-up, scheduled jobs)
FORMATS = ("text", "json")
TEXT = "%(asctime)s %(levelname)s %(name)s [%(reference)s] %(message)s"
_reference: ContextVar[str] = ContextVar("hocba_log_reference", default=NONE)


@contextlib.contextmanager
def bound(reference: str) -> Iterator[None]:
    """Log what runs inside the block (and in the tasks it starts) under `reference`."""
    token = _reference.set(reference)
    try:
        yield
    finally:
        _reference.reset(token)


def current() -> str:
    """The reference lines are logged under now."""
    return _reference.get()


class _Reference(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.reference = _reference.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "reference": getattr(record, "reference", NONE),
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def handler(form: str = "text") -> logging.Handler:
    """A handler to stderr that writes each line with its reference, as text or JSON."""
    out = logging.StreamHandler()
    out.addFilter(_Reference())
    out.setFormatter(JsonFormatter() if form == "json" else logging.Formatter(TEXT))
    return out


def configure(form: str = "text", level: str = "INFO") -> None:
    """The server's logging: every line with its reference, at `level` and above; the ORM's
    start and stop notes are noise, and before a start that cannot work (the database
    unreachable) they would stand above the one line that says why."""
    logging.basicConfig(level=level, handlers=[handler(form)], force=True)
    logging.getLogger("tortoise").setLevel(logging.WARNING)
