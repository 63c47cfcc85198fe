"""School levels and the subjects each one teaches, plus the vocabulary every rule module shares.

The subject list and the yearly periods follow the general education programme 2018
(Chương trình giáo dục phổ thông 2018, Thông tư 32/2018/TT-BGDĐT, as amended by
Thông tư 13/2022/TT-BGDĐT for upper-secondary history). The periods matter because the number
of regular marks a scored secondary subject needs per term depends on them (Thông tư
22/2021/TT-BGDĐT, Điều 6, khoản 2, điểm b); whether an upper-secondary subject has learning
topics decides whether it has a topic column (Điều 6, khoản 3). Schools name subjects in many
ways in their spreadsheets, so every subject carries the aliases teachers actually type, and
matching ignores case, accents, punctuation and "và".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import cache
from types import MappingProxyType
from typing import Self

from core.errors import InvalidValue
from core.i18n import DEFAULT_LANGUAGE, _, current_language, use_language
from core.text import fold

# --------------------------------------------------------------------------------------------
# Vocabulary shared by the secondary and primary rules
# --------------------------------------------------------------------------------------------


class Choice(StrEnum):
    """A closed list of values a record holds (Đ/CĐ, T/K/Đ/CĐ, T/H/C...).

    The value is the short code written in the record book; `label` is the full wording.
    `parse` exists because teachers type either, with or without accents.
    """

    @property
    def label(self) -> str:
        raise NotImplementedError

    @classmethod
    def label_of(cls, code: str) -> str:
        """The wording of a code as a record holds it; a code that is none of this list's (read
        from a file made elsewhere) is shown as written."""
        try:
            return cls(code).label
        except ValueError:
            return code

    @classmethod
    def parse(cls, text: str) -> Self:
        """The member `text` names: its code, its label, or the label's initials ("HTT").

        Vietnamese labels are always accepted, whatever the reader's language, because
        spreadsheets are written in Vietnamese.
        """
        member = _spellings(cls, current_language()).get(match_key(text))
        if member is not None:
            return member  # type: ignore[return-value]
        options = ", ".join(f"{m.value} ({m.label})" for m in cls)
        raise InvalidValue(
            _("Giá trị «{text}» không hợp lệ: cần một trong các mức {options}.").format(
                text=text.strip(), options=options
            )
        )

    def match_keys(self) -> set[str]:
        """Every spelling that names this member, in `match_key` form."""
        with use_language(DEFAULT_LANGUAGE):
            source = self.label
        keys = {match_key(self.value), match_key(source), match_key(self.label)}
        keys.add("".join(_initial(word) for word in match_key(source).split()))
        return keys


@cache
def _spellings(choice: type[Choice], language: str) -> dict[str, Choice]:
    """Every spelling of every member, built once per language (parse runs per spreadsheet cell).
    Earlier members win a shared spelling, as they are declared best first."""
    with use_language(language):
        return {key: member for member in reversed(list(choice)) for key in member.match_keys()}


def _initial(word: str) -> str:
    """A word's initial for abbreviations; a Roman numeral stays whole ("Giữa học kì II": GHKII)."""
    return word if set(word) <= set("ivx") else word[0]


class RankedChoice(Choice):
    """A Choice whose members are declared best first, so results can be compared.

    `str` comparison of the codes ("T" < "K") would be meaningless, hence `rank`.
    """

    @property
    def rank(self) -> int:
        """Higher is better; the worst member has rank 1."""
        members = list(type(self))
        return len(members) - members.index(self)

    def at_least(self, other: Self) -> bool:
        return self.rank >= other.rank

    def raised(self) -> Self:
        """The adjacent better member (the best stays where it is)."""
        members = list(type(self))
        return members[max(members.index(self) - 1, 0)]


_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def read_number(raw: str | int | float | Decimal) -> Decimal | None:
    """The non-negative number a teacher typed, or None when it is not one.

    Vietnamese writes the decimal separator as a comma ("7,5"); spreadsheets may hand over
    an int, a float or a Decimal. Floats go through their shortest text form so 7.3 stays
    7.3 and not 7.29999... Each rule module then checks its own range and precision.
    """
    if isinstance(raw, bool):
        return None
    if isinstance(raw, str):
        text = raw.strip().replace(",", ".")
        return Decimal(text) if _NUMBER.fullmatch(text) else None
    try:
        value = Decimal(str(raw)) if isinstance(raw, float) else Decimal(raw)
    except (InvalidOperation, TypeError, ValueError):
        return None
    return value.copy_abs() if value.is_finite() and value >= 0 else None


