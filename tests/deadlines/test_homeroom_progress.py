"""The homeroom teacher's part of a class as a first-class item of progress and reminders: its
columns by school level, its own calendar deadline (checked like the others), the reminder that
names exactly what is missing, the escalation after the deadline, the school's summary.

The small school of this folder in 2025-2026: Ngô Chủ Nhiệm (GV03) is 6A's homeroom teacher
and has entered term I's conduct and days absent of An and Bình, not Chi's; 6B has no
homeroom teacher. Bùi Thị Văn (GV02) still misses Ngữ văn marks of 6A.
"""

from __future__ import annotations

import datetime as dt

import pytest

from core.errors import InvalidValue
from core.models import Role, SchoolClass, Staff, Student, Subject, Term
from core.rules.primary import COMPETENCIES, QUALITIES, QualityLevel, SubjectLevel, TestPoint
from core.services import gradebook, overview, roster
from core.services.access import Actor
from core.services.calendar import DeadlineKind, load_calendar, record_test_date, show_calendar
from core.services.calendar.changes import set_deadline
from core.services.progress import teacher_progress
from core.services.reminders import QuietHours
from core.services.rounds import REMINDER, plan_round
from core.validation import Gender

from .conftest import at

CHI = "Phạm Thị Chi"
QUIET = QuietHours(dt.time(21, 0), dt.time(6, 30))


def gaps(sheet) -> list[tuple[str, list[str]]]:
    return [(g.label, [s.name for s in g.students]) for g in sheet.gaps]


async def homeroom_sheet(small, term: int, now: dt.datetime):
    mine = await teacher_progress(await small.actor("GV03"), small.year, now=now, terms=[term])
    (sheet,) = [s for s in mine.sheets if s.homeroom]
    return sheet


async def test_the_homeroom_deadline_is_its_own_and_checked(small, clock_at) -> None:
    clock_at("01/12/2025")
    cal = await load_calendar(small.year)
    # by default it is the term's entry deadline, and follows it until set apart
    assert cal.homeroom_deadline(1) == cal.entry_deadline(1) == at("15/01/2026")
    assert cal.homeroom_deadline(2) == at("31/05/2026")
    shown = {e.key: e for e in await show_calendar(small.admin, small.year)}
    assert shown["homeroom.term1"].label == "Hạn giáo viên chủ nhiệm nhập xong học kỳ I"
    assert shown["homeroom.term1"].citation == "003 Điều 4.2, 4.3"
    await set_deadline(small.admin, small.year, "entry.term1", "14/01/2026")
    assert (await load_calendar(small.year)).homeroom_deadline(1) == at("14/01/2026")

    for text, reason in (
        ("01/09/2025", r"từ 00:00, Thứ Sáu, 05/09/2025 \(ngày bắt đầu học kỳ I\) đến 17:00, "),
        ("30/01/2026", "muộn hơn «Khóa sổ học kỳ I»"),
        ("01/02/2020", "nằm ngoài năm học 2025-2026"),
    ):
        with pytest.raises(InvalidValue, match=reason):
            await set_deadline(small.admin, small.year, "homeroom.term1", text)
    with pytest.raises(InvalidValue, match="sớm hơn ngày bắt đầu học kỳ II"):
        await set_deadline(small.admin, small.year, "homeroom.term2", "10/01/2026")
    assert (await load_calendar(small.year)).homeroom_deadline(1) == at("14/01/2026")

    await set_deadline(small.admin, small.year, "homeroom.term1", "20/01/2026")
    await set_deadline(small.admin, small.year, "entry.term1", "13/01/2026")  # set apart now
    cal = await load_calendar(small.year)
    assert (cal.entry_deadline(1), cal.homeroom_deadline(1)) == (at("13/01/2026"), at("20/01/2026"))
    # the term's lock may not come before the homeroom teacher's deadline
    with pytest.raises(InvalidValue, match="sớm hơn «Hạn giáo viên chủ nhiệm nhập xong học kỳ I»"):
        await set_deadline(small.admin, small.year, "lock.term1", "19/01/2026")
    # the homeroom's gaps are due then, the subjects' at the entry deadline
    sheet = await homeroom_sheet(small, 1, at("01/12/2025"))
    assert {g.due for g in sheet.gaps} == {at("20/01/2026")}
    subjects = await teacher_progress(await small.actor("GV02"), small.year, now=at("01/12/2025"))
    assert {g.due for s in subjects.sheets for g in s.gaps} == {at("13/01/2026")}


async def test_primary_defaults_close_with_the_school_plan(primary) -> None:
    _school, year = primary
    cal = await load_calendar(year)
    assert cal.homeroom_deadline(2) == cal.entry_deadline(2) == at("25/05/2026")


