"""A 1,500-student lower-secondary school with a whole year of marks, as the .xlsx files a
school would import: students (with guardians), staff, teaching assignments, marks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook

from core.rules.catalog import Assessment, SchoolLevel, subjects_for
from core.rules.secondary import regular_assessments
from core.validation import Gender
from demo.school import PROVINCE, People

CLASSES_PER_GRADE = 9
STUDENTS_PER_CLASS = 42
YEAR_START = 2025


def _save(path: Path, header: list[str], rows: list[list[object]]) -> None:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Sheet1")
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)


def write_school(directory: Path, seed: int = 7) -> dict[str, int]:
    """Write the four files into `directory`; returns how many rows and marks they hold."""
    people = People(seed)
    level = SchoolLevel.LOWER_SECONDARY
    subjects = subjects_for(level)
    classes = [f"{g}{c}" for g in range(6, 10) for c in "ABCDEFGHK"[:CLASSES_PER_GRADE]]
    students, marks = [], []
    mark_count = 0
    for name in classes:
        grade = int(name[:-1])
        for number in range(1, STUDENTS_PER_CLASS + 1):
            gender = people.rng.choice(list(Gender))
            born = dt.date(
                YEAR_START - grade - 5, people.rng.randint(1, 12), people.rng.randint(1, 28)
            )
            national_id = people.national_id(PROVINCE[level], born, gender)
            full_name = people.name(gender)
            students.append(
                [
                    number,
                    national_id,
                    full_name,
                    born.strftime("%d/%m/%Y"),
                    gender.label,
                    name,
                    people.name(Gender.MALE),
                    people.phone(),
                    people.name(Gender.FEMALE),
                    people.phone(),
                ]
            )
            ability = people.rng.gauss(7.0, 1.3)
            for term in ("I", "II"):
                for spec in subjects:
                    if not spec.taught_in(grade):
                        continue
                    count = regular_assessments(spec.assessment, spec.yearly_periods(grade))
                    if spec.assessment == Assessment.SCORED:
                        values = [
                            Decimal(round(min(10, max(0, people.rng.gauss(ability, 1.2))) * 2) / 2)
                            for _ in range(count + 2)
                        ]
                    else:
                        values = ["Đ"] * (count + 2)
                    row = [name, national_id, full_name, spec.name, term]
                    row += [values[i] if i < count else None for i in range(4)]
                    row += values[count:]
                    marks.append(row)
                    mark_count += count + 2
    _save(
        directory / "students.xlsx",
        [
            "STT",
            "Mã định danh",
            "Họ và tên",
            "Ngày sinh",
            "Giới tính",
            "Lớp",
            "Họ tên cha",
            "SĐT cha",
            "Họ tên mẹ",
            "SĐT mẹ",
        ],
        students,
    )
    staff, assignments = [["GV001", "Nguyễn Văn Hùng", "Hiệu trưởng", "", people.phone()]], []
    homerooms = iter(classes)
    for spec in subjects:
        taught = [c for c in classes if spec.taught_in(int(c[:-1]))]
        for start in range(0, len(taught), 6):
            code = f"GV{len(staff) + 1:03d}"
            homeroom = next(homerooms, None)
            roles = "Giáo viên bộ môn" + (", Giáo viên chủ nhiệm" if homeroom else "")
            staff.append([code, people.name(Gender.FEMALE), roles, homeroom or "", people.phone()])
            assignments.append([code, ", ".join(taught[start : start + 6]), spec.name])
    _save(
        directory / "staff.xlsx",
        ["Mã cán bộ", "Họ và tên", "Vai trò", "Chủ nhiệm lớp", "Số điện thoại"],
        staff,
    )
    _save(directory / "assignments.xlsx", ["Mã cán bộ", "Lớp", "Môn học"], assignments)
    _save(
        directory / "marks.xlsx",
        [
            "Lớp",
            "Mã định danh",
            "Họ và tên",
            "Môn",
            "Học kỳ",
            "TX1",
            "TX2",
            "TX3",
            "TX4",
            "GK",
            "CK",
        ],
        marks,
    )
    return {
        "students": len(students),
        "mark_rows": len(marks),
        "marks": mark_count,
        "classes": len(classes),
        "staff": len(staff),
    }
