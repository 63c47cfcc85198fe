"""`make bench-latency`: how fast the bot answers people while a 1,500-record class is signed.

Two processes, as in production: the bot (`hocba serve`, with its worker pool) and this driver,
which plays Telegram (the fake Bot API server of the tests) and 50 people on their phones:
commands, menu buttons, the single-mark flow's buttons, and grade sheets sent back (.xlsx,
parsed in the bot's worker pool), each person waiting a few seconds between actions as people
do. A reply's latency is the time from the person's update reaching "Telegram" to the bot's
answer reaching it.

Phases, in one run:
1. the 50 people alone against the bot;
2. ROUNDS rounds, each: the signing chain of 1,500 records with the same keys through
   `tests.bench.signing` (what `make bench-signing` measures) as the reference throughput, then
   the 50 people while the homeroom teacher, the principal and the clerk each sign the 1,500
   records of a class from the bot (three batches, one after the other, as the regulation
   orders them); and a last reference after the last round.

This machine's speed drifts by more than the target's margin within minutes, so each round's
batch is compared with the mean of the references just before and just after it, and the
ratio reported is the median of the rounds'.

Printed: p50 / p95 / p99 reply latency alone and during the batches, each round's records per
second (signing time: from each signer's press to their result message), and its ratio.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.config import load_config
from core.db import database
from core.models import (
    ClassClosure,
    Enrollment,
    IssuedRecord,
    Role,
    School,
    SchoolClass,
    SignatureRole,
    Staff,
    StaffRole,
    Student,
    TeachingAssignment,
)
from core.render import xml_record as fmt
from core.services.access import Actor
from core.services.certificates import listed_signers
from core.services.issuance.build import data_hash
from core.services.schools import latest_year
from core.services.templates import template_for
from core.workers import WorkerPool
from demo.pki import write_school_pki
from demo.school import create_demo
from demo.signing import demo_signing
from tests.bench import signing as bench_signing
from tests.portal import PORTAL
from tests.telegram_fake import FakeTelegramServer
from tests.telegram_fake.fixtures import free_port

PEOPLE = 50
BIG_CLASSES = ("9Z", "9Y")  # one per round, each with its own homeroom teacher
ROUNDS = len(BIG_CLASSES)
RECORDS = 1500
ALONE_SECONDS = 40.0
THINK = (4.0, 12.0)  # seconds a person waits between two actions
REPLY_TIMEOUT = 30.0
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
USER_BASE = 700_000


@dataclass
class Person:
    staff_code: str
    user_id: int
    teacher: bool
    leadership: bool
    sheet: tuple[bytes, str] | None = None  # a grade sheet of theirs to send back (.xlsx, name)


@dataclass
class Samples:
    """Reply times (seconds) by kind of action."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    timeouts: int = 0

    def add(self, kind: str, seconds: float) -> None:
        self.latencies.setdefault(kind, []).append(seconds)

    @staticmethod
    def _figures(values: list[float]) -> str:
        ordered = sorted(values)

        def pct(p: float) -> float:
            return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000

        return (
            f"p50 {pct(0.50):.0f} ms, p95 {pct(0.95):.0f} ms, p99 {pct(0.99):.0f} ms, "
            f"max {ordered[-1] * 1000:.0f} ms"
        )

    def lines(self, label: str) -> list[str]:
        every = [v for values in self.latencies.values() for v in values]
        if not every:
            return [f"{label}: no replies"]
        out = [
            f"{label}: {len(every)} replies, {self._figures(every)}, "
            f"mean {statistics.mean(every) * 1000:.0f} ms; {self.timeouts} unanswered"
        ]
        for kind, values in sorted(self.latencies.items()):
            out.append(f"    {kind:<12} {len(values):>4} replies, {self._figures(values)}")
        return out


# ------------------------------------------------------------------------------- the school


def _record(
    school: School,
    n: int,
    national_id: str,
    people: tuple[str, str],
    signers: tuple[fmt.ListedSigner, ...],
    class_name: str,
) -> fmt.StudentRecord:
    homeroom, principal = people
    subjects = tuple(
        fmt.SubjectLine(f"M{i}", f"Môn học số {i}", True, "7.5", "8.0", "7.8", "Nguyễn Văn Giáo")
        for i in range(12)
    )
    info = fmt.SchoolInfo(school.code, school.name, "Trung học cơ sở", "Ninh Bình", "Ý Yên")
    return fmt.StudentRecord(
        f"{school.code}.{national_id}",
        1,
        None,
        dt.date(2026, 6, 20),
        info,
        national_id,
        f"Học Sinh Số {n}",
        dt.date(2011, 2, 3),
        "Nữ",
        "Kinh",
        "Ninh Bình",
        "2025-2026",
        class_name,
        9,
        homeroom,
        principal,
        subjects,
        ("K", "K", "K"),
        ("T", "T", "T"),
        2,
        "len_lop",
        None,
        signers=signers,
        lookup=PORTAL.new_lookup(),  # the QR code every issued PDF carries
    )


