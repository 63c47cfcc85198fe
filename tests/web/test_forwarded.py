"""Behind a reverse proxy ([web] trusted_proxies): the doors count a family's failed guesses
under the family's own address, which the proxy passes in X-Forwarded-For, not under the
proxy's; a request that does not come from a trusted proxy cannot name another address."""

from __future__ import annotations

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.web import behind_proxies
from core.models import AccessAttempt
from web import lookup

CODE = "ABCDEFGHJKMN"  # no record's: every try fails and is counted


async def _tries(proxies: tuple[str, ...], **headers: str) -> list[str]:
    """The door keys one failed lookup was counted under, served with `proxies` trusted."""
    app = web.Application(middlewares=[behind_proxies(proxies)] if proxies else [])
    lookup.add_routes(app)
    async with TestClient(TestServer(app)) as client:  # it connects from 127.0.0.1
        response = await client.post(
            f"/xac-thuc/{CODE}", data={"access": "00000000"}, headers=headers
        )
        assert response.status == 403
    keys = await AccessAttempt.filter(key__startswith="web:").values_list("key", flat=True)
    await AccessAttempt.all().delete()
    return keys


async def test_the_family_behind_a_trusted_proxy_is_counted_as_itself(db: str) -> None:
    local = ("127.0.0.1", "::1")
    assert await _tries(local, **{"X-Forwarded-For": "203.0.113.5"}) == ["web:203.0.113.5"]
    # the family's own proxy said something first: the proxy we trust appended the real peer
    spoofed = {"X-Forwarded-For": "198.51.100.1, 203.0.113.5"}
    assert await _tries(local, **spoofed) == ["web:203.0.113.5"]
    assert await _tries(local) == ["web:127.0.0.1"]  # a probe on the machine itself


@pytest.mark.parametrize("proxies", [(), ("10.0.0.0/8",)])
async def test_nobody_else_can_name_an_address(db: str, proxies: tuple[str, ...]) -> None:
    """No proxy trusted, or the request not from one: the header is ignored."""
    headers = {"X-Forwarded-For": "203.0.113.5"}
    assert await _tries(proxies, **headers) == ["web:127.0.0.1"]
