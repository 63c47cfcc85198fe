"""An AlterField for a change the database keeps only as a comment, such as an enum gaining a
value (a CharEnumField's description lists the members; its column stays the same varchar).

Tortoise's AlterField on SQLite rebuilds the table whatever changed, and the rebuild leaves out
the table's UNIQUE constraints (unique_together) and its indexes. A UNIQUE constraint written in
CREATE TABLE cannot be made again under its name (sqlite_autoindex_<table>_N) afterwards, so a
rebuild there would quietly let duplicate rows in. When only the description changes there is
nothing to rebuild: on SQLite `AlterDescription` moves the migration state and leaves the table
alone; elsewhere it does what AlterField does (on PostgreSQL: the column's comment). It refuses
any other kind of change, which needs a real AlterField and its repairs.

This module is part of the history: a migration already applied somewhere must keep doing what
it did. Never change what it does; write a new operation instead.
"""

from __future__ import annotations

from typing import Any

from tortoise.migrations import operations as ops

# What a column is in the database, besides its comment.
_SHAPE = ("null", "unique", "index", "pk", "source_field", "model_field_name")


class AlterDescription(ops.AlterField):
    """AlterField for a description-only change (see the module docstring)."""

    def describe(self) -> str:
        return f"Alter the description of {self.name} on {self.model_name}"

    async def database_forward(
        self, app_label: str, old_state: Any, new_state: Any, state_editor: Any = None
    ) -> None:
        await self._apply(app_label, old_state, new_state, state_editor, forward=True)

    async def database_backward(
        self, app_label: str, old_state: Any, new_state: Any, state_editor: Any = None
    ) -> None:
        await self._apply(app_label, old_state, new_state, state_editor, forward=False)

    async def _apply(
        self, app_label: str, old_state: Any, new_state: Any, state_editor: Any, *, forward: bool
    ) -> None:
        if state_editor is None:
            return
        label = f"{app_label}.{self.model_name}"
        old = old_state.apps.get_model(label)._meta.fields_map[self.name]
        new = new_state.apps.get_model(label)._meta.fields_map[self.name]
        dialect = state_editor.DIALECT
        same = all(getattr(old, a, None) == getattr(new, a, None) for a in _SHAPE) and (
            old.get_for_dialect(dialect, "SQL_TYPE") == new.get_for_dialect(dialect, "SQL_TYPE")
        )
        if not same:
            raise ValueError(f"{label}.{self.name}: more than the description changes")
        if dialect == "sqlite":
            return  # SQLite keeps no column comment: nothing in the database changes
        step = super().database_forward if forward else super().database_backward
        await step(app_label, old_state, new_state, state_editor)
