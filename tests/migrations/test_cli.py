"""`hocba migrate` and `hocba init` through `bot.cli.main`, on a SQLite file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.cli import main

from .rows import NAMES


@pytest.fixture
def database_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the configured database will be; nothing is there yet."""
    monkeypatch.chdir(tmp_path)
    for name in ("HOCBA_CONFIG", "HOCBA_TELEGRAM_TOKEN", "HOCBA_SCHOOL_CODE"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "var" / "hocba.sqlite3"
    monkeypatch.setenv("HOCBA_DATABASE_URL", f"sqlite://{path}")
    return path


def _query(path: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


def _tables(path: Path) -> set[str]:
    return {name for (name,) in _query(path, "SELECT name FROM sqlite_master WHERE type='table'")}


UP_TO_DATE = "đã ở phiên bản mới nhất"


def test_migrate_shows_the_plan_applies_it_then_has_nothing_to_do(
    database_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["migrate", "--plan"]) == 0
    out = capsys.readouterr().out
    assert f"Sẽ áp dụng {len(NAMES)} bước nâng cấp (chưa thay đổi gì):" in out
    assert all(f"• {name}" in out for name in NAMES)
    assert _tables(database_file) == set()  # only planned

    assert main(["migrate"]) == 0
    out = capsys.readouterr().out
    assert f"Đã nâng cấp cơ sở dữ liệu, {len(NAMES)} bước:" in out
    assert [line.strip() for line in out.splitlines()[1:]] == [f"✓ {name}" for name in NAMES]
    assert {"school", "mark", "audit_event"} <= _tables(database_file)
    recorded = _query(database_file, "SELECT name FROM tortoise_migrations ORDER BY id")
    assert [name for (name,) in recorded] == NAMES

    for again in (["migrate"], ["migrate", "--plan"]):
        assert main(again) == 0
        assert UP_TO_DATE in capsys.readouterr().out
    assert len(_query(database_file, "SELECT name FROM tortoise_migrations")) == len(NAMES)


def test_init_migrates_then_creates_the_school(
    database_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", "--code", "THCS-X"]) == 1  # refused before the database is touched
    assert "cần cả --code, --name và --level" in capsys.readouterr().err
    assert not database_file.exists()

    argv = ["init", "--code", "THCS-X", "--name", "Trường THCS X", "--level", "lower_secondary"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert all(f"✓ {name}" in out for name in NAMES)
    assert "Đã tạo trường Trường THCS X (THCS-X)" in out
    assert "Cơ sở dữ liệu sẵn sàng" in out
    assert _query(database_file, "SELECT code, name FROM school") == [("THCS-X", "Trường THCS X")]

    assert main(["init"]) == 0
    assert UP_TO_DATE in capsys.readouterr().out
