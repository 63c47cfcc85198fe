"""The class lists: students with their personal data, class and guardians.

A student is keyed by the 12-digit personal ID, whose digits also encode the birth year and
gender; a row where they disagree is refused, since one of the three is a typing mistake.
A guardian is stored with a phone number (that is how a parent is later recognised), so a
guardian's name without a phone is not stored, and the report says so.
"""

from __future__ import annotations

import datetime as dt

from core.errors import InvalidValue
from core.i18n import _, ngettext
from core.importing import fields
from core.importing.base import SheetImport
from core.importing.context import ImportContext
from core.importing.headers import Field, cell_text
from core.importing.reader import Cell
from core.importing.rows import RowView
from core.models import Student
from core.services.access import ensure_admin
from core.services.roster import GuardianEntry, StudentEntry, write_students
from core.services.upsert import Written
from core.validation import (
    Gender,
    check_national_id_matches,
    normalise_phone,
    parse_date,
    parse_short_text,
)

_PHONE_PREFIXES = ("SĐT", "Số điện thoại", "Điện thoại", "Số ĐT", "ĐT", "Điện thoại liên hệ")
_NAME_PREFIXES = ("Họ tên", "Họ và tên", "Tên", "")
# (key, relation as stored, the words schools use for it)
_GUARDIANS = (
    ("father", "Cha", ("cha", "bố")),
    ("mother", "Mẹ", ("mẹ",)),
    ("guardian", "Người giám hộ", ("người giám hộ",)),
    ("parent", "Phụ huynh", ("phụ huynh",)),
)
_CHUNK = 500


def _guardian_fields() -> list[Field]:
    found = []
    for key, relation, words in _GUARDIANS:
        found.append(
            Field(
                f"{key}_name",
                _("Họ tên {relation}").format(relation=relation.lower()),
                tuple(f"{prefix} {word}".strip() for word in words for prefix in _NAME_PREFIXES),
                _("họ và tên đầy đủ"),
            )
        )
        found.append(
            Field(
                f"{key}_phone",
                _("SĐT {relation}").format(relation=relation.lower()),
                tuple(f"{prefix} {word}" for word in words for prefix in _PHONE_PREFIXES),
                _("số điện thoại Việt Nam 10 số, ví dụ 0912345678"),
            )
        )
    return found


def _phone(raw: Cell) -> str:
    return normalise_phone(cell_text(raw))


def _gender(raw: Cell) -> Gender:
    return Gender.parse(cell_text(raw))


def _ethnicity(raw: Cell) -> str:
    return parse_short_text(cell_text(raw), _("Dân tộc"), 40)  # Student.ethnicity


def _birthplace(raw: Cell) -> str:
    return parse_short_text(cell_text(raw), _("Nơi sinh"), 200)  # Student.birthplace


