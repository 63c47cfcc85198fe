"""Long answers cut into pages that Telegram accepts: at line ends, never over the limit, and
nothing lost or reordered."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from handlers.common import matches
from handlers.replies import PAGE_ROOM, TEXT_LIMIT, pages

LINE = st.text(alphabet=st.sampled_from("aăbc đ<>/ \u1ea1"), min_size=0, max_size=300)


def test_a_short_text_is_one_page() -> None:
    assert pages("<b>Lớp 6A</b>\nthiếu 3 ô") == ["<b>Lớp 6A</b>\nthiếu 3 ô"]


def test_a_ten_thousand_character_answer_comes_in_pages_cut_at_line_ends() -> None:
    lines = [f"<b>6A — Toán</b>: Nguyễn Văn An số {n}, thiếu TX{n % 4 + 1}" for n in range(250)]
    text = "\n".join(lines)
    assert len(text) > 10_000
    shown = pages(text)
    assert len(shown) == -(-len(text) // PAGE_ROOM) and all(len(p) <= PAGE_ROOM for p in shown)
    assert [line for page in shown for line in page.split("\n")] == lines


@given(st.lists(LINE, max_size=60), st.integers(min_value=50, max_value=TEXT_LIMIT))
def test_pages_keep_every_word_in_order_within_the_limit(lines: list[str], room: int) -> None:
    text = "\n".join(lines)
    shown = pages(text, room)
    assert all(len(page) <= room for page in shown)
    assert "".join("".join(shown).split()) == "".join(text.split())  # nothing lost, in order


def test_the_matches_line_says_how_many_are_not_shown() -> None:
    assert matches(3, 3, "an") == "Có 3 học sinh khớp «an», chọn một:"
    loose = matches(14, 10, "<n>")
    assert "Có 14 học sinh khớp «&lt;n&gt;»" in loose and "Đang hiện 10 em đầu" in loose