async def test_secondary_columns_and_the_year_end_comment(small, clock_at) -> None:
    now = clock_at("01/12/2025")
    term1 = await homeroom_sheet(small, 1, now)
    assert gaps(term1) == [("Rèn luyện", [CHI]), ("Số ngày nghỉ", [CHI])]
    everyone = ["Nguyễn Văn An", "Trần Thị Bình", CHI]
    term2 = await homeroom_sheet(small, 2, now)
    assert gaps(term2) == [
        ("Rèn luyện", everyone),
        ("Số ngày nghỉ", everyone),
        ("Nhận xét của GVCN", everyone),  # the record's comment, once a year
    ]
    homeroom = await small.actor("GV03")
    klass, term = small.classes["6A"], small.terms[2]
    await gradebook.write_comments(
        homeroom,
        [gradebook.CommentEntry(small.students[n], klass, term, "Chăm ngoan.") for n in everyone],
    )
    await gradebook.write_absences(
        homeroom,
        [gradebook.AbsenceEntry(small.students[n], klass, term, 0, 0) for n in everyone[:2]],
    )
    term2 = await homeroom_sheet(small, 2, now)
    assert gaps(term2) == [("Rèn luyện", everyone), ("Số ngày nghỉ", [CHI])]  # 0, 0 counts


async def _class_1a(primary) -> Actor:
    """Class 1A of the primary school with two pupils, Em and Gấm; returns the admin."""
    school, year = primary
    admin = Actor.command_line(school.id)
    born = dt.date(2018, 3, 1)
    await roster.write_students(
        admin,
        year,
        [
            roster.StudentEntry(f"00121400001{n}", name, born, Gender.MALE, "1A", 1, n)
            for n, name in ((1, "Đào Văn Em"), (2, "Hà Thị Gấm"))
        ],
    )
    return admin


async def test_primary_columns_are_qualities_days_and_comments(primary) -> None:
    _school, year = primary
    admin = await _class_1a(primary)
    await roster.write_staff(
        admin,
        year,
        [
            roster.StaffEntry(
                "GV09", "Lý Thị Nhiệm", frozenset({Role.HOMEROOM}), homeroom_class="1A"
            )
        ],
    )
    teacher = await Actor.of_staff(await Staff.get(code="GV09"))
    mine = await teacher_progress(teacher, year, now=at("01/12/2025"), terms=[1])
    (sheet,) = mine.sheets
    assert [g.column for g in sheet.gaps] == ["PCNL CHK1", "NGHI", "NX"]
    assert [g.label for g in sheet.gaps] == [
        "Phẩm chất, năng lực cuối học kì I",
        "Số ngày nghỉ",
        "Nhận xét của GVCN",
    ]
    em = sheet.gaps[0].students[0]
    school_class = await SchoolClass.get(name="1A")
    term = await Term.get(year=year, number=1)
    codes = [code for code, _name in QUALITIES + COMPETENCIES]
    qualities = [
        gradebook.QualityEntry(em.id, school_class, term, TestPoint.END_1, c, QualityLevel.GOOD)
        for c in codes
    ]
    await gradebook.write_qualities(teacher, qualities[:-1])  # one competency short: missing
    sheet = (await teacher_progress(teacher, year, now=at("01/12/2025"), terms=[1])).sheets[0]
    assert [s.name for s in sheet.gaps[0].students] == ["Đào Văn Em", "Hà Thị Gấm"]
    await gradebook.write_qualities(teacher, qualities[-1:])
    sheet = (await teacher_progress(teacher, year, now=at("01/12/2025"), terms=[1])).sheets[0]
    assert [s.name for s in sheet.gaps[0].students] == ["Hà Thị Gấm"]


