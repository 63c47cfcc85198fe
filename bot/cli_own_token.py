"""`hocba sign CLASS --as CODE`: a person signs their documents with their own token.

Regulation 001 Điều 11.1: a private key is kept on a dedicated device (token) and handed to
nobody. A person whose backend is "pkcs11" signs here, at the school's computer: they plug in
their token and type its PIN themselves (read without echo, kept in memory for this run only,
never written to the database, the audit log or a file). The server holds no person's PIN, so
neither the bot nor `hocba issue` can sign for them. Their steps of the class (their subject
sheets, the homeroom teacher's or the principal's records) then go through the same batches,
checks and audit events as a signature from the phone.
"""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import sys

from bot.config import Config
from core.errors import HocbaError
from core.i18n import _
from core.models import BatchState, SignatureRole
from core.runtime import Runtime
from core.services import issuance
from core.services.access import Actor
from core.services.issuance import BatchRunner
from core.services.signin import find_staff
from core.signing.backends import OwnToken, backend_of


def _read_pin(name: str) -> str:
    """The PIN, typed by its owner: without echo at a terminal, else one line of stdin (a
    script or a test feeding it)."""
    prompt = _("Mã PIN token của {name}: ").format(name=name)
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    return sys.stdin.readline().rstrip("\r\n")


async def cmd_sign(args: argparse.Namespace, config: Config, runtime: Runtime) -> int:
    from bot.cli import _find_class  # the command line's own class lookup

    school, school_class = await _find_class(args, config)
    person = await find_staff(school.id, args.person)
    if backend_of(runtime.signing, person.code) != "pkcs11":
        raise HocbaError(
            _(
                "{name} ({code}) không ký bằng token ([signing.people]): hãy ký trên điện thoại "
                "(«✍️ Ký học bạ»)."
            ).format(name=person.full_name, code=person.code)
        )
    actor = await Actor.of_staff(person)
    role = await _next_step(actor, school_class.id, set())
    if role is None:
        raise HocbaError(
            _("Lớp {klass}: không có tài liệu nào chờ {name} ký.").format(
                klass=school_class.name, name=person.full_name
            )
        )
    own = OwnToken(person.code, args.token or "", _read_pin(person.full_name))
    settings = dataclasses.replace(runtime.signing, own=own)
    runner = BatchRunner(settings, runtime.workers)
    done: set[SignatureRole] = set()
    while role is not None:
        started = await issuance.begin(actor, school_class.id, role, settings)
        batch = await runner.run(started.id)
        if batch is None:
            raise HocbaError(_("Phiên ký này đang chạy ở nơi khác; hãy thử lại sau ít phút."))
        if batch.state is not BatchState.DONE:
            raise HocbaError(batch.message)
        print(
            _("Lớp {klass}: {name} đã ký {n} tài liệu ({role}).").format(
                klass=school_class.name, name=person.full_name, n=batch.total, role=role.label
            )
        )
        done.add(role)
        role = await _next_step(actor, school_class.id, done)
    return 0


async def _next_step(actor: Actor, class_id: int, done: set[SignatureRole]) -> SignatureRole | None:
    """The person's next step in the class, in signing order: their subject sheets first, then
    (once every sheet is signed) the homeroom teacher's or the principal's records; never the
    seal (the clerk's, `hocba issue`), never a step this run did already."""
    for waiting in await issuance.waiting_for(actor):
        if waiting.class_id == class_id and waiting.role not in (SignatureRole.SEAL, *done):
            return waiting.role
    return None


def add_sign_command(commands: argparse._SubParsersAction) -> None:
    sign = commands.add_parser(
        "sign", help=_("ký tài liệu của một lớp bằng token của chính mình (tự nhập mã PIN)")
    )
    sign.add_argument("klass", metavar="LỚP")
    sign.add_argument(
        "--as", dest="person", required=True, metavar="MÃ_CÁN_BỘ", help=_("người ký (chính mình)")
    )
    sign.add_argument(
        "--token", metavar="TÊN", help=_("tên token của mình, khi máy đang cắm nhiều token")
    )
    sign.set_defaults(run=cmd_sign)
