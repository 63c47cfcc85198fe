"""Handlers only adapt: no button format written by hand, no text parsed with regexes.

Checked on the source (AST) of every module under handlers/: button data is built and read
through core.buttons, so a format is written once (the ORM half of the rule is an import
contract, tests/unit/test_layers.py).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

HANDLERS = Path(__file__).resolve().parents[2] / "handlers"
MODULES = sorted(str(p.relative_to(HANDLERS)) for p in HANDLERS.rglob("*.py"))


def _imports(tree: ast.AST) -> list[str]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


@pytest.mark.parametrize("module", MODULES)
def test_no_button_formats(module: str) -> None:
    tree = ast.parse((HANDLERS / module).read_text())
    assert "re" not in _imports(tree), f"handlers/{module} parses text with regexes"
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg in ("pattern", "callback_data"):
            assert not isinstance(node.value, ast.Constant | ast.JoinedStr), (
                f"handlers/{module}:{node.lineno} writes button data itself; "
                "build and read it with core.buttons"
            )
