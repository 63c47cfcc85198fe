"""/lichsu in the core: a cell's history told in the grade sheet's words (subject, term, column
as TT22 names it, values with a decimal comma, who and when on the school's clock, the
request), never the audit log's codes; a long history says how many earlier changes it left
out."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest

from core import clock
from core.errors import InvalidValue, PermissionDenied
from core.models import MarkKind
from core.services import corrections, gradebook
from core.services.corrections.history import MAX_LINES
from tests.corrections.conftest import School
from tests.corrections.test_flow import opened

BINH_ID = "001314000002"  # Trần Thị Bình, 6A
MOMENT = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).replace(
    hour=7, minute=30, second=0, microsecond=0
)  # 14:30 at the school (UTC+7)


@pytest.fixture
def at_moment() -> Iterator[dt.datetime]:
    clock.set_time(MOMENT)
    yield MOMENT
    clock.set_time(None)


async def test_history_names_subject_term_column_values_people_and_request(
    school: School, at_moment
) -> None:
    await school.lock_nv()
    request = await opened(school)
    item = (await corrections.load_view(request.id)).items[0]
    await corrections.apply_value(
        await school.teacher(), request.id, item.id, "7,5", school.store, school.workers
    )
    found = await corrections.history_of(await school.actor("QT01"), BINH_ID, ["ngu", "van", "tx1"])
    text = found.text()
    assert "mark:" not in text and "TX1" not in text and "7.5" not in text
    assert text.startswith(
        f"<b>Lịch sử điểm của Trần Thị Bình</b> (mã định danh {BINH_ID}): Ngữ văn, ĐĐGtx 1"
    )
    lines = text.split("\n")[1:]
    assert len(lines) == 2, text
    # the fixture's entry (by the teacher herself), then the correction, in that order
    assert re.fullmatch(
        r"• \d\d:\d\d, .+ — Ngữ văn, học kỳ I, ĐĐGtx 1: \(trống\) → <b>6,0</b> "
        r"\(Bùi Thị Văn\)",
        lines[0],
    ), lines[0]
    when = rf"14:30, (Thứ \w+|Chủ Nhật), {MOMENT:%d/%m/%Y}"
    assert re.fullmatch(
        rf"• {when} — Ngữ văn, học kỳ I, ĐĐGtx 1: 6,0 → <b>7,5</b> "
        rf"\(Bùi Thị Văn, theo phiếu {request.number}\)",
        lines[1],
    ), lines[1]


async def test_midterm_and_final_are_named_in_words(school: School) -> None:
    teacher = await school.teacher()
    await gradebook.write_marks(
        teacher,
        [
            school.mark("Trần Thị Bình", "6A", "NV", MarkKind.MIDTERM, 1, "8.5"),
            school.mark("Trần Thị Bình", "6A", "NV", MarkKind.FINAL, 1, "9"),
        ],
    )
    admin = await school.actor("QT01")
    midterm = (await corrections.history_of(admin, BINH_ID, ["Ngữ", "văn", "GK"])).text()
    assert "Ngữ văn, học kỳ I, ĐĐGgk (giữa kỳ): 6,0 → <b>8,5</b> (Bùi Thị Văn)" in midterm
    final = (await corrections.history_of(admin, BINH_ID, ["Ngữ", "văn", "CK"])).text()
    assert "ĐĐGck (cuối kỳ): (trống) → <b>9,0</b>" in final and "giữa kỳ" not in final


async def test_a_long_history_says_how_many_earlier_changes_it_leaves_out(school: School) -> None:
    teacher = await school.teacher()
    values = [f"{5 + n % 5}.{n % 10}" for n in range(MAX_LINES + 5)]
    for value in values:
        entry = school.mark("Trần Thị Bình", "6A", "NV", MarkKind.REGULAR, 2, value)
        await gradebook.write_marks(teacher, [entry])
    admin = await school.actor("QT01")
    found = await corrections.history_of(admin, BINH_ID, ["Ngữ", "văn", "TX2"])
    shown = [line for line in found.text().split("\n") if line.startswith("• ")]
    assert len(found.lines) == MAX_LINES + 6  # the fixture's TX2, then every value written
    assert len(shown) == MAX_LINES
    assert "… và 6 thay đổi trước đó" in found.text()
    assert shown[-1].endswith(f"→ <b>{values[-1].replace('.', ',')}</b> (Bùi Thị Văn)")


async def test_a_wrong_column_or_a_teacher_is_refused_plainly(school: School) -> None:
    with pytest.raises(InvalidValue, match="TX1 đến TX4, GK hoặc CK"):
        await corrections.history_of(await school.actor("QT01"), BINH_ID, ["Toán", "TXa"])
    with pytest.raises(PermissionDenied, match="Ban giám hiệu"):
        await corrections.history_of(await school.teacher(), BINH_ID, [])
