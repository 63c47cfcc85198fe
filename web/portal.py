"""The verification portal (001 Điều 15, 31.1): whoever receives a record file (another
school, an employer, a family) checks it on the web, where Telegram does not reach.

GET /xac-thuc is the form; POST /xac-thuc (multipart field `file`) answers with the verifier's
report as a page; POST /api/v1/xac-thuc answers the same as JSON. The verifier is the one
`hocba verify` and the bot use (core.services.verification), so all three say the same thing.
An upload is read only up to the largest record's size: a bigger one is refused (413) from
its declared length or as soon as it passes the bound, never held whole.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import BodyPartReader, web

from core.errors import HocbaError
from core.i18n import _
from core.services.verification import MAX_FILE_BYTES, too_big
from core.signing.reports import FileReport
from web import pages

Verifier = Callable[[bytes], Awaitable[FileReport]]
VERIFIER = web.AppKey("verifier", Verifier)
PAGE = "/xac-thuc"
API = "/api/v1/xac-thuc"
_FORM_SLACK = 64 * 1024  # the multipart envelope around the file: boundaries, headers
_CHUNK = 64 * 1024


class _Refused(Exception):
    """An upload that is not checked: the HTTP status and the sentence that says why."""

    def __init__(self, status: int, message: str):
        self.status = status
        super().__init__(message)


async def _upload(request: web.Request) -> bytes:
    """The bytes of the form's `file`, read in chunks and no further than a record can be."""
    if (request.content_length or 0) > MAX_FILE_BYTES + _FORM_SLACK:
        raise _Refused(413, str(too_big(request.content_length or 0)))
    try:
        reader = await request.multipart()
    except (AssertionError, ValueError, KeyError):  # not multipart/form-data at all
        raise _Refused(400, _no_file()) from None
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader) or part.name != "file":
            continue
        data = bytearray()
        while chunk := await part.read_chunk(_CHUNK):
            data += chunk
            if len(data) > MAX_FILE_BYTES:
                raise _Refused(413, str(too_big(len(data))))
        if not data:
            break
        return bytes(data)
    raise _Refused(400, _no_file())


def _no_file() -> str:
    return _("Chưa có tệp nào được gửi: hãy chọn tệp học bạ (.xml hoặc .pdf) rồi bấm «Kiểm tra».")


async def _report(request: web.Request) -> FileReport:
    """The verifier's report on the uploaded file; _Refused when there is nothing to check or
    the file cannot be a record (the verifier's own refusal, in its words)."""
    data = await _upload(request)
    try:
        return await request.app[VERIFIER](data)
    except HocbaError as refused:
        raise _Refused(422, str(refused)) from None


def client_of(request: web.Request) -> str:
    """Who is trying, for the doors that count failures (core.services.doors): the address the
    request came from; behind a reverse proxy named in [web] trusted_proxies, the client's own
    address the proxy passes (bot.web)."""
    return request.remote or "unknown"


async def upload_page(_request: web.Request) -> web.Response:
    return web.Response(text=pages.upload_page(PAGE), content_type="text/html")


async def check_page(request: web.Request) -> web.Response:
    try:
        report = await _report(request)
    except _Refused as refused:
        page = pages.refusal_page(str(refused), PAGE)
        return web.Response(text=page, content_type="text/html", status=refused.status)
    return web.Response(text=pages.report_page(report, PAGE), content_type="text/html")


async def check_api(request: web.Request) -> web.Response:
    try:
        report = await _report(request)
    except _Refused as refused:
        return web.json_response({"error": str(refused)}, status=refused.status)
    return web.json_response(report.as_dict())


def add_routes(app: web.Application, verifier: Verifier) -> None:
    """The portal's routes on `app`; `verifier` checks one file (core.services.verification)."""
    app[VERIFIER] = verifier
    app.router.add_get(PAGE, upload_page)
    app.router.add_post(PAGE, check_page)
    app.router.add_post(API, check_api)
