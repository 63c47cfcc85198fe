"""The demo's signing set-up: a test PKI for every person of the demo schools, and class 6A
closed, so that `hocba issue 6A` runs right after `hocba demo`."""

from __future__ import annotations

from pathlib import Path

from core.i18n import _
from core.models import Role, School, Staff
from core.services import issuance
from core.services.access import Actor
from core.services.schools import find_class, latest_year
from demo.pki import CA_FILE, Person, write_school_pki
from demo.school import COMPLETE_CLASS, SECONDARY


def config_section(keys: Path, ca_file: Path) -> str:
    """The configuration that signs with the demo's keys and trusts its CA."""
    return (
        "[signing]\n"
        'backend = "pkcs12"\n'
        f'pkcs12_dir = "{keys}"\n'
        'pkcs12_password = "<mật khẩu tệp khóa>"\n\n'
        "[trust]\n"
        f'roots = ["{ca_file}"]\n'
    )


async def demo_signing(keys: Path, password: str) -> None:
    """One PKCS#12 file per staff member of every school and one for each school's seal, all
    from one test CA kept in `keys`; then class 6A of the secondary demo school closed, on
    its principal's decision (the console executes it, as `hocba close` does)."""
    ca_file = keys / CA_FILE
    for school in await School.all():
        staff = await Staff.filter(school=school).prefetch_related("roles")
        people = [
            Person(s.code, s.full_name, ", ".join(Role(r.role).label for r in s.roles))
            for s in staff
        ]
        ca_file = write_school_pki(keys, school.code, school.name, people, password)
    school = await School.get_or_none(code=SECONDARY.code)
    if school is not None:
        school_class = await find_class(await latest_year(school), COMPLETE_CLASS)
        principal = await Staff.get(school=school, roles__role=Role.PRINCIPAL)
        await issuance.close_year(
            Actor.command_line(school.id), school_class.id, decided_by=principal
        )
    section = config_section(keys, ca_file)
    (keys / "signing.toml").write_text(section, encoding="utf-8")
    print(
        _("Đã tạo PKI thử nghiệm trong {dir}. Cấu hình tương ứng (cũng ghi ở {file}):").format(
            dir=keys, file=keys / "signing.toml"
        )
    )
    print(section)
