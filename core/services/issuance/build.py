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
from enum import StrEnum

from core import clock
from core.errors import InvalidValue
from core.i18n import _
from core.models import (
    Comment,
    Mark,
    School,
    SchoolClass,
    SignatureRole,
    Staff,
    Student,
    TeachingAssignment,
    Term,
)
from core.render import xml_record as fmt
from core.render import xml_sheet
from core.rules.catalog import Assessment, SchoolLevel
from core.services.access import Actor
from core.services.certificates import listed_signers
from core.services.gradebook import mark_column
from core.services.issuance.build_primary import PERIODS as PRIMARY_PERIODS
from core.services.issuance.build_primary import assessment_cells, primary_year, year_comments
from core.services.issuance.build_primary import sheet_row as primary_sheet_row
from core.services.issuance.levels import LevelChain, level_chains, record_code
from core.services.issuance.stand_in import acting, principal_of
from core.services.results import ClassResults, SecondaryResult, class_results
from core.services.student_photos import photos_of
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


def _value(value: Decimal | StrEnum | None) -> str:
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


def _secondary_fields(
    row: SecondaryResult, teachers: dict[int, Staff], comments: dict[int, str]
) -> dict[str, object]:
    """A secondary year's part of the record (Thông tư 22): each subject's term and year
    results with its teacher and the teacher's comment of the year, learning and conduct,
    days absent, promotion and title."""
    return {
        "subjects": tuple(
            fmt.SubjectLine(
                r.subject.code,
                r.subject.name,
                r.subject.assessment == Assessment.SCORED,
                _value(r.term1),
                _value(r.term2),
                _value(r.year),
                teachers[r.subject.id].full_name if r.subject.id in teachers else "",
                comments.get(r.subject.id, ""),
            )
            for r in row.subjects
        ),
        "learning": tuple(_value(row.learning[k]) for k in ("term1", "term2", "year")),
        "conduct": tuple(_value(row.conduct[k]) for k in ("term1", "term2", "year")),
        "absent_days": row.absent_days,
        "promotion": _value(row.promotion),
        "title": row.title.value if row.title else None,
    }


def _record_data(
    student: Student,
    school_class: SchoolClass,
    school: School,
    year_name: str,
    chain: LevelChain,
    names: dict[str, str],
    comment: str,
    signers: tuple[fmt.ListedSigner, ...],
    year_fields: dict[str, object],
    photo: bytes,
) -> fmt.StudentRecord:
    return fmt.StudentRecord(
        record_code=chain.code,
        version=chain.version,
        replaces_version=chain.replaces,
        previous=chain.previous,
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
        homeroom_comment=comment,
        signers=signers,
        photo=photo,
        **year_fields,  # type: ignore[arg-type]
    )


@dataclass(frozen=True)
class SheetPlan:
    """One class × subject sheet to create: who signs it and its content."""

    subject_id: int
    period: str
    teacher_id: int | None
    sheet: xml_sheet.SubjectSheet


@dataclass(frozen=True)
class ClassDocuments:
    """What a class's issuance starts from: record data per student id, and the sheets."""

    records: dict[int, fmt.StudentRecord]
    sheets: list[SheetPlan]


def _sheet_rows(
    results, students: dict[str, Student], subject, period: str, cells
) -> tuple[xml_sheet.SheetRow, ...]:
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
        rows.append(
            xml_sheet.SheetRow(row.number, row.national_id, row.full_name, marks, _value(value))
        )
    return tuple(rows)


def _sheet_signers(
    listed: dict[tuple[str, int | None], fmt.ListedSigner], teacher: Staff | None
) -> tuple[fmt.ListedSigner, ...]:
    """The subject teacher signs their subject's sheets (001 Điều 24.5a)."""
    if teacher is None:
        return ()
    return (listed[(SignatureRole.SUBJECT_TEACHER.value, teacher.id)],)


async def _year_fields(
    results: ClassResults,
    school_class: SchoolClass,
    teachers: dict[int, Staff],
    homeroom: Staff,
    students: dict[str, Student],
) -> dict[str, dict[str, object]]:
    """national id → the year's part of the record of each of `students`: Thông tư 22's
    results, or Thông tư 27's (core.services.issuance.build_primary), with the comments of
    the subject teachers."""
    comments = await year_comments(school_class.year_id, [s.id for s in students.values()])
    # primary: who taught each subject, the homeroom teacher where nobody else did
    names = {s.id: homeroom.full_name for s in results.subjects}
    names |= {subject_id: staff.full_name for subject_id, staff in teachers.items()}
    fields: dict[str, dict[str, object]] = {}
    for row in results.rows:
        if row.national_id not in students:
            continue
        said = comments.get(students[row.national_id].id, {})
        if isinstance(row, SecondaryResult):
            fields[row.national_id] = _secondary_fields(row, teachers, said)
            continue
        fields[row.national_id] = {
            "primary": primary_year(row, results.subjects, school_class.grade, names, said)
        }
    return fields


