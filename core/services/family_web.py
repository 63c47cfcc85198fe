"""Families get their records back on the web (`/lay-lai-hoc-ba`, 001 Điều 31.2), where
Telegram does not reach: the student's personal ID, date of birth and the guardian's
registered phone; the school's channel sends a one-time code to that phone; the code opens a
time-limited download link.

A typed phone proves nothing, so the code is what proves it: it goes only to the registered
phone (through the chat of a guardian linked in the bot, an SMS gateway, or the school's
clerks who read it out). Until the code is given back, the answer is the same whether the
details matched or not (a request that matched nobody gets a code row too, which no code
opens). The doors (core.services.doors) count failures per web client, personal ID and phone;
a code allows CODE_TRIES tries and expires after CODE_TTL; tokens and codes are stored hashed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Protocol

from tortoise.transactions import in_transaction

from core import audit, clock
from core.i18n import _
from core.models import DownloadLink, FamilyCode, Student
from core.services import doors
from core.services.families import (
    FamilyRefused,
    RecordFile,
    current_files,
    ensure_open,
    match,
    read_born,
    read_national_id,
    refuse,
)
from core.validation import normalise_phone

CODE_TTL = dt.timedelta(minutes=10)
CODE_TRIES = 3
LINK_TTL = dt.timedelta(minutes=30)


@dataclass(frozen=True)
class CodeDelivery:
    """A code to bring to a guardian's phone, with whom it is for."""

    school_id: int
    student: Student
    phone: str
    code: str
    expires_at: dt.datetime


class CodeChannel(Protocol):
    """How the school brings a one-time code to a registered phone (configured: [families]
    code_channel). `send` runs inside the request's transaction."""

    name: str

    def label(self) -> str:
        """How the page tells the parent where the code comes from."""
        ...

    async def send(self, delivery: CodeDelivery) -> None: ...


@dataclass(frozen=True)
class Requested:
    """The answer to a request, the same whether it matched: the page's token and where the
    code comes from."""

    token: str
    channel: str
    expires_at: dt.datetime


@dataclass(frozen=True)
class Opened:
    """A redeemed code: the download link's token, its files' names and its end."""

    token: str
    files: tuple[str, ...]
    expires_at: dt.datetime


def _hash(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


async def request_code(
    client: str,
    national_id: str,
    born: str,
    phone: str,
    channel: CodeChannel,
    school_id: int | None,
    now: dt.datetime | None = None,
) -> Requested:
    """Check the details' form (what is wrong with it is said at once), pass the doors, and
    send a code when the details are a student's and a guardian phone of theirs."""
    now = now or clock.now()
    nid, birth, normal = read_national_id(national_id), read_born(born), normalise_phone(phone)
    label = f"web:{client}"
    keys = [
        doors.client_key("web", client),
        doors.secret_key("nid", nid),
        doors.secret_key("phone", normal),
    ]
    await ensure_open(label, keys, now, school_id)
    student, guardian = await match(nid, birth, normal, school_id)
    token, code = secrets.token_urlsafe(24), f"{secrets.randbelow(10**6):06d}"
    matched = student is not None and guardian is not None
    async with in_transaction():
        await FamilyCode.create(
            token_hash=_hash(token),
            student=student if matched else None,
            phone=normal,
            code_hash=_hash(token, code),
            channel=channel.name,
            created_at=now,
            expires_at=now + CODE_TTL,
            tries_left=CODE_TRIES,
        )
        if matched:
            assert student is not None
            await channel.send(
                CodeDelivery(student.school_id, student, normal, code, now + CODE_TTL)
            )
            await audit.record(
                audit.Event(
                    label,
                    "family.code_sent",
                    f"student:{student.id}",
                    after={"channel": "web", "code_channel": channel.name, "guardian": guardian.id},
                )
            )
    if not matched:  # counted and audited, yet answered as a match is
        school = student.school_id if student else school_id
        await refuse(label, "mismatch", keys, now, school)
    return Requested(token, channel.label(), now + CODE_TTL)


def _wrong_code() -> str:
    return _(
        "Mã không đúng, đã dùng hoặc đã hết hạn. Hãy kiểm tra lại mã; nếu vẫn không được, hãy "
        "yêu cầu mã mới (mã chỉ dùng trong {minutes} phút, thử được {tries} lần)."
    ).format(minutes=int(CODE_TTL.total_seconds() // 60), tries=CODE_TRIES)


async def redeem(client: str, token: str, code: str, now: dt.datetime | None = None) -> Opened:
    """The code given back: a download link to the student's current records, or
    FamilyRefused (the same words for a wrong, reused, expired or unknown code)."""
    now = now or clock.now()
    label = f"web:{client}"
    keys = [doors.client_key("web", client)]
    await ensure_open(label, keys, now, None)
    row = await FamilyCode.get_or_none(token_hash=_hash(token))
    usable = row is not None and row.used_at is None and row.expires_at > now
    usable = usable and row.tries_left > 0 and row.student_id is not None
    right = row is not None and hmac.compare_digest(row.code_hash, _hash(token, code.strip()))
    if not (usable and right):
        if row is not None and row.tries_left > 0:
            row.tries_left -= 1
            await row.save(update_fields=["tries_left"])
        await refuse(label, "wrong_code", keys, now, None)
        raise FamilyRefused(_wrong_code())
    assert row is not None
    link_token = secrets.token_urlsafe(24)
    async with in_transaction():
        row.used_at = now
        await row.save(update_fields=["used_at"])
        await DownloadLink.create(
            token_hash=_hash(link_token),
            student_id=row.student_id,
            guardian_phone=row.phone,
            created_at=now,
            expires_at=now + LINK_TTL,
        )
        await audit.record(audit.Event(label, "family.code_redeemed", f"student:{row.student_id}"))
    files = await current_files(row.student_id)
    return Opened(link_token, tuple(f.filename for f in files), now + LINK_TTL)


async def download(
    client: str, token: str, filename: str, now: dt.datetime | None = None
) -> RecordFile:
    """One file of a download link while it lasts, its giving audited."""
    now = now or clock.now()
    link = await DownloadLink.get_or_none(token_hash=_hash(token), expires_at__gt=now)
    files = await current_files(link.student_id) if link else ()
    found = next((f for f in files if f.filename == filename), None)
    if link is None or found is None:
        raise FamilyRefused(
            _(
                "Đường dẫn tải học bạ không đúng hoặc đã hết hạn ({minutes} phút sau khi nhập "
                "mã). Hãy yêu cầu mã mới."
            ).format(minutes=int(LINK_TTL.total_seconds() // 60))
        )
    await audit.record(
        audit.Event(
            f"web:{client}",
            "family.records_given",
            f"student:{link.student_id}",
            after={"records": [filename], "channel": "web"},
        )
    )
    return found