class StudentImport(SheetImport):
    kind = "students"

    def __init__(self, ctx: ImportContext):
        super().__init__(ctx)
        self.entries: dict[str, StudentEntry] = {}
        self.without_phone = 0
        self.shared_phone = 0

    def authorize(self) -> None:
        ensure_admin(self.ctx.actor)

    def fields(self) -> tuple[Field, ...]:
        return (
            fields.number(),
            fields.national_id(),
            fields.full_name(required=True),
            Field(
                "born",
                _("Ngày sinh"),
                ("Ngày sinh", "Ngày tháng năm sinh", "Sinh ngày", "NS"),
                _("ngày/tháng/năm có thật, không sau hôm nay, ví dụ 05/09/2013"),
                required=True,
                signature=True,
            ),
            Field(
                "gender",
                _("Giới tính"),
                ("Giới tính", "Giới", "Nam/Nữ", "GT", "Phái"),
                _("Nam hoặc Nữ"),
                required=True,
                signature=True,
            ),
            fields.school_class(title=True),
            Field("ethnicity", _("Dân tộc"), ("Dân tộc",), _("tên dân tộc, ví dụ Kinh")),
            Field("birthplace", _("Nơi sinh"), ("Nơi sinh",), _("nơi sinh")),
            *_guardian_fields(),
        )

    def _born(self, raw: Cell) -> dt.date:
        born = parse_date(raw)  # type: ignore[arg-type]
        if born > self.ctx.today:
            raise InvalidValue(
                _("Ngày sinh {day} ở sau hôm nay").format(day=born.strftime("%d/%m/%Y"))
            )
        return born

    def _guardians(self, row: RowView) -> tuple[GuardianEntry, ...]:
        found: dict[str, GuardianEntry] = {}
        for key, relation, _words in _GUARDIANS:
            name = row.get(f"{key}_name", fields.parse_name)
            phone = row.get(f"{key}_phone", _phone)
            if phone is None:
                if name and not row.filled(f"{key}_phone"):
                    self.without_phone += 1
                continue
            if name is None:
                if not row.filled(f"{key}_name"):
                    row.problem(
                        f"{key}_phone",
                        _("Có số điện thoại {relation} nhưng không có họ tên").format(
                            relation=relation.lower()
                        ),
                        _("họ tên {relation} trong cột «Họ tên {relation}»").format(
                            relation=relation.lower()
                        ),
                    )
                continue
            if phone in found:
                self.shared_phone += 1
                continue
            found[phone] = GuardianEntry(name, relation, phone)
        return tuple(found.values())

    def check(self, row: RowView) -> None:
        national_id = row.get("national_id", fields.parse_national_id_cell, required=True)
        name = row.get("full_name", fields.parse_name, required=True)
        born = row.get("born", self._born, required=True)
        gender = row.get("gender", _gender, required=True)
        school_class = row.get("class", self.ctx.class_name, required=True)
        number = row.get("number", fields.parse_number)
        ethnicity = row.get("ethnicity", _ethnicity)
        birthplace = row.get("birthplace", _birthplace)
        guardians = self._guardians(row)
        if national_id and born and gender:
            row.verify(
                "national_id",
                lambda: check_national_id_matches(national_id, born, gender),
                _(
                    "mã định danh khớp ngày sinh và giới tính: số thứ 4 là thế kỷ và giới tính "
                    "(2 nam, 3 nữ sinh từ năm 2000), số thứ 5–6 là hai số cuối năm sinh"
                ),
            )
        if national_id and not self.duplicates.first_time(
            national_id,
            row,
            "national_id",
            _("Học sinh mã định danh {id}").format(id=national_id),
            _("mỗi học sinh chỉ một dòng trong tệp; xóa dòng thừa hoặc sửa mã gõ nhầm"),
        ):
            return
        if row.ok:
            assert national_id and name and born and gender and school_class
            self.entries[national_id] = StudentEntry(
                national_id=national_id,
                full_name=name,
                born=born,
                gender=gender,
                class_name=school_class[0],
                grade=school_class[1],
                number=number or 0,
                ethnicity=ethnicity or "Kinh",
                birthplace=birthplace or "",
                guardians=guardians,
            )

    async def finish(self) -> None:
        """A personal ID is unique nationally: one stored in another school is a transfer,
        which has its own procedure, or a typing mistake."""
        ids = list(self.entries)
        for start in range(0, len(ids), _CHUNK):
            elsewhere = await (
                Student.filter(national_id__in=ids[start : start + _CHUNK])
                .exclude(school_id=self.ctx.school.id)
                .values_list("national_id", flat=True)
            )
            for national_id in sorted(elsewhere):
                self.problems.append(
                    self.duplicates.where(national_id).problem(
                        _("Học sinh mã định danh {id} đã có hồ sơ ở một trường khác").format(
                            id=national_id
                        ),
                        _("làm thủ tục chuyển trường, hoặc sửa mã định danh nếu gõ nhầm"),
                    )
                )
        if self.without_phone:
            self.notes.append(
                ngettext(
                    "{n} cha, mẹ hoặc người giám hộ có họ tên nhưng không có số điện thoại "
                    "nên chưa được lưu.",
                    "{n} cha, mẹ hoặc người giám hộ có họ tên nhưng không có số điện thoại "
                    "nên chưa được lưu.",
                    self.without_phone,
                ).format(n=self.without_phone)
            )
        if self.shared_phone:
            self.notes.append(
                _(
                    "{n} lần một số điện thoại được ghi cho hai người của cùng một học sinh: "
                    "chỉ lưu người ghi trước."
                ).format(n=self.shared_phone)
            )

    async def write(self) -> dict[str, Written]:
        written = await write_students(self.ctx.actor, self.ctx.year, list(self.entries.values()))
        return written.parts
