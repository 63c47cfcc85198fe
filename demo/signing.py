"""The demo's signing set-up: a test PKI for every person of the demo schools, and class 6A
of the secondary school and 5A of the primary one closed, so that `HOCBA_DEMO_ENABLED=true
hocba issue 6A` (and `hocba --school TH-DEMO issue 5A`) run right after `hocba demo`.

The keys are PKCS#12 files on the server, which only demo mode lets sign ([demo] enabled):
a real school's people keep their own keys (regulation 001 Điều 8.3, 11.1)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from core import clock
from core.i18n import _
from core.models import Role, School, SchoolYear, Staff
from core.services import certificates, issuance
from core.services.access import Actor
from core.services.calendar import load_calendar
from core.services.schools import find_class, latest_year
from core.signing.keys import load_pkcs12
from core.signing.trust import load_roots
from demo.pki import CA_FILE, SEAL_CODE, Person, pkcs12_path, write_school_pki
from demo.school import COMPLETE_CLASSES, DemoSchool
from demo.signature_images import upload_signatures


def config_section(keys: Path, ca_file: Path) -> str:
    """The configuration that signs with the demo's keys and trusts its CA: demo mode, the
    only one where key files on the server may sign (core.signing.backends)."""
    return (
        "[demo]\n"
        "enabled = true\n\n"
        "[signing]\n"
        'backend = "pkcs12"\n'
        'seal = "pkcs12"\n'
        f'pkcs12_dir = "{keys}"\n'
        'pkcs12_password = "<mật khẩu tệp khóa>"\n\n'
        "[trust]\n"
        f'roots = ["{ca_file}"]\n'
    )


async def _register_certificates(
    school: School, keys: Path, password: str, codes: list[str], ca_file: Path
) -> None:
    """Each person's and the seal's certificate in the school's register, as people do when
    their key is set up: a record names its signers' certificates (core.services.certificates)."""
    actor = Actor.command_line(school.id)
    roots = load_roots([ca_file])
    for code in [*codes, SEAL_CODE]:
        signer = load_pkcs12(pkcs12_path(keys, school.code, code), password)
        await certificates.register(actor, code, signer.certificate, "pkcs12", roots)


async def issuing_moment(year: SchoolYear) -> dt.datetime:
    """When the demo closes its class and issues its records: two days after term II's entry
    has ended, at 10:00 at the school. A year is closed only after its last term (closing.py),
    and nothing is issued after the final lock of 15/8 (001 Điều 25.4), so the demo's year,
    the latest one that has ended, is closed and issued on a staging clock at this moment."""
    ends = (await load_calendar(year)).entry_deadline(2)
    return clock.at_school(clock.local(ends).date() + dt.timedelta(days=2), dt.time(10, 0))


async def demo_pki(keys: Path, password: str) -> Path:
    """One PKCS#12 file per staff member of every school and one for each school's seal, all
    from one test CA kept in `keys`, each registered in its school's register, and each
    signer's signature image uploaded (demo.signature_images); the CA's file is returned.
    Nothing is closed: a class can then be closed from the bot."""
    ca_file = keys / CA_FILE
    for school in await School.all():
        staff = await Staff.filter(school=school).prefetch_related("roles")
        people = [
            Person(s.code, s.full_name, ", ".join(Role(r.role).label for r in s.roles))
            for s in staff
        ]
        ca_file = write_school_pki(keys, school.code, school.name, people, password)
        await _register_certificates(school, keys, password, [p.code for p in people], ca_file)
        await upload_signatures(school)
    return ca_file


async def _close(spec: DemoSchool, class_name: str) -> dt.datetime | None:
    """The demo school's complete class closed on its principal's decision (the console
    executes it, as `hocba close` does) at the year's `issuing_moment`, which is returned
    (None: the school is not in the database)."""
    school = await School.get_or_none(code=spec.code)
    if school is None:
        return None
    year = await latest_year(school)
    school_class = await find_class(year, class_name)
    principal = await Staff.get(school=school, roles__role=Role.PRINCIPAL)
    issuing = await issuing_moment(year)
    with clock.staged(issuing):
        await issuance.close_year(
            Actor.command_line(school.id), school_class.id, decided_by=principal
        )
    return issuing


async def demo_signing(keys: Path, password: str) -> dict[str, dt.datetime]:
    """The demo's PKI (`demo_pki`); then each demo school's complete class closed (`_close`).
    Returns school code → the moment its class was closed, when its records may be issued."""
    ca_file = await demo_pki(keys, password)
    moments = {}
    for spec, class_name in COMPLETE_CLASSES:
        if (moment := await _close(spec, class_name)) is not None:
            moments[spec.code] = moment
    section = config_section(keys, ca_file)
    (keys / "signing.toml").write_text(section, encoding="utf-8")
    print(
        _(
            "Đã tạo PKI thử nghiệm trong {dir}. Khóa thử nghiệm trên máy chủ chỉ ký được ở chế "
            "độ trình diễn; cấu hình tương ứng (cũng ghi ở {file}):"
        ).format(dir=keys, file=keys / "signing.toml")
    )
    print(section)
    return moments
