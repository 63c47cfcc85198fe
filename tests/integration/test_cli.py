"""The `hocba` command line end to end, on a SQLite file, as an administrator would use it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.cli import main


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty directory as the current one, with no configuration file and no token."""
    monkeypatch.chdir(tmp_path)
    for name in ("HOCBA_CONFIG", "HOCBA_TELEGRAM_TOKEN", "HOCBA_DATABASE_URL", "HOCBA_SCHOOL_CODE"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_demo_results_and_audit(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    assert "Trường THCS Đại An" in capsys.readouterr().out
    assert (workdir / "var" / "hocba.sqlite3").exists()

    assert main(["demo"]) == 0  # a second run creates nothing
    assert "đã có sẵn" in capsys.readouterr().out

    assert main(["results", "6A"]) == 0
    table = capsys.readouterr().out
    assert "lớp 6A" in table and "Học tập" in table and "Được lên lớp" in table
    assert table.count("\n") > 40  # 40 students, one line each
    assert "Đủ dữ liệu cho tất cả học sinh." in table

    assert main(["--school", "TH-DEMO", "results", "5a"]) == 0
    assert "Tiểu học An Hồng" in capsys.readouterr().out

    assert main(["results", "6Z"]) == 1
    assert "Không có lớp 6Z" in capsys.readouterr().err

    assert main(["audit", "verify"]) == 0
    out = capsys.readouterr().out
    assert "nguyên vẹn" in out
    head = out.split("mã băm ")[1].split(".")[0]
    assert main(["audit", "verify", "--expect-head", head]) == 0
    capsys.readouterr()

    db = sqlite3.connect(workdir / "var" / "hocba.sqlite3")
    db.executescript(
        "DROP TRIGGER audit_event_no_update;"
        "UPDATE audit_event SET actor = 'staff:999' WHERE seq = 10;"
    )
    db.close()
    assert main(["audit", "verify"]) == 1
    assert "Sự kiện số 10 đã bị sửa" in capsys.readouterr().out


def test_serve_without_token_explains_botfather(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve"]) == 2
    assert "@BotFather" in capsys.readouterr().err


def test_bad_configuration_is_one_line_per_problem(
    workdir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOCBA_WEB_PORT", "abc")
    monkeypatch.setenv("HOCBA_TELEGRAM_MODE", "carrier-pigeon")
    assert main(["demo"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and any("HOCBA_WEB_PORT" in line for line in err)


def test_init_creates_a_school(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "--year",
                "2025-2026",
                "init",
                "--code",
                "TH01",
                "--name",
                "Trường TH Một",
                "--level",
                "primary",
            ]
        )
        == 0
    )
    assert "Đã tạo trường Trường TH Một (TH01), năm học 2025-2026." in capsys.readouterr().out


def test_staff_invite_prints_a_one_time_code(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo"]) == 0
    capsys.readouterr()
    assert main(["--school", "THCS-DEMO", "staff", "invite", "GV010"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Mã mời cho ") and "(GV010)" in lines[0]
    assert lines[1].startswith("/start ") and len(lines[1]) > 20  # no token: no deep link
    assert main(["--school", "THCS-DEMO", "staff", "invite", "Không Có Ai"]) == 1
    assert "Không tìm thấy cán bộ" in capsys.readouterr().err


def test_correction_routing(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    capsys.readouterr()
    args = ["--school", "THCS-DEMO", "corrections", "routing"]
    assert main([*args, "direct", "--minutes", "45"]) == 0
    assert "thẳng tới Hiệu trưởng" in capsys.readouterr().out
    assert main([*args, "board"]) == 0
    assert "qua ban quản trị; ô điểm được duyệt mở 45 phút" in capsys.readouterr().out
    assert main([*args, "board", "--minutes", "500"]) == 1
    assert "từ 5 đến 240 phút" in capsys.readouterr().err
