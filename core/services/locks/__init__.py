"""Locking the gradebook (khóa sổ): who decides, how it falls, and the check every write passes.

- `scopes`: what a lock covers and how an admin types it;
- `check`: `ensure_writable`, called by every write function of core.services.gradebook, so
  the bot, the spreadsheet import and the command line are all refused the same way;
- `decisions`: the principal's lock and timed opening (at most `MAX_OPENING`);
- `cells`: the correction flow's single cell for one teacher;
- `due`: the calendar's locks as they fall and the relock of ended openings, run by a job;
- `notices`: the audit events and the teachers' notifications of every change;
- `states`: what is locked now, and the bot's lock commands on the current year;
- `fallen`: the calendar's locks as they bind, at their time, before the lock job records them;
- `final`: `ensure_before_final`, the final lock refusing to prepare, sign or revise records.

Every lock binds at its time: a calendar lock whose moment has passed refuses writes whether or
not the lock job has recorded it. Unlocking is only ever temporary. After the
supplementary-results deadline the lock is final: data may not change any more (001, Điều 25,
khoản 4), so no opening is honoured under it, and no record of the year is made, signed or
replaced. Every lock, opening and relock is audited, and the affected teachers are notified
through the outbox, in the same transaction as the change. Every public name is importable from
`core.services.locks` itself.
"""

from core.services.locks.cells import close_cell, open_cell
from core.services.locks.check import ScopeLocked, Touch, ensure_writable
from core.services.locks.decisions import MAX_OPENING, Decision, lock, unlock
from core.services.locks.due import Applied, apply_due_locks
from core.services.locks.fallen import CALENDAR_ACTOR, binding_locks
from core.services.locks.final import ensure_before_final
from core.services.locks.notices import NOTIFY_LOCK, NOTIFY_OPEN, NOTIFY_RELOCK
from core.services.locks.scopes import Scope, parse_scope, scope_key, scope_label
from core.services.locks.states import (
    Decided,
    LockState,
    current_lock_states,
    lock_states,
    lock_typed,
    unlock_typed,
)

__all__ = [
    "CALENDAR_ACTOR",
    "MAX_OPENING",
    "NOTIFY_LOCK",
    "NOTIFY_OPEN",
    "NOTIFY_RELOCK",
    "Applied",
    "Decided",
    "Decision",
    "LockState",
    "Scope",
    "ScopeLocked",
    "Touch",
    "apply_due_locks",
    "binding_locks",
    "close_cell",
    "current_lock_states",
    "ensure_before_final",
    "ensure_writable",
    "lock",
    "lock_states",
    "lock_typed",
    "open_cell",
    "parse_scope",
    "scope_key",
    "scope_label",
    "unlock",
    "unlock_typed",
]
