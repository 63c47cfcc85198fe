"""What tests/e2e/test_school_from_files.py needs to play a school that starts from its own files:
the sample files of docs/samples, the `hocba` command line as the admin types it, a test PKI whose
certificates are valid at the rehearsed dates, the sheets and tables read the way a person reads
them, and the steps a person takes in the bot."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import datetime as dt
import io
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from openpyxl import load_workbook

from bot.cli import main
from core.services.homeroom_sheet import SHEET_TITLE
from demo.pki import CA_FILE, SEAL_CODE, issue, make_ca, pem, pkcs12_path, write_pkcs12
from tests.telegram_fake.user import BotMessage, FakeUser

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "docs" / "samples"
# Everything about the console the test does not set itself: no configuration file, no token
# (an invite is then printed as "/start CODE"), no default school.
WAIT = 15  # seconds for a bot answer
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FOREIGN = ("HOCBA_CONFIG", "HOCBA_TELEGRAM_TOKEN", "HOCBA_SCHOOL_CODE", "HOCBA_STAGING_NOW")


def sample(name: str) -> Path:
    path = SAMPLES / name
    assert path.is_file(), f"docs/samples/{name} is missing"
    return path


def staff_rows(name: str) -> list[dict[str, str]]:
    """The rows of a staff sample, by header (the file as a school keeps it: UTF-8 with BOM)."""
    with sample(name).open(encoding="utf-8-sig", newline="") as file:
        return list(csv.DictReader(file))


def telegram_phone(local: str) -> str:
    """The number Telegram shares for a phone written the Vietnamese way: 0912… → +84912…"""
    return "+84" + local.lstrip("0")


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str


@contextlib.contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in (*_FOREIGN, *values)}
    for name in _FOREIGN:
        os.environ.pop(name, None)
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class Console:
    """`hocba ARGS` as the school's admin runs it on the server, each at its own moment of the
    rehearsed year (HOCBA_STAGING_NOW), on the test's database.

    The command line's own entry point (`bot.cli.main`: configuration from the environment, the
    database opened, migrated and closed by the command itself, as in tests/deadlines/test_cli.py)
    runs in a thread rather than in a new interpreter: each of the ~25 commands would otherwise
    spend about three seconds importing the signing and spreadsheet libraries twice (the command,
    then its worker pool's forkserver). The test's own event loop holds no database meanwhile.
    """

    def __init__(self, **environment: str) -> None:
        self.environment = environment

    async def __call__(self, *argv: str, at: str) -> Ran:
        def run() -> Ran:
            out, err = io.StringIO(), io.StringIO()
            with (
                _environment({**self.environment, "HOCBA_STAGING_NOW": at}),
                contextlib.redirect_stdout(out),
                contextlib.redirect_stderr(err),
            ):
                code = main(list(argv))
            return Ran(code, out.getvalue(), err.getvalue())

        return await asyncio.to_thread(run)

    async def ok(self, *argv: str, at: str) -> str:
        """The output of a command that must succeed."""
        ran = await self(*argv, at=at)
        assert ran.code == 0, f"hocba {' '.join(argv)} failed:\n{ran.err}{ran.out}"
        return ran.out


def write_keys(
    keys: Path, schools: list[tuple[str, str, list[dict[str, str]]]], since: dt.datetime
) -> None:
    """A test CA and one PKCS#12 file per person of each school's staff sample (code, name,
    rows), and each school's seal, in the folder `[signing] pkcs12_dir` names (its ca.pem is
    then the trust root), all valid from `since`: the records are signed at the rehearsed
    dates, and a signature counts only when its whole chain was valid when it was made
    (regulation 001 Điều 8.1; core.signing.trust)."""
    ca = make_ca(not_before=since)
    keys.mkdir(parents=True, exist_ok=True)
    (keys / CA_FILE).write_bytes(pem(ca.certificate))
    for school_code, school_name, staff in schools:
        people = [(r["Mã cán bộ"], r["Họ và tên"], r["Vai trò"]) for r in staff]
        for code, name, title in [*people, (SEAL_CODE, school_name, "")]:
            issued = issue(ca, name, school_name, title, days=3 * 365, not_before=since)
            write_pkcs12(issued, pkcs12_path(keys, school_code, code), "", name)


_COLUMNS = re.compile(r"\s{2,}")


def results_table(out: str) -> dict[str, dict[str, str]]:
    """`hocba results` read as a person reads it: student name → column heading → cell."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("STT "))
    header = _COLUMNS.split(lines[start])
    table = {}
    for line in lines[start + 2 :]:
        if not line.strip():
            break
        cells = dict(zip(header, _COLUMNS.split(line), strict=True))
        table[cells.pop("Họ và tên")] = cells
    return table


