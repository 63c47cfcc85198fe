"""The homeroom teacher's sheet: one class × term as an .xlsx file, pre-filled.

Per student in class-list order (STT, personal ID, name): in secondary school the term's conduct
(Tốt / Khá / Đạt / Chưa đạt, Thông tư 22 Điều 8); in primary school the levels of the five
qualities and ten competencies at the term's end (T / Đ / C, Thông tư 27 Điều 7); in both the
days absent with and without permission and the homeroom teacher's comment. It is exactly what
the homeroom importer (core.importing.homeroom) reads back: "Lớp: 6A" and "Học kỳ: I" once above
a one-row header, a guide sheet the importer knows by its first line and passes over. What is
stored is already in it, and a blank cell never erases anything, so the round trip writes only
what the teacher added or changed. Excel and LibreOffice offer each cell's allowed values (data
validation), but the importer checks everything again.

Only the class's homeroom teacher (or an admin) gets it, as only they may write it back; it
holds personal data, so handing it out is audited like any read. The data is read here and the
file built in the worker pool, in the grade sheet's layout (core.services.sheet_workbook).
"""

from __future__ import annotations

import re

from core import buttons, clock, formatting
from core.buttons import Choice
from core.errors import NotFound
from core.formatting import roman
from core.i18n import DEFAULT_LANGUAGE, _, use_language
from core.importing.homeroom_fields import (
    CONDUCT_NAMES,
    HOMEROOM_GUIDE_HEADING,
    TERM_POINT,
    absence_fields,
    comment_field,
    quality_fields,
)
from core.models import (
    Absence,
    Comment,
    Conduct,
    QualityAssessment,
    SchoolClass,
    SchoolYear,
    Staff,
    Term,
)
from core.rules.catalog import SchoolLevel
from core.rules.homeroom import MAX_COMMENT, school_days
from core.rules.primary import QualityLevel
from core.rules.secondary import Level
from core.services.access import Actor, ensure_can_write_class
from core.services.gradebook import class_students
from core.services.homeroom_rows import record_read
from core.services.sheet_workbook import Book, Column, Rule, Template, build_workbook
from core.text import fold
from core.workers import WorkerPool

SHEET_TITLE = "Chủ nhiệm"


def _filename(school_class: SchoolClass, term: Term) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", fold(school_class.name)).strip("-")
    return f"bang-chu-nhiem-{slug}-hk{term.number}.xlsx"


def _list_rule(values: list[str], error: str) -> Rule:
    return Rule("list", '"' + ",".join(values) + '"', None, None, error)


def _columns(level: SchoolLevel, days: int) -> list[Column]:
    """The columns of the level, headed as the importer reads them (their first spelling)."""
    columns = []
    if level is SchoolLevel.PRIMARY:
        with use_language(DEFAULT_LANGUAGE):
            codes = [q.value for q in QualityLevel]
        rule = _list_rule(codes, _("Chọn T (Tốt), Đ (Đạt) hoặc C (Cần cố gắng)."))
        columns += [Column(f.aliases[0], 11, rule) for f in quality_fields()]
    else:
        with use_language(DEFAULT_LANGUAGE):
            labels = [level.label for level in Level]
        rule = _list_rule(labels, _("Chọn Tốt, Khá, Đạt hoặc Chưa đạt."))
        columns.append(Column(CONDUCT_NAMES[0], 12, rule))
    whole = Rule(
        "whole",
        "0",
        str(days),
        "between",
        _("Số ngày nghỉ là số nguyên từ 0 đến {days}.").format(days=days),
    )
    columns += [Column(f.aliases[0], 10, whole) for f in absence_fields()]
    text = Rule(
        "textLength",
        str(MAX_COMMENT),
        None,
        "lessThanOrEqual",
        _("Nhận xét tối đa {limit} ký tự.").format(limit=formatting.integer(MAX_COMMENT)),
    )
    columns.append(Column(comment_field().aliases[0], 60, text))
    return columns


async def _rows(
    actor: Actor, school_class: SchoolClass, term: Term, level: SchoolLevel
) -> list[list[object]]:
    """One row per student with what is stored for the term; the read is audited."""
    students = await class_students(school_class)
    ids = [s.id for _e, s in students]
    absent = {a.student_id: a for a in await Absence.filter(student_id__in=ids, term=term)}
    comments = dict(
        await Comment.filter(student_id__in=ids, term=term, subject_id__isnull=True).values_list(
            "student_id", "text"
        )
    )
    if level is SchoolLevel.PRIMARY:
        stored = {
            (q.student_id, q.quality): q.level
            for q in await QualityAssessment.filter(
                student_id__in=ids, point=TERM_POINT[term.number]
            )
        }
        codes = [f.key.removeprefix("quality_") for f in quality_fields()]
        assessed = {s.id: [_code(stored.get((s.id, c))) for c in codes] for _e, s in students}
    else:
        conducts = dict(
            await Conduct.filter(student_id__in=ids, term=term).values_list("student_id", "level")
        )
        with use_language(DEFAULT_LANGUAGE):  # the scale's words, as the sheet's list has them
            assessed = {
                s.id: [Level(conducts[s.id]).label if s.id in conducts else None]
                for _e, s in students
            }
    rows = []
    for enrollment, student in students:
        days = absent.get(student.id)
        rows.append(
            [
                enrollment.number or None,
                student.national_id,
                student.full_name,
                *assessed[student.id],
                days.excused if days else None,
                days.unexcused if days else None,
                comments.get(student.id),
            ]
        )
    await record_read(actor, school_class, term, len(students))
    return rows


