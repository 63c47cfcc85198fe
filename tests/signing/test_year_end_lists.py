"""The end-of-year lists (core.services.promotion) and the decision that closes a class's year
on them (core.services.issuance.closing), on a small school with one student per outcome
(tests/signing/year_end.py), on SQLite and PostgreSQL.

Closing is the principal's decision (001 Điều 33.6), or the delegated vice principal's; nobody
else's, and never with data missing, before term II is over, or on lists that changed since
they were shown: each refusal leaves no closure, no audit event and no message behind."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest

from core import clock
from core.errors import InvalidValue, PermissionDenied
from core.models import AuditEvent, ClassClosure, Notification, TeachingAssignment, Term
from core.rules import primary as tt27
from core.rules import secondary as tt22
from core.services import corrections, gradebook, issuance, promotion
from core.services.issuance.closing import CONFIRM_WINDOW
from core.services.promotion import COMPLETED, NOT_COMPLETED
from tests.conftest import DURING_2025_2026
from tests.portal import PORTAL
from tests.signing.year_end import YearEnd, build_primary, build_secondary

P = tt22.Promotion


@pytest.fixture
async def school(db: str) -> YearEnd:
    return await build_secondary()


@pytest.fixture
def fixed_clock() -> Iterator[None]:
    yield
    clock.set_time(None)


async def _nothing_closed(school: YearEnd) -> None:
    assert not await ClassClosure.exists()
    assert not await AuditEvent.filter(action="class.close").exists()
    assert not await Notification.filter(kind="class.closed").exists()


async def test_the_lists_name_every_outcome_of_the_year(school: YearEnd) -> None:
    lists = await promotion.class_lists(await school.actor("HT01"), school.classes["6A"])
    kinds = {s.name: s.kind for s in lists.standings}
    assert kinds == {
        "Nguyễn Thị An": P.PROMOTED,
        "Trần Thị Bình": P.PROMOTED,
        "Phạm Thị Chi": P.RETEST,
        "Lê Thị Dũng": P.SUMMER_TRAINING,
        "Vũ Thị Em": P.REPEAT,
        "Đặng Thị Giang": P.TRAINING_AND_RETEST,
    }
    assert lists.complete and not lists.primary
    by_name = {s.name: s for s in lists.standings}
    # TT22 Điều 14.1: the re-examination is chosen among the subjects averaging below 5.0
    assert by_name["Phạm Thị Chi"].shortfalls == (("Toán", Decimal("3.0")),)
    assert by_name["Đặng Thị Giang"].shortfalls == (("Toán", Decimal("3.0")),)
    assert by_name["Vũ Thị Em"].absent == 50
    assert by_name["Nguyễn Thị An"].title is tt22.Title.EXCELLENT
    assert lists.counts() == {
        "len_lop": 2,
        "kiem_tra_lai": 1,
        "ren_luyen_he": 1,
        "ren_luyen_he_kiem_tra_lai": 1,
        "o_lai_lop": 1,
        "xuat_sac": 1,
        "gioi": 0,
    }
    shown = {section.heading: section.lines for section in lists.sections()}
    assert shown["Kiểm tra lại trong hè (1)"] == (
        "3. Phạm Thị Chi: học tập Chưa đạt, rèn luyện Tốt, nghỉ 1 buổi; môn được chọn kiểm tra "
        "lại: Toán 3,0",
    )
    assert shown["Ở lại lớp (1)"] == ("5. Vũ Thị Em: nghỉ 50 buổi (quá 45 buổi)",)
    assert shown["Rèn luyện trong hè (1)"] == (
        "4. Lê Thị Dũng: học tập Khá, rèn luyện Chưa đạt, nghỉ 1 buổi",
    )
    assert shown["Danh hiệu Học sinh Xuất sắc (1)"] == ("1. Nguyễn Thị An",)
    assert shown["Danh hiệu Học sinh Giỏi (0)"] == ()


async def test_the_homeroom_teacher_sees_the_lists_others_do_not(school: YearEnd) -> None:
    homeroom = await issuance.lists_for(await school.actor("GV02"))
    assert isinstance(homeroom, issuance.Review)
    assert homeroom.lists.class_name == "6A" and homeroom.stamp is None  # sees, does not close
    principal = await issuance.review(await school.actor("HT01"), school.classes["6A"].id)
    assert homeroom.lists.facts() == principal.lists.facts()
    assert principal.stamp is not None
    for code in ("GV01", "GV03"):  # a subject teacher; the homeroom teacher of another class
        with pytest.raises(PermissionDenied):
            await issuance.lists_for(await school.actor(code), "6A")
    with pytest.raises(InvalidValue, match="không chủ nhiệm lớp nào"):
        await issuance.lists_for(await school.actor("GV01"))


async def test_a_primary_class_completes_or_trains_in_the_summer(db: str, workers) -> None:
    primary = await build_primary()
    principal = await primary.actor("HT09")
    lists = await promotion.class_lists(principal, primary.classes["1A"])
    assert lists.primary and lists.complete
    lan, minh = lists.standings
    assert (lan.kind, lan.result) == (COMPLETED, tt27.YearResult.EXCELLENT)
    assert minh.kind == NOT_COMPLETED
    assert minh.shortfalls == (
        ("Toán", tt27.SubjectLevel.NOT_DONE),
        ("Toán", 4),
    )
    shown = {section.heading: section.lines for section in lists.sections()}
    assert shown["Chưa hoàn thành chương trình lớp học: rèn luyện thêm trong hè (1)"] == (
        "2. Phạm Thị Minh: Toán Chưa hoàn thành; Toán điểm KTĐK cuối năm 4",
    )
    review = await issuance.review(principal, primary.classes["1A"].id)
    closed = await issuance.close_and_prepare(
        principal, primary.classes["1A"].id, workers, PORTAL, confirm=review.stamp
    )
    assert isinstance(closed, issuance.Closed) and closed.now
    # the records (Thông tư 27) are made; no subject has its own teacher here, so no sheet:
    # the homeroom teacher, who teaches them all, is the first to sign
    assert closed.documents == 2 and closed.told == ("Lê Thị Chủ Nhiệm",)
    assert "lập 2 tài liệu" in closed.summary()[0]


async def test_only_the_principal_or_the_delegated_vice_principal_closes(
    school: YearEnd, workers
) -> None:
    class_id = school.classes["6A"].id
    principal = await school.actor("HT01")
    stamp = (await issuance.review(principal, class_id)).stamp
    for code in ("QT01", "PHT01", "GV02"):  # they see the lists, not the confirmation
        assert (await issuance.review(await school.actor(code), class_id)).stamp is None
    # a subject teacher, an admin in the bot, a vice principal not delegated, the homeroom
    for code in ("GV01", "QT01", "PHT01", "GV02"):
        someone = await school.actor(code)
        with pytest.raises(PermissionDenied, match="Chỉ Hiệu trưởng"):
            await issuance.close_year(someone, class_id, confirm=stamp)
        with pytest.raises(PermissionDenied):
            await issuance.to_close(someone)
    # an admin names a decision only an admin executes, and only the principal's or delegate's
    with pytest.raises(PermissionDenied):
        await issuance.close_year(
            await school.actor("GV02"), class_id, decided_by=school.staff["HT01"]
        )
    with pytest.raises(PermissionDenied, match="Vũ Quản Trị không phải Hiệu trưởng"):
        await issuance.close_year(school.admin, class_id, decided_by=school.staff["QT01"])
    with pytest.raises(PermissionDenied):
        await issuance.close_year(school.admin, class_id)  # the console names the decision
    await _nothing_closed(school)

    await corrections.delegate(principal, "PHT01")
    vice = await school.actor("PHT01")
    assert [c.name for c in await issuance.to_close(vice)] == ["6A", "6B"]
    review = await issuance.review(vice, class_id)
    assert review.stamp is not None
    closed = await issuance.close_and_prepare(vice, class_id, workers, PORTAL, confirm=review.stamp)
    assert isinstance(closed, issuance.Closed) and closed.now and closed.documents
    assert sorted(closed.told) == ["Hoàng Văn Toán", "Ngô Chủ Nhiệm"]  # the sheets' signers
    event = await AuditEvent.get(action="class.close")
    assert event.actor == f"staff:{school.staff['PHT01'].id}"
    assert event.after["decided_by"] == (
        "Phó hiệu trưởng Lê Thị Phó (được Hiệu trưởng Đỗ Văn Hiệu ủy quyền)"
    )
    assert event.after["lists"]["o_lai_lop"] == 1
    told = {n.staff_id: n.text for n in await Notification.filter(kind="class.closed")}
    assert set(told) == {school.staff["GV02"].id, school.staff["HT01"].id}
    text = told[school.staff["GV02"].id]
    assert "Lớp 6A đã được chốt năm học 2025-2026" in text and "Lê Thị Phó" in text
    assert "Kiểm tra lại trong hè: 3. Phạm Thị Chi" in text and "/danhsach 6A" in text
    assert "Nguyễn Thị An" not in text  # promoted: in the full lists only

    # the vice principal's delegation taken back: they no longer decide
    await corrections.revoke_delegation(principal, "PHT01")
    with pytest.raises(PermissionDenied):
        await issuance.close_year(vice, school.classes["6B"].id, confirm=stamp)


async def test_a_close_with_data_missing_changes_nothing(school: YearEnd, workers) -> None:
    principal = await school.actor("HT01")
    review = await issuance.review(principal, school.classes["6B"].id)
    assert review.stamp is None and "còn thiếu dữ liệu" in review.blocked
    missing = review.lists.sections()[0]
    assert missing.heading.startswith("Còn thiếu dữ liệu (1 học sinh")
    assert missing.lines == (
        "1. Bùi Thị Hải: Toán HKII: CK; Số ngày nghỉ HKII (ghi 0 nếu không nghỉ)",
    )
    with pytest.raises(InvalidValue) as refused:
        await issuance.close_and_prepare(principal, school.classes["6B"].id, workers, PORTAL)
    assert str(refused.value) == (
        "Lớp 6B còn 1 học sinh chưa đủ kết quả, chưa chốt được:\n"
        "• 1. Bùi Thị Hải: Toán HKII: CK; Số ngày nghỉ HKII (ghi 0 nếu không nghỉ)"
    )
    with pytest.raises(InvalidValue, match="chưa đủ kết quả"):
        await issuance.close_year(
            school.admin, school.classes["6B"].id, decided_by=school.staff["HT01"]
        )
    await _nothing_closed(school)


async def test_the_homeroom_comment_is_needed_as_progress_asks(school: YearEnd) -> None:
    """A complete class whose homeroom comment of term II is emptied cannot be closed: the
    record prints it, and progress reminds of it (core.services.homeroom_gaps)."""
    principal = await school.actor("HT01")
    klass = school.classes["6A"]
    term = await Term.get(year_id=klass.year_id, number=2)
    first = (await gradebook.class_students(klass))[0][1]
    await gradebook.write_comments(
        school.admin, [gradebook.CommentEntry(first.id, klass, term, "")]
    )
    review = await issuance.review(principal, klass.id)
    assert review.stamp is None
    assert review.lists.missing_lines() == [f"1. {first.full_name}: Nhận xét của GVCN HKII"]
    await _nothing_closed(school)


async def test_a_stale_or_forged_confirmation_closes_nothing(
    school: YearEnd, workers, fixed_clock
) -> None:
    principal = await school.actor("HT01")
    class_id = school.classes["6A"].id
    shown = await issuance.review(principal, class_id)
    for forged in (None, "", "123.abc", shown.stamp.split(".")[0] + ".0000000000000000"):
        again = await issuance.close_year(principal, class_id, confirm=forged)
        assert isinstance(again, issuance.Review) and again.changed and again.stamp
    # the lists changed since they were shown: Chi's Toán corrected to 5 in both terms
    toan = next(s for s in await school.school.subjects.all() if s.code == "TOAN")
    chi = next(
        s.id
        for _e, s in await gradebook.class_students(school.classes["6A"])
        if s.full_name == "Phạm Thị Chi"
    )
    terms = {t.number: t for t in await Term.filter(year_id=school.classes["6A"].year_id)}
    with clock.staged(DURING_2025_2026):  # term I is locked by now: written while it was open
        await gradebook.write_marks(
            school.admin,
            [
                gradebook.MarkEntry(
                    chi, school.classes["6A"], toan, terms[n], kind, index, Decimal(5)
                )
                for n in (1, 2)
                for kind, index in gradebook.mark_columns(toan, 6)
            ],
        )
    stale = await issuance.close_year(principal, class_id, confirm=shown.stamp)
    assert isinstance(stale, issuance.Review) and stale.changed
    assert "Phạm Thị Chi" in {s.name for s in stale.lists.members(P.PROMOTED)}
    assert "thay đổi" in stale.notes()[1]
    # too old: a confirmation is good for CONFIRM_WINDOW
    clock.set_time(clock.now() + CONFIRM_WINDOW + dt.timedelta(minutes=1))
    late = await issuance.close_year(principal, class_id, confirm=stale.stamp)
    assert isinstance(late, issuance.Review) and late.changed
    await _nothing_closed(school)
    closure = await issuance.close_year(principal, class_id, confirm=late.stamp)
    assert isinstance(closure, issuance.Closure) and closure.now
    again = await issuance.close_year(principal, class_id, confirm=late.stamp)
    assert isinstance(again, issuance.Closure) and not again.now  # closed once
    assert await AuditEvent.filter(action="class.close").count() == 1


async def test_a_year_is_not_closed_before_term_two_ends(school: YearEnd, fixed_clock) -> None:
    principal = await school.actor("HT01")
    class_id = school.classes["6A"].id
    clock.set_time(dt.datetime(2026, 5, 31, 9, 0, tzinfo=dt.UTC))  # 16:00 at school
    review = await issuance.review(principal, class_id)
    assert review.stamp is None and "chưa hết học kỳ II" in review.blocked
    assert "31/05/2026" in review.blocked
    with pytest.raises(InvalidValue, match="chưa hết học kỳ II"):
        await issuance.close_year(school.admin, class_id, decided_by=school.staff["HT01"])
    await _nothing_closed(school)
    clock.set_time(dt.datetime(2026, 5, 31, 10, 0, tzinfo=dt.UTC))  # 17:00: term II's entry ends
    assert (await issuance.review(principal, class_id)).stamp is not None


async def test_a_class_whose_signers_are_not_named_is_not_closed(school: YearEnd) -> None:
    """The records name every subject's teacher (001 Điều 24.5): a subject nobody teaches
    in the class would make documents that cannot be built, so the close waits for it."""
    six_a = school.classes["6A"]
    await TeachingAssignment.filter(school_class=six_a, subject__code="TH").delete()
    review = await issuance.review(await school.actor("HT01"), six_a.id)
    assert review.stamp is None
    assert "Lớp 6A chưa được phân công giáo viên dạy môn Tin học" in review.blocked
    with pytest.raises(InvalidValue, match="giáo viên dạy môn Tin học"):
        await issuance.close_year(school.admin, six_a.id, decided_by=school.staff["HT01"])
    await _nothing_closed(school)


async def test_a_closed_class_without_documents_gets_them(school: YearEnd, workers) -> None:
    """Closing and preparing are two steps (a decision, then its documents): when the second
    did not run, the principal's button makes the documents, and closes nothing again."""
    six_a = school.classes["6A"]
    principal = await school.actor("HT01")
    closure = await issuance.close_year(school.admin, six_a.id, decided_by=school.staff["HT01"])
    assert isinstance(closure, issuance.Closure) and closure.now
    assert "6A" in [c.name for c in await issuance.to_close(principal)]
    review = await issuance.review(principal, six_a.id)
    assert review.closed and review.stamp is not None
    assert "Học bạ của lớp chưa được lập" in review.notes()[-1]
    closed = await issuance.close_and_prepare(
        principal, six_a.id, workers, PORTAL, confirm=review.stamp
    )
    assert isinstance(closed, issuance.Closed) and not closed.now and closed.documents
    assert closed.summary()[0].startswith("Lớp 6A đã chốt năm học từ trước; đã lập")
    assert (await issuance.review(principal, six_a.id)).stamp is None
    assert "6A" not in [c.name for c in await issuance.to_close(principal)]
    assert await AuditEvent.filter(action="class.close").count() == 1
