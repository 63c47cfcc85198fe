"""One record per student per school level, extended year by year (001 Điều 24.4).

A student's record is identified by the school and the personal ID (`record_code`), not by the
year: the first year's issue is version 1, and each later year of the level is the next version,
carrying the earlier years' sections with their signatures as they were signed
(core.render.xml_record `previous`), so adding a year never touches what earlier signers
signed. A correction is the next version too, replacing only its own year's section.

What this refuses, before anything is built: a year section for a student another school holds
a record of in the same level (a second record for one personal ID; a transfer is its own
procedure, 001 Điều 26), a year built while an earlier year's version is still being signed (it
would be left out of the record), and a year earlier than one already issued.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import InvalidValue
from core.i18n import _
from core.models import IssuedRecord, RecordState, School, SchoolYear, Student


@dataclass(frozen=True)
class LevelChain:
    """Where a student's new version stands in their record of the level."""

    code: str  # madinhdanhhocba, the same for every year of the level
    version: int = 1  # of the version to build
    replaces: int | None = None  # the issued version it replaces (None: the record's first)
    previous: bytes = b""  # that version's XML, whose earlier years the new one carries


def record_code(school: School, national_id: str) -> str:
    """The record's code: one per student per level, and a school teaches one level."""
    return f"{school.code}.{national_id}"


async def level_chains(
    school: School, year: SchoolYear, students: list[Student]
) -> dict[int, LevelChain]:
    """Student id → their new version's place in their level's record, for a year of `school`.
    Raises InvalidValue naming the student when the version must not be built (see above)."""
    rows = await IssuedRecord.filter(
        student_id__in=[s.id for s in students], school_class__year__school__level=school.level
    ).values("id", "student_id", "code", "version", "state", "year__name")
    by_student: dict[int, list[dict]] = {}
    issued: dict[int, dict] = {}  # student id → their record's current issued version
    for row in rows:
        by_student.setdefault(row["student_id"], []).append(row)
        current = issued.get(row["student_id"])
        if row["state"] == RecordState.ISSUED and (
            current is None or row["version"] > current["version"]
        ):
            issued[row["student_id"]] = row
    xml = dict(
        await IssuedRecord.filter(id__in=[r["id"] for r in issued.values()]).values_list(
            "id", "xml"
        )
    )
    chains = {}
    for student in students:
        code = record_code(school, student.national_id)
        found = by_student.get(student.id, [])
        _refuse_if_wrong(student, code, year.name, found)
        current = issued.get(student.id)
        chains[student.id] = LevelChain(
            code,
            max((r["version"] for r in found), default=0) + 1,
            current["version"] if current else None,
            bytes(xml[current["id"]]) if current else b"",
        )
    return chains


def _refuse_if_wrong(student: Student, code: str, year_name: str, found: list[dict]) -> None:
    for row in found:
        if row["code"] != code:
            raise InvalidValue(
                _(
                    "Học sinh {name} (mã định danh {nid}) đã có học bạ cấp học này ở trường "
                    "khác (mã {code}): mỗi học sinh chỉ có một học bạ mỗi cấp học (Quy chế học "
                    "bạ số, Điều 24 khoản 4). Không lập thêm; học sinh chuyển đến theo thủ tục "
                    "chuyển trường (Điều 26)."
                ).format(name=student.full_name, nid=student.national_id, code=row["code"])
            )
        if row["year__name"] < year_name and row["state"] == RecordState.SIGNING:
            raise InvalidValue(
                _(
                    "Học bạ năm học {earlier} của học sinh {name} chưa ký xong: ký và phát hành "
                    "năm học đó trước, rồi lập năm học {year} (học bạ mỗi cấp học nối tiếp "
                    "từng năm, Điều 24 khoản 4)."
                ).format(earlier=row["year__name"], name=student.full_name, year=year_name)
            )
        if row["year__name"] > year_name and row["state"] == RecordState.ISSUED:
            raise InvalidValue(
                _(
                    "Học bạ của học sinh {name} đã phát hành đến năm học {later}: không lập lại "
                    "năm học {year} trước đó."
                ).format(name=student.full_name, later=row["year__name"], year=year_name)
            )