def filled_sheet(data: bytes, values: Mapping[str, Mapping[str, object]]) -> bytes:
    """The homeroom sheet the bot sent, filled in as a teacher does in Excel: `values` gives,
    by student name, a value for each column heading."""
    book = load_workbook(io.BytesIO(data))
    sheet = book[SHEET_TITLE]
    rows = list(sheet.iter_rows())
    head = next(i for i, row in enumerate(rows) if row[0].value == "STT")
    columns = {cell.value: cell.column for cell in rows[head]}
    named = {row[columns["Họ và tên"] - 1].value: row for row in rows[head + 1 :]}
    assert set(values) <= set(named), f"not in the sheet: {set(values) - set(named)}"
    for name, cells in values.items():
        for heading, value in cells.items():
            named[name][columns[heading] - 1].value = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ------------------------------------------------------------------------------------------------
# A person in the bot (tests.telegram_fake): a step is a button or a text, then the answer awaited.


async def tap(user: FakeUser, button: str, expect: str) -> BotMessage:
    await user.press(button)
    message = await user.wait_for_message(lambda m: expect in m.text, timeout=WAIT)
    return message


async def say(user: FakeUser, text: str, expect: str) -> BotMessage:
    await user.send_text(text)
    return await user.wait_for_message(lambda m: expect in m.text, timeout=WAIT)


async def guided(user: FakeUser, klass: str, kind: str | None) -> BotMessage:
    """/chunhiem up to term II's class list for `kind`, the button of what to enter (None in a
    primary school: it has only the days absent, so the list comes at once)."""
    await user.send_command("chunhiem")
    await user.wait_for_message(lambda m: f"Lớp {klass}. Chọn học kỳ" in m.text, timeout=WAIT)
    if kind is None:
        return await tap(user, "Học kỳ II", "Chọn học sinh")
    await tap(user, "Học kỳ II", f"Lớp {klass}, HK II. Nhập gì?")
    return await tap(user, kind, "Chọn học sinh")


async def save(user: FakeUser, expect: str) -> None:
    await tap(user, "✅ Lưu", expect)


async def homeroom_sheet(user: FakeUser, klass: str) -> bytes:
    """The term II homeroom sheet, from «📚 Lớp của tôi»."""
    await user.press_reply("📚 Lớp của tôi")
    button = f"📄 Bảng chủ nhiệm {klass}, học kỳ II"
    offer = await user.wait_for_message(lambda m: button in m.inline_buttons, timeout=WAIT)
    await user.press(button, offer.message_id)
    sent = await user.wait_for_message(lambda m: m.document is not None, timeout=WAIT)
    assert sent.document.file_name == f"bang-chu-nhiem-{klass.lower()}-hk2.xlsx"
    return sent.document.data


async def send_back(user: FakeUser, klass: str, data: bytes) -> str:
    name = f"bang-chu-nhiem-{klass.lower()}-hk2.xlsx"
    await user.send_document(data, name, XLSX)
    saved = await user.wait_for_message(lambda m: name in m.text, timeout=WAIT)
    assert saved.text.startswith(f"Đã nhập tệp «{name}» (bảng chủ nhiệm)"), saved.text
    return saved.text
