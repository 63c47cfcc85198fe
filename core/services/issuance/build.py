"""Building a class's documents from the gradebook: each student's record data and the class ×
subject result sheets, as the values the XML renderer (core.render.xml_record) takes.

Nothing is written here; `prepare` stores what is built. The XML itself is made in the worker
pool (`render_documents`), since a school's worth of records is seconds of lxml work.

Each document's data ends with its signer list (001 Điều 4.1, in the order of Điều 24.5): a
record lists its homeroom teacher, the principal and the school's seal, a sheet its subject
teacher, each with the certificate registered for them (core.services.certificates). A signer
without a usable registered certificate stops the build, naming who, since a record built
without knowing its signers' certificates could be completed by anyone's.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from core import clock
from core.errors import InvalidValue
from core.i18n import _
from core.models import (
    Comment,
    IssuedRecord,
    Mark,
    Role,
    School,
    SchoolClass,
    SignatureRole,
    Staff,
    Student,
    TeachingAssignment,
    Term,
)
from core.render import xml_record as fmt
from core.rules import secondary as tt22
from core.rules.catalog import Assessment, SchoolLevel
from core.services.access import Actor
from core.services.certificates import listed_signers
from core.services.gradebook import mark_column
from core.services.results import SecondaryResult, class_results
from core.signing.xmldsig import c14n

PERIODS = ("1", "2", "CN")
LEVEL_NAMES = {
    SchoolLevel.PRIMARY: "Tiểu học",
    SchoolLevel.LOWER_SECONDARY: "Trung học cơ sở",
    SchoolLevel.UPPER_SECONDARY: "Trung học phổ thông",
}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def data_hash(xml: bytes) -> str:
    """SHA-256 of the canonical data element: what every signature of the record covers."""
    return sha256(c14n(fmt.data_element(fmt.parse_own(xml))))


def _value(value: Decimal | tt22.Verdict | None) -> str:
    if value is None:
        raise InvalidValue(_("Còn thiếu kết quả: chưa thể lập học bạ."))
    return f"{value:.1f}" if isinstance(value, Decimal) else value.value


async def school_of(school_class: SchoolClass) -> School:
    year = await school_class.year
    return await School.get(id=year.school_id)


def _school_info(school: School) -> fmt.SchoolInfo:
    return fmt.SchoolInfo(
        school.code,
        school.name,
        LEVEL_NAMES[SchoolLevel(school.level)],
        school.province,
        school.district,
    )


async def _teachers(school_class: SchoolClass) -> dict[int, Staff]:
    assignments = await TeachingAssignment.filter(school_class=school_class).prefetch_related(
        "staff"
    )
    return {a.subject_id: a.staff for a in assignments}


async def _marks(school_class: SchoolClass, ids: list[int]) -> dict[tuple, list[tuple[str, str]]]:
    """(student, subject, term number) → the marks as the sheet prints them."""
    terms = {t.id: t.number for t in await Term.filter(year_id=school_class.year_id)}
    cells: dict[tuple, list[tuple[str, str]]] = defaultdict(list)
    for m in await Mark.filter(student_id__in=ids).order_by("kind", "index"):
        value = m.score if m.score is not None else m.verdict
        if value is not None and m.term_id in terms:
            cells[(m.student_id, m.subject_id, terms[m.term_id])].append(
                (mark_column(m.kind, m.index), _value(value))
            )
    return cells


async def _homeroom_comments(school_class: SchoolClass, ids: list[int]) -> dict[int, str]:
    """student id → the homeroom teacher's comment the record prints (nhanxetgvcn): the year's,
    written at the end of term II (001 Điều 24.5b), the one closing the year asks for
    (core.services.homeroom_gaps)."""
    last = await Term.get(year_id=school_class.year_id, number=2)
    rows = await Comment.filter(student_id__in=ids, term=last, subject_id__isnull=True).values_list(
        "student_id", "text"
    )
    return dict(rows)


def _record_data(
    row: SecondaryResult,
    student: Student,
    school_class: SchoolClass,
    school: School,
    year_name: str,
    version: int,
    names: dict[str, str],
    teachers: dict[int, Staff],
    comment: str,
    signers: tuple[fmt.ListedSigner, ...],
) -> fmt.StudentRecord:
    return fmt.StudentRecord(
        record_code=f"{school.code}.{year_name}.{student.national_id}",
        version=version,
        replaces_version=version - 1 if version > 1 else None,
        created=clock.today(),
        school=_school_info(school),
        national_id=student.national_id,
        full_name=student.full_name,
        born=student.born,
        gender="Nữ" if student.gender == "female" else "Nam",
        ethnicity=student.ethnicity,
        birthplace=student.birthplace,
        year_name=year_name,
        class_name=school_class.name,
        grade=school_class.grade,
        homeroom=names["homeroom"],
        principal=names["principal"],
        subjects=tuple(
            fmt.SubjectLine(
                r.subject.code,
                r.subject.name,
                r.subject.assessment == Assessment.SCORED,
                _value(r.term1),
                _value(r.term2),
                _value(r.year),
                teachers[r.subject.id].full_name if r.subject.id in teachers else "",
            )
            for r in row.subjects
        ),
        learning=tuple(row.learning[k].value for k in ("term1", "term2", "year")),  # type: ignore[union-attr, arg-type]
        conduct=tuple(row.conduct[k].value for k in ("term1", "term2", "year")),  # type: ignore[union-attr, arg-type]
        absent_days=row.absent_days,
        promotion=row.promotion.value,  # type: ignore[union-attr]
        title=row.title.value if row.title else None,
        homeroom_comment=comment,
        signers=signers,
    )


@dataclass(frozen=True)
class SheetPlan:
    """One class × subject sheet to create: who signs it and its content."""

    subject_id: int
    period: str
    teacher_id: int | None
    sheet: fmt.SubjectSheet


@dataclass(frozen=True)
class ClassDocuments:
    """What a class's issuance starts from: record data per student id, and the sheets."""

    records: dict[int, fmt.StudentRecord]
    sheets: list[SheetPlan]


