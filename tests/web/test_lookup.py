"""A record's QR code page (issue 14, part 1): `/xac-thuc/{lookup code}` asks for the access code
printed beside the QR code and shows the record's status and summary only with it. A forged
code and a wrong access code get the same page; a client or a code that keeps guessing waits;
nothing is written but the counted failures and the audit."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from core import clock
from core.errors import InvalidValue
from core.models import AccessAttempt, AuditEvent, IssuedRecord
from core.render import xml_record as fmt
from core.services.doors import DoorClosed
from core.services.lookup_codes import Portal
from core.services.record_lookup import LookupRefused, look_up
from tests.hostile import forgery_kit
from tests.hostile.forgery_kit import V1_LOOKUP, Kit
from tests.signing import conftest as signing
from web import lookup

ca, record, signers = signing.ca, signing.record, signing.signers
kit, other_school = forgery_kit.kit, forgery_kit.other_school
NOW = dt.datetime(2026, 7, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
async def client(kit: Kit):
    app = web.Application()
    lookup.add_routes(app)
    clock.set_time(NOW)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client
    clock.set_time(None)


def _personal(kit: Kit) -> list[str]:
    """What no page may show without the access code."""
    data = kit.record
    return [data.full_name, data.national_id, data.born.strftime("%d/%m/%Y"), data.record_code]


async def _ask(client: TestClient, code: str, access: str) -> tuple[int, str]:
    response = await client.post(f"/xac-thuc/{code}", data={"access": access})
    return response.status, await response.text()


async def test_the_qr_code_page_shows_nothing_until_the_access_code(
    client: TestClient, kit: Kit
) -> None:
    assert kit.record.lookup is not None
    code = kit.record.lookup.code
    response = await client.get(f"/xac-thuc/{code}")
    page = await response.text()
    assert response.status == 200 and response.headers["Cache-Control"] == "no-store"
    assert 'name="access"' in page and "8 chữ số" in page
    assert not any(value in page for value in _personal(kit))
    forged = await (await client.get("/xac-thuc/ABCDEFGHJKMN")).text()
    assert forged.replace("ABCDEFGHJKMN", code) == page  # whether a record has it is not told


async def test_the_access_code_shows_status_and_summary(client: TestClient, kit: Kit) -> None:
    assert kit.record.lookup is not None
    current = kit.record.lookup
    status, page = await _ask(client, current.code, current.access)
    assert status == 200
    assert 'data-state="current"' in page and "đang có hiệu lực (bản hiện hành)" in page
    assert all(value in page for value in _personal(kit))
    record = await IssuedRecord.get(lookup_code=current.code)
    assert record.xml_sha256 in page and record.pdf_sha256 in page
    assert await AuditEvent.filter(action="record.lookup", target=f"record:{record.id}").exists()

    # as people type it from paper: groups, lower case, full-width digits
    typed = "-".join(re.findall("....", current.code.lower()))
    access = " ".join((current.access[:4], current.access[4:])).translate(
        {ord(d): ord(d) + 0xFEE0 for d in "0123456789"}
    )
    assert (await _ask(client, typed, access))[0] == 200

    status, page = await _ask(client, V1_LOOKUP.code, V1_LOOKUP.access)  # the replaced version
    assert status == 200 and 'data-state="replaced"' in page
    assert "ĐÃ BỊ THAY THẾ" in page and "phiên bản 2" in page


async def test_a_wrong_access_code_and_a_forged_code_get_the_same_answer(
    client: TestClient, kit: Kit
) -> None:
    assert kit.record.lookup is not None
    code = kit.record.lookup.code
    before = await IssuedRecord.all().values_list("id", "state", "lookup_code", "xml")
    wrong = await _ask(client, code, "00000000")
    forged = await _ask(client, "ABCDEFGHJKMN", kit.record.lookup.access)
    malformed = await _ask(client, "x" * 500, "not digits")
    assert wrong[0] == forged[0] == malformed[0] == 403
    assert wrong[1].replace(code, "X") == forged[1].replace("ABCDEFGHJKMN", "X")
    assert "Mã tra cứu hoặc mã truy cập không đúng" in wrong[1]
    for _status, page in (wrong, forged, malformed):
        assert not any(value in page for value in _personal(kit))
    assert await IssuedRecord.all().values_list("id", "state", "lookup_code", "xml") == before
    assert await AuditEvent.filter(action="record.lookup_refused").count() == 3
    assert not await AuditEvent.filter(action="record.lookup").exists()


async def test_guessing_a_code_meets_a_closed_door(client: TestClient, kit: Kit) -> None:
    assert kit.record.lookup is not None
    current = kit.record.lookup
    for guess in range(5):
        assert (await _ask(client, current.code, f"{guess:08d}"))[0] == 403
    status, page = await _ask(client, current.code, current.access)  # the sixth, even right
    assert status == 429 and "thử lại sau" in page
    assert not any(value in page for value in _personal(kit))
    # the code itself is guarded, whoever asks: other clients meet the same door
    with pytest.raises(DoorClosed):
        await look_up("203.0.113.9", current.code, current.access, NOW)
    # after the wait, the right code opens it again
    later = NOW + dt.timedelta(minutes=2)
    assert (await look_up("203.0.113.9", current.code, current.access, later)).state == "current"
    assert await AccessAttempt.all().count() == 10  # five failures, each on client and code


async def test_a_record_without_a_lookup_code_is_never_found(kit: Kit) -> None:
    """Records issued before records carried a lookup have none: no access code opens them,
    not even the empty one."""
    await IssuedRecord.all().update(lookup_code=None)
    for code, access in (("", ""), ("ABCDEFGHJKMN", "00000000")):
        with pytest.raises(LookupRefused):
            await look_up("198.51.100.7", code, access, NOW)


def test_every_version_gets_codes_of_its_own_that_its_signed_data_holds(record) -> None:
    portal = Portal("https://hocba.example.vn/")
    made = [portal.new_lookup() for _ in range(2000)]
    assert len({m.code for m in made}) == 2000
    assert all(re.fullmatch(r"[ABCDEFGHJKMNPQRSTVWXYZ2-9]{12}", m.code) for m in made)
    assert all(re.fullmatch(r"\d{8}", m.access) for m in made)
    assert made[0].url == f"https://hocba.example.vn/xac-thuc/{made[0].code}"
    data = dataclasses.replace(record, lookup=made[0])
    assert fmt.record_from_xml(fmt.parse_own(fmt.build_record(data))).lookup == made[0]
    assert (
        fmt.record_from_xml(
            fmt.parse_own(fmt.build_record(dataclasses.replace(record, lookup=None)))
        ).lookup
        is None
    )  # as records issued before lookups existed read


@pytest.mark.parametrize(
    "bad",
    [
        fmt.Lookup("K7QX3M9P2TAO", "12345678", "https://hocba.example.vn/xac-thuc/K7QX3M9P2TAO"),
        fmt.Lookup("K7QX3M9P2TAB", "1234567", "https://hocba.example.vn/xac-thuc/K7QX3M9P2TAB"),
        fmt.Lookup("K7QX3M9P2TAB", "12345678", "javascript:alert(1)"),
    ],
)
def test_the_schema_refuses_a_malformed_lookup(record, bad: fmt.Lookup) -> None:
    with pytest.raises(InvalidValue, match="không đúng định dạng"):
        fmt.build_record(dataclasses.replace(record, lookup=bad))
