"""Setting up and finding schools, their years, terms, subjects and classes."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from tortoise.transactions import in_transaction

from core import audit, clock
from core.errors import InvalidValue, NotFound
from core.i18n import _
from core.models import School, SchoolClass, SchoolYear, Subject, Term
from core.rules.catalog import SchoolLevel, find_subject, grades, subjects_for
from core.text import fold

# A grade then the class's own name in Latin letters, digits, dots and dashes ("6A", "10A1",
# "6Đ"): a look-alike letter of another script ("6А" in Cyrillic) would be another class.
_CLASS_NAME = re.compile(r"^([0-9]{1,2})\s*([A-Za-zĐđ0-9.\-]*)$")


def year_name_for(day: dt.date) -> str:
    """The school year a day belongs to: a year runs from August to the next July."""
    first = day.year if day.month >= 8 else day.year - 1
    return f"{first}-{first + 1}"


async def create_school(
    code: str, name: str, level: SchoolLevel, *, province: str = "", district: str = ""
) -> School:
    """A school with its subjects seeded from the national catalog of its level."""
    async with in_transaction():
        school = await School.create(
            code=code, name=name, level=level, province=province, district=district
        )
        await Subject.bulk_create(
            [
                Subject(
                    school=school,
                    code=spec.code,
                    name=spec.name,
                    assessment=spec.assessment,
                    periods_by_grade={
                        str(g): spec.yearly_periods(g) for g in grades(level) if spec.taught_in(g)
                    },
                )
                for spec in subjects_for(level)
            ]
        )
        await audit.record(
            audit.Event("cli", "school.create", f"school:{school.id}", after={"code": code})
        )
    return school


def year_name(text: str) -> str:
    """A school year's name as written, '2025-2026' (also '2025 - 2026', '2025/2026')."""
    name = re.sub(r"\s*[-/–]\s*", "-", unicodedata.normalize("NFKC", str(text)).strip())
    if not re.fullmatch(r"[0-9]{4}-[0-9]{4}", name) or int(name[5:]) != int(name[:4]) + 1:
        raise InvalidValue(_("Năm học «{name}» không hợp lệ: ghi như 2025-2026.").format(name=text))
    return name


async def ensure_year(
    school: School, name: str | None = None, *, today: dt.date | None = None
) -> SchoolYear:
    """The named school year (default: the current one), created with its two terms if new.

    Only setting a school up creates a year (`hocba init`, the demo, tests): every other
    command looks a year up with `find_year`, so a mistyped year is never created, and never
    becomes the latest year everyone works in.

    Term dates are the usual frame (term I from 5/9 to mid-January, term II to the end of May,
    records until 30/6); the school's deadline calendar refines them.
    """
    name = year_name(name or year_name_for(today or clock.today()))
    first = int(name[:4])
    year, created = await SchoolYear.get_or_create(
        school=school,
        name=name,
        defaults={"starts": dt.date(first, 9, 5), "ends": dt.date(first + 1, 6, 30)},
    )
    if created:
        await Term.bulk_create(
            [
                Term(
                    year=year, number=1, starts=dt.date(first, 9, 5), ends=dt.date(first + 1, 1, 15)
                ),
                Term(
                    year=year,
                    number=2,
                    starts=dt.date(first + 1, 1, 16),
                    ends=dt.date(first + 1, 5, 31),
                ),
            ]
        )
    return year


async def find_school(code: str | None = None) -> School:
    """The school with `code`, or the only school when no code is given."""
    if code:
        school = await School.get_or_none(code=code)
        if school is None:
            raise NotFound(_("Không có trường mã «{code}» trong cơ sở dữ liệu.").format(code=code))
        return school
    schools = await School.all().limit(2)
    if len(schools) == 1:
        return schools[0]
    if not schools:
        raise NotFound(_("Chưa có trường nào. Chạy «hocba init» hoặc «hocba demo» trước."))
    raise NotFound(_("Có nhiều trường: hãy chọn một trường bằng --school MÃ_TRƯỜNG."))


async def find_year(school: School, name: str | None) -> SchoolYear:
    """The school's year named `name` (default: its latest), never creating one: a command
    that reads must not write, and a year created by a typo would become everyone's latest."""
    if not name:
        return await current_year(school.id)
    name = year_name(name)
    year = await SchoolYear.get_or_none(school_id=school.id, name=name)
    if year is None:
        known = (
            await SchoolYear.filter(school_id=school.id)
            .order_by("-name")
            .values_list("name", flat=True)
        )
        raise NotFound(
            _(
                "{school} chưa có năm học {name} (đã có: {known}). Kiểm tra lại --year; năm học "
                "mới tạo bằng «hocba --year {name} init»."
            ).format(school=school.name, name=name, known=", ".join(known) or _("chưa có năm nào"))
        )
    return year


async def current_year_if_any(school_id: int) -> SchoolYear | None:
    """The school's latest year, or None before the first one is created (a job finds
    nothing to do then)."""
    return await SchoolYear.filter(school_id=school_id).order_by("-name").first()


async def current_year(school_id: int) -> SchoolYear:
    """The school's latest year: the one teachers, jobs and the bot work in. A school without
    any year is refused with what the admin should do, never met as None further on."""
    year = await current_year_if_any(school_id)
    if year is None:
        raise NotFound(
            _(
                "Trường chưa có năm học nào: quản trị hãy tạo năm học trên máy chủ, ví dụ "
                "«hocba --year 2025-2026 init» (tạo năm học 2025-2026 với hai học kỳ), rồi xem "
                "lịch hạn của năm bằng «hocba calendar show»."
            )
        )
    return year


async def latest_year(school: School) -> SchoolYear:
    """`current_year` of a school already loaded (the command line's default year)."""
    return await current_year(school.id)


def parse_class_name(school: School, text: str) -> tuple[str, int]:
    """Normal class name and its grade: '6a' -> ('6A', 6); the grade must fit the school.

    Compatibility forms are folded first (NFKC), so a full-width '６Ａ' is the class 6A.
    """
    match = _CLASS_NAME.match(unicodedata.normalize("NFKC", str(text)).strip())
    if not match:
        raise InvalidValue(
            _("Tên lớp «{name}» không hợp lệ: ghi khối rồi tên lớp, ví dụ 6A hoặc 10A1.").format(
                name=text
            )
        )
    grade = int(match.group(1))
    if grade not in grades(SchoolLevel(school.level)):
        raise InvalidValue(
            _("Lớp «{name}»: {school} không có khối {grade}.").format(
                name=text, grade=grade, school=school.name
            )
        )
    return f"{grade}{match.group(2).upper()}", grade


async def find_class(year: SchoolYear, text: str) -> SchoolClass:
    school = await year.school
    name, _grade = parse_class_name(school, text)
    school_class = await SchoolClass.get_or_none(year=year, name=name)
    if school_class is None:
        raise NotFound(
            _("Không có lớp {name} trong năm học {year}.").format(name=name, year=year.name)
        )
    return school_class


async def subjects_by_name(school: School) -> dict[str, Subject]:
    """Every way a subject of the school may be written (code, name, catalog aliases), folded."""
    found: dict[str, Subject] = {}
    level = SchoolLevel(school.level)
    for subject in await Subject.filter(school=school):
        found[fold(subject.code)] = subject
        found[fold(subject.name)] = subject
        spec = find_subject(level, subject.code)
        for alias in spec.aliases if spec else ():
            found.setdefault(fold(alias), subject)
    return found