def _sheet_rows(
    results, students: dict[str, Student], subject, period: str, cells
) -> tuple[fmt.SheetRow, ...]:
    rows = []
    for row in results.rows:
        sid = students[row.national_id].id
        result = next(r for r in row.subjects if r.subject.id == subject.id)
        if period == "CN":
            marks = (("HK1", _value(result.term1)), ("HK2", _value(result.term2)))
            value = result.year
        else:
            marks = tuple(cells[(sid, subject.id, int(period))])
            value = result.term1 if period == "1" else result.term2
        rows.append(fmt.SheetRow(row.number, row.national_id, row.full_name, marks, _value(value)))
    return tuple(rows)


def _sheet_signers(
    listed: dict[tuple[str, int | None], fmt.ListedSigner], teacher: Staff | None
) -> tuple[fmt.ListedSigner, ...]:
    """The subject teacher signs their subject's sheets (001 Điều 24.5a)."""
    if teacher is None:
        return ()
    return (listed[(SignatureRole.SUBJECT_TEACHER.value, teacher.id)],)


async def build_class(
    actor: Actor,
    school_class: SchoolClass,
    only_student: int | None = None,
    *,
    data_only: bool = False,
) -> ClassDocuments:
    """The record data of the class's students (or of one) and, for the whole class, the
    unsigned class × subject sheets. `data_only`: the records' data without their signer
    list and no sheets, to compare with what was issued (core.services.issuance.drift):
    certificates expire after issuance, the data must not change."""
    school = await school_of(school_class)
    year = await school_class.year
    results = await class_results(actor, school_class)
    students = {
        s.national_id: s for s in await Student.filter(enrollments__school_class=school_class)
    }
    teachers = await _teachers(school_class)
    homeroom = (
        await Staff.get_or_none(id=school_class.homeroom_id) if school_class.homeroom_id else None
    )
    principal = await Staff.filter(school=school, roles__role=Role.PRINCIPAL, active=True).first()
    if homeroom is None or principal is None:
        raise InvalidValue(
            _(
                "Lớp {klass} chưa có giáo viên chủ nhiệm hoặc trường chưa có Hiệu trưởng: chưa "
                "lập được học bạ. Quản trị cập nhật danh sách cán bộ rồi lập lại."
            ).format(klass=school_class.name)
        )
    names = {"homeroom": homeroom.full_name, "principal": principal.full_name}
    chain = [
        (SignatureRole.HOMEROOM, homeroom),
        (SignatureRole.PRINCIPAL, principal),
        (SignatureRole.SEAL, None),
    ]
    sheet_signers = (
        [(SignatureRole.SUBJECT_TEACHER, t) for t in teachers.values()]
        if only_student is None
        else []
    )
    listed: dict[tuple[str, int | None], fmt.ListedSigner] = {}
    record_signers: tuple[fmt.ListedSigner, ...] = ()
    if not data_only:
        listed = await listed_signers(school, [(r.value, s) for r, s in chain + sheet_signers])
        record_signers = tuple(listed[(r.value, s.id if s else None)] for r, s in chain)
    versions = {
        r["student_id"]: r["version"]
        for r in await IssuedRecord.filter(
            year=year, student_id__in=[s.id for s in students.values()]
        )
        .order_by("version")
        .values("student_id", "version")
    }
    comments = await _homeroom_comments(school_class, [s.id for s in students.values()])
    records = {}
    for row in results.rows:
        assert isinstance(row, SecondaryResult)
        student = students[row.national_id]
        if only_student is None or student.id == only_student:
            version = versions.get(student.id, 0) + 1
            records[student.id] = _record_data(
                row,
                student,
                school_class,
                school,
                year.name,
                version,
                names,
                teachers,
                comments.get(student.id, ""),
                record_signers,
            )
    sheets = []
    if only_student is None and not data_only:
        cells = await _marks(school_class, [s.id for s in students.values()])
        info = _school_info(school)
        for subject in results.subjects:
            teacher = teachers.get(subject.id)
            for period in PERIODS:
                sheet = fmt.SubjectSheet(
                    info,
                    year.name,
                    school_class.name,
                    subject.code,
                    subject.name,
                    period,
                    teacher.full_name if teacher else "",
                    _sheet_rows(results, students, subject, period, cells),
                    _sheet_signers(listed, teacher),
                )
                sheets.append(SheetPlan(subject.id, period, teacher.id if teacher else None, sheet))
    return ClassDocuments(records, sheets)


def render_documents(
    records: Sequence[fmt.StudentRecord], sheets: Sequence[fmt.SubjectSheet]
) -> tuple[list[tuple[bytes, str]], list[bytes]]:
    """Worker-pool task: each record's XML with its data hash, and each sheet's XML."""
    rendered = []
    for record in records:
        xml = fmt.build_record(record)
        rendered.append((xml, data_hash(xml)))
    return rendered, [fmt.build_sheet(sheet) for sheet in sheets]