async def _seed(url: str, keys: Path) -> tuple[list[Person], list[dict[str, int]]]:
    """The two demo schools, extra teachers up to PEOPLE, everyone linked to a Telegram user,
    and the BIG_CLASSES: 1,500 records each ready for its homeroom teacher's signature; returns
    the people and each round's signers (role → Telegram user)."""
    async with database(url):
        await create_demo("2025-2026")
        school = await School.get(code="THCS-DEMO")
        for n in range(PEOPLE - await Staff.all().count()):
            extra = await Staff.create(
                school=school, code=f"GVB{n:02d}", full_name=f"Giáo Viên {n}"
            )
            await StaffRole.create(staff=extra, role=Role.SUBJECT_TEACHER)
        homerooms = [await Staff.get(school=school, code=f"GVB{n:02d}") for n in range(ROUNDS)]
        for homeroom in homerooms:
            await StaffRole.create(staff=homeroom, role=Role.HOMEROOM)
        people = []
        pool = WorkerPool(1)
        for index, staff in enumerate(await Staff.all().order_by("id").prefetch_related("roles")):
            staff.telegram_user_id = USER_BASE + index
            await staff.save(update_fields=["telegram_user_id"])
            roles = {Role(r.role) for r in staff.roles}
            people.append(
                Person(
                    staff.code,
                    staff.telegram_user_id,
                    bool(roles & {Role.SUBJECT_TEACHER, Role.HOMEROOM}),
                    bool(roles & {Role.PRINCIPAL, Role.VICE_PRINCIPAL, Role.ADMIN}),
                    await _sheet(staff, pool),
                )
            )
        pool.shutdown()
        config = load_config(
            environ={"HOCBA_SIGNING_PKCS12_DIR": str(keys), "HOCBA_DEMO_ENABLED": "true"}
        )
        await demo_signing(config.signing.pkcs12_dir, config.signing.pkcs12_password)
        principal = await Staff.get(school=school, roles__role=Role.PRINCIPAL)
        clerk = await Staff.get(school=school, roles__role=Role.CLERK)
        rounds = []
        for n, (name, homeroom) in enumerate(zip(BIG_CLASSES, homerooms, strict=True)):
            await _big_class(school, name, str(9 - n), homeroom, principal)
            rounds.append(
                {
                    role.value: (await Staff.get(id=staff.id)).telegram_user_id
                    for role, staff in (
                        (SignatureRole.HOMEROOM, homeroom),
                        (SignatureRole.PRINCIPAL, principal),
                        (SignatureRole.SEAL, clerk),
                    )
                }
            )
    return people, rounds


async def _big_class(
    school: School, name: str, digit: str, homeroom: Staff, principal: Staff
) -> None:
    """Class `name`, closed: RECORDS students (personal IDs starting with `digit`), each with
    a record built and waiting for `homeroom`'s signature."""
    year = await latest_year(school)
    big = await SchoolClass.create(year=year, name=name, grade=9, homeroom=homeroom)
    await Student.bulk_create(
        [
            Student(
                school=school,
                national_id=f"{digit}{n:011d}",
                full_name=f"Học Sinh Số {n}",
                born=dt.date(2011, 2, 3),
                gender="female",
            )
            for n in range(RECORDS)
        ]
    )
    students = await Student.filter(national_id__startswith=digit).order_by("id")
    await Enrollment.bulk_create(
        [
            Enrollment(student=s, school_class=big, year=year, number=n + 1)
            for n, s in enumerate(students)
        ]
    )
    chain = [
        (SignatureRole.HOMEROOM.value, homeroom),
        (SignatureRole.PRINCIPAL.value, principal),
        (SignatureRole.SEAL.value, None),
    ]
    listed = await listed_signers(school, chain)
    signing = tuple(listed[role, staff.id if staff else None] for role, staff in chain)
    names = (homeroom.full_name, principal.full_name)
    records = []
    for n, student in enumerate(students):
        xml = fmt.build_record(_record(school, n, student.national_id, names, signing, name))
        records.append(
            IssuedRecord(
                student=student,
                year=year,
                school_class=big,
                code=f"{school.code}.{student.national_id}",
                next_role=SignatureRole.HOMEROOM,
                data_hash=data_hash(xml),
                xml=xml,
            )
        )
    await IssuedRecord.bulk_create(records, batch_size=200)
    await ClassClosure.create(school_class=big, closed_by="bench")


