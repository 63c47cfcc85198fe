"""Issue 11, "Done when": a lower-secondary school and a primary school built only from their own
files and the bot, through a whole school year, and their results as worked out by hand.

Nothing is written to the database but by the product: `hocba init` creates it (the real
migrations) and both schools; `hocba import` reads the sample files a school copies from
docs/samples (students, staff, teaching assignments, each term's marks, term I's homeroom sheet);
then the real bot, served on the fake Telegram server with nothing seeded, takes term II's
homeroom data from the homeroom teachers, who sign in with an invite from `hocba staff invite` or
by sharing their phone (the number in the staff file): conduct and days absent through the guided
entry (/chunhiem), the rest through the homeroom sheet the bot sends them, filled in and sent
back. At the year's end the principal closes 6A from the phone (/chotnam, confirm), and the console
signs and issues its records (`hocba issue 6A`, each person's key a test PKCS#12 file; the
certificates are valid at the rehearsed dates, so `hocba verify` finds the records valid). The
results (`hocba results`, the end-of-year lists, the issued records) must be the table below,
computed by hand from the sample files.

The primary class is closed from the console (`hocba close 1A --decided-by HT01`), its year
results and lists are checked, and its records (Thông tư 27) are issued, exported and verified
like 6A's.

The year is played on the staging clock (HOCBA_STAGING_NOW for each command, the bot's clock):
set-up in September, term I's files in January before its entry deadline, term II's marks and
the homeroom teachers' entries in May before theirs, closing and issuing in June, after term II's
entry has ended. The bot runs without its scheduled rounds (no reminder or lock round crosses the
conversations; the outbox delivery runs). One class per level, few students, one bot run: this
test runs in CI every time.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from core import clock
from core.rules import primary as tt27
from tests.e2e.bot_harness import bot_config, running_bot
from tests.e2e.school_files import (
    WAIT,
    Console,
    filled_sheet,
    guided,
    homeroom_sheet,
    results_table,
    sample,
    save,
    say,
    send_back,
    staff_rows,
    tap,
    telegram_phone,
    write_keys,
)
from tests.telegram_fake import FakeTelegramServer
from tests.telegram_fake.user import FakeUser

SECONDARY, PRIMARY = "THCS-LL", "TH-KD"
SECONDARY_NAME, PRIMARY_NAME = "Trường THCS Lê Lợi", "Trường Tiểu học Kim Đồng"
SEPTEMBER = "2025-09-08 08:00"  # the school is set up
JANUARY = "2026-01-10 08:00"  # term I's marks and homeroom sheet, before entry.term1 (12/01)
MAY = "2026-05-20 10:00"  # term II: marks, and the homeroom teachers in the bot (hạn 25/05, 31/05)
JUNE = "2026-06-01 09:00"  # term II's entry has ended (31/05): the year is closed and issued
KEYS_VALID_FROM = dt.datetime(2025, 8, 1, tzinfo=dt.UTC)

# ------------------------------------------------------------------------------------------------
# Class 6A of Trường THCS Lê Lợi, from docs/samples/secondary-*.csv, worked out by hand.
#
# Subject term average ĐTBmhk = (sum of TX + 2 GK + 3 CK) / (number of TX + 5), one decimal, half
# up; year ĐTBmcn = (ĐTBmhkI + 2 ĐTBmhkII) / 3 from the rounded term averages (TT22 Điều 9.1).
# TX per term (TT22 Điều 6.2b, by yearly periods): Ngữ văn, Toán, Ngoại ngữ 1, LS&ĐL, KHTN 4
# (> 70 periods); GDCD, Công nghệ, Tin học 2 (35 periods). Comment-only subjects: 2 TX + GK + CK,
# Đạt only when every one is Đạt (Điều 6.2a, 9.1); their year result is term II's.
# A subject whose marks are all m averages m; the others:
#   Anh, Toán HK I:  (10 + 9 + 9 + 10 + 2×9 + 3×9,5) / 9 = 84,5 / 9 = 9,38… → 9,4
#        Toán HK II: (10 + 10 + 9 + 9 + 2×10 + 3×9,5) / 9 = 86,5 / 9 = 9,61… → 9,6
#        Toán năm:   (9,4 + 2×9,6) / 3 = 28,6 / 3 = 9,53… → 9,5
#        KHTN HK I:  (9 + 9 + 8 + 9 + 2×9 + 3×9) / 9 = 80 / 9 = 8,88… → 8,9; HK II 9,0
#        KHTN năm:   (8,9 + 2×9,0) / 3 = 26,9 / 3 = 8,96… → 9,0: her sixth subject at 9,0
#   Bảo, Ngoại ngữ 1 HK I:  (8 + 7 + 8 + 9 + 2×8 + 3×8) / 9 = 72 / 9 = 8,0
#        Ngoại ngữ 1 HK II: (7 + 8 + 8 + 8 + 2×7,5 + 3×8,5) / 9 = 71,5 / 9 = 7,94… → 7,9
#        Ngoại ngữ 1 năm:   (8,0 + 2×7,9) / 3 = 23,8 / 3 = 7,93… → 7,9
#   Hà,  GDCD HK I:  (4 + 5 + 2×4 + 3×3,5) / 7 = 27,5 / 7 = 3,92… → 3,9
#        GDCD HK II: (4 + 4 + 2×4,5 + 3×4) / 7 = 29 / 7 = 4,14… → 4,1
#        GDCD năm:   (3,9 + 2×4,1) / 3 = 12,1 / 3 = 4,03… → 4,0
#   Huy, Toán HK I:  (3 + 4 + 3 + 2 + 2×3 + 3×2,5) / 9 = 25,5 / 9 = 2,83… → 2,8
#        Toán HK II: (4 + 3 + 3 + 4 + 2×3,5 + 3×3) / 9 = 30 / 9 = 3,33… → 3,3
#        Toán năm:   (2,8 + 2×3,3) / 3 = 9,4 / 3 = 3,13… → 3,1
#   Khánh, Giáo dục thể chất HK II: TX2 and CK Chưa đạt → Chưa đạt, and so the year.
#
# Learning (TT22 Điều 9.2; 9.3: a result pulled down two levels by one subject goes up one):
#   Anh   all ≥ 6,5, 8 subjects ≥ 8,0                            → Tốt
#   Bảo   all ≥ 6,5 (lowest 7,9), 7 ≥ 8,0                         → Tốt
#   Hà    GDCD 4,0 < 5,0: Khá fails, Đạt holds (7 ≥ 5,0, none < 3,5); with GDCD at its best the
#         rest would be Tốt, two levels up, so 9.3 raises Đạt       → Khá
#   Huy   Toán 3,1 < 3,5; with Toán at its best only Đạt, one level → Chưa đạt
#   Khánh one comment subject Chưa đạt: Tốt and Khá fail, Đạt holds (at most one) → Đạt
#   Lan   every subject exactly 6,5: no 8,0 for Tốt, 8 ≥ 6,5 for Khá → Khá
# Conduct of the year (TT22 Điều 8.2), from the terms (HK I from the sample, HK II from the bot):
#   Anh T,T → Tốt; Bảo T,T → Tốt; Hà K,K → Khá; Huy K,T → Tốt (II Tốt, I at least Khá);
#   Khánh Đ,CĐ → Chưa đạt; Lan T,K → Khá (II Khá, I at least Đạt).
# Days absent, excused + unexcused, HK I + HK II: Anh 1+0+0+1 = 2; Bảo 0+0+2+0 = 2;
#   Hà 2+1+1+0 = 4; Huy 3+2+2+1 = 8; Khánh 2+1+1+0 = 4; Lan 20+4+18+5 = 47.
# Promotion (Điều 12–14): Lan misses 47 > 45 sessions → Ở lại lớp, whatever her results; Huy's
#   learning Chưa đạt → Kiểm tra lại (Toán, year average < 5,0); Khánh's conduct Chưa đạt →
#   Rèn luyện trong hè; the others are promoted.
# Titles (Điều 15): Anh, Tốt and Tốt with six year averages ≥ 9,0 (NV, Toán, NN1, GDCD, LS&ĐL,
#   KHTN) → Học sinh Xuất sắc; Bảo, Tốt and Tốt with two → Học sinh Giỏi.
# ------------------------------------------------------------------------------------------------
PROMOTED, RETEST, TRAINING, REPEAT = (
    "Được lên lớp",
    "Kiểm tra lại trong hè",
    "Rèn luyện trong hè",
    "Ở lại lớp",
)
SCORED = ("NV", "TOAN", "NN1", "GDCD", "LSDL", "KHTN", "CN", "TH")
COMMENTED = ("GDTC", "NT", "HDTN", "GDDP")
# name: year averages (SCORED order), comment subjects, learning, conduct, days absent,
# promotion, title
YEAR_6A = {
    "Nguyễn Minh Anh": (
        "9,0 9,5 9,0 9,0 9,0 9,0 8,0 8,5",
        "Đ Đ Đ Đ",
        "Tốt",
        "Tốt",
        2,
        PROMOTED,
        "Học sinh Xuất sắc",
    ),
    "Trần Gia Bảo": (
        "9,0 9,0 7,9 8,0 8,0 8,0 8,0 8,0",
        "Đ Đ Đ Đ",
        "Tốt",
        "Tốt",
        2,
        PROMOTED,
        "Học sinh Giỏi",
    ),
    "Lê Thu Hà": ("8,0 8,0 8,0 4,0 8,0 8,0 8,0 8,0", "Đ Đ Đ Đ", "Khá", "Khá", 4, PROMOTED, "—"),
    "Phạm Đức Huy": (
        "6,0 3,1 6,0 6,0 6,0 6,0 6,0 6,0",
        "Đ Đ Đ Đ",
        "Chưa đạt",
        "Tốt",
        8,
        RETEST,
        "—",
    ),
    "Hoàng Văn Khánh": (
        "7,0 7,0 7,0 7,0 7,0 7,0 7,0 7,0",
        "CĐ Đ Đ Đ",
        "Đạt",
        "Chưa đạt",
        4,
        TRAINING,
        "—",
    ),
    "Đỗ Ngọc Lan": ("6,5 6,5 6,5 6,5 6,5 6,5 6,5 6,5", "Đ Đ Đ Đ", "Khá", "Khá", 47, REPEAT, "—"),
}
# The worked term averages above, and term I's learning of Hà (9.3 at the term: GDCD 3,9).
TERMS_6A = {
    1: {
        ("Nguyễn Minh Anh", "TOAN"): "9,4",
        ("Nguyễn Minh Anh", "KHTN"): "8,9",
        ("Trần Gia Bảo", "NN1"): "8,0",
        ("Lê Thu Hà", "GDCD"): "3,9",
        ("Lê Thu Hà", "Học tập"): "Khá",
        ("Phạm Đức Huy", "TOAN"): "2,8",
        ("Hoàng Văn Khánh", "Rèn luyện"): "Đạt",
    },
    2: {
        ("Nguyễn Minh Anh", "TOAN"): "9,6",
        ("Nguyễn Minh Anh", "KHTN"): "9,0",
        ("Trần Gia Bảo", "NN1"): "7,9",
        ("Lê Thu Hà", "GDCD"): "4,1",
        ("Phạm Đức Huy", "TOAN"): "3,3",
        ("Hoàng Văn Khánh", "GDTC"): "CĐ",
        ("Hoàng Văn Khánh", "Rèn luyện"): "Chưa đạt",
    },
}
# Term II's homeroom data the teacher sends in the sheet (conduct, excused, unexcused, comment);
# Huy's conduct and days and Khánh's conduct come through the guided entry first.
SHEET_6A = {
    "Nguyễn Minh Anh": ("Tốt", 0, 1, "Học sinh Xuất sắc; gương mẫu, giúp đỡ bạn."),
    "Trần Gia Bảo": ("Tốt", 2, 0, "Học tốt các môn, cần mạnh dạn hơn."),
    "Lê Thu Hà": ("Khá", 1, 0, "Tiến bộ; cần ôn tập thêm môn Giáo dục công dân."),
    "Phạm Đức Huy": (None, None, None, "Ôn tập môn Toán trong hè để kiểm tra lại."),
    "Hoàng Văn Khánh": (None, 1, 0, "Rèn luyện trong hè theo kế hoạch của nhà trường."),
    "Đỗ Ngọc Lan": ("Khá", 18, 5, "Nghỉ học quá 45 buổi; gia đình liên hệ nhà trường."),
}

# ------------------------------------------------------------------------------------------------
# Class 1A of Trường Tiểu học Kim Đồng, from docs/samples/primary-*.csv. Grade 1 has periodic tests
# only in Tiếng Việt and Toán, at the end of term I and of the year (TT27 Điều 7.1). The year result
# (TT27 Điều 9.2a) takes the end-of-year levels, tests and qualities (these from the bot's sheet):
#   Ngọc  every subject T, every quality T, tests 10 and 9 (≥ 9)  → Hoàn thành xuất sắc
#   Minh  every subject T, every quality T, tests 8 and 7 (≥ 7, not ≥ 9) → Hoàn thành tốt
#   Vy    Tiếng Việt, TN&XH H, qualities T or Đ, tests 6 and 5 (≥ 5) → Hoàn thành
#   Phúc  Toán C, test 4                                          → Chưa hoàn thành
# So 1A's lists: three complete the programme; Phúc is helped in the summer (Toán Chưa hoàn
# thành, its test 4), TT27 Điều 9.
# ------------------------------------------------------------------------------------------------
YEAR_1A = {
    "Vũ Bảo Ngọc": ("T (10)", "T (9)", "T T T T T T", "Hoàn thành xuất sắc"),
    "Bùi Đức Minh": ("T (8)", "T (7)", "T T T T T T", "Hoàn thành tốt"),
    "Đặng Thảo Vy": ("H (6)", "T (5)", "T H T T T T", "Hoàn thành"),
    "Lương Gia Phúc": ("H (6)", "C (4)", "H H H H H H", "Chưa hoàn thành"),
}
QUALITIES = [name for _code, name in tt27.QUALITIES + tt27.COMPETENCIES]  # sheet order
# Term II's sheet: the qualities at the year's end (in QUALITIES order), days absent, comment;
# Phúc's days come through the guided entry.
SHEET_1A = {
    "Vũ Bảo Ngọc": ("T" * 15, 0, 0, "Hoàn thành xuất sắc các nội dung học tập và rèn luyện."),
    "Bùi Đức Minh": ("T" * 15, 1, 0, "Chăm ngoan, hoàn thành tốt các môn học."),
    "Đặng Thảo Vy": ("TTĐTĐĐTĐĐTTĐĐTT", 0, 1, "Đọc to, rõ ràng hơn; hoàn thành chương trình."),
    "Lương Gia Phúc": ("Đ" * 15, None, None, "Cần ôn tập thêm môn Toán trong hè."),
}


async def _set_up(console: Console) -> None:
    """September to May: both schools from their files, as the admin does it on the server."""
    for code, name, level in (
        (SECONDARY, SECONDARY_NAME, "lower_secondary"),
        (PRIMARY, PRIMARY_NAME, "primary"),
    ):
        out = await console.ok(
            "init", "--code", code, "--name", name, "--level", level, at=SEPTEMBER
        )
        assert f"Đã tạo trường {name} ({code}), năm học 2025-2026." in out
    calendar = await console.ok("--school", SECONDARY, "calendar", "show", at=SEPTEMBER)
    assert "entry.term2        Hạn nhập xong học kỳ II: 17:00, Chủ Nhật, 31/05/2026" in calendar
    out = await console.ok(
        "--school", SECONDARY, "calendar", "set", "entry.term1", "12/01/2026", "17:00", at=SEPTEMBER
    )
    assert "Đã đặt «Hạn nhập xong học kỳ I»: 17:00, Thứ Hai, 12/01/2026." in out

    steps = [(SEPTEMBER, kind) for kind in ("students", "staff", "assignments")]
    steps += [(JANUARY, "marks-hk1"), (JANUARY, "homeroom-hk1"), (MAY, "marks-hk2")]
    for school, prefix in ((SECONDARY, "secondary"), (PRIMARY, "primary")):
        for at, part in steps:
            kind = part.split("-")[0]
            out = await console.ok(
                "--school", school, "import", kind, str(sample(f"{prefix}-{part}.csv")), at=at
            )
            assert out.startswith(f"Đã nhập tệp «{prefix}-{part}.csv»"), out
            if kind == "assignments":  # files of the teachers' marks: the console enters them
                rule = ("rules", "set", "admin_enters_marks", "yes", "--decided-by", "HT01")
                await console.ok("--school", school, *rule, at=at)  # the principal's decision
    # re-importing a file changes nothing (a school may run its import twice)
    out = await console.ok(
        "--school", SECONDARY, "import", "students", str(sample("secondary-students.csv")), at=MAY
    )
    assert "- Học sinh: 0 thêm mới, 0 cập nhật, 6 không đổi." in out


async def _secondary_homeroom(server: FakeTelegramServer, invite: str) -> FakeUser:
    """Phạm Thị Hồng (GV01), 6A's homeroom teacher, signs in with the admin's invite and enters
    term II: Huy's and Khánh's conduct and Huy's days by the guided entry, then everything else
    in the homeroom sheet."""
    teacher = server.user(9101, "Hồng")
    await teacher.send_command("start", invite)
    welcome = await teacher.wait_for_message(timeout=WAIT)
    assert "Phạm Thị Hồng" in welcome.text, welcome.text

    students = await guided(teacher, "6A", "Rèn luyện")
    assert students.inline_buttons[3:5] == ["4. Phạm Đức Huy · —", "5. Hoàng Văn Khánh · —"]
    asked = await tap(teacher, "4. Phạm Đức Huy · —", "hiện tại (trống)")
    assert asked.inline_buttons == ["Tốt", "Khá", "Đạt", "Chưa đạt", "✖️ Hủy"]
    await tap(teacher, "Tốt", "Kiểm tra lại")
    await save(teacher, "Đã lưu rèn luyện của Phạm Đức Huy: Tốt")
    await tap(teacher, "➕ Học sinh khác, rèn luyện", "Chọn học sinh")
    await tap(teacher, "5. Hoàng Văn Khánh · —", "hiện tại (trống)")
    await tap(teacher, "Chưa đạt", "Kiểm tra lại")
    await save(teacher, "Đã lưu rèn luyện của Hoàng Văn Khánh: Chưa đạt")

    await guided(teacher, "6A", "Số ngày nghỉ")
    await say(teacher, "huy", "số ngày nghỉ: hiện tại (trống)")  # typed: part of a name
    await say(teacher, "2, 1", "Kiểm tra lại")
    await save(teacher, "Đã lưu số ngày nghỉ của Phạm Đức Huy: 2 có phép, 1 không phép")

    sheet = await homeroom_sheet(teacher, "6A")
    values = {
        name: {
            heading: value
            for heading, value in zip(
                ("Rèn luyện", "Nghỉ có phép", "Nghỉ không phép", "Nhận xét"), row, strict=True
            )
            if value is not None
        }
        for name, row in SHEET_6A.items()
    }
    saved = await send_back(teacher, "6A", filled_sheet(sheet, values))
    # the guided entries were in the sheet already: not entered twice, not erased by blanks
    assert "- Rèn luyện: 4 thêm mới, 0 cập nhật, 2 không đổi." in saved
    assert "- Số ngày nghỉ: 5 thêm mới, 0 cập nhật, 1 không đổi." in saved
    assert "- Nhận xét: 6 thêm mới, 0 cập nhật, 0 không đổi." in saved
    return teacher


async def _primary_homeroom(server: FakeTelegramServer, phone: str) -> None:
    """Trịnh Thu Trang (GV01 of Kim Đồng), 1A's homeroom teacher, signs in by sharing her phone,
    enters Phúc's days absent by the guided entry and the year's qualities, the others' days and
    every comment in the homeroom sheet."""
    teacher = server.user(9201, "Trang", phone=telegram_phone(phone))
    await teacher.share_contact()
    welcome = await teacher.wait_for_message(timeout=WAIT)
    assert "Trịnh Thu Trang" in welcome.text, welcome.text

    students = await guided(teacher, "1A", None)
    assert "4. Lương Gia Phúc · —" in students.inline_buttons
    await tap(teacher, "4. Lương Gia Phúc · —", "số ngày nghỉ: hiện tại (trống)")
    await say(teacher, "3, 1", "Kiểm tra lại")
    await save(teacher, "Đã lưu số ngày nghỉ của Lương Gia Phúc: 3 có phép, 1 không phép")

    sheet = await homeroom_sheet(teacher, "1A")
    values = {}
    for name, (levels, excused, unexcused, comment) in SHEET_1A.items():
        cells: dict[str, object] = dict(zip(QUALITIES, levels, strict=True))
        if excused is not None:
            cells |= {"Nghỉ có phép": excused, "Nghỉ không phép": unexcused}
        values[name] = cells | {"Nhận xét": comment}
    saved = await send_back(teacher, "1A", filled_sheet(sheet, values))
    assert "- Phẩm chất, năng lực: 60 thêm mới, 0 cập nhật, 0 không đổi." in saved
    assert "- Số ngày nghỉ: 3 thêm mới, 0 cập nhật, 1 không đổi." in saved
    assert "- Nhận xét: 4 thêm mới, 0 cập nhật, 0 không đổi." in saved


async def _principal_closes(server: FakeTelegramServer, phone: str, homeroom: FakeUser) -> None:
    """Nguyễn Văn Thành (HT01), by his phone, sees 6A's lists in /chotnam and confirms."""
    principal = server.user(9102, "Thành", phone=telegram_phone(phone))
    await principal.share_contact()
    await principal.wait_for_message(timeout=WAIT)
    await principal.send_command("chotnam")
    listing = await principal.wait_for_message(lambda m: "Chốt năm học" in m.text, timeout=WAIT)
    assert listing.inline_buttons == ["6A"]
    await principal.press("6A", listing.message_id)
    review = await principal.wait_for_message(lambda m: "Lớp 6A" in m.text, timeout=WAIT)
    lists = review.text
    for part in (
        "Được lên lớp (3)\n1. Nguyễn Minh Anh: học tập Tốt, rèn luyện Tốt, nghỉ 2 buổi\n"
        "2. Trần Gia Bảo: học tập Tốt, rèn luyện Tốt, nghỉ 2 buổi\n"
        "3. Lê Thu Hà: học tập Khá, rèn luyện Khá, nghỉ 4 buổi",
        "Kiểm tra lại trong hè (1)\n4. Phạm Đức Huy: học tập Chưa đạt, rèn luyện Tốt, nghỉ 8 "
        "buổi; môn được chọn kiểm tra lại: Toán 3,1",
        "Rèn luyện trong hè (1)\n5. Hoàng Văn Khánh: học tập Đạt, rèn luyện Chưa đạt, nghỉ 4 buổi",
        "Ở lại lớp (1)\n6. Đỗ Ngọc Lan: nghỉ 47 buổi (quá 45 buổi)",
        "Danh hiệu Học sinh Xuất sắc (1)\n1. Nguyễn Minh Anh",
        "Danh hiệu Học sinh Giỏi (1)\n2. Trần Gia Bảo",
    ):
        assert part in lists, lists
    assert review.inline_buttons == ["✅ Chốt năm học", "✖️ Hủy"]
    await principal.press("✅ Chốt năm học", review.message_id)
    done = await principal.wait_for_message(lambda m: "🔒" in m.text, timeout=30)
    assert "Đã chốt năm học lớp 6A và lập 42 tài liệu" in done.text, done.text
    told = await homeroom.wait_for_message(lambda m: "đã được chốt" in m.text, timeout=WAIT)
    assert "theo quyết định của Hiệu trưởng Nguyễn Văn Thành" in told.text


