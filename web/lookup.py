"""`/xac-thuc/{code}`: the page a record's QR code opens (001 Điều 31.1). It asks for the access
code printed beside the QR code and shows nothing of the record without it; with it, the
record's status and summary (core.services.record_lookup decides; these routes read the form
and draw the pages)."""

from __future__ import annotations

from aiohttp import web

from core.services.doors import DoorClosed
from core.services.lookup_codes import LOOKUP_PATH
from core.services.record_lookup import LookupRefused, look_up
from web import lookup_pages as pages
from web.portal import client_of

_ROUTE = LOOKUP_PATH + "/{code}"
_MAX_CODE = 64  # a typed code is 12 letters with a few dashes: a longer path is no code


def _html(text: str, status: int = 200) -> web.Response:
    # a page about one student's record is never kept by a shared computer's browser or a proxy
    return web.Response(
        text=text, content_type="text/html", status=status, headers={"Cache-Control": "no-store"}
    )


async def ask_access(request: web.Request) -> web.Response:
    return _html(pages.access_page(request.match_info["code"][:_MAX_CODE]))


async def show_record(request: web.Request) -> web.Response:
    code = request.match_info["code"][:_MAX_CODE]
    access = str((await request.post()).get("access", ""))[:_MAX_CODE]
    try:
        found = await look_up(client_of(request), code, access)
    except DoorClosed as closed:
        return _html(pages.access_page(code, str(closed)), 429)
    except LookupRefused as refused:
        return _html(pages.access_page(code, str(refused)), 403)
    return _html(pages.record_page(found))


def add_routes(app: web.Application) -> None:
    app.router.add_get(_ROUTE, ask_access)
    app.router.add_post(_ROUTE, show_record)
