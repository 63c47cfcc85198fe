"""The staff list: code, name, roles in the record-book system, homeroom class, contacts.

The roles written in the file replace the stored ones (that is how a role is taken away), and
a homeroom class written beside a teacher makes them that class's homeroom teacher, so the
homeroom role is added to theirs.
"""

from __future__ import annotations

import re

from core.errors import InvalidValue
from core.i18n import _
from core.importing import fields
from core.importing.base import SheetImport
from core.importing.context import ImportContext
from core.importing.headers import Field, cell_text, header_key
from core.importing.reader import Cell
from core.importing.rows import RowView
from core.models import Role
from core.services.access import ensure_admin
from core.services.role_grants import RoleGrants, how_to_proceed
from core.services.roster import StaffEntry, write_staff
from core.services.upsert import Written
from core.text import fold
from core.validation import check_visible, normalise_phone, parse_code

_ROLE_NAMES: dict[Role, tuple[str, ...]] = {
    Role.PRINCIPAL: ("Hiệu trưởng", "HT"),
    Role.VICE_PRINCIPAL: ("Phó hiệu trưởng", "PHT", "Phó HT"),
    Role.HOMEROOM: ("Giáo viên chủ nhiệm", "GVCN", "Chủ nhiệm"),
    Role.SUBJECT_TEACHER: ("Giáo viên bộ môn", "GVBM", "Giáo viên", "GV"),
    Role.ADMIN: (
        "Quản trị",
        "Quản trị học bạ số",
        "Quản trị hệ thống",
        "Ban quản trị",
        "BQT",
        "Admin",
    ),
    Role.CLERK: ("Văn thư", "VT"),
    Role.REGISTRAR: ("Học vụ",),
    Role.INSPECTOR: ("Thanh tra nhân dân", "Ban thanh tra nhân dân", "TTND"),
}
_ROLES = {header_key(name): role for role, names in _ROLE_NAMES.items() for name in names}
_LIST_SEPARATORS = re.compile(r"\s*[,;/+\n]\s*")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_MAX_CODE = 32  # Staff.code
_MAX_EMAIL = 200  # Staff.email


def role_names() -> str:
    """The accepted role names, for the problem message."""
    return ", ".join(names[0] for names in _ROLE_NAMES.values())


def parse_roles(raw: Cell) -> frozenset[Role]:
    """'Giáo viên, GVCN; Quản trị' -> {subject teacher, homeroom, admin}."""
    roles = set()
    for part in _LIST_SEPARATORS.split(cell_text(raw)):
        if not part:
            continue
        role = _ROLES.get(header_key(part))
        if role is None:
            raise InvalidValue(_("Vai trò «{name}» không rõ").format(name=part))
        roles.add(role)
    if not roles:
        raise InvalidValue(_("Chưa ghi vai trò nào"))
    return frozenset(roles)


def _code(raw: Cell) -> str:
    """A staff code; a full-width 'ＧＶ０１' is 'GV01' (core.validation.parse_code)."""
    return parse_code(cell_text(raw), _("Mã cán bộ"), _MAX_CODE)


def _phone(raw: Cell) -> str:
    return normalise_phone(cell_text(raw))


def _email(raw: Cell) -> str:
    email = cell_text(raw)
    check_visible(email, _("Email"))
    if not _EMAIL.match(email) or len(email) > _MAX_EMAIL:
        raise InvalidValue(_("Email «{value}» không hợp lệ").format(value=email))
    return email.lower()


class StaffImport(SheetImport):
    kind = "staff"

    def __init__(self, ctx: ImportContext):
        super().__init__(ctx)
        self.entries: list[StaffEntry] = []

    def authorize(self) -> None:
        ensure_admin(self.ctx.actor)

    async def prepare(self) -> None:
        await self.ctx.load_staff()
        self.grants = await RoleGrants.load(self.ctx.actor, self.ctx.decided_by)

    def fields(self) -> tuple[Field, ...]:
        return (
            fields.number(),
            fields.staff_code(signature=True),
            fields.full_name(required=True),
            Field(
                "roles",
                _("Vai trò"),
                ("Vai trò", "Chức vụ", "Nhiệm vụ", "Vai trò trong học bạ số"),
                _("một hoặc nhiều vai trò, cách nhau bởi dấu phẩy: {names}").format(
                    names=role_names()
                ),
                required=True,
                signature=True,
            ),
            Field(
                "homeroom",
                _("Chủ nhiệm lớp"),
                ("Chủ nhiệm lớp", "Lớp chủ nhiệm", "GVCN lớp", "Chủ nhiệm"),
                _(
                    "tên một lớp đã có trong năm học, ví dụ 6A, hoặc để trống; các lớp có từ "
                    "danh sách học sinh, nên nhập danh sách học sinh trước"
                ),
            ),
            Field(
                "phone",
                _("Số điện thoại"),
                ("Số điện thoại", "SĐT", "Điện thoại", "Số ĐT", "Di động", "ĐTDĐ"),
                _("số điện thoại Việt Nam 10 số, ví dụ 0912345678"),
            ),
            Field(
                "email",
                _("Email"),
                ("Email", "E-mail", "Thư điện tử", "Địa chỉ email"),
                _("địa chỉ email dạng ten@truong.edu.vn"),
            ),
        )

    def check(self, row: RowView) -> None:
        code = row.get("staff_code", _code, required=True)
        name = row.get("full_name", fields.parse_name, required=True)
        roles = row.get("roles", parse_roles, required=True)
        homeroom = row.get("homeroom", self.ctx.existing_class)
        phone = row.get("phone", _phone)
        email = row.get("email", _email)
        if code:
            stored = self.ctx.staff.get(fold(code))
            code = stored.code if stored else code
            self.duplicates.first_time(
                fold(code),
                row,
                "staff_code",
                _("Cán bộ mã {code}").format(code=code),
                _("mỗi cán bộ chỉ một dòng trong tệp; xóa dòng thừa hoặc sửa mã gõ nhầm"),
            )
        if homeroom:
            self.duplicates.first_time(
                ("homeroom", homeroom.id),
                row,
                "homeroom",
                _("Giáo viên chủ nhiệm lớp {name}").format(name=homeroom.name),
                _("mỗi lớp một giáo viên chủ nhiệm"),
            )
        if code and roles is not None:  # the principal's, vice principal's, clerk's roles
            row.verify("roles", lambda: self.grants.check(code, roles), how_to_proceed())
        if code and (phone is not None or not row.filled("phone")):  # their sign-in number
            row.verify("phone", lambda: self.grants.check_phone(code, phone), how_to_proceed())
        if row.ok:
            assert code and name and roles is not None
            self.entries.append(
                StaffEntry(
                    code=code,
                    full_name=name,
                    roles=roles | {Role.HOMEROOM} if homeroom else roles,
                    phone=phone,
                    email=email or "",
                    homeroom_class=homeroom.name if homeroom else None,
                )
            )

    async def write(self) -> dict[str, Written]:
        written = await write_staff(
            self.ctx.actor, self.ctx.year, self.entries, decided_by=self.ctx.decided_by
        )
        return written.parts