def _check_6a(year: str, terms: dict[int, str]) -> None:
    table = results_table(year)
    assert set(table) == set(YEAR_6A)
    for name, (scores, verdicts, learning, conduct, absent, promotion, title) in YEAR_6A.items():
        expected = dict(zip(SCORED, scores.split(), strict=True))
        expected |= dict(zip(COMMENTED, verdicts.split(), strict=True))
        expected |= {
            "Học tập": learning,
            "Rèn luyện": conduct,
            "Nghỉ": str(absent),
            "Lên lớp": promotion,
            "Danh hiệu": title,
        }
        assert {k: v for k, v in table[name].items() if k != "STT"} == expected, name
    for term, out in terms.items():
        table = results_table(out)
        for (name, column), value in TERMS_6A[term].items():
            assert table[name][column] == value, (term, name, column)


async def _primary_issued(console: Console, folder: Path) -> None:
    """1A's four records issued, exported and verified: the year as Thông tư 27 has it."""
    at = "2026-06-02 10:00"
    # a small school without a clerk: the principal gives the seal to the admin (004 Điều 9.4)
    await console.ok(
        "--school", PRIMARY, "rules", "set", "seal_operator", "admin", "--decided-by", "HT01", at=at
    )
    out = await console.ok("--school", PRIMARY, "issue", "1A", "--by", "PHT01", at=at)
    assert "Lớp 1A: 4 học bạ đã ký đủ và phát hành." in out
    await console.ok("--school", PRIMARY, "export", "1A", str(folder), at=at)
    records = sorted(folder.glob("*.xml"))
    assert len(records) == 4
    texts = [path.read_text(encoding="utf-8") for path in records]
    assert all("<ketquatieuhoc>" in text for text in texts)
    assert sum("<ketquagiaoduc>CHT</ketquagiaoduc>" in text for text in texts) == 1  # Phúc
    assert sum("<khenthuong>xuat_sac</khenthuong>" in text for text in texts) == 1  # Ngọc
    ran = await console("--school", PRIMARY, "verify", str(records[0]), at=at)
    assert ran.code == 0 and "KẾT LUẬN: mọi chữ ký hợp lệ." in ran.out, ran.out


