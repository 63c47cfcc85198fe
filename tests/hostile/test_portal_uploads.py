"""Hostile uploads to the verification portal (issue 14, "Bad input"): a 50 MB body sent
without a length, a zip bomb named as a record, a DOCTYPE-laden XML among 500 form parts, a
form without the file. Each is refused with its Vietnamese reason, in bounded time and
memory, and writes nothing; the server keeps answering the genuine record after them."""

from __future__ import annotations

import io
import zipfile

from aiohttp import FormData, web
from aiohttp.test_utils import TestClient, TestServer

from core.services.verification import MAX_FILE_BYTES, verify_file
from core.signing.trust import Trust
from demo.pki import Issued
from tests.hostile import forgery_kit
from tests.hostile.conftest import bounded
from tests.hostile.forgery_kit import XXE, Kit, counts
from tests.signing import conftest as signing
from web import portal

ca, record, signers = signing.ca, signing.record, signing.signers
kit, other_school = forgery_kit.kit, forgery_kit.other_school

SECONDS = 10.0
TRACED_MIB = 16.0  # what the server allocates for one refused upload
# a body without a length is read up to the largest record (20 MB), then refused
STREAMED_MIB = MAX_FILE_BYTES / (1 << 20) + 8


def _zip_bomb() -> bytes:
    """200 MB of zeros deflated to about 200 KB: a zip bomb, sent as if it were a record."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        bomb.writestr("hocba.xml", b"\0" * (200 << 20))
    return out.getvalue()


async def _fifty_megabytes():
    """A multipart body sent in chunks, without a length: the server cannot refuse it from
    its headers, only as it arrives."""
    yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n%PDF'
    for _ in range(50):
        yield b"0" * (1 << 20)


def _form(data: bytes, name: str, extra_parts: int = 0) -> FormData:
    form = FormData()
    for n in range(extra_parts):
        form.add_field(f"noise{n}", "x" * 100)
    form.add_field("file", data, filename=name, content_type="application/octet-stream")
    return form


async def test_hostile_uploads_are_refused_in_bounds(kit: Kit, ca: Issued) -> None:
    app = web.Application()
    trust = Trust((ca.certificate,))
    portal.add_routes(app, lambda data: verify_file(data, trust, "web:xac-thuc"))
    bomb = _zip_bomb()
    cases = [
        (_form(bomb, "hocba.xml"), 422, "không phải"),
        (_form(bomb, "hocba.pdf"), 422, "không phải"),
        (_form(XXE, "hocba.xml", extra_parts=500), 422, "DOCTYPE"),
        (_form(b"", "hocba.xml"), 400, "Chưa có tệp"),
    ]
    async with TestClient(TestServer(app)) as client:
        before = await counts()
        for form, status, words in cases:
            with bounded(SECONDS, TRACED_MIB, rss_growth_mib=120):
                response = await client.post("/api/v1/xac-thuc", data=form)
                answer = await response.json()
            assert response.status == status and words in answer["error"], answer
        with bounded(SECONDS, STREAMED_MIB, rss_growth_mib=120):  # 50 MB with no length
            response = await client.post(
                "/api/v1/xac-thuc",
                data=_fifty_megabytes(),
                headers={"Content-Type": "multipart/form-data; boundary=b"},
            )
            assert response.status == 413 and "Tệp quá lớn" in (await response.json())["error"]
        assert await counts() == before
        genuine = await client.post("/api/v1/xac-thuc", data=_form(kit.v2, "hocba.xml"))
        assert (await genuine.json())["status"] == "current"