_NOT_WORD = re.compile(r"[^a-z0-9]+")


def match_key(text: str) -> str:
    """The form two spellings of one name share: 'Lịch sử & Địa lý' -> 'lich su dia li'.

    Besides `fold`: punctuation becomes a space, the linking word "và" is dropped, and "y" is
    written "i", because schools spell lí/lý and mĩ/mỹ both ways.
    """
    words = _NOT_WORD.sub(" ", fold(text)).replace("y", "i").split()
    return " ".join(w for w in words if w != "va")


# --------------------------------------------------------------------------------------------
# Levels and subjects
# --------------------------------------------------------------------------------------------


class SchoolLevel(StrEnum):
    PRIMARY = "primary"
    LOWER_SECONDARY = "lower_secondary"
    UPPER_SECONDARY = "upper_secondary"


_GRADES = {
    SchoolLevel.PRIMARY: range(1, 6),
    SchoolLevel.LOWER_SECONDARY: range(6, 10),
    SchoolLevel.UPPER_SECONDARY: range(10, 13),
}


def grades(level: SchoolLevel) -> range:
    """The grades (lớp) a level covers: 1–5, 6–9, 10–12 (Luật Giáo dục 2019, Điều 28)."""
    return _GRADES[level]


def level_label(level: SchoolLevel) -> str:
    return {
        SchoolLevel.PRIMARY: _("Tiểu học"),
        SchoolLevel.LOWER_SECONDARY: _("Trung học cơ sở"),
        SchoolLevel.UPPER_SECONDARY: _("Trung học phổ thông"),
    }[level]


class Assessment(StrEnum):
    """How a subject is assessed, which decides what a teacher may enter for it."""

    SCORED = "scored"  # comments plus marks on the 10-point scale (secondary)
    COMMENT = "comment"  # Đạt / Chưa đạt only (secondary)
    LEVELS = "levels"  # Hoàn thành tốt / Hoàn thành / Chưa hoàn thành (primary)


@dataclass(frozen=True)
class SubjectSpec:
    """One subject of one level: its stable code, its official name, how and how long it is taught.

    `periods` maps each grade where the subject is taught to its yearly periods (tiết/năm học).
    `learning_topics`: the subject has a cluster of learning topics (cụm chuyên đề học tập), so
    a student who takes that cluster has one more regular assessment (TT22 Điều 6, khoản 3).
    """

    code: str
    name: str
    assessment: Assessment
    periods: Mapping[int, int] = field(compare=False)
    aliases: tuple[str, ...] = ()
    learning_topics: bool = False

    def taught_in(self, grade: int) -> bool:
        return grade in self.periods

    def yearly_periods(self, grade: int) -> int:
        """Periods per year in `grade`; asking for a grade where it is not taught is a bug."""
        if grade not in self.periods:
            raise ValueError(f"{self.code} is not taught in grade {grade}")
        return self.periods[grade]

    def match_keys(self) -> set[str]:
        """Every spelling that names this subject, in `match_key` form."""
        return {match_key(t) for t in (self.code, self.name, *self.aliases)}


def _spec(
    code: str,
    name: str,
    assessment: Assessment,
    periods: Mapping[int, int] | tuple[Iterable[int], int],
    *aliases: str,
    topics: bool = False,
) -> SubjectSpec:
    """Build a spec; `periods` is either a full mapping or (grades, periods in each)."""
    if isinstance(periods, tuple):
        taught, count = periods
        periods = dict.fromkeys(taught, count)
    return SubjectSpec(code, name, assessment, MappingProxyType(dict(periods)), aliases, topics)


_S, _C, _L = Assessment.SCORED, Assessment.COMMENT, Assessment.LEVELS
_PRI = grades(SchoolLevel.PRIMARY)
_LOW = grades(SchoolLevel.LOWER_SECONDARY)
_UPP = grades(SchoolLevel.UPPER_SECONDARY)
_ENGLISH = ("Tiếng Anh", "Anh văn", "Anh", "Ngoại ngữ", "Ngoại ngữ 1", "NN")
_PE = ("Thể dục", "GDTC")