def _check_1a(year: str) -> None:
    table = results_table(year)
    assert set(table) == set(YEAR_1A)
    for name, (tv, toan, others, result) in YEAR_1A.items():
        expected = {"TV": tv, "TOAN": toan}
        expected |= dict(
            zip(("DD", "TNXH", "GDTC", "AN", "MT", "HDTN"), others.split(), strict=True)
        )
        assert {k: v for k, v in table[name].items() if k not in ("STT", "Kết quả")} == expected
        assert table[name]["Kết quả"] == result, name


async def test_two_schools_from_their_own_files(
    telegram_server: FakeTelegramServer, tmp_path: Path
) -> None:
    keys = tmp_path / "keys"
    config = bot_config(
        telegram_server,
        tmp_path,
        HOCBA_STAGING_NOW=MAY,
        HOCBA_WORKERS_PROCESSES="1",
    )
    console = Console(
        HOCBA_DATABASE_URL=config.database.url,
        HOCBA_STORAGE_DIR=str(config.storage.dir),
        HOCBA_SIGNING_PKCS12_DIR=str(keys),
        HOCBA_DEMO_ENABLED="true",
        HOCBA_WORKERS_PROCESSES="1",
    )
    secondary_staff = {r["Mã cán bộ"]: r for r in staff_rows("secondary-staff.csv")}
    primary_staff = {r["Mã cán bộ"]: r for r in staff_rows("primary-staff.csv")}
    try:
        await _set_up(console)
        # each person's key set up, and its certificate registered: a record names its signers'
        # certificates (001 Điều 4.1), so they must be known before the year is closed
        write_keys(
            keys,
            [
                (SECONDARY, SECONDARY_NAME, list(secondary_staff.values())),
                (PRIMARY, PRIMARY_NAME, list(primary_staff.values())),
            ],
            KEYS_VALID_FROM,
        )
        for school in (SECONDARY, PRIMARY):
            await console.ok("--school", school, "certs", "register", "--all", at=MAY)
        out = await console.ok("--school", SECONDARY, "staff", "invite", "GV01", at=MAY)
        assert out.startswith("Mã mời cho Phạm Thị Hồng (GV01)")
        invite = out.splitlines()[1].removeprefix("/start ")

        async with running_bot(config, schedule_jobs=False):  # nothing seeded: only the files
            await telegram_server.wait_until(
                lambda: telegram_server.calls_to("getUpdates"), timeout=10, what="polling"
            )
            homeroom = await _secondary_homeroom(telegram_server, invite)
            await _primary_homeroom(telegram_server, primary_staff["GV01"]["Số điện thoại"])
            clock.set_time(clock.at_school(dt.date(2026, 6, 1), dt.time(9, 0)))  # days pass
            await _principal_closes(
                telegram_server, secondary_staff["HT01"]["Số điện thoại"], homeroom
            )

        closed = await console.ok(
            "--school", PRIMARY, "close", "1A", "--decided-by", "HT01", at=JUNE
        )
        # 4 records and 16 sheets: each of the 8 assigned subjects, per term (Thông tư 27)
        assert "🔒 Đã chốt năm học lớp 1A và lập 20 tài liệu." in closed, closed
        assert (
            "Hoàn thành chương trình lớp học (3)\n  1. Vũ Bảo Ngọc: Hoàn thành xuất sắc\n"
            "  2. Bùi Đức Minh: Hoàn thành tốt\n  3. Đặng Thảo Vy: Hoàn thành\n"
        ) in closed
        assert (
            "Chưa hoàn thành chương trình lớp học: rèn luyện thêm trong hè (1)\n"
            "  4. Lương Gia Phúc: Toán Chưa hoàn thành; Toán điểm KTĐK cuối năm 4\n"
        ) in closed
        _check_1a(await console.ok("--school", PRIMARY, "results", "1A", at=JUNE))

        terms = {
            term: await console.ok(
                "--school", SECONDARY, "results", "6A", "--term", str(term), at=JUNE
            )
            for term in (1, 2)
        }
        _check_6a(await console.ok("--school", SECONDARY, "results", "6A", at=JUNE), terms)

        out = await console.ok("--school", SECONDARY, "issue", "6A", at="2026-06-02 10:00")
        assert "Lớp 6A: 6 học bạ đã ký đủ và phát hành." in out
        folder = tmp_path / "issued"
        await console.ok("--school", SECONDARY, "export", "6A", str(folder), at="2026-06-02 10:00")
        anh = (folder / "THCS-LL.001314004521.v1.xml").read_text(encoding="utf-8")
        assert "<lenlop>len_lop</lenlop><danhhieu>xuat_sac</danhhieu>" in anh
        assert f"<nhanxetgvcn>{SHEET_6A['Nguyễn Minh Anh'][3]}</nhanxetgvcn>" in anh  # from the bot
        lan = (folder / "THCS-LL.001314009462.v1.xml").read_text(encoding="utf-8")
        assert "<songaynghi>47</songaynghi><lenlop>o_lai_lop</lenlop>" in lan
        ran = await console(
            "--school",
            SECONDARY,
            "verify",
            str(folder / "THCS-LL.001314004521.v1.xml"),
            at="2026-06-02 10:00",
        )
        assert ran.code == 0 and "KẾT LUẬN: mọi chữ ký hợp lệ." in ran.out, ran.out
        assert ran.out.count("Chứng thư số: hợp lệ") == 3  # homeroom, principal, seal
        await _primary_issued(console, tmp_path / "primary")
    finally:
        clock.set_time(None)


