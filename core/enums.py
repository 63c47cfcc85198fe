"""The record core's vocabulary for front ends: roles, mark columns, states, signing roles.

Front ends (the bot's handlers, the web pages) name these values without touching the ORM, so
they import them from here rather than from `core.models`, which front ends never import.
"""

from core.models.corrections import RequestState, WitnessRole
from core.models.grades import MarkKind
from core.models.locks import LockScope
from core.models.people import Role
from core.models.records import BatchState, RecordState, SignatureRole

__all__ = [
    "BatchState",
    "LockScope",
    "MarkKind",
    "RecordState",
    "RequestState",
    "Role",
    "SignatureRole",
    "WitnessRole",
]
