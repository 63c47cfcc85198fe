"""What each step of the request form shows (core.services.corrections.form returns them).

Plain data for a front end to draw: the choices carry their labels and button data (built with
core.buttons), values are already shown as people read them, and every step carries the draft
to keep and its `stage`, where the conversation goes next.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any, ClassVar

from core.buttons import Choice


class Stage(IntEnum):
    """Where the conversation is after a step (the numbers are the persisted states)."""

    DONE = -1
    CLASS = 0
    STUDENT = 1
    SUBJECT = 2
    TERM = 3
    COLUMN = 4
    VALUE = 5
    MORE = 6
    REASON = 7
    EVIDENCE = 8
    CONFIRM = 9


# ---------------------------------------------------------------------------------------------
# What the steps show


@dataclass(frozen=True, kw_only=True)
class Step:
    """What every step returns: the draft to keep for the next one (None: forget it)."""

    stage: ClassVar[Stage]
    draft: dict[str, Any] | None


@dataclass(frozen=True, kw_only=True)
class ClassChoices(Step):
    stage = Stage.CLASS
    choices: tuple[Choice, ...]


@dataclass(frozen=True, kw_only=True)
class StudentAsked(Step):
    """The class is chosen: the teacher types part of a name."""

    stage = Stage.STUDENT
    klass: str


@dataclass(frozen=True, kw_only=True)
class StudentChoices(Step):
    """The students whose name contains what was typed: `found` of them, the first few as
    `choices` (none found: no choices)."""

    stage = Stage.STUDENT
    choices: tuple[Choice, ...]
    found: int
    typed: str


@dataclass(frozen=True, kw_only=True)
class SubjectChoices(Step):
    stage = Stage.SUBJECT
    choices: tuple[Choice, ...]


@dataclass(frozen=True, kw_only=True)
class TermChoices(Step):
    stage = Stage.TERM
    choices: tuple[Choice, ...]


@dataclass(frozen=True, kw_only=True)
class TooLate(Step):
    """The term's cut-off has passed: why, and the button to ask the principal."""

    stage = Stage.TERM
    refusal: str
    choices: tuple[Choice, ...]


@dataclass(frozen=True, kw_only=True)
class ColumnChoices(Step):
    """The columns not yet in the request, each labelled with its current value."""

    stage = Stage.COLUMN
    choices: tuple[Choice, ...]


@dataclass(frozen=True, kw_only=True)
class ValueAsked(Step):
    """The column chosen: its current value, and (a homeroom cell) what may be typed."""

    stage = Stage.VALUE
    column: str
    current: str
    hint: str = ""


@dataclass(frozen=True, kw_only=True)
class ValueTaken(Step):
    stage = Stage.MORE
    column: str
    value: str
    choices: tuple[Choice, ...]


@dataclass(frozen=True, kw_only=True)
class ReasonAsked(Step):
    stage = Stage.REASON


@dataclass(frozen=True, kw_only=True)
class EvidenceAsked(Step):
    stage = Stage.EVIDENCE
    max_files: int
    choices: tuple[Choice, ...]


@dataclass(frozen=True, kw_only=True)
class FileTaken(Step):
    """A file offered: accepted (`count` of `max_files`), or refused (`refusal`; empty when
    this album was already told)."""

    stage = Stage.EVIDENCE
    accepted: bool
    refusal: str
    count: int
    max_files: int
    choices: tuple[Choice, ...]


@dataclass(frozen=True)
class ChangeLine:
    column: str
    old: str
    new: str


@dataclass(frozen=True, kw_only=True)
class Summary(Step):
    """Everything the request will say, to confirm before it is sent (`subject` None: the
    homeroom teacher's data)."""

    stage = Stage.CONFIRM
    student: str
    klass: str
    subject: str | None
    term: str
    changes: tuple[ChangeLine, ...]
    reason: str
    files: int
    choices: tuple[Choice, ...]


@dataclass(frozen=True, kw_only=True)
class LateAsked(Step):
    stage = Stage.DONE


@dataclass(frozen=True, kw_only=True)
class Submitted(Step):
    stage = Stage.DONE
    number: str
    state: str