# Primary, CT GDPT 2018 (35 weeks a year). Art is taught as two parts, Âm nhạc and Mĩ thuật,
# each 35 periods, and primary records keep them apart ("Nghệ thuật (Âm nhạc)", "Nghệ thuật
# (Mĩ thuật)"); Tin học và Công nghệ is kept as one subject because it has one periodic test.
# Doubt: some record-book software splits Tin học và Công nghệ into its two parts as well.
_PRIMARY = (
    _spec("TV", "Tiếng Việt", _L, {1: 420, 2: 350, 3: 245, 4: 245, 5: 245}),
    _spec("TOAN", "Toán", _L, {1: 105, 2: 175, 3: 175, 4: 175, 5: 175}, "Toán học"),
    _spec("DD", "Đạo đức", _L, (_PRI, 35)),
    _spec("NN1", "Ngoại ngữ 1", _L, (range(3, 6), 140), *_ENGLISH),
    _spec("TNXH", "Tự nhiên và Xã hội", _L, (range(1, 4), 70)),
    _spec("LSDL", "Lịch sử và Địa lí", _L, (range(4, 6), 70), "LS&ĐL", "Sử - Địa"),
    _spec("KH", "Khoa học", _L, (range(4, 6), 70)),
    _spec("TINCN", "Tin học và Công nghệ", _L, (range(3, 6), 70), "TH&CN", "Tin - Công nghệ"),
    _spec("GDTC", "Giáo dục thể chất", _L, (_PRI, 70), *_PE),
    _spec("AN", "Nghệ thuật (Âm nhạc)", _L, (_PRI, 35), "Âm nhạc", "Nhạc"),
    _spec("MT", "Nghệ thuật (Mĩ thuật)", _L, (_PRI, 35), "Mĩ thuật", "Vẽ"),
    _spec("HDTN", "Hoạt động trải nghiệm", _L, (_PRI, 105), "HĐTN"),
)

_LOCAL = ("Nội dung giáo dục địa phương", "Giáo dục địa phương", "GDĐP")
_EXPERIENCE = ("Hoạt động trải nghiệm", "HĐTN-HN", "HĐTN", "HĐTNHN")

# Lower secondary, CT GDPT 2018. Doubt: some schools record Nghệ thuật as two parts (Âm nhạc,
# Mĩ thuật, 35 periods each) rather than one 70-period subject; here it is one subject.
_LOWER = (
    _spec("NV", "Ngữ văn", _S, (_LOW, 140), "Văn", "Ngữ Văn"),
    _spec("TOAN", "Toán", _S, (_LOW, 140), "Toán học"),
    _spec("NN1", "Ngoại ngữ 1", _S, (_LOW, 105), *_ENGLISH),
    _spec("GDCD", "Giáo dục công dân", _S, (_LOW, 35)),
    _spec("LSDL", "Lịch sử và Địa lí", _S, (_LOW, 105), "LS&ĐL", "Sử - Địa"),
    _spec("KHTN", "Khoa học tự nhiên", _S, (_LOW, 140)),
    _spec("CN", "Công nghệ", _S, {6: 35, 7: 35, 8: 52, 9: 52}),
    _spec("TH", "Tin học", _S, (_LOW, 35), "Tin"),
    _spec("GDTC", "Giáo dục thể chất", _C, (_LOW, 70), *_PE),
    _spec("NT", "Nghệ thuật", _C, (_LOW, 70), "Nghệ thuật (Âm nhạc, Mĩ thuật)"),
    _spec("HDTN", "Hoạt động trải nghiệm, hướng nghiệp", _C, (_LOW, 105), *_EXPERIENCE),
    _spec("GDDP", "Nội dung giáo dục của địa phương", _C, (_LOW, 35), *_LOCAL),
)