async def test_the_homeroom_teacher_is_reminded_of_exactly_what_is_missing(small, clock_at) -> None:
    """Set apart on Thursday 08/01/2026: its reminder three days before goes to the homeroom
    teacher alone, naming the columns and the students' count; after it, the admins and the
    principal are told who is late with what, the homeroom part only."""
    clock_at("01/12/2025")
    await set_deadline(small.admin, small.year, "homeroom.term1", "08/01/2026")
    # Văn is late with a mid-term mark by then: still not part of the homeroom's reminder
    await record_test_date(
        await small.actor("GV02"),
        small.classes["6A"],
        small.subjects["NV"],
        small.terms[1],
        "CK",
        dt.date(2025, 12, 1),
    )
    reminded_at = at("05/01/2026", "17:00")
    plan = await plan_round(
        small.school, since=reminded_at - dt.timedelta(minutes=5), now=reminded_at, quiet=QUIET
    )
    assert plan.reminders == ["homeroom.term1@3d"]
    (message,) = plan.messages
    assert (message.staff.code, message.kind) == ("GV03", REMINDER)
    text = message.text()
    assert "Hạn giáo viên chủ nhiệm nhập xong học kỳ I: 17:00, Thứ Năm, 08/01/2026" in text
    assert "• 6A — Chủ nhiệm, HK I: Rèn luyện (1 HS), Số ngày nghỉ (1 HS)" in text
    assert "Hạn nhập xong học kỳ I" not in text

    passed_at = at("08/01/2026", "17:05")
    plan = await plan_round(
        small.school, since=passed_at - dt.timedelta(minutes=10), now=passed_at, quiet=QUIET
    )
    assert plan.escalated == ["homeroom.term1"]
    told = sorted(m.staff.code for m in plan.messages)
    assert told == ["HT01", "QT01"]
    digest = plan.messages[0].text()
    assert "Quá hạn: Hạn giáo viên chủ nhiệm nhập xong học kỳ I" in digest
    assert "1 giáo viên chưa nhập xong" in digest
    assert "• Ngô Chủ Nhiệm: lớp 6A thiếu Rèn luyện 1 HS, Số ngày nghỉ 1 HS" in digest
    assert "Bùi Thị Văn" not in digest


async def test_the_school_summary_has_the_homeroom_part(small) -> None:
    now = at("20/01/2026", "09:00")  # after term I's deadlines
    summary = await overview.school_summary(await small.actor("HT01"), now=now)
    lines = [(h.klass, h.teacher, h.missing, h.late) for h in summary.homerooms]
    assert lines == [
        ("6A", "Ngô Chủ Nhiệm", (("Rèn luyện", 1), ("Số ngày nghỉ", 1)), True),
        ("6B", None, (("Rèn luyện", 1), ("Số ngày nghỉ", 1)), True),
    ]
    assert summary.hidden_homerooms() == ""
    assert DeadlineKind.HOMEROOM in {
        d.kind for d in (await load_calendar(small.year)).deadlines(at("14/01/2026"), now)
    }


async def test_the_homeroom_entry_is_on_the_homeroom_teachers_menu(small) -> None:
    features = [f for row in overview.menu(await small.actor("GV03")) for f in row]
    assert overview.Feature.HOMEROOM_ENTRY in features
    features = [f for row in overview.menu(await small.actor("GV02")) for f in row]
    assert overview.Feature.HOMEROOM_ENTRY not in features


async def test_a_primary_subject_asks_for_its_comment_at_each_terms_end(primary) -> None:
    """000 Điều 7: the subject teacher enters their comment at the end of each term; a level
    without a comment is not a complete sheet."""
    school, year = primary
    admin = await _class_1a(primary)
    teacher_roles = frozenset({Role.SUBJECT_TEACHER})
    await roster.write_staff(admin, year, [roster.StaffEntry("GV10", "Mai Văn Đạo", teacher_roles)])
    ethics = await Subject.get(school=school, code="DD")  # Đạo đức: levels only, no test
    await roster.write_assignments(admin, year, [roster.AssignmentEntry("GV10", "1A", ethics.id)])
    teacher = await Actor.of_staff(await Staff.get(code="GV10"))
    school_class = await SchoolClass.get(name="1A")
    term = await Term.get(year=year, number=1)
    students = {s.full_name: s.id for s in await Student.filter(school=school)}
    levels = [
        gradebook.PrimaryEntry(sid, school_class, ethics, term, point, SubjectLevel.GOOD, None)
        for sid in students.values()
        for point in (TestPoint.MID_1, TestPoint.END_1)
    ]
    await gradebook.write_primary(teacher, levels)

    (sheet,) = (await teacher_progress(teacher, year, now=at("01/12/2025"), terms=[1])).sheets
    assert gaps(sheet) == [("Nhận xét", ["Đào Văn Em", "Hà Thị Gấm"])]
    assert sheet.gaps[0].due == (await load_calendar(year)).due(
        1, "CHK1", regular=False, class_id=school_class.id, subject_id=ethics.id
    )
    said = gradebook.CommentEntry(students["Đào Văn Em"], school_class, term, "Ngoan.", ethics)
    blank = gradebook.CommentEntry(students["Hà Thị Gấm"], school_class, term, "", ethics)
    await gradebook.write_comments(teacher, [said, blank])
    (sheet,) = (await teacher_progress(teacher, year, now=at("01/12/2025"), terms=[1])).sheets
    assert gaps(sheet) == [("Nhận xét", ["Hà Thị Gấm"])]  # an empty comment is none
