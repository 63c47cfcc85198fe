"""`hocba close`, `hocba prepare`, `hocba issue`, `hocba export`, `hocba verify`.

`close` shows a class's end-of-year lists and, naming the decision (`--decided-by`: the
principal or the vice principal they delegated), closes its year, creates its documents and
tells the homeroom teacher and each first signer; `prepare` creates the documents of a class
already closed (nothing is signed: people sign from their phones).

`issue` seals and issues what the people have signed, and nothing else (regulation 001 Điều
8.3, 11.1, 32.1: a private key stays with its owner, and nobody signs for another): the seal's
operator runs it, naming themselves (`--by`: the clerk, who keeps the school's token, Điều
11.2, or the admin the school gives that role, 004 Điều 9.4), and the audit log names them,
and only them. In demo mode ([demo] enabled) it still runs the whole chain with the demo's
key files, acting as each person in turn (the core checks each one's role and assignment as
for a signer on the phone), and says so.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.config import Config
from core.errors import HocbaError, InvalidValue
from core.i18n import _
from core.models import BatchState, Role, School, SchoolClass, SignatureRole, Staff
from core.runtime import Runtime
from core.services import issuance
from core.services.access import Actor
from core.services.issuance.outstanding import issued_count, outstanding
from core.services.issuance.stand_in import homeroom_signer
from core.services.signin import find_staff
from core.services.verification import MAX_FILE_BYTES, too_big, verify_for


async def _signer_staff(school: School, role: SignatureRole) -> list[Staff]:
    """Who signs `role` at this school from the console: the principal; for the seal, the clerk."""
    wanted = Role.PRINCIPAL if role is SignatureRole.PRINCIPAL else Role.CLERK
    return await Staff.filter(school=school, roles__role=wanted, active=True)


async def _waits(actor: Actor, school_class: SchoolClass, role: SignatureRole) -> bool:
    return any(
        w.role is role and w.class_id == school_class.id for w in await issuance.waiting_for(actor)
    )


async def _sign_as(
    runtime: Runtime, staff: Staff, school_class: SchoolClass, role: SignatureRole
) -> None:
    """One step of the chain as `staff`, run to its end here (the batch's chunks in the worker
    pool); a step that stopped half-way on an earlier run carries on where it stopped."""
    actor = await Actor.of_staff(staff)
    started = await issuance.begin(actor, school_class.id, role, runtime.signing)
    batch = await runtime.batches.run(started.id)
    if batch is None:
        raise HocbaError(
            _("Phiên ký {role} lớp {klass} đang chạy ở nơi khác; hãy thử lại sau ít phút.").format(
                role=role.label, klass=school_class.name
            )
        )
    if batch.state is not BatchState.DONE:
        raise HocbaError(batch.message)


async def issue_class(
    runtime: Runtime,
    school: School,
    school_class: SchoolClass,
    stop_before: SignatureRole | None = None,
    *,
    sealed_by: Staff | None = None,
) -> int:
    """Seal and issue what the people have signed (`sealed_by`: the seal's operator); returns
    the number of issued records of the class. In demo mode, prepare and sign everything of
    the class in order first, as each person (`stop_before` leaves that step and the later
    ones to their signers: tests, a partial run). Steps already done are skipped, so a run
    that stopped half-way can simply be run again."""
    if not runtime.signing.demo:
        return await _seal_signed(runtime, school, school_class, sealed_by)
    admin = Actor.command_line(school.id)
    await issuance.prepare_class(admin, school_class, runtime.workers, runtime.portal)
    # whoever signs the sheets: the subjects' teachers, the principal in a departed one's place
    teachers = await Staff.filter(sheets__school_class=school_class).distinct()
    for teacher in teachers:
        if await _waits(await Actor.of_staff(teacher), school_class, SignatureRole.SUBJECT_TEACHER):
            await _sign_as(runtime, teacher, school_class, SignatureRole.SUBJECT_TEACHER)
    steps: list[tuple[SignatureRole, list[Staff]]] = [
        (SignatureRole.HOMEROOM, [s for s in [await homeroom_signer(school_class)] if s]),
        (SignatureRole.PRINCIPAL, await _signer_staff(school, SignatureRole.PRINCIPAL)),
        (
            SignatureRole.SEAL,
            [sealed_by] if sealed_by else await _signer_staff(school, SignatureRole.SEAL),
        ),
    ]
    for role, people in steps:
        if role is stop_before:
            break
        if not people:
            raise HocbaError(_("Trường chưa có ai giữ vai trò {role}.").format(role=role.label))
        if await _waits(await Actor.of_staff(people[0]), school_class, role):
            await _sign_as(runtime, people[0], school_class, role)
    return len(await issuance.issued_records(admin, school_class))


async def _seal_signed(
    runtime: Runtime, school: School, school_class: SchoolClass, operator: Staff | None
) -> int:
    """The seal step only, as its operator, over the records every person has signed; the
    records still waiting for someone are left to them, and said."""
    admin = Actor.command_line(school.id)
    if operator is None:
        raise HocbaError(
            _(
                "Hãy nêu người đóng dấu: hocba issue {klass} --by MÃ_CÁN_BỘ (văn thư giữ con "
                "dấu số của trường, hoặc quản trị được trường giao). Lệnh này chỉ đóng dấu và "
                "phát hành những học bạ mọi người đã tự ký."
            ).format(klass=school_class.name)
        )
    waiting = await outstanding(admin, school_class)
    if any(w.role is SignatureRole.SEAL for w in waiting):
        await _sign_as(runtime, operator, school_class, SignatureRole.SEAL)
        waiting = await outstanding(admin, school_class)
    issued = await issued_count(admin, school_class)
    if waiting and not issued:
        raise HocbaError(
            _(
                "Lớp {klass}: chưa có học bạ nào đủ chữ ký của mọi người để đóng dấu. Còn chờ "
                "{waiting}. Mỗi người tự ký trên điện thoại («✍️ Ký học bạ») hoặc bằng token "
                "của mình (hocba sign); lệnh này không ký thay ai."
            ).format(klass=school_class.name, waiting="; ".join(w.line() for w in waiting))
        )
    if waiting:
        print(
            _("Còn chờ người ký: {waiting}.").format(waiting="; ".join(w.line() for w in waiting))
        )
    if not issued:
        raise HocbaError(
            _(
                "Lớp {klass} chưa có học bạ để đóng dấu: chốt năm học rồi lập học bạ "
                "(hocba prepare {klass})."
            ).format(klass=school_class.name)
        )
    return issued


async def _class(args: argparse.Namespace, config: Config) -> tuple[School, SchoolClass]:
    from bot.cli import _find_class  # the command line's own class lookup

    return await _find_class(args, config)


def _print_review(review: issuance.Review) -> None:
    """The class's lists as the bot shows them, in plain text."""
    print(review.lists.title())
    for section in review.lists.sections():
        print(f"\n{section.heading}")
        for line in section.lines or [_("(không có)")]:
            print(f"  {line}")
    print()
    for note in review.notes():
        print(note)


async def cmd_close(args: argparse.Namespace, config: Config, runtime: Runtime) -> int:
    """Without --decided-by: the class's end-of-year lists (what the decision rests on), and
    nothing closed. With it: the decision of that principal (or delegated vice principal),
    executed by the console's admin: the year closed, its documents created, the homeroom
    teacher and the first signers told."""
    school, school_class = await _class(args, config)
    admin = Actor.command_line(school.id)
    if not args.decided_by:
        review = await issuance.review(admin, school_class.id)
        _print_review(review)
        if review.closed:
            return 0
        raise InvalidValue(
            _(
                "Lớp {klass} chưa được chốt. Quản trị chốt năm học theo quyết định của Hiệu "
                "trưởng (hoặc Phó hiệu trưởng được ủy quyền), nêu người quyết định: "
                "hocba close {klass} --decided-by MÃ_CÁN_BỘ."
            ).format(klass=school_class.name)
        )
    decider = await find_staff(school.id, args.decided_by)
    closed = await issuance.close_and_prepare(
        admin, school_class.id, runtime.workers, runtime.portal, decided_by=decider
    )
    assert isinstance(closed, issuance.Closed)  # a named decision needs no confirmation
    _print_review(issuance.Review(closed.lists, True, None))
    print("\n".join(closed.summary()))
    return 0


async def cmd_prepare(args: argparse.Namespace, config: Config, runtime: Runtime) -> int:
    """Create the documents of a class whose year is closed (`hocba close`) and tell the
    first signers; nothing is signed here. A re-run after a stop carries on."""
    school, school_class = await _class(args, config)
    prepared = await issuance.prepare_class(
        Actor.command_line(school.id), school_class, runtime.workers, runtime.portal
    )
    if not prepared.documents:
        print(_("Lớp {klass}: học bạ đã được lập từ trước.").format(klass=school_class.name))
        return 0
    print(
        _("Đã lập {n} tài liệu của lớp {klass}.").format(
            klass=school_class.name, n=prepared.documents
        )
    )
    if prepared.told:
        print(_("Đã báo người ký: {who}.").format(who=", ".join(prepared.told)))
    return 0


async def cmd_issue(args: argparse.Namespace, config: Config, runtime: Runtime) -> int:
    school, school_class = await _class(args, config)
    operator = await find_staff(school.id, args.by) if args.by else None
    if runtime.signing.demo:
        print(
            _(
                "Chế độ trình diễn: ký thay từng người bằng khóa thử nghiệm trên máy chủ (khi "
                "chạy thật, mỗi người tự ký; lệnh này chỉ đóng dấu và phát hành)."
            )
        )
    issued = await issue_class(runtime, school, school_class, sealed_by=operator)
    print(
        _("Lớp {klass}: {n} học bạ đã ký đủ và phát hành.").format(
            klass=school_class.name, n=issued
        )
    )
    return 0


async def cmd_export(args: argparse.Namespace, config: Config, runtime: Runtime) -> int:
    school, school_class = await _class(args, config)
    target = Path(args.dir)
    target.mkdir(parents=True, exist_ok=True)
    records = await issuance.issued_records(Actor.command_line(school.id), school_class)
    for record in records:
        stem = f"{record.code}.v{record.version}"
        (target / f"{stem}.xml").write_bytes(record.xml)
        (target / f"{stem}.pdf").write_bytes(record.pdf or b"")
    for root in runtime.trust_roots:
        (target / root.name).write_bytes(root.read_bytes())
    print(
        _("Đã ghi {n} học bạ (XML và PDF) và chứng thư gốc vào {dir}.").format(
            n=len(records), dir=target
        )
    )
    return 0


async def cmd_verify(args: argparse.Namespace, config: Config, runtime: Runtime) -> int:
    """The same report as the bot's and the library's (core.services.verification); exit 0
    only for a file every required signature makes valid and that is not replaced or revoked.
    The file's size is checked before it is read: a 50 MB upload is refused unread."""
    path = Path(args.file)
    if not path.is_file():
        raise HocbaError(_("Không thấy tệp {path}.").format(path=path))
    if (size := path.stat().st_size) > MAX_FILE_BYTES:
        raise too_big(size)
    report = await verify_for(runtime, path.read_bytes(), "cli")
    print("\n".join(report.lines()))
    return 0 if report.ok else 1
