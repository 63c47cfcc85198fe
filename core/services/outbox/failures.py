"""When a try fails: try again later, or give up, audit it and tell the school's admins."""

from __future__ import annotations

import datetime as dt
import html
import re

from tortoise.transactions import in_transaction

from core import audit, clock
from core.i18n import _
from core.models import Role, Staff
from core.models.outbox import DeliveryState, Failure, Notification
from core.services.outbox.claims import DEFAULT_POLICY, Policy, held
from core.services.outbox.enqueue import notify_staff

ACTOR = "outbox"
ALERT_KIND = "outbox.undeliverable"
EXCERPT_LENGTH = 160


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or clock.now()


async def retry_later(
    notification: Notification,
    error: str,
    now: dt.datetime | None = None,
    *,
    retry_after: float | None = None,
    policy: Policy = DEFAULT_POLICY,
) -> DeliveryState | None:
    """A transient failure: try again after `retry_after` seconds (Telegram's 429 says when)
    or after the backoff; once `max_attempts` tries have failed, give up instead.

    Returns the row's new state (PENDING, or FAILED when given up), None if the lease was lost.
    """
    now = _now(now)
    if notification.attempts >= policy.max_attempts:
        given_up = await fail(notification, Failure.GAVE_UP, error, now)
        return DeliveryState.FAILED if given_up else None
    delay = (
        dt.timedelta(seconds=retry_after)
        if retry_after is not None
        else policy.backoff(notification.attempts)
    )
    updated = await Notification.filter(held(notification)).update(
        state=DeliveryState.PENDING,
        next_attempt_at=now + delay,
        last_error=error,
        lease_until=None,
        claim_token=None,
    )
    return DeliveryState.PENDING if updated else None


async def fail(
    notification: Notification, failure: Failure, error: str, now: dt.datetime | None = None
) -> bool:
    """Stop retrying: record why, audit it and alert the school's admins, in one transaction.

    Alerts about alerts are not sent (an admin who cannot be reached is in the audit log and
    in `undeliverable`), so a broken connection cannot multiply messages.
    """
    now = _now(now)
    async with in_transaction():
        updated = await Notification.filter(held(notification)).update(
            state=DeliveryState.FAILED,
            failure=failure,
            last_error=error,
            lease_until=None,
            claim_token=None,
        )
        if not updated:
            return False
        await audit.record(
            audit.Event(
                ACTOR,
                "notification.fail",
                notification.target,
                before={"state": DeliveryState.SENDING},
                after={
                    "state": DeliveryState.FAILED,
                    "failure": failure,
                    "error": error,
                    "attempts": notification.attempts,
                    "kind": notification.kind,
                },
            )
        )
        if notification.kind != ALERT_KIND:
            await _alert_admins(notification, failure, error, now)
    return True


def _excerpt(text: str) -> str:
    """The message as plain text, shortened, escaped again for HTML."""
    plain = html.unescape(re.sub(r"<[^>]+>", "", text)).strip()
    if len(plain) > EXCERPT_LENGTH:
        plain = plain[: EXCERPT_LENGTH - 1].rstrip() + "…"
    return html.escape(plain)


def _recipient_label(notification: Notification, staff: Staff | None) -> str:
    if staff is None:
        return _("tài khoản Telegram {chat_id}").format(chat_id=notification.chat_id)
    return html.escape(f"{staff.full_name} ({staff.code})")


def _reason(notification: Notification, failure: Failure, error: str) -> tuple[str, str]:
    """Why it failed and what the admin can do, in the current language."""
    error = html.escape(error)
    if failure is Failure.BLOCKED:
        return (
            _("người nhận đã chặn bot hoặc chưa bấm «Bắt đầu» với bot"),
            _(
                "Hãy báo nội dung này trực tiếp cho người nhận và nhờ họ mở bot, bấm «Bắt đầu» "
                "(hoặc liên kết lại tài khoản): thông báo sẽ được gửi lại khi họ liên kết."
            ),
        )
    if failure is Failure.REJECTED:
        return (
            _("Telegram từ chối nội dung ({error})").format(error=error),
            _(
                "Hãy báo nội dung này trực tiếp cho người nhận và chuyển thông báo lỗi này "
                "cho người phụ trách kỹ thuật của trường."
            ),
        )
    if failure is Failure.FILE_MISSING:
        return (
            _("tệp đính kèm «{name}» không còn trên máy chủ hoặc đã bị thay đổi").format(
                name=html.escape(notification.file_name or "")
            ),
            _("Hãy kiểm tra kho tệp của máy chủ (hoặc bản sao lưu) rồi gửi tệp cho người nhận."),
        )
    return (
        _("đã thử {attempts} lần đều không được (lỗi cuối: {error})").format(
            attempts=notification.attempts, error=error
        ),
        _(
            "Hãy kiểm tra kết nối Internet của máy chủ tới Telegram, và báo nội dung này "
            "trực tiếp cho người nhận."
        ),
    )


def _alert_text(
    notification: Notification, recipient: Staff | None, failure: Failure, error: str
) -> str:
    reason, advice = _reason(notification, failure, error)
    return _(
        "⚠️ <b>Không gửi được thông báo</b> tới {recipient}.\n"
        "Nội dung: «{excerpt}»\n"
        "Lý do: {reason}.\n"
        "{advice}"
    ).format(
        recipient=_recipient_label(notification, recipient),
        excerpt=_excerpt(notification.text),
        reason=reason,
        advice=advice,
    )


async def _alert_admins(
    notification: Notification, failure: Failure, error: str, now: dt.datetime
) -> None:
    """Tell every active admin of the school (but not the unreachable person themselves)."""
    admins = Staff.filter(school_id=notification.school_id, active=True, roles__role=Role.ADMIN)
    recipient = None
    if notification.staff_id is not None:
        admins = admins.exclude(id=notification.staff_id)
        recipient = await Staff.get(id=notification.staff_id)
    stamp = now.strftime("%Y%m%dT%H%M%S%f")
    for admin in await admins.distinct():
        await notify_staff(
            admin,
            ALERT_KIND,
            lambda: _alert_text(notification, recipient, failure, error),
            dedupe_key=f"{ALERT_KIND}:{notification.id}:{stamp}:{admin.id}",
            now=now,
        )
