"""Linking a Telegram account to a staff record: by a one-time invite, or by the person's own
phone number shared through Telegram's contact button.

Every attempt, accepted or refused, is audited under the Telegram account ("telegram:<id>"),
and repeated failures from one account are slowed down, so invite codes cannot be guessed and
phone numbers cannot be probed.

Messages decided for someone before they signed in (or while they were signed out, or blocked
the bot) wait in the outbox; the sign-in releases them in its own transaction, those that
lapsed meanwhile only counted (core.services.outbox.lapse), and tells the person so.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from core import audit, clock
from core.errors import InvalidValue, NotFound, PermissionDenied
from core.i18n import LANGUAGES, _
from core.models import AuditEvent, InviteCode, Role, Staff, StaffRole
from core.services import outbox
from core.services.access import Actor, ensure_admin
from core.services.role_grants import RESERVED, grant_decision
from core.text import fold
from core.validation import normalise_phone

INVITE_LIFETIME = dt.timedelta(days=3)
MAX_FAILURES = 5
FAILURE_WINDOW = dt.timedelta(hours=1)
REFUSED = "signin.refused"


class SignInRefused(PermissionDenied):
    """A sign-in attempt that was refused (and audited)."""


@dataclass(frozen=True)
class Invite:
    code: str
    staff: Staff
    expires_at: dt.datetime

    @property
    def full_name(self) -> str:
        return self.staff.full_name

    @property
    def staff_code(self) -> str:
        return self.staff.code


def telegram_label(telegram_user_id: int) -> str:
    return f"telegram:{telegram_user_id}"


def _hash(code: str) -> str:
    return hashlib.sha256(code.strip().encode()).hexdigest()


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or clock.now()


async def find_staff(school_id: int, who: str) -> Staff:
    """A staff member by exact staff code, or by a unique part of the name (accents optional)."""
    by_code = await Staff.get_or_none(school_id=school_id, code=who.strip().upper())
    if by_code:
        return by_code
    key = fold(who)
    matches = [
        s for s in await Staff.filter(school_id=school_id, active=True) if key in fold(s.full_name)
    ]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise NotFound(
            _(
                "Không tìm thấy cán bộ nào có mã hoặc tên «{who}». Kiểm tra lại mã cán bộ; người "
                "mới cần có trong danh sách cán bộ của trường trước (quản trị nhập danh sách cán "
                "bộ)."
            ).format(who=who)
        )
    raise InvalidValue(
        _("Có {n} người khớp với «{who}»: {names}. Hãy dùng mã cán bộ.").format(
            n=len(matches), who=who, names=", ".join(f"{s.code} {s.full_name}" for s in matches)
        )
    )


async def create_invite(
    actor: Actor, who: str, *, decided_by: Staff | None = None, now: dt.datetime | None = None
) -> Invite:
    """A new one-time code for a staff member of the admin's school.

    Whoever redeems an invite becomes that staff member in the bot. For the principal, a vice
    principal or the clerk that means approving, signing and sealing for the school, roles only
    the principal gives (001 Điều 16.2, 33.2; core.services.role_grants): an invite into such
    an account is the principal's decision too, or an admin's naming it (`decided_by`), and the
    audit event keeps it. Otherwise an admin could invite themselves into the principal's place.
    """
    ensure_admin(actor)
    staff = await find_staff(actor.school_id, who)
    reserved = await StaffRole.filter(staff=staff, role__in=list(RESERVED)).values_list(
        "role", flat=True
    )
    decision = None
    if reserved and staff.id != actor.staff_id:
        try:
            decision = await grant_decision(actor, decided_by)
        except PermissionDenied as refused:
            if decided_by is not None:
                raise
            raise PermissionDenied(
                _(
                    "{name} giữ vai trò {roles}: mã mời vào tài khoản này để người nhận duyệt, ký "
                    "thay mặt nhà trường, nên do Hiệu trưởng quyết định (Quy chế 001 Điều 16.2, "
                    "33.2). Hãy đề nghị Hiệu trưởng, hoặc theo quyết định đó chạy trên máy chủ: "
                    "hocba staff invite {code} --decided-by MÃ_HIỆU_TRƯỞNG. Người đó cũng có thể "
                    "đăng nhập bằng cách chia sẻ số điện thoại của chính mình."
                ).format(
                    name=staff.full_name,
                    roles=", ".join(Role(r).label for r in reserved),
                    code=staff.code,
                )
            ) from refused
    code = secrets.token_urlsafe(12)
    expires_at = _now(now) + INVITE_LIFETIME
    async with in_transaction():
        await InviteCode.create(
            school_id=actor.school_id,
            staff=staff,
            code_hash=_hash(code),
            created_by=actor.label,
            expires_at=expires_at,
        )
        await audit.record(
            audit.Event(
                actor.label,
                "signin.invite",
                f"staff:{staff.id}",
                after={"expires_at": expires_at.isoformat()}
                | (decision.audited() if decision else {}),
            )
        )
    return Invite(code, staff, expires_at)


async def _refused(
    telegram_user_id: int, reason: str, message: str, target: str = "signin"
) -> SignInRefused:
    """Audit a refused attempt (committed even though the sign-in fails) and return the error."""
    await audit.record(
        audit.Event(
            telegram_label(telegram_user_id),
            REFUSED,
            target,
            after={"reason": reason},
        )
    )
    return SignInRefused(message)


async def _check_rate(telegram_user_id: int, now: dt.datetime) -> None:
    failures = await AuditEvent.filter(
        actor=telegram_label(telegram_user_id), action=REFUSED, at__gte=now - FAILURE_WINDOW
    ).count()
    if failures >= MAX_FAILURES:
        raise SignInRefused(
            _(
                "Bạn đã thử không thành công nhiều lần. Hãy thử lại sau một giờ, hoặc nhờ quản "
                "trị học bạ số của trường gửi mã mời mới."
            )
        )


async def _change_staff(staff: Staff, actor: str, action: str, **values: object) -> None:
    """Set fields of a staff record and audit old and new values, in one transaction."""
    before = {name: getattr(staff, name) for name in values}
    async with in_transaction():
        for name, value in values.items():
            setattr(staff, name, value)
        await staff.save(update_fields=list(values))
        await audit.record(audit.Event(actor, action, f"staff:{staff.id}", before, dict(values)))


@dataclass(frozen=True)
class Linked:
    """A sign-in that went through: who, and what became of the messages that waited for
    them (sent now, or lapsed meanwhile and only counted)."""

    staff: Staff
    arrival: outbox.Arrival


async def _link(staff: Staff, telegram_user_id: int, method: str, now: dt.datetime) -> Linked:
    """Point the staff record at this Telegram account (moving it from an old one if needed)
    and, in the same transaction, release what waited for them: a witness who signs in after
    the approval gets the invitation, a reminder whose deadline passed is only counted."""
    async with in_transaction():
        await _change_staff(
            staff,
            telegram_label(telegram_user_id),
            f"signin.linked.{method}",
            telegram_user_id=telegram_user_id,
        )
        arrival = await outbox.release_for(staff, now)
    return Linked(staff, arrival)


async def _ensure_account_free(telegram_user_id: int, staff: Staff) -> None:
    """One Telegram account per staff member, and one staff member per account."""
    holder = await Staff.get_or_none(telegram_user_id=telegram_user_id)
    if holder and holder.id != staff.id:
        raise await _refused(
            telegram_user_id,
            "account_linked_to_other_staff",
            _(
                "Tài khoản Telegram này đang đăng nhập là {name}. Hãy đăng xuất (/dangxuat) "
                "trước khi đăng nhập cho người khác."
            ).format(name=holder.full_name),
            target=f"staff:{staff.id}",
        )


async def redeem_invite(
    code: str,
    telegram_user_id: int,
    *,
    school_id: int | None = None,
    now: dt.datetime | None = None,
) -> Staff:
    """Sign in with an invite code; `school_id` is the school this bot serves (None: any)."""
    return (await _redeem(code, telegram_user_id, school_id, _now(now))).staff


async def _redeem(
    code: str, telegram_user_id: int, school_id: int | None, now: dt.datetime
) -> Linked:
    await _check_rate(telegram_user_id, now)
    invite = await InviteCode.get_or_none(code_hash=_hash(code))
    if invite is None:
        raise await _refused(
            telegram_user_id,
            "unknown_code",
            _("Mã mời không đúng. Hãy mở lại đường link nhà trường gửi, hoặc xin mã mới."),
        )
    target = f"staff:{invite.staff_id}"
    if school_id is not None and invite.school_id != school_id:
        raise await _refused(
            telegram_user_id,
            "other_school",
            _("Mã mời này là của trường khác, không dùng được ở đây."),
            target=target,
        )
    if invite.used_at is not None:
        raise await _refused(
            telegram_user_id,
            "used_code",
            _("Mã mời này đã được dùng. Mỗi mã chỉ dùng một lần: hãy xin quản trị mã mới."),
            target=target,
        )
    if invite.expires_at < now:
        raise await _refused(
            telegram_user_id,
            "expired_code",
            _("Mã mời này đã hết hạn. Hãy xin quản trị học bạ số của trường mã mới."),
            target=target,
        )
    staff = await Staff.get(id=invite.staff_id)
    await _ensure_account_free(telegram_user_id, staff)
    async with in_transaction():  # the code is used up only by a sign-in that went through
        claimed = await InviteCode.filter(id=invite.id, used_at=None).update(
            used_at=now, used_by=telegram_user_id
        )
        if claimed:
            return await _link(staff, telegram_user_id, "invite", now)
    # redeemed a moment ago by another request
    raise await _refused(
        telegram_user_id,
        "used_code",
        _("Mã mời này đã được dùng. Mỗi mã chỉ dùng một lần: hãy xin quản trị mã mới."),
        target=target,
    )


async def link_by_contact(
    phone: str,
    contact_user_id: int | None,
    telegram_user_id: int,
    *,
    school_id: int | None = None,
    now: dt.datetime | None = None,
) -> Staff:
    """Sign in with the phone number Telegram shared: it must be the sender's own contact and
    match exactly one active staff record (of this bot's school) not linked elsewhere."""
    linked = await _by_contact(phone, contact_user_id, telegram_user_id, school_id, _now(now))
    return linked.staff


async def _by_contact(
    phone: str,
    contact_user_id: int | None,
    telegram_user_id: int,
    school_id: int | None,
    now: dt.datetime,
) -> Linked:
    await _check_rate(telegram_user_id, now)
    if contact_user_id != telegram_user_id:
        raise await _refused(
            telegram_user_id,
            "someone_elses_contact",
            _(
                "Đây không phải số điện thoại của chính bạn. Hãy bấm nút «Chia sẻ số điện thoại "
                "của tôi» để gửi số của bạn."
            ),
        )
    try:
        normal = normalise_phone(phone)
    except InvalidValue:
        normal = ""
    query = Staff.filter(phone=normal, active=True) if normal else Staff.none()
    if school_id is not None:
        query = query.filter(school_id=school_id)
    matches = await query
    if len(matches) != 1:
        raise await _refused(
            telegram_user_id,
            "unknown_phone" if not matches else "ambiguous_phone",
            _(
                "Số điện thoại này không có trong danh sách cán bộ của trường. Hãy nhờ quản trị "
                "học bạ số cập nhật số của bạn, hoặc đăng nhập bằng mã mời."
            ),
        )
    staff = matches[0]
    if staff.telegram_user_id not in (None, telegram_user_id):
        raise await _refused(
            telegram_user_id,
            "staff_linked_elsewhere",
            _(
                "Hồ sơ của bạn đang liên kết với một tài khoản Telegram khác. Hãy đăng xuất ở "
                "tài khoản đó, hoặc nhờ quản trị gửi mã mời mới."
            ),
            target=f"staff:{staff.id}",
        )
    await _ensure_account_free(telegram_user_id, staff)
    return await _link(staff, telegram_user_id, "contact", now)


async def unlink(telegram_user_id: int) -> Staff | None:
    """Sign out: the account is no longer linked (the staff record stays)."""
    staff = await Staff.get_or_none(telegram_user_id=telegram_user_id)
    if staff is not None:
        await _change_staff(
            staff, telegram_label(telegram_user_id), "signin.unlinked", telegram_user_id=None
        )
    return staff


async def staff_for(telegram_user_id: int) -> Staff | None:
    return await Staff.get_or_none(telegram_user_id=telegram_user_id, active=True)


async def set_language(staff: Staff, language: str) -> None:
    if language not in LANGUAGES:
        raise InvalidValue(_("Ngôn ngữ «{code}» chưa được hỗ trợ.").format(code=language))
    if staff.language != language:
        await _change_staff(staff, f"staff:{staff.id}", "staff.language", language=language)


# ---------------------------------------------------------------------------------------------
# What front ends ask about the person writing to them


@dataclass(frozen=True)
class Person:
    """A signed-in staff member as a front end sees them: who acts, the name to greet, the
    language to answer in."""

    actor: Actor
    full_name: str
    language: str | None


async def _person(staff: Staff) -> Person:
    return Person(await Actor.of_staff(staff), staff.full_name, staff.language)


async def person(telegram_user_id: int) -> Person | None:
    """The active staff member linked to this Telegram account, or None."""
    staff = await staff_for(telegram_user_id)
    return await _person(staff) if staff else None


async def language_of(telegram_user_id: int) -> str | None:
    """The language the linked staff member chose (None: not signed in, or never chose)."""
    staff = await staff_for(telegram_user_id)
    return staff.language if staff else None


@dataclass(frozen=True)
class SignedIn:
    """A front end's answer to a sign-in: the person, and what to tell them about the
    messages that waited (`arrival.lines()`)."""

    person: Person
    arrival: outbox.Arrival


async def sign_in_with_invite(
    code: str, telegram_user_id: int, *, school_id: int | None = None
) -> SignedIn:
    """`redeem_invite`, answered as the person now signed in."""
    linked = await _redeem(code, telegram_user_id, school_id, clock.now())
    return SignedIn(await _person(linked.staff), linked.arrival)


async def sign_in_with_contact(
    phone: str, contact_user_id: int | None, telegram_user_id: int, *, school_id: int | None = None
) -> SignedIn:
    """`link_by_contact`, answered as the person now signed in."""
    linked = await _by_contact(phone, contact_user_id, telegram_user_id, school_id, clock.now())
    return SignedIn(await _person(linked.staff), linked.arrival)


async def sign_out(telegram_user_id: int) -> str | None:
    """`unlink`; the name of whoever was signed in, None if nobody was."""
    staff = await unlink(telegram_user_id)
    return staff.full_name if staff else None


async def choose_language(telegram_user_id: int, language: str) -> Person | None:
    """Keep the language a signed-in person chose; None when nobody is signed in on this
    account (the front end keeps the choice itself then). An unknown code is refused."""
    if language not in LANGUAGES:
        raise InvalidValue(_("Ngôn ngữ «{code}» chưa được hỗ trợ.").format(code=language))
    staff = await staff_for(telegram_user_id)
    if staff is None:
        return None
    await set_language(staff, language)
    return await _person(staff)


async def came_back(telegram_user_id: int) -> outbox.Arrival:
    """The person unblocked the bot: what failed to reach them meanwhile is sent again, unless
    it lapsed; what lapsed is summed up in one message (nobody greets them here)."""
    staff = await staff_for(telegram_user_id)
    if staff is None:
        return outbox.Arrival()
    async with in_transaction():
        arrival = await outbox.release_for(staff)
        await outbox.tell_lapsed(staff, arrival)
    return arrival
