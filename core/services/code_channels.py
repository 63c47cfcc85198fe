"""The ways a school brings a parent's one-time code to their registered phone
(core.services.family_web; configured: [families] code_channel).

- "clerk": the school's clerks (else its admins) get it in the bot, with the student and the
  phone, to read out to that number or print for the parent at the desk;
- "telegram": the chat of each guardian account linked to the student with that phone;
- "sms": an SMS gateway, POST {url} with a bearer token and JSON {"to", "text"}.

The first two go through the outbox inside the request's transaction (they commit with the
code); the gateway is called once the code is stored, and a failure is logged for the school.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

import aiohttp

from core import formatting
from core.i18n import _
from core.models import GuardianLink, Role
from core.services.access import staff_with
from core.services.family_web import CodeChannel, CodeDelivery
from core.services.outbox import describe, enqueue, notify_staff

log = logging.getLogger("hocba.codes")
describe("family.code", lambda: _("mã một lần cho phụ huynh lấy học bạ trên web"))


def _code_text(delivery: CodeDelivery) -> str:
    return _(
        "Mã một lần để lấy học bạ số của học sinh {name} trên trang web của trường: {code} "
        "(dùng trước {until}). Không đưa mã này cho ai khác."
    ).format(
        name=delivery.student.full_name,
        code=delivery.code,
        until=formatting.date_time(delivery.expires_at),
    )


class ClerkCodes:
    name = "clerk"

    def label(self) -> str:
        return _("văn phòng nhà trường (văn thư sẽ gọi hoặc nhắn tới số điện thoại đã đăng ký)")

    async def send(self, delivery: CodeDelivery) -> None:
        school = delivery.school_id
        staff = await staff_with(school, Role.CLERK) or await staff_with(school, Role.ADMIN)
        for member in staff:
            await notify_staff(
                member,
                "family.code",
                lambda: _(
                    "Phụ huynh của học sinh {name} xin lấy lại học bạ trên web. Hãy gọi hoặc nhắn "
                    "đúng số đã đăng ký {phone} để đọc mã một lần {code} (dùng trước {until}); "
                    "không đọc mã cho số nào khác."
                ).format(
                    name=delivery.student.full_name,
                    phone=delivery.phone,
                    code=delivery.code,
                    until=formatting.date_time(delivery.expires_at),
                ),
                dedupe_key=f"family.code:{delivery.student.id}:{delivery.code}:{member.id}",
            )


class TelegramCodes:
    name = "telegram"

    def label(self) -> str:
        return _("tin nhắn của Trợ lý Học bạ số trên Telegram (tài khoản phụ huynh đã liên kết)")

    async def send(self, delivery: CodeDelivery) -> None:
        links = await GuardianLink.filter(student=delivery.student, phone=delivery.phone)
        for link in links:
            await enqueue(
                school_id=delivery.school_id,
                kind="family.code",
                text=_code_text(delivery),
                dedupe_key=f"family.code:{delivery.student.id}:{delivery.code}:{link.id}",
                chat_id=link.telegram_user_id,
                expires_at=delivery.expires_at,
            )


@dataclass
class SmsCodes:
    url: str
    token: str
    name: str = "sms"
    _sending: set[asyncio.Task[None]] = field(default_factory=set, repr=False)

    def label(self) -> str:
        return _("tin nhắn SMS tới số điện thoại đã đăng ký")

    async def send(self, delivery: CodeDelivery) -> None:
        task = asyncio.create_task(self._post(delivery.phone, _code_text(delivery)))
        self._sending.add(task)  # kept until done: a task nobody holds may be collected
        task.add_done_callback(self._sending.discard)

    async def _post(self, phone: str, text: str) -> None:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as session,
                session.post(self.url, json={"to": phone, "text": text}, headers=headers) as answer,
            ):
                if answer.status >= 300:
                    log.error("SMS gateway answered %s for a family code", answer.status)
        except (aiohttp.ClientError, TimeoutError) as failed:
            log.error("SMS gateway unreachable for a family code: %s", failed)

    async def drain(self) -> None:
        """Wait for the messages being sent (a test, a shutdown)."""
        if self._sending:
            await asyncio.gather(*self._sending)


def channel_for(name: str, sms_url: str = "", sms_token: str = "") -> CodeChannel:
    """The configured channel ([families] code_channel, checked by the configuration)."""
    if name == "sms":
        return SmsCodes(sms_url, sms_token)
    return TelegramCodes() if name == "telegram" else ClerkCodes()
