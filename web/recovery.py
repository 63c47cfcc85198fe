"""`/lay-lai-hoc-ba`: a parent gets their child's record files back on the web (001 Điều
31.2), for families Telegram does not reach: the details, then the one-time code sent to the
registered phone, then time-limited download links (core.services.family_web decides it all;
these routes only read the forms and draw the pages)."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from core.errors import HocbaError, InvalidValue
from core.services import family_web
from core.services.doors import DoorClosed
from core.services.family_web import CodeChannel
from web import recovery_pages as pages
from web.portal import client_of

_TYPES = {".xml": "application/xml", ".pdf": "application/pdf"}


@dataclass(frozen=True)
class FamilyDoor:
    """What the routes need: how codes reach phones, and the school served (None: any)."""

    channel: CodeChannel
    school_id: int | None


DOOR = web.AppKey("family_door", FamilyDoor)


def _html(text: str, status: int = 200) -> web.Response:
    return web.Response(text=text, content_type="text/html", status=status)


async def details(_request: web.Request) -> web.Response:
    return _html(pages.details_page())


async def ask_code(request: web.Request) -> web.Response:
    form = await request.post()
    national_id, born, phone = (str(form.get(k, "")) for k in ("national_id", "born", "phone"))
    door = request.app[DOOR]
    try:
        requested = await family_web.request_code(
            client_of(request), national_id, born, phone, door.channel, door.school_id
        )
    except DoorClosed as closed:
        return _html(pages.refused_page(str(closed)), 429)
    except InvalidValue as wrong:  # the form of what was typed: says nothing of anyone
        return _html(pages.details_page(str(wrong), national_id, born), 400)
    return _html(pages.code_page(requested))


async def give_code(request: web.Request) -> web.Response:
    form = await request.post()
    token, code = str(form.get("token", "")), str(form.get("code", ""))
    try:
        opened = await family_web.redeem(client_of(request), token, code)
    except DoorClosed as closed:
        return _html(pages.refused_page(str(closed)), 429)
    except HocbaError as refused:
        return _html(pages.refused_page(str(refused)), 403)
    return _html(pages.files_page(opened))


async def file(request: web.Request) -> web.Response:
    token, name = request.match_info["token"], request.match_info["name"]
    try:
        found = await family_web.download(client_of(request), token, name)
    except HocbaError as refused:
        return _html(pages.refused_page(str(refused)), 404)
    kind = _TYPES.get(name[-4:], "application/octet-stream")
    return web.Response(
        body=found.data,
        content_type=kind,
        headers={
            "Content-Disposition": f'attachment; filename="{found.filename}"',
            "Cache-Control": "no-store",
        },
    )


def add_routes(app: web.Application, door: FamilyDoor) -> None:
    app[DOOR] = door
    app.router.add_get(pages.FORM, details)
    app.router.add_post(pages.FORM, ask_code)
    app.router.add_post(pages.CODE, give_code)
    app.router.add_get(pages.FILES + "/{token}/{name}", file)