def _sheet_plans(
    results: ClassResults,
    school_class: SchoolClass,
    year_name: str,
    info: fmt.SchoolInfo,
    teachers: dict[int, Staff],
    signers: dict[int, Staff | None],
    listed: dict[tuple[str, int | None], fmt.ListedSigner],
    rows_of,
) -> list[SheetPlan]:
    """The class × subject sheets: per term and for the year (secondary), per term for the
    primary subjects that have their own teacher (build_primary). A sheet names the teacher
    who taught; `signers` (subject id → who signs) may name the principal instead."""
    primary = results.primary
    sheets = []
    for subject in results.subjects:
        teacher = teachers.get(subject.id)
        if primary and teacher is None:
            continue
        for period in PRIMARY_PERIODS if primary else PERIODS:
            sheet = xml_sheet.SubjectSheet(
                info,
                year_name,
                school_class.name,
                subject.code,
                subject.name,
                period,
                teacher.full_name if teacher else "",
                rows_of(subject, period),
                _sheet_signers(listed, signer := signers.get(subject.id)),
            )
            sheets.append(SheetPlan(subject.id, period, signer.id if signer else None, sheet))
    return sheets


async def _sheet_rows_of(results: ClassResults, school_class: SchoolClass, students):
    """A function (subject, period) → the sheet's rows, with the marks read once."""
    ids = [s.id for s in students.values()]
    if results.primary:
        cells = await assessment_cells(ids, school_class.year_id)
        return lambda subject, period: tuple(
            primary_sheet_row(
                row.number,
                row.national_id,
                row.full_name,
                school_class.grade,
                subject,
                period,
                cells[(students[row.national_id].id, subject.id)],
            )
            for row in results.rows
        )
    marks = await _marks(school_class, ids)
    return lambda subject, period: _sheet_rows(results, students, subject, period, marks)


async def build_class(
    actor: Actor,
    school_class: SchoolClass,
    only_student: int | None = None,
    *,
    data_only: bool = False,
) -> ClassDocuments:
    """The record data of the class's students (or of one) and, for the whole class, the
    unsigned class × subject sheets. `data_only`: the records' data without their signer
    list, their place in the level's record (levels.py), photo or sheets, to compare with what was
    issued (core.services.issuance.drift): certificates expire and later years are added
    after issuance, the data must not change."""
    school = await school_of(school_class)
    year = await school_class.year
    students = {
        s.national_id: s for s in await Student.filter(enrollments__school_class=school_class)
    }
    teachers = await _teachers(school_class)
    homeroom = (
        await Staff.get_or_none(id=school_class.homeroom_id) if school_class.homeroom_id else None
    )
    principal = await principal_of(school.id)
    if homeroom is None or principal is None:
        raise InvalidValue(
            _(
                "Lớp {klass} chưa có giáo viên chủ nhiệm hoặc trường chưa có Hiệu trưởng: chưa "
                "lập được học bạ. Quản trị cập nhật danh sách cán bộ rồi lập lại."
            ).format(klass=school_class.name)
        )
    names = {"homeroom": homeroom.full_name, "principal": principal.full_name}
    # a teacher who left is signed for by the principal (stand_in, 001 Điều 18.7)
    signers = {subject_id: acting(t, principal) for subject_id, t in teachers.items()}
    chain = [
        (SignatureRole.HOMEROOM, acting(homeroom, principal)),
        (SignatureRole.PRINCIPAL, principal),
        (SignatureRole.SEAL, None),
    ]
    sheet_signers = (
        [(SignatureRole.SUBJECT_TEACHER, t) for t in signers.values()]
        if only_student is None
        else []
    )
    listed: dict[tuple[str, int | None], fmt.ListedSigner] = {}
    record_signers: tuple[fmt.ListedSigner, ...] = ()
    if not data_only:
        listed = await listed_signers(school, [(r.value, s) for r, s in chain + sheet_signers])
        record_signers = tuple(listed[(r.value, s.id if s else None)] for r, s in chain)
    wanted = {n: s for n, s in students.items() if only_student in (None, s.id)}
    if not wanted:
        raise InvalidValue(
            _(
                "Học sinh này không học lớp {klass} năm học {year}: không lập được phần năm học "
                "đó của học bạ."
            ).format(klass=school_class.name, year=year.name)
        )
    chains = (
        {s.id: LevelChain(record_code(school, s.national_id)) for s in wanted.values()}
        if data_only
        else await level_chains(school, year, list(wanted.values()))
    )
    results = await class_results(actor, school_class)  # read (and audited) once all is known
    comments = await _homeroom_comments(school_class, [s.id for s in wanted.values()])
    fields = await _year_fields(results, school_class, teachers, homeroom, wanted)
    photos = {} if data_only else await photos_of([s.id for s in wanted.values()])
    records = {}
    for national_id, year_fields in fields.items():
        student = students[national_id]
        records[student.id] = _record_data(
            student,
            school_class,
            school,
            year.name,
            chains[student.id],
            names,
            comments.get(student.id, ""),
            record_signers,
            year_fields,
            photos.get(student.id, b""),
        )
    sheets = []
    if only_student is None and not data_only:
        rows_of = await _sheet_rows_of(results, school_class, students)
        info = _school_info(school)
        sheets = _sheet_plans(
            results, school_class, year.name, info, teachers, signers, listed, rows_of
        )
    return ClassDocuments(records, sheets)


def render_documents(
    records: Sequence[fmt.StudentRecord], sheets: Sequence[xml_sheet.SubjectSheet]
) -> tuple[list[tuple[bytes, str]], list[bytes]]:
    """Worker-pool task: each record's XML with its data hash, and each sheet's XML."""
    rendered = []
    for record in records:
        xml = fmt.build_record(record)
        rendered.append((xml, data_hash(xml)))
    return rendered, [xml_sheet.build_sheet(sheet) for sheet in sheets]