async def _sheet(staff: Staff, pool: WorkerPool) -> tuple[bytes, str] | None:
    """The term II grade sheet of one of the teacher's classes, as the bot would send it."""
    taught = await TeachingAssignment.filter(staff=staff).first()
    if taught is None:
        return None
    actor = await Actor.of_staff(staff)
    sheet = await template_for(actor, taught.school_class_id, taught.subject_id, 2, workers=pool)
    return sheet.data, sheet.filename


# ------------------------------------------------------------------------------- the people


async def _ask(user, samples: Samples, kind: str, send) -> None:
    user.mark_all_read()
    start = time.perf_counter()
    await send()
    try:
        await user.wait_for_message(timeout=REPLY_TIMEOUT)
    except TimeoutError:
        samples.timeouts += 1
        return
    samples.add(kind, time.perf_counter() - start)


async def _act(user, person: Person, rng: random.Random, samples: Samples) -> None:
    """One thing a person does; each answer the bot gives is one sample."""
    choice = rng.random()
    if choice < 0.1 and person.sheet:
        data, name = person.sheet
        await _ask(user, samples, "grade sheet", lambda: user.send_document(data, name, XLSX))
    elif choice < 0.3:
        await _ask(user, samples, "/help", lambda: user.send_command("help"))
    elif choice < 0.5:
        label = "📋 Tiến độ của tôi" if person.teacher else "🏫 Tổng quan trường"
        await _ask(user, samples, "menu", lambda: user.send_text(label))
    elif choice < 0.8 and person.teacher:
        await _ask(user, samples, "/nhapdiem", lambda: user.send_command("nhapdiem"))
        last = user.last_message()
        if last and last.callback_data and len(last.callback_data) > 1:
            await _ask(user, samples, "button", lambda: user.press(last.callback_data[0]))
        await _ask(user, samples, "/huy", lambda: user.send_command("huy"))
    else:
        await _ask(user, samples, "/start", lambda: user.send_command("start"))


async def _people(
    server: FakeTelegramServer,
    people: list[Person],
    busy: set[int],
    stop: asyncio.Event,
    samples: Samples,
) -> None:
    async def one(person: Person, rng: random.Random) -> None:
        user = server.user(person.user_id, person.staff_code)
        await asyncio.sleep(rng.uniform(0, THINK[1]))
        while not stop.is_set():
            if person.user_id not in busy:
                await _act(user, person, rng, samples)
            with_stop = asyncio.create_task(stop.wait())
            await asyncio.wait([with_stop], timeout=rng.uniform(*THINK))
            with_stop.cancel()

    await asyncio.gather(*(one(p, random.Random(p.user_id)) for p in people))


async def _sign(server: FakeTelegramServer, user_id: int, busy: set[int]) -> float:
    """A signer opens «Ký học bạ», presses the class's button, and waits for the result;
    returns the seconds from the press to the result (the staging clock the bot runs on
    stands still, so the batch's own times in the database do not measure it)."""
    busy.add(user_id)
    user = server.user(user_id)
    user.mark_all_read()
    await user.send_text("✍️ Ký học bạ")
    listing = await user.wait_for_message(lambda m: bool(m.callback_data), timeout=REPLY_TIMEOUT)
    pressed = time.perf_counter()
    await user.press(next(d for d in listing.callback_data if d.startswith("sgn:")))
    result = await user.wait_for_message(lambda m: m.content.startswith(("✅", "❌")), timeout=900)
    busy.discard(user_id)
    seconds = time.perf_counter() - pressed
    if result.content.startswith("❌"):
        raise SystemExit(f"the batch was refused: {result.content}")
    return seconds


# ------------------------------------------------------------------------------- the run