async def test_lists_in_the_wrong_order_say_which_comes_first(tmp_path: Path) -> None:
    """A new admin who imports the staff or the assignments before the class lists is told that
    the classes come from the student list, and nothing is written."""
    console = Console(
        HOCBA_DATABASE_URL=f"sqlite://{tmp_path / 'hocba.sqlite3'}", HOCBA_WORKERS_PROCESSES="1"
    )
    await console.ok(
        "init",
        "--code",
        SECONDARY,
        "--name",
        SECONDARY_NAME,
        "--level",
        "lower_secondary",
        at=SEPTEMBER,
    )
    for kind, told in (
        ("staff", "dòng 5 (Phạm Thị Hồng), cột «Chủ nhiệm lớp»: Chưa có lớp 6A"),
        ("assignments", "dòng 2 (Phạm Thị Hồng), cột «Lớp»: Chưa có lớp 6A"),
    ):
        ran = await console("import", kind, str(sample(f"secondary-{kind}.csv")), at=SEPTEMBER)
        assert ran.code == 1 and ran.err.startswith("❌ Chưa lưu gì"), ran.err
        line = next(line for line in ran.err.splitlines() if told in line)
        assert line.endswith("các lớp có từ danh sách học sinh, nên nhập danh sách học sinh trước.")
    ran = await console("staff", "invite", "GV01", at=SEPTEMBER)
    assert ran.code == 1 and "Không tìm thấy cán bộ nào có mã hoặc tên «GV01»" in ran.err
