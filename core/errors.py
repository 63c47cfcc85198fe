"""Errors the core raises, each carrying a message a non-technical user can act on.

Front ends show `str(error)` as is: the text is already translated (see core.i18n) and says
what went wrong and what to do next.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.i18n import _


class HocbaError(Exception):
    """Base of every expected failure: bad input, missing rights, a locked scope."""


class NotFound(HocbaError):
    """The thing named does not exist (or the actor may not know that it does)."""


class PermissionDenied(HocbaError):
    """The actor's role or assignment does not allow the action."""


class InvalidValue(HocbaError):
    """A single value (a mark, an ID, a date) breaks a rule."""


@dataclass(frozen=True)
class Problem:
    """One error found in an imported file: where it is, what is wrong, what is expected."""

    sheet: str
    row: int | None
    column: str | None
    problem: str
    expected: str
    who: str | None = None  # whom the row is about (a student's name), as the file names them

    def __str__(self) -> str:
        where = [self.sheet]
        if self.row is not None and self.who:
            where.append(_("dòng {row} ({who})").format(row=self.row, who=self.who))
        elif self.row is not None:
            where.append(_("dòng {row}").format(row=self.row))
        if self.column:
            where.append(_("cột «{column}»").format(column=self.column))
        return _("{where}: {problem}. Cần: {expected}.").format(
            where=", ".join(where), problem=self.problem, expected=self.expected
        )


class ImportRejected(HocbaError):
    """A file was refused as a whole; nothing from it was written."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