def _code(level: str | None) -> str | None:
    return str(QualityLevel(level)) if level is not None else None


def _first_lower(text: str) -> str:
    """ "Cuối học kì I" inside a sentence: "cuối học kì I"."""
    return text[:1].lower() + text[1:]


def _guide(level: SchoolLevel, term: Term) -> tuple[str, ...]:
    if level is SchoolLevel.PRIMARY:
        assessed = _(
            "Các cột phẩm chất (Yêu nước … Trách nhiệm) và năng lực (Tự chủ và tự học … Thể "
            "chất), mức đạt được {point}: T (Tốt), Đ (Đạt) hoặc C (Cần cố gắng) "
            "(Thông tư 27, Điều 7)."
        ).format(point=_first_lower(TERM_POINT[term.number].label))
    else:
        assessed = _(
            "Cột «Rèn luyện»: kết quả rèn luyện học kỳ {term}, Tốt, Khá, Đạt hoặc Chưa đạt "
            "(Thông tư 22, Điều 8). Rèn luyện cả năm được tính từ hai học kỳ, không nhập."
        ).format(term=roman(term.number))
    return (
        HOMEROOM_GUIDE_HEADING,  # the importer knows this sheet by it and passes over it
        _(
            "Điền vào các ô của trang «{sheet}», rồi gửi lại tệp này cho Trợ lý (quản trị "
            "nhập bằng lệnh «hocba import homeroom TỆP»)."
        ).format(sheet=SHEET_TITLE),
        assessed,
        _(
            "Cột «Nghỉ có phép», «Nghỉ không phép»: số nguyên ngày nghỉ trong học kỳ, cả hai cộng "
            "lại không quá {days} ngày học của học kỳ {term} (thứ Hai đến thứ Bảy, từ {first} "
            "đến {last})."
        ).format(
            days=school_days(term.starts, term.ends),
            term=roman(term.number),
            first=formatting.numeric_date(term.starts),
            last=formatting.numeric_date(term.ends),
        ),
        _("Cột «Nhận xét»: nhận xét của giáo viên chủ nhiệm, tối đa {limit} ký tự.").format(
            limit=formatting.integer(MAX_COMMENT)
        ),
        _("Ô để trống nghĩa là chưa nhập: không xóa gì đã có."),
        _("Không thêm hay bớt dòng học sinh, không sửa mã định danh."),
    )


async def homeroom_template(
    actor: Actor, school_class: SchoolClass, term: Term, *, workers: WorkerPool
) -> Template:
    """The homeroom sheet of a class and term, for its homeroom teacher or an admin."""
    await ensure_can_write_class(actor, school_class)
    year = await school_class.year
    school = await year.school
    level = SchoolLevel(school.level)
    homeroom = (
        await Staff.get_or_none(id=school_class.homeroom_id) if school_class.homeroom_id else None
    )
    rows = await _rows(actor, school_class, term, level)
    what = (
        _("PHẨM CHẤT, NĂNG LỰC, NGÀY NGHỈ, NHẬN XÉT")
        if level is SchoolLevel.PRIMARY
        else _("RÈN LUYỆN, NGÀY NGHỈ, NHẬN XÉT")
    )
    book = Book(
        sheet_title=SHEET_TITLE,
        header_colour="E2EFDA",
        school_name=school.name,
        title=_("BẢNG CHỦ NHIỆM: {what}").format(what=what),
        # the importer reads "Lớp" and "Học kỳ" back, so they are never translated
        heading=(
            f"Lớp: {school_class.name}",
            f"Học kỳ: {roman(term.number)}",
            f"Năm học: {year.name}",
            *([f"GVCN: {homeroom.full_name}"] if homeroom else []),
        ),
        columns=tuple(_columns(level, school_days(term.starts, term.ends))),
        rows=tuple(tuple(row) for row in rows),
        error_title=_("Giá trị không hợp lệ"),
        guide_title=_("Hướng dẫn"),
        guide=_guide(level, term),
    )
    data = await workers.run(build_workbook, book)
    return Template(_filename(school_class, term), data)


async def homeroom_template_for(
    actor: Actor, class_id: int, term_number: int, *, workers: WorkerPool
) -> Template:
    """The sheet a button names by ids: ids of another school, or no longer there, are refused
    plainly before anything is read."""
    school_class = await SchoolClass.get_or_none(id=class_id, year__school_id=actor.school_id)
    term = school_class and await Term.get_or_none(year_id=school_class.year_id, number=term_number)
    if not (school_class and term):
        raise NotFound(_("Bảng chủ nhiệm này không còn. Hãy mở lại «📚 Lớp của tôi»."))
    return await homeroom_template(actor, school_class, term, workers=workers)


async def homeroom_sheet_choices(actor: Actor, year: SchoolYear) -> tuple[Choice, ...]:
    """A button per class the actor is the homeroom teacher of and term already begun (a term
    to come has nothing to enter yet: the importer refuses it)."""
    if actor.staff_id is None:
        return ()
    classes = await SchoolClass.filter(year=year, homeroom_id=actor.staff_id).order_by("name")
    if not classes:
        return ()
    today = clock.today()
    terms = [t for t in await Term.filter(year=year).order_by("number") if t.starts <= today]
    return tuple(
        Choice(
            _("📄 Bảng chủ nhiệm {klass}, học kỳ {term}").format(
                klass=c.name, term=roman(t.number)
            ),
            buttons.HOMEROOM_SHEET.data(c.id, t.number),
        )
        for c in classes
        for t in terms
    )
