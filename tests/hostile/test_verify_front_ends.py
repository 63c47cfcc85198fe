"""The same report wherever a record file is handed in (issue 12: "Command line, bot and
library give the same report"): `hocba verify FILE` prints the library's report word for word,
and the bot answers a file sent to it with that same text. Both refuse an oversized file from
its size alone (the command line never reads it, the bot never downloads it), both within time
and memory bounds, and neither writes anything but the one audited read of a record's status.
"""

from __future__ import annotations

from pathlib import Path

from core.db import database
from core.errors import HocbaError
from core.render import xml_record as fmt
from core.services.verification import verify_file
from core.signing.keys import Signer
from core.signing.trust import Trust
from demo.pki import Issued
from tests.e2e.bot_harness import bot_config, running_bot
from tests.hostile import forgery_kit
from tests.hostile.conftest import bounded
from tests.hostile.forgery_kit import SECONDS, XXE, Kit, counts, seed_school, stripped
from tests.hostile.test_configuration import hocba
from tests.signing import conftest as signing
from tests.telegram_fake import FakeTelegramServer
from tests.telegram_fake import fixtures as telegram

# the test PKI, record and school, shared (pytest finds fixtures by module name)
ca, ca_file, record, signers = signing.ca, signing.ca_file, signing.record, signing.signers
kit, other_school = forgery_kit.kit, forgery_kit.other_school
telegram_server = telegram.telegram_server

CLI_SECONDS = 30.0  # `hocba verify` takes about 2 s alone, 23 s with 2 CPUs shared by 10 runs
CLI_PEAK_MIB = 250.0  # the interpreter and its libraries take about 120 MiB
BOT_TRACED_MIB = 64.0  # what the bot allocates receiving and answering one file
TOO_BIG = "Tệp quá lớn ({size}) để là một học bạ"


async def _library(data: bytes, ca_file: Path) -> str:
    """The library's report on `data`, as the bot sends it (or the refusal)."""
    try:
        return "\n".join((await verify_file(data, Trust.load([ca_file]), "test")).lines())
    except HocbaError as refused:  # a file that cannot be a record: the refusal is the answer
        return str(refused)


async def test_the_command_line_prints_the_librarys_report(
    kit: Kit, ca_file: Path, sqlite_db: str, tmp_path: Path
) -> None:
    """`hocba verify` prints the library's report word for word: exit 1 for a forgery or an
    external entity, 0 for the current record; a 300 MB file is refused from its size, unread.
    Only the current record's status is read (one audit event); nothing else is written."""
    env = {
        "HOCBA_DATABASE_URL": sqlite_db,
        "HOCBA_TRUST_ROOTS": str(ca_file),
        "HOCBA_STORAGE_DIR": str(tmp_path / "files"),
        "HOCBA_WORKERS_PROCESSES": "1",
    }
    before = await counts()
    path = tmp_path / "hocba.xml"
    for data, code in ((stripped(kit), 1), (XXE, 1), (kit.v2, 0)):
        expected = await _library(data, ca_file)
        path.write_bytes(data)
        ran = hocba(tmp_path, env, "verify", str(path))
        assert (ran.code, (ran.out or ran.err).strip()) == (code, expected), ran.err
        assert ran.seconds < CLI_SECONDS and ran.peak_mib < CLI_PEAK_MIB, ran
    with path.open("wb") as sparse:
        sparse.truncate(300 << 20)  # takes no disk, and 300 MB of memory if it were read
    ran = hocba(tmp_path, env, "verify", str(path))
    assert ran.code == 1 and ran.out == ""
    assert ran.err.strip().startswith(TOO_BIG.format(size="300.0 MB")), ran.err
    assert ran.seconds < CLI_SECONDS and ran.peak_mib < CLI_PEAK_MIB, ran
    audit, *rows = await counts()
    assert (audit, rows) == (before[0] + 2, list(before[1:]))  # v2's status: library, CLI


async def test_the_bot_answers_a_record_file_with_the_same_report(
    telegram_server: FakeTelegramServer,
    tmp_path: Path,
    ca: Issued,
    ca_file: Path,
    signers: dict[str, Signer],
    other_school: dict[str, Signer],
    record: fmt.StudentRecord,
) -> None:
    """Anyone may send the bot a record file (a parent, another school's clerk): the answer is
    the library's report, word for word; a 50 MB file is refused before it is downloaded."""
    config = bot_config(telegram_server, tmp_path, HOCBA_TRUST_ROOTS=str(ca_file))
    made: dict[str, Kit] = {}
    answers: list[str] = []

    async def seed() -> None:
        made["kit"] = await seed_school(ca, signers, other_school, record)
        made["before"] = await counts()

    huge = b"<" * (50 << 20)
    async with running_bot(config, seed, schedule_jobs=False):
        await telegram_server.wait_until(
            lambda: telegram_server.calls_to("getUpdates"), timeout=10, what="polling"
        )
        sent = [stripped(made["kit"]), XXE, made["kit"].pdf2]
        parent = telegram_server.user(9301, "Phụ huynh")
        for data in sent:
            name, kind = ("hocba.pdf", "pdf") if data.startswith(b"%PDF") else ("hocba.xml", "xml")
            with bounded(SECONDS * 2, BOT_TRACED_MIB):
                await parent.send_document(data, name, f"application/{kind}")
                answers.append((await parent.wait_for_message(timeout=30)).text)
        downloads = len(telegram_server.calls_to("getFile"))
        with bounded(SECONDS, BOT_TRACED_MIB + 50):  # the 50 MB the fake server holds
            await parent.send_document(huge, "hocba.pdf", "application/pdf")
            refused = (await parent.wait_for_message(timeout=30)).text
        assert len(telegram_server.calls_to("getFile")) == downloads  # never downloaded
    assert refused.startswith(TOO_BIG.format(size="50.0 MB")), refused
    async with database(config.database.url):
        expected = [await _library(data, ca_file) for data in sent]
        audit, *rows = await counts()
    assert answers == expected
    before = made["before"]  # the bot read the PDF's record (1), the library 1 more
    assert (audit, rows) == (before[0] + 2, list(before[1:]))
