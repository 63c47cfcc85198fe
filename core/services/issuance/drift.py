"""Do the issued records still say what the gradebook says? (`hocba records check`)

An issued record is frozen (core.services.frozen): the gradebook of a closed class changes only
through a correction, and a correction re-issues the record (core.services.issuance.reissue).
So every current record's signed data must equal what the gradebook would build now
(core.services.issuance.build); a difference means data changed behind the core's back (the
database edited directly, a restore of an older backup) or a correction whose new version is
not issued yet. Regulation 001 Điều 4.3 forbids changing the data without authority; this is
how the school finds out. Reading only: nothing is changed (the reads of personal data are
audited, as every read is).

The comparison is of what the gradebook and the roster give a record: the student, the class,
each subject's term and year results, learning and conduct, days absent, promotion, title and
the homeroom teacher's comment; in primary school every value of the year (PrimaryYear.facts).
Not of the version, the date made, the names of the staff or the signer list: those are the
issuance's own, and certificates change after issuance.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from core.errors import HocbaError
from core.i18n import _
from core.models import IssuedRecord, RecordState, SchoolClass, SchoolYear
from core.render import xml_record as fmt
from core.services.access import Actor
from core.services.issuance.build import build_class

TERMS = ("HK I", "HK II", "cả năm")


@dataclass(frozen=True)
class Difference:
    """One field where a current record and the gradebook disagree."""

    class_name: str
    student: str
    code: str  # the record's code (madinhdanhhocba)
    version: int
    field: str  # as people read it: "Toán, HK II"
    record: str  # what the issued record says
    gradebook: str  # what the gradebook would put there now

    def line(self) -> str:
        return _(
            "{klass} · {student} (mã {code}, phiên bản {version}) · {field}: học bạ ghi "
            "«{record}», sổ điểm hiện là «{gradebook}»"
        ).format(
            klass=self.class_name,
            student=self.student,
            code=self.code,
            version=self.version,
            field=self.field,
            record=self.record,
            gradebook=self.gradebook,
        )


def _fields() -> list[tuple[str, Callable[[fmt.StudentRecord], object]]]:
    """The record's fields the gradebook and the roster decide, each with its label."""
    return [
        (_("Mã định danh"), lambda r: r.national_id),
        (_("Họ và tên"), lambda r: r.full_name),
        (_("Ngày sinh"), lambda r: r.born.isoformat()),
        (_("Giới tính"), lambda r: r.gender),
        (_("Dân tộc"), lambda r: r.ethnicity),
        (_("Nơi sinh"), lambda r: r.birthplace),
        (_("Năm học"), lambda r: r.year_name),
        (_("Lớp"), lambda r: r.class_name),
        *(
            (_("Kết quả học tập, {term}").format(term=term), lambda r, i=i: r.learning[i])
            for i, term in enumerate(TERMS)
        ),
        *(
            (_("Kết quả rèn luyện, {term}").format(term=term), lambda r, i=i: r.conduct[i])
            for i, term in enumerate(TERMS)
        ),
        (_("Số ngày nghỉ"), lambda r: r.absent_days),
        (_("Lên lớp"), lambda r: r.promotion),
        (_("Danh hiệu"), lambda r: r.title or ""),
        (_("Nhận xét của giáo viên chủ nhiệm"), lambda r: r.homeroom_comment),
    ]


def _subjects(record: fmt.StudentRecord) -> dict[str, tuple[str, tuple[str, str, str]]]:
    return {s.code: (s.name, (s.term1, s.term2, s.year)) for s in record.subjects}


def compare(issued: fmt.StudentRecord, built: fmt.StudentRecord) -> list[tuple[str, str, str]]:
    """(field, record value, gradebook value) for each field where they differ."""
    found = [
        (label, str(get(issued)), str(get(built)))
        for label, get in _fields()
        if get(issued) != get(built)
    ]
    mine, now = _subjects(issued), _subjects(built)
    missing = _("(không có)")
    for code in [*mine, *(c for c in now if c not in mine)]:
        name, was = mine.get(code, (None, (missing,) * 3))
        name2, is_ = now.get(code, (None, (missing,) * 3))
        for term, a, b in zip(TERMS, was, is_, strict=True):
            if a != b:
                found.append((f"{name or name2}, {term}", a, b))
    said = issued.primary.facts() if issued.primary else {}
    now_said = built.primary.facts() if built.primary else {}
    for label in [*said, *(k for k in now_said if k not in said)]:
        if (a := said.get(label, missing)) != (b := now_said.get(label, missing)):
            found.append((label, a, b))
    return found


def issued_data(record: IssuedRecord, year_name: str | None = None) -> fmt.StudentRecord:
    """What the record's signed XML says of `year_name` (default: the record's own year): a
    later year's version carries the earlier years of the level (001 Điều 24.4)."""
    root = fmt.parse_own(record.xml)
    for section in [root, *fmt.earlier_years(root)]:
        data = fmt.data_element(section)
        if year_name is None or fmt.text(data, "h:namhoc") == year_name:
            return fmt.record_from_data(data)
    raise HocbaError(
        _("Học bạ {code} phiên bản {v} không có năm học {year}.").format(
            code=record.code, v=record.version, year=year_name
        )
    )


async def differences_of(
    actor: Actor, school_class: SchoolClass, records: list[IssuedRecord]
) -> list[Difference]:
    """The differences between these records of the class (students loaded), as they say the
    class's year, and the gradebook; a class the gradebook cannot build any more is one
    difference naming why."""
    year = await school_class.year
    try:
        built = (await build_class(actor, school_class, data_only=True)).records
    except HocbaError as error:
        return [
            Difference(school_class.name, "", "", 0, _("cả lớp"), _("đã phát hành"), str(error))
        ]
    found = []
    for record in records:
        now = built.get(record.student_id)
        pairs = (
            compare(issued_data(record, year.name), now)
            if now is not None
            else [(_("Học sinh"), _("trong lớp"), _("không còn trong lớp"))]
        )
        found += [
            Difference(
                school_class.name, record.student.full_name, record.code, record.version, *pair
            )
            for pair in pairs
        ]
    return found


async def check_records(actor: Actor, year: SchoolYear) -> tuple[int, list[Difference]]:
    """Every current (issued) record holding the year, its own or a later year's version
    carrying it, against the gradebook: how many were compared, and the differences, class
    by class."""
    class_of = dict(await IssuedRecord.filter(year=year).values_list("code", "school_class_id"))
    records = (
        await IssuedRecord.filter(code__in=list(class_of), state=RecordState.ISSUED)
        .order_by("code")
        .prefetch_related("student")
    )
    by_class: dict[int, list[IssuedRecord]] = {}
    for record in records:
        by_class.setdefault(class_of[record.code], []).append(record)
    found = []
    for school_class in await SchoolClass.filter(id__in=list(by_class)).order_by("grade", "name"):
        found += await differences_of(actor, school_class, by_class[school_class.id])
    return len(records), found
