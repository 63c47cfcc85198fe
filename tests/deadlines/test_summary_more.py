"""The school's progress on one screen says how many teachers and classes it left out, and how
many of those teachers are late, so a cut list never looks like the whole school."""

from __future__ import annotations

from core.services.overview import school_summary
from tests.deadlines.test_progress import NOW


async def test_a_cut_list_counts_what_it_leaves_out(small) -> None:
    principal = await small.actor("HT01")
    cut = await school_summary(principal, now=NOW, top=1)
    # late first: Bùi Thị Văn and Ngô Chủ Nhiệm are late, Hoàng Văn Toán complete
    assert len(cut.teachers) == 1 and cut.teachers[0].late
    assert (cut.more_teachers, cut.more_late) == (2, 1)
    assert cut.hidden_teachers() == "… và 2 giáo viên khác (1 người trễ hạn)."
    assert [c.name for c in cut.classes] == ["6A"]
    assert cut.hidden_classes() == "… và 1 lớp khác còn thiếu điểm."
    # a reminder button for the late teacher shown, and one for everyone late
    assert [c.label for c in cut.choices] == [
        f"Nhắc {cut.teachers[0].name}",
        "📣 Nhắc tất cả người trễ",
    ]

    whole = await school_summary(principal, now=NOW)
    assert len(whole.teachers) == 3 and [c.name for c in whole.classes] == ["6A", "6B"]
    assert (whole.hidden_teachers(), whole.hidden_classes()) == ("", "")
