"""`hocba certs register CODE [FILE]`, `hocba certs register --all`, `hocba certs list`.

The school's register of signing certificates (core.services.certificates): a record names the
certificate each of its signers must sign with (regulation 001 Điều 4.1), so each person's
certificate, and the school's seal's (`SEAL`), is registered when their key is set up, before a
class's records are made. With FILE the certificate is read from a PEM or DER file (the one the
provider issued, or exported from a person's own token); without it, from the key the
configuration names for that person (a PKCS#12 file or the seal's token, read in a worker
process; a remote signing service's credential through its `credentials/info` call).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.config import Config
from core.errors import HocbaError
from core.i18n import _
from core.runtime import Runtime
from core.services import certificates
from core.services.access import Actor
from core.services.schools import find_school
from core.signing.trust import load_certificates, load_roots

MAX_CERTIFICATE_BYTES = 64 * 1024


def _said(done: certificates.Registration) -> str:
    row = done.certificate
    if not done.new:
        return _("{owner}: chứng thư {fp}… đã được đăng ký từ trước.").format(
            owner=done.owner, fp=row.fingerprint[:16]
        )
    return _("{owner}: đã đăng ký chứng thư {fp}… ({subject}){more}.").format(
        owner=done.owner,
        fp=row.fingerprint[:16],
        subject=row.subject,
        more=_(", thay {n} chứng thư cũ").format(n=done.superseded) if done.superseded else "",
    )


def _read(path: Path) -> bytes:
    if not path.is_file():
        raise HocbaError(_("Không thấy tệp {path}.").format(path=path))
    if path.stat().st_size > MAX_CERTIFICATE_BYTES:
        raise HocbaError(_("Tệp {path} quá lớn để là một chứng thư số.").format(path=path))
    return path.read_bytes()


async def cmd_certs_register(args: argparse.Namespace, config: Config, runtime: Runtime) -> int:
    school = await find_school(args.school or config.school.code or None)
    actor = Actor.command_line(school.id)
    roots = load_roots(runtime.trust_roots)
    if args.all:
        if args.code or args.file:
            raise HocbaError(_("--all đọc khóa đã cấu hình của mọi người: không kèm MÃ hay TỆP."))
        done, problems = await certificates.register_all_from_keys(
            actor, runtime.signing, runtime.workers, roots
        )
        for registration in done:
            print(_said(registration))
        for problem in problems:
            print(_("Chưa đăng ký {problem}").format(problem=problem))
        return 1 if problems else 0
    if not args.code:
        raise HocbaError(_("Cần MÃ cán bộ (hoặc SEAL cho con dấu), hoặc --all."))
    if args.file:
        path = Path(args.file)
        found = load_certificates(_read(path), str(path))
        if len(found) != 1:
            raise HocbaError(
                _("Tệp {path} có {n} chứng thư: cần đúng một chứng thư của người ký.").format(
                    path=path, n=len(found)
                )
            )
        done = await certificates.register(actor, args.code, found[0], "pem", roots)
    else:
        done = await certificates.register_from_key(
            actor, args.code, runtime.signing, runtime.workers, roots
        )
    print(_said(done))
    return 0


async def cmd_certs_list(args: argparse.Namespace, config: Config, runtime: Runtime) -> int:
    school = await find_school(args.school or config.school.code or None)
    lines = await certificates.listing(Actor.command_line(school.id))
    if not lines:
        print(_("Chưa có chứng thư nào được đăng ký: hocba certs register MÃ [TỆP.pem]."))
        return 0
    for line in lines:
        state = _("đang dùng") if line.active else _("đã thay")
        print(
            _("{owner} [{kind}, {state}] {fp} — {subject}, hết hạn {end}").format(
                owner=line.owner,
                kind=line.kind.label,
                state=state,
                fp=line.fingerprint,
                subject=line.subject,
                end=line.not_after,
            )
        )
    return 0


def add_certs_commands(commands: argparse._SubParsersAction) -> None:
    certs = commands.add_parser("certs", help=_("sổ chứng thư số của người ký và con dấu"))
    sub = certs.add_subparsers(dest="certs_command", required=True, metavar="LỆNH")
    register = sub.add_parser(
        "register",
        help=_(
            "đăng ký chứng thư của một người (MÃ cán bộ, hoặc SEAL cho con dấu): từ TỆP, hoặc "
            "từ khóa đã cấu hình cho người đó; --all: mọi người"
        ),
    )
    register.add_argument("code", metavar="MÃ", nargs="?")
    register.add_argument("file", metavar="TỆP", nargs="?", help=_("tệp chứng thư PEM hoặc DER"))
    register.add_argument(
        "--all", action="store_true", help=_("đọc khóa đã cấu hình của mọi cán bộ và con dấu")
    )
    register.set_defaults(run=cmd_certs_register)
    listing = sub.add_parser("list", help=_("các chứng thư đã đăng ký"))
    listing.set_defaults(run=cmd_certs_list)
