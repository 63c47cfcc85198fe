"""What every kind of import provides to the shared pipeline in `core.importing`.

The pipeline reads the file, finds each sheet's header with `fields()`, hands every data row to
`check()`, calls `finish()` for the checks that need all rows, and only when no problem was
found anywhere calls `write()` inside the file's transaction.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

from core.errors import Problem
from core.importing.context import ImportContext
from core.importing.headers import Field, cell_text
from core.importing.rows import Duplicates, RowView
from core.services.upsert import Written


class SheetImport(ABC):
    """One import of one kind; holds the validated entries between `check` and `write`."""

    kind: ClassVar[str]

    def __init__(self, ctx: ImportContext):
        self.ctx = ctx
        self.problems: list[Problem] = []
        self.notes: list[str] = []
        self.duplicates = Duplicates(self.problems)

    def authorize(self) -> None:  # noqa: B027 - an optional hook
        """Refuse early what the actor may never do, before reading any stored data."""

    async def prepare(self) -> None:  # noqa: B027 - an optional hook
        """Load the lookups `check` needs, once."""

    @abstractmethod
    def fields(self) -> tuple[Field, ...]: ...

    def row_name(self, row: RowView) -> str | None:
        """Whom a row is about, named with each of its problems: the name written in it."""
        return cell_text(row.raw("full_name")) or None

    @abstractmethod
    def check(self, row: RowView) -> None:
        """Validate one row, recording problems, and keep its entry when it is valid."""

    async def finish(self) -> None:  # noqa: B027 - an optional hook
        """Checks across all rows or against the database, after every row was read."""

    @abstractmethod
    async def write(self) -> dict[str, Written]:
        """Store the entries through the services; runs inside the file's transaction."""
