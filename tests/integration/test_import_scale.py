"""A whole school's year in one sheet: 1,500 students and about 60,000 marks import completely,
and importing the same file again changes nothing. (Its speed is measured by `make bench`.)"""

from __future__ import annotations

import random
from functools import cache

from core.importing import import_file
from core.models import AuditEvent, Mark
from tests.integration.fixtures_sheets import STUDENT_HEADER, national_id, xlsx
from tests.on_behalf import enable_on_behalf

SUBJECTS = (
    "Toán",
    "Ngữ văn",
    "Tiếng Anh",
    "GDCD",
    "Lịch sử và Địa lí",
    "KHTN",
    "Công nghệ",
    "Tin học",
    "GDTC",
    "Nghệ thuật",
    "HĐTN",
    "GDĐP",
)
COMMENT_ONLY = {"GDTC", "Nghệ thuật", "HĐTN", "GDĐP"}
MARKS_HEADER = ("Lớp", "Mã định danh", "Họ và tên", "Môn", "Học kỳ", "TX1", "TX2", "GK", "CK")


@cache
def school_files() -> tuple[bytes, bytes]:
    """1,500 students in 36 classes of grades 6-9, and one row per student × subject × term
    (36,000 rows) with one or two regular marks each."""
    chance = random.Random(2025)
    students, marks = [STUDENT_HEADER[:6]], [MARKS_HEADER]
    for n in range(1, 1501):
        grade, klass = 6 + (n - 1) // 375, "ABCDEFGHK"[(n - 1) % 9]
        born = 2020 - grade
        nid, name = national_id(n, born, female=n % 2 == 0), f"Học Sinh {n}"
        students.append(
            (n, nid, name, f"02/03/{born}", "Nữ" if n % 2 == 0 else "Nam", f"{grade}{klass}")
        )
        for subject in SUBJECTS:
            for term in ("I", "II"):
                if subject in COMMENT_ONLY:
                    values = ["Đ", chance.choice(["Đ", "CĐ", None])]
                else:
                    values = [round(chance.uniform(3, 10), 1), chance.choice([8, "7,5", None])]
                marks.append((f"{grade}{klass}", nid, name, subject, term, *values, None, None))
    return xlsx({"Học sinh": students}), xlsx({"Điểm": marks})


async def test_a_school_year_of_marks_imports_whole_and_once(secondary, admin_of, workers) -> None:
    school, year = secondary
    admin = admin_of(school)
    await enable_on_behalf(school.id)  # the admin enters the whole school's mark books
    students, marks = school_files()
    await import_file(admin, year, "students", students, "hocsinh.xlsx", workers=workers)
    report = await import_file(admin, year, "marks", marks, "diem.xlsx", workers=workers)

    assert report.rows == 36_000
    assert 55_000 < report.parts["marks"].created == await Mark.all().count()

    audit = await AuditEvent.all().count()
    again = await import_file(admin, year, "marks", marks, "diem.xlsx", workers=workers)
    assert (again.created, again.updated) == (0, 0)
    assert await AuditEvent.all().count() == audit