def _cpu(pid: int) -> float:
    """CPU seconds a process (not its children) has used, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _bot(directory: Path, server: FakeTelegramServer, url: str, keys: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "HOCBA_TELEGRAM_TOKEN": server.token,
        "HOCBA_TELEGRAM_BASE_URL": server.base_url,
        "HOCBA_TELEGRAM_BASE_FILE_URL": server.base_file_url,
        "HOCBA_DATABASE_URL": url,
        "HOCBA_STORAGE_DIR": str(directory / "files"),
        "HOCBA_SIGNING_PKCS12_DIR": str(keys),
        "HOCBA_DEMO_ENABLED": "true",
        "HOCBA_WEB_PORT": str(free_port()),
        # the demo's year at its end: after its final lock (15/8) nothing of it is signed
        "HOCBA_STAGING_NOW": "2026-06-02 10:00",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve"],
        env=env,
        stdout=(directory / "bot.log").open("w"),
        stderr=subprocess.STDOUT,
    )


async def _drive(
    directory: Path, url: str, keys: Path, people, rounds, reference: Callable[[], float]
) -> list[tuple[float, float, float]]:
    """The people alone, then each round between two references (run while the bot idles);
    returns each round's (records per second, reference before, reference after)."""
    results = []
    async with FakeTelegramServer() as server:
        for person in people:
            server.user(person.user_id, person.staff_code)
        bot = _bot(directory, server, url, keys)
        try:
            await server.wait_until(lambda: server.calls_to("getUpdates"), 60, "the bot")
            alone, during = Samples(), Samples()
            cores = os.cpu_count() or 1
            stop = asyncio.Event()
            start, cpu = time.perf_counter(), _cpu(bot.pid)
            crowd = asyncio.create_task(_people(server, people, set(), stop, alone))
            await asyncio.sleep(ALONE_SECONDS)
            stop.set()
            await crowd
            alone_cpu = (_cpu(bot.pid) - cpu) / (time.perf_counter() - start) / cores
            print("\n".join(alone.lines(f"{PEOPLE} people, no batch")))
            print(f"    CPU meanwhile: the bot's own process {alone_cpu:.0%} of {cores} cores")
            before = await asyncio.to_thread(reference)
            for n, signers in enumerate(rounds, 1):
                rate = await _round(server, bot.pid, people, signers, during, n)
                after = await asyncio.to_thread(reference)
                results.append((rate, before, after))
                before = after
            print("\n".join(during.lines(f"{PEOPLE} people, while records are signed")))
        finally:
            bot.send_signal(signal.SIGTERM)
            bot.wait(30)
    return results


async def _round(
    server: FakeTelegramServer, pid: int, people, signers, during: Samples, n: int
) -> float:
    """The people, while one class is signed through its three steps; records per second."""
    cores = os.cpu_count() or 1
    busy: set[int] = set()
    stop = asyncio.Event()
    crowd = asyncio.create_task(_people(server, people, busy, stop, during))
    start, cpu = time.perf_counter(), (_cpu(pid), time.process_time())
    seconds = 0.0
    for role in ("gvcn", "ht", "dv"):
        seconds += await _sign(server, signers[role], busy)
    wall = time.perf_counter() - start
    bot_cpu, driver_cpu = _cpu(pid) - cpu[0], time.process_time() - cpu[1]
    stop.set()
    await crowd
    print(
        f"round {n}: {RECORDS} records through homeroom, principal and seal in {seconds:.1f} s "
        f"of signing ({wall:.1f} s from the first press to the seal's result): "
        f"{RECORDS / seconds:.1f} records/s; CPU meanwhile, of {cores} cores: the bot's own "
        f"process {bot_cpu / wall / cores:.0%}, this driver {driver_cpu / wall / cores:.0%}"
    )
    return RECORDS / seconds


def _reference(directory: Path) -> float:
    """The signing chain alone (make bench-signing's file keys), records per second."""
    keys = directory / "reference-keys"
    write_school_pki(
        keys,
        bench_signing.SCHOOL.code,
        bench_signing.SCHOOL.name,
        bench_signing.PEOPLE,
        bench_signing.PASSWORD,
    )
    return bench_signing.run_backend(
        "reference", bench_signing.settings_for("pkcs12", keys), RECORDS
    )


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="hocba-latency-") as tmp:
        directory = Path(tmp)
        url = f"sqlite://{directory / 'bot.sqlite3'}"
        keys = directory / "keys"
        people, rounds = asyncio.run(_seed(url, keys))
        results = asyncio.run(
            _drive(directory, url, keys, people, rounds, lambda: _reference(directory))
        )
    ratios = []
    for n, (rate, before, after) in enumerate(results, 1):
        ratios.append(rate / ((before + after) / 2))
        print(
            f"round {n}: batch in the bot vs the signing chain alone: {rate:.1f} vs "
            f"{(before + after) / 2:.1f} records/s (mean of {before:.1f} before and {after:.1f} "
            f"after): {ratios[-1]:.0%}"
        )
    print(f"median of the {len(ratios)} rounds: {statistics.median(ratios):.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