# Upper secondary, CT GDPT 2018: compulsory subjects plus the usual electives (70 periods
# each). Lịch sử became compulsory at 52 periods with Thông tư 13/2022/TT-BGDĐT. The learning
# topics (chuyên đề học tập, 35 periods a year per subject) are not counted in the periods: a
# topic result is one extra regular assessment of its subject (TT22 Điều 6, khoản 3), entered
# in its own column, for the students who take that subject's cluster.
# Which subjects have a cluster of learning topics (`topics=True`): CT GDPT 2018, Chương trình
# tổng thể (Thông tư 32/2018/TT-BGDĐT, as amended by Thông tư 13/2022/TT-BGDĐT), plan of the
# upper-secondary years: Ngữ văn, Toán, Lịch sử, Địa lí, Giáo dục kinh tế và pháp luật, Vật
# lí, Hoá học, Sinh học, Công nghệ, Tin học, Âm nhạc and Mĩ thuật each have learning topics
# forming the subject's cluster, and each student takes the clusters of three subjects.
# Ngoại ngữ 1, GDTC, GDQP-AN, HĐTN-HN and GDĐP have none. Doubt: the list is the programme as
# we know it (its text is not in ../shared/regulations/); a school teaching topics of another
# subject cannot enter them until this list says so.
_UPPER = (
    _spec("NV", "Ngữ văn", _S, (_UPP, 105), "Văn", "Ngữ Văn", topics=True),
    _spec("TOAN", "Toán", _S, (_UPP, 105), "Toán học", topics=True),
    _spec("NN1", "Ngoại ngữ 1", _S, (_UPP, 105), *_ENGLISH),
    _spec("LS", "Lịch sử", _S, (_UPP, 52), "Sử", topics=True),
    _spec("GDQPAN", "Giáo dục quốc phòng và an ninh", _S, (_UPP, 35), "GDQP-AN", "GDQP"),
    _spec("DL", "Địa lí", _S, (_UPP, 70), "Địa", topics=True),
    _spec(
        "GDKTPL", "Giáo dục kinh tế và pháp luật", _S, (_UPP, 70), "GDKT&PL", "KTPL", topics=True
    ),
    _spec("VL", "Vật lí", _S, (_UPP, 70), "Lí", topics=True),
    _spec("HH", "Hoá học", _S, (_UPP, 70), "Hoá", topics=True),
    _spec("SH", "Sinh học", _S, (_UPP, 70), "Sinh", topics=True),
    _spec(
        "CN",
        "Công nghệ",
        _S,
        (_UPP, 70),
        "Công nghệ nông nghiệp",
        "Công nghệ công nghiệp",
        topics=True,
    ),
    _spec("TH", "Tin học", _S, (_UPP, 70), "Tin", topics=True),
    _spec("GDTC", "Giáo dục thể chất", _C, (_UPP, 70), *_PE),
    _spec("HDTN", "Hoạt động trải nghiệm, hướng nghiệp", _C, (_UPP, 105), *_EXPERIENCE),
    _spec("GDDP", "Nội dung giáo dục của địa phương", _C, (_UPP, 35), *_LOCAL),
    _spec("AN", "Âm nhạc", _C, (_UPP, 70), "Nhạc", topics=True),
    _spec("MT", "Mĩ thuật", _C, (_UPP, 70), topics=True),
)

_CATALOG = {
    SchoolLevel.PRIMARY: _PRIMARY,
    SchoolLevel.LOWER_SECONDARY: _LOWER,
    SchoolLevel.UPPER_SECONDARY: _UPPER,
}


def subjects_for(level: SchoolLevel) -> tuple[SubjectSpec, ...]:
    """The level's subjects in the order the record book lists them."""
    return _CATALOG[level]


def find_subject(level: SchoolLevel, text: str) -> SubjectSpec | None:
    """The subject a spreadsheet header or a teacher's message names, if any.

    Matches the code, the official name or an alias, ignoring case, accents and punctuation,
    so "ngu van", "NV" and "Văn" all find Ngữ văn.
    """
    key = match_key(text)
    return next((s for s in _CATALOG[level] if key in s.match_keys()), None)


def has_learning_topics(code: str, grade: int) -> bool:
    """Whether the subject with catalog `code` has a cluster of learning topics in `grade`:
    only upper-secondary subjects do (TT22 Điều 6, khoản 3: "cụm chuyên đề học tập của môn học
    ở cấp trung học phổ thông"); lower-secondary subjects of the same code never do."""
    if grade not in grades(SchoolLevel.UPPER_SECONDARY):
        return False
    spec = next((s for s in _UPPER if s.code == code), None)
    return spec is not None and spec.learning_topics and spec.taught_in(grade)
