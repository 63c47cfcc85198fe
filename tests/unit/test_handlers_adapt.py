"""Handlers only adapt: no ORM in them, enums from core.enums, buttons from core.buttons.

Checked on the source (AST), for the handler modules that have been moved onto the core's
front-end services; the correction and signing flows join the list when they are.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

HANDLERS = Path(__file__).resolve().parents[2] / "handlers"
ADAPTED = (
    "calendar",
    "common",
    "errors",
    "fallback",
    "gradesheet",
    "invite",
    "language",
    "locks",
    "markentry",
    "menu",
    "progress",
    "reminders",
    "signin",
)
FORBIDDEN = ("core.models", "tortoise")


def _imports(tree: ast.AST) -> list[str]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


@pytest.mark.parametrize("module", ADAPTED)
def test_no_orm_and_no_button_formats(module: str) -> None:
    tree = ast.parse((HANDLERS / f"{module}.py").read_text())
    for name in _imports(tree):
        assert not name.startswith(FORBIDDEN), f"handlers/{module}.py imports {name}"
    assert "re" not in _imports(tree), f"handlers/{module}.py parses text with regexes"
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg in ("pattern", "callback_data"):
            assert not isinstance(node.value, ast.Constant | ast.JoinedStr), (
                f"handlers/{module}.py:{node.lineno} writes button data itself; "
                "build and read it with core.buttons"
            )
