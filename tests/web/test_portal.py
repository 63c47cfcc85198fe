"""The verification portal (issue 14, part 1): whoever holds a record file checks it on the
web with the verifier `hocba verify` and the bot use. The form, the report page and the JSON
API answer current, replaced and forged files; a file that cannot be a record, a request
without a file and an oversized upload are refused with a Vietnamese sentence and write
nothing. `hocba web` serves it alone, without Telegram, from the configuration."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest
from aiohttp import FormData, web
from aiohttp.test_utils import TestClient, TestServer

from core.services.verification import verify_file
from core.signing.trust import Trust
from demo.pki import Issued
from tests.hostile import forgery_kit
from tests.hostile.forgery_kit import XXE, Kit, counts, stripped
from tests.signing import conftest as signing
from tests.web.serving import hocba_web
from web import portal

# the test PKI, record and school, shared (pytest finds fixtures by module name)
ca, ca_file, record, signers = signing.ca, signing.ca_file, signing.record, signing.signers
kit, other_school = forgery_kit.kit, forgery_kit.other_school


@pytest.fixture
async def client(kit: Kit, ca: Issued):
    """The portal on a test server, verifying with the test PKI's root as its trust."""
    app = web.Application()
    trust = Trust((ca.certificate,))
    portal.add_routes(app, lambda data: verify_file(data, trust, "web:xac-thuc"))
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


def _form(data: bytes, name: str = "hocba.xml") -> FormData:
    form = FormData()
    form.add_field("file", data, filename=name, content_type="application/octet-stream")
    return form


async def test_the_form_says_what_is_checked(client: TestClient) -> None:
    response = await client.get("/xac-thuc")
    page = await response.text()
    assert response.status == 200 and response.content_type == "text/html"
    assert '<html lang="vi">' in page and "Xác thực học bạ số" in page
    assert 'enctype="multipart/form-data"' in page and 'name="file"' in page
    assert "Điều 15" in page


async def test_a_current_record_is_valid_and_current(client: TestClient, kit: Kit) -> None:
    """The XML carries every signature of the chain, the PDF the principal's and the seal's
    PAdES signatures (001 Điều 24.5)."""
    for data, name, signed_by in (
        (kit.v2, "hocba.xml", ["gvcn", "ht", "dv"]),
        (kit.pdf2, "hocba.pdf", ["ht", "dv"]),
    ):
        answer = await (await client.post("/api/v1/xac-thuc", data=_form(data, name))).json()
        assert answer["valid"] is True and answer["status"] == "current", answer
        assert [s["role"] for s in answer["signatures"]] == signed_by
        for signature in answer["signatures"]:
            assert signature["valid"] and not signature["missing"]
            assert all(check["ok"] for check in signature["checks"].values())
        page = await (await client.post("/xac-thuc", data=_form(data, name))).text()
        assert 'class="verdict valid"' in page and "đang có hiệu lực" in page


async def test_a_replaced_record_says_so(client: TestClient, kit: Kit) -> None:
    answer = await (await client.post("/api/v1/xac-thuc", data=_form(kit.v1))).json()
    assert answer["valid"] is True and answer["status"] == "replaced"
    assert "ĐÃ BỊ THAY THẾ" in answer["status_text"]
    page = await (await client.post("/xac-thuc", data=_form(kit.v1))).text()
    assert 'class="verdict withdrawn"' in page and "phiên bản 2" in page


async def test_a_forgery_is_refused_naming_what_is_wrong(client: TestClient, kit: Kit) -> None:
    """The principal's and the seal's signatures stripped: invalid, each missing signature
    failing its check a), and nothing about the record is revealed as current."""
    before = await counts()
    answer = await (await client.post("/api/v1/xac-thuc", data=_form(stripped(kit)))).json()
    assert answer["valid"] is False and answer["status"] == "unknown"
    missing = [s for s in answer["signatures"] if s["missing"]]
    assert missing and all(not s["checks"]["signature"]["ok"] for s in missing)
    page = await (await client.post("/xac-thuc", data=_form(stripped(kit)))).text()
    assert 'class="verdict invalid"' in page and "KHÔNG có giá trị" in page
    assert await counts() == before  # a forgery reads no record: nothing audited, nothing written


async def test_what_cannot_be_checked_is_refused_plainly(client: TestClient) -> None:
    before = await counts()
    response = await client.post("/api/v1/xac-thuc", data=_form(XXE))
    assert response.status == 422
    assert "DOCTYPE" in (await response.json())["error"]
    response = await client.post("/xac-thuc", data=_form(b"", "rong.xml"))
    assert response.status == 400 and "Chưa có tệp nào được gửi" in await response.text()
    response = await client.post("/api/v1/xac-thuc", data={"other": "x"})
    assert response.status == 400
    response = await client.post("/api/v1/xac-thuc", data=b"{}", headers={"Content-Type": "x/y"})
    assert response.status == 400 and "hãy chọn tệp học bạ" in (await response.json())["error"]
    assert await counts() == before


async def test_an_oversized_upload_is_refused_without_being_held(client: TestClient) -> None:
    """A declared 60 MB body is refused from its length; a chunked one (no length) as soon as
    it passes the largest record's size."""
    response = await client.post("/xac-thuc", data=_form(b"<" * (60 << 20)))
    assert response.status == 413 and "Tệp quá lớn" in await response.text()

    async def chunked():
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n'
        for _ in range(60):
            yield b"%" * (1 << 20)

    response = await client.post(
        "/api/v1/xac-thuc",
        data=chunked(),
        headers={"Content-Type": "multipart/form-data; boundary=b"},
    )
    assert response.status == 413 and "Tệp quá lớn" in (await response.json())["error"]


async def test_hocba_web_serves_the_portal_alone(kit: Kit, ca_file: Path, sqlite_db: str) -> None:
    """`hocba web`: no Telegram token, the configured trust, the [web] port; the school's
    database answers the status."""
    env = {
        "HOCBA_DATABASE_URL": sqlite_db,
        "HOCBA_TRUST_ROOTS": str(ca_file),
        "HOCBA_WORKERS_PROCESSES": "1",
    }
    async with (
        hocba_web(env) as base,
        aiohttp.ClientSession() as session,
        session.post(f"{base}/api/v1/xac-thuc", data=_form(kit.v2)) as response,
    ):
        answer = await response.json()
    assert answer["valid"] is True and answer["status"] == "current"
