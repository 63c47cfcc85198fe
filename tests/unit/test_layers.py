"""The architecture holds: the import contracts of pyproject.toml ([tool.importlinter]), checked
by import-linter over the real import graph (bot -> handlers, jobs -> core; the core never
imports telegram; handlers never import the ORM; the product never imports the demo). On a
failure, the report printed above the assertion names each import that breaks a contract."""

from __future__ import annotations

from pathlib import Path

import pytest
from importlinter import configuration
from importlinter.application import use_cases

ROOT = Path(__file__).resolve().parents[2]


def test_import_contracts_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    configuration.configure()
    monkeypatch.chdir(ROOT)
    kept = use_cases.lint_imports(str(ROOT / "pyproject.toml"), cache_dir=None, no_logo=True)
    assert kept, "an import breaks the architecture: see the import-linter report above"
