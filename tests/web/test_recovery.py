"""Parents on the web (issue 14, part 3): `/lay-lai-hoc-ba` takes the personal ID, the date of
birth and the registered phone, the school's channel brings a one-time code to that phone
(here a fake channel that keeps what it was asked to send), and the code opens time-limited
download links to the current record's files. The answer is the same whatever was wrong;
codes allow three tries, work once and expire; a client that keeps guessing waits."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from core import clock
from core.models import AuditEvent, FamilyCode, Guardian, Student
from core.services.family_web import LINK_TTL, CodeDelivery
from tests.hostile import forgery_kit
from tests.hostile.forgery_kit import Kit
from tests.signing import conftest as signing
from web import recovery

ca, record, signers = signing.ca, signing.record, signing.signers
kit, other_school = forgery_kit.kit, forgery_kit.other_school
PHONE = "0912000444"
NOW = dt.datetime(2026, 7, 1, 9, 0, tzinfo=dt.UTC)


@dataclass
class FakeCodes:
    """The school's code channel in a test: what it would have sent, to which phone."""

    name: str = "fake"
    sent: list[CodeDelivery] = field(default_factory=list)

    def label(self) -> str:
        return "kênh thử nghiệm"

    async def send(self, delivery: CodeDelivery) -> None:
        self.sent.append(delivery)


@pytest.fixture
def codes() -> FakeCodes:
    return FakeCodes()


@pytest.fixture
async def client(kit: Kit, codes: FakeCodes):
    student = await Student.get(national_id=kit.record.national_id)
    await Guardian.create(student=student, full_name="Bố", relation="Bố", phone="+84912000444")
    app = web.Application()
    recovery.add_routes(app, recovery.FamilyDoor(codes, None))
    clock.set_time(NOW)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client
    clock.set_time(None)


def _details(kit: Kit, **changed: str) -> dict[str, str]:
    form = {
        "national_id": kit.record.national_id,
        "born": kit.record.born.strftime("%d/%m/%Y"),
        "phone": PHONE,
    }
    return form | changed


def _token(page: str) -> str:
    found = re.search(r'name="token" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


async def _ask(client: TestClient, form: dict[str, str]) -> tuple[int, str]:
    response = await client.post("/lay-lai-hoc-ba", data=form)
    return response.status, await response.text()


async def test_a_parent_gets_the_files_with_the_code(
    client: TestClient, kit: Kit, codes: FakeCodes
) -> None:
    page = await (await client.get("/lay-lai-hoc-ba")).text()
    assert 'name="national_id"' in page and 'name="phone"' in page
    status, page = await _ask(client, _details(kit))
    assert status == 200 and "kênh thử nghiệm" in page
    (delivery,) = codes.sent
    assert delivery.phone == "+84912000444" and re.fullmatch(r"\d{6}", delivery.code)
    response = await client.post(
        "/lay-lai-hoc-ba/ma", data={"token": _token(page), "code": delivery.code}
    )
    files = re.findall(r'href="(/lay-lai-hoc-ba/tai/[^"]+)"', await response.text())
    assert len(files) == 2
    got = [await (await client.get(link)).read() for link in files]
    assert got == [kit.v2, kit.pdf2]
    xml = await client.get(files[0])
    assert xml.headers["Content-Disposition"].startswith("attachment")
    given = await AuditEvent.filter(action="family.records_given").count()
    assert given == 3  # one per file given
    assert await AuditEvent.filter(action="family.code_sent").count() == 1
    again = await client.post(
        "/lay-lai-hoc-ba/ma", data={"token": _token(page), "code": delivery.code}
    )
    assert again.status == 403 and "đã dùng" in await again.text()  # a code works once
    clock.set_time(NOW + LINK_TTL + dt.timedelta(seconds=1))
    expired = await client.get(files[0])
    assert expired.status == 404 and "hết hạn" in await expired.text()


async def test_the_answer_is_the_same_whatever_was_wrong(
    client: TestClient, kit: Kit, codes: FakeCodes
) -> None:
    other_id = kit.record.national_id[:-1] + str((int(kit.record.national_id[-1]) + 1) % 10)
    pages = []
    for form in (
        _details(kit),
        _details(kit, phone="0912000555"),
        _details(kit, national_id=other_id),
        _details(kit, born="01/01/2012"),
    ):
        status, page = await _ask(client, form)
        pages.append((status, page.replace(_token(page), "TOKEN")))
    assert len(set(pages)) == 1 and pages[0][0] == 200
    assert len(codes.sent) == 1  # only the registered phone of that student gets a code
    assert await FamilyCode.all().count() == 4  # every request has a code row, alike


async def test_codes_allow_three_tries_and_expire(
    client: TestClient, kit: Kit, codes: FakeCodes
) -> None:
    _status, page = await _ask(client, _details(kit))
    token, code = _token(page), codes.sent[0].code
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(3):
        answer = await client.post("/lay-lai-hoc-ba/ma", data={"token": token, "code": wrong})
        assert answer.status == 403
    late = await client.post("/lay-lai-hoc-ba/ma", data={"token": token, "code": code})
    assert late.status == 403 and "không đúng" in await late.text()  # tries used up

    _status, page = await _ask(client, _details(kit))
    clock.set_time(NOW + dt.timedelta(minutes=11))
    code = codes.sent[-1].code
    expired = await client.post("/lay-lai-hoc-ba/ma", data={"token": _token(page), "code": code})
    assert expired.status == 403
    forged = await client.post("/lay-lai-hoc-ba/ma", data={"token": "x" * 32, "code": "123456"})
    assert forged.status == 429  # five failures from this client: it now waits


async def test_a_malformed_form_is_named_and_guessing_waits(
    client: TestClient, kit: Kit, codes: FakeCodes
) -> None:
    for bad, words in (
        (_details(kit, national_id="03721300001"), "cần đúng 12 chữ số"),
        (_details(kit, born="31/02/2013"), "không hợp lệ"),
        (_details(kit, phone="abc"), "chỉ được có chữ số"),
    ):
        status, page = await _ask(client, bad)
        assert status == 400 and words in page
    assert not await FamilyCode.exists()
    for n in range(5):
        status, _page = await _ask(client, _details(kit, phone=f"091200077{n}"))
        assert status == 200
    status, page = await _ask(client, _details(kit, phone="0912000779"))
    assert status == 429 and "Đã thử sai nhiều lần" in page
    assert codes.sent == []
