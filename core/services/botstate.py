"""A small key/value store of JSON values, for what the bot remembers between restarts.

Entries live in the `bot_state` table under a namespace and a key. Values must be JSON in the
strict sense checked by `dump`: dicts with str keys, lists, str, int, float (finite), bool and
None. Anything else is refused with a TypeError that names where it sits, because `json` would
otherwise store it changed without a word (a tuple comes back a list, an int dict key comes back
a str) or not at all (an object), and a bot that forgets quietly is worse than one that says so.
int and str subclasses (IntEnum, StrEnum) are accepted: they come back as the plain int or str
they are equal to. On PostgreSQL the value is JSONB, which does not keep the order of dict keys.

The store opens nothing: the caller opens the record database first (`core.db.open_database`).
"""

from __future__ import annotations

import json
import math
from typing import Any

from tortoise.exceptions import ConfigurationError

from core import clock
from core.db import connection
from core.models import BotState

NAMESPACE_MAX = 120
KEY_MAX = 255

_SCALARS = (str, int, float, bool, type(None))
_ALLOWED = "dicts with str keys, lists, str, int, float, bool and None"


def is_open() -> bool:
    """Whether the record database is open now (opened and not closed since), so a caller that
    must not open it itself can fail early with a message saying who should have."""
    try:
        connection()
    except (ConfigurationError, RuntimeError):  # never configured / configuration dropped
        return False
    return True


def check_json(value: Any, where: str) -> None:
    """Raise TypeError naming the first place (`where` plus the path inside) that is not JSON."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(
                    f"{where} has the key {key!r} ({type(key).__name__}); JSON keys are str, "
                    f"so it would come back as {str(key)!r}. Stored data may only hold {_ALLOWED}."
                )
            check_json(item, f"{where}[{key!r}]")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_json(item, f"{where}[{index}]")
    elif not isinstance(value, _SCALARS):
        raise TypeError(
            f"{where} is of type {type(value).__name__}, which is not JSON. "
            f"Stored data may only hold {_ALLOWED}."
        )
    elif isinstance(value, float) and not math.isfinite(value):
        raise TypeError(f"{where} is {value!r}, which JSON cannot hold.")


def dump(value: Any, where: str) -> str:
    """`value` checked by `check_json` and written as canonical JSON text (sorted keys), so two
    equal values always give the same text and a caller can tell cheaply whether one changed."""
    check_json(value, where)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _check_address(namespace: str, key: str) -> None:
    if not namespace or len(namespace) > NAMESPACE_MAX:
        raise ValueError(f"namespace must have 1 to {NAMESPACE_MAX} characters: {namespace!r}")
    if len(key) > KEY_MAX:
        raise ValueError(f"key must have at most {KEY_MAX} characters: {key[:40]!r}…")


async def get(namespace: str, key: str, default: Any = None) -> Any:
    """The value stored under (namespace, key), or `default` when there is none."""
    rows = await BotState.filter(namespace=namespace, key=key).values_list("value", flat=True)
    return rows[0] if rows else default


async def entries(namespace: str) -> dict[str, Any]:
    """Every key of a namespace with its value, in one query."""
    rows = await BotState.filter(namespace=namespace).values_list("key", "value")
    return dict(rows)


async def put(namespace: str, key: str, value: Any) -> None:
    """Store `value` under (namespace, key), replacing what was there.

    An UPDATE first, an INSERT only for a new key: the common case (a known user's data
    changed) is one statement. Writers of one key are not concurrent (one bot process per
    database, and PTB writes each key at most once per persistence run).
    """
    _check_address(namespace, key)
    # Encoded here, not by the JSONField: it takes any str as JSON text already, so the state
    # "ASK_CLASS" would be refused and the str "123" would come back as the number 123. The
    # text is set as an attribute, since the model's constructor would decode it again.
    text = dump(value, f"{namespace}[{key!r}]")
    now = clock.now()
    updated = await BotState.filter(namespace=namespace, key=key).update(value=text, updated_at=now)
    if not updated:
        entry = BotState(namespace=namespace, key=key, updated_at=now)
        entry.value = text
        await entry.save()


async def delete(namespace: str, key: str) -> bool:
    """Forget (namespace, key); whether there was anything to forget."""
    return bool(await BotState.filter(namespace=namespace, key=key).delete())
