"""Looking a record up from the QR code on its PDF (001 Điều 22.1 mã số tra cứu, Điều 31.1).

Every record version built gets a lookup code (the QR code's key, `matracuu`) and an access code
(`mabaomat`) printed beside the QR code, both inside its signed data, with the address of the
portal's page. Whoever scans the code reaches that page; it shows the record's status and its
summary only to someone who also types the access code, so a QR code seen over a shoulder or
a guessed address reveals nothing of the student.

A wrong access code and a code that is no record's get the same words, and both count against
the doors (core.services.doors) of the web client and of the lookup code, so neither can be
guessed: a lookup code has 30¹² values, an access code 10⁸, and the fifth failure within the
hour starts waits that double.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
import unicodedata
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from core import audit, clock
from core.errors import HocbaError
from core.i18n import _
from core.models import IssuedRecord
from core.render.xml_record import (
    StudentRecord,
    data_element,
    earlier_years,
    parse_own,
    record_from_data,
    record_from_xml,
)
from core.services import doors
from core.services.lookup_codes import ACCESS_DIGITS, ALPHABET, CODE_LENGTH
from core.services.verification import status_of

_CODE = re.compile(f"[{ALPHABET}]{{{CODE_LENGTH}}}")
_ACCESS = re.compile(rf"\d{{{ACCESS_DIGITS}}}")


def _typed(text: str) -> str:
    """What someone typed, as a code: full-width digits and letters as ASCII, no spaces or
    dashes, upper case."""
    return re.sub(r"[\s\-.]", "", unicodedata.normalize("NFKC", text)).upper()


class LookupRefused(HocbaError):
    """A lookup that shows nothing: the same words whatever was wrong."""


def _refused() -> LookupRefused:
    return LookupRefused(
        _(
            "Mã tra cứu hoặc mã truy cập không đúng. Hãy nhập đúng {digits} chữ số in cạnh mã QR "
            "trên học bạ; nếu vẫn không được, hãy tải tệp học bạ lên trang xác thực hoặc liên hệ "
            "nhà trường đã cấp học bạ."
        ).format(digits=ACCESS_DIGITS)
    )


@dataclass(frozen=True)
class LookedUp:
    """What the portal shows for a lookup code with its access code: the record as it was
    issued (this year's section, and the level's earlier years it carries, oldest first: 001
    Điều 24.4, one record per level), its status now, and its files' fingerprints to compare
    with a copy in hand."""

    record: StudentRecord
    earlier: tuple[StudentRecord, ...]
    status: str
    state: str  # current, replaced, revoked, unknown (as the portal's API says it)
    withdrawn: bool
    issued_at: dt.datetime | None
    xml_sha256: str
    pdf_sha256: str


_NO_ACCESS = "0" * ACCESS_DIGITS  # compared against when the code is no record's


async def look_up(client: str, code: str, access: str, now: dt.datetime | None = None) -> LookedUp:
    """The record version whose lookup code is `code`, for a web client who gave its access
    code; LookupRefused (counted) otherwise, doors.DoorClosed while the client or the code
    waits. A look that shows the record is audited as a read of it."""
    now = now or clock.now()
    code, access = _typed(code), _typed(access)
    keys = [doors.client_key("web", client), doors.secret_key("lookup", code)]
    label = f"web:{client}"
    await doors.ensure_open(keys, now)
    record = await IssuedRecord.get_or_none(lookup_code=code) if _CODE.fullmatch(code) else None
    root = parse_own(record.xml) if record is not None else None
    data = record_from_xml(root) if root is not None else None
    expected = data.lookup.access if data is not None and data.lookup is not None else _NO_ACCESS
    right = bool(_ACCESS.fullmatch(access)) and hmac.compare_digest(expected, access)
    if record is None or data is None or not right:
        async with in_transaction():
            await doors.failed(keys, now)
            target = f"record:{record.id}" if record is not None else "lookup"
            await audit.record(audit.Event(label, "record.lookup_refused", target))
        raise _refused()
    status, withdrawn, state = await status_of(record)
    await audit.record(
        audit.Event(label, "record.lookup", f"record:{record.id}", after={"state": state})
    )
    earlier = tuple(record_from_data(data_element(year)) for year in earlier_years(root))
    return LookedUp(
        data,
        earlier,
        status,
        state,
        withdrawn,
        record.issued_at,
        record.xml_sha256 or "",
        record.pdf_sha256 or "",
    )
