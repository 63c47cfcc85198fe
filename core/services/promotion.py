"""A class's end-of-year lists: promoted, repeating, re-assessed, trained in the summer.

Regulation 001 Điều 33.6: the principal organises the review of promotion and titles once the
data is complete; Điều 34.3: the homeroom teacher draws up the lists of students proposed for
promotion (lên lớp), repeating (ở lại lớp), re-examination (kiểm tra lại) or summer conduct
training (rèn luyện hè). Both look at the same lists, computed here from the class's results
(core.services.results, the numbers the record book prints), so what the principal closes on
is what is issued.

Secondary school (Thông tư 22/2021), by `core.rules.secondary.promotion`:
- promoted: year conduct and year learning at least Đạt, at most 45 sessions absent (Điều 12.1);
- repeating: more than 45 sessions absent, whatever the results (Điều 12.2);
- summer conduct training: year conduct Chưa đạt (Điều 13);
- re-examination: year learning Chưa đạt; the student chooses among the scored subjects with a
  year average below 5.0 and the comment-only subjects Chưa đạt (Điều 14.1, as we read it: the
  Thông tư's text is not among the regulations we hold; check it). Both Chưa đạt: training
  first, then the re-examination;
- titles: Học sinh Xuất sắc, Học sinh Giỏi (Điều 15).
Who repeats after the summer is decided on the supplementary results (001 Điều 25.2, until
15/8), not here.

Primary school (Thông tư 27/2020, Điều 9, khoản 3–5 as we read them; the text is not among our
regulations either): a year result of Hoàn thành xuất sắc, Hoàn thành tốt or Hoàn thành means
the class's programme is completed; a student with Chưa hoàn thành is helped and assessed again
in the summer (rèn luyện thêm), after which the principal decides promotion or repeating.

A student whose data is incomplete is in no list: the lists say what is missing, by student,
and a class with anything missing cannot be closed (core.services.issuance.closing). Besides
what the results need, each term's absences must be entered (0 when none): a count never
entered would otherwise promote a student whose absences nobody looked at.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from core import formatting
from core.i18n import _
from core.models import SchoolClass, Student, Term
from core.rules import primary as tt27
from core.rules import secondary as tt22
from core.rules.catalog import Choice, SchoolLevel
from core.services import homeroom_gaps
from core.services.access import Actor
from core.services.results import ClassResults, PrimaryResult, SecondaryResult, class_results

COMPLETED = "hoan_thanh"  # TT27: completed the class's programme
NOT_COMPLETED = "chua_hoan_thanh"  # TT27: helped and assessed again in the summer
# The lists in the order they are shown: the promotion decision's values (TT22), then TT27's.
SECONDARY_ORDER = (
    tt22.Promotion.PROMOTED,
    tt22.Promotion.RETEST,
    tt22.Promotion.SUMMER_TRAINING,
    tt22.Promotion.TRAINING_AND_RETEST,
    tt22.Promotion.REPEAT,
)
PRIMARY_ORDER = (COMPLETED, NOT_COMPLETED)
PASS_SCORE = 5  # TT27 Điều 9.2: Hoàn thành needs every end-of-year test at 5 or more
RETEST_BELOW = Decimal("5.0")  # TT22 Điều 14.1: scored subjects averaging below 5.0
Shortfall = tuple[str, Decimal | int | Choice]  # what falls short, and its value


@dataclass(frozen=True)
class Standing:
    """One student's place in the lists, with what the list's line says about them."""

    national_id: str
    number: int
    name: str
    kind: str  # a tt22.Promotion value, COMPLETED or NOT_COMPLETED
    result: tt22.Level | tt27.YearResult  # year learning (secondary) or year result (primary)
    conduct: tt22.Level | None = None
    absent: int = 0
    title: tt22.Title | None = None
    # the subjects to choose from for a re-examination (secondary), or what keeps a primary
    # student from completing the year
    shortfalls: tuple[Shortfall, ...] = ()


@dataclass(frozen=True)
class Missing:
    """A student whose year cannot be judged yet, and what is missing."""

    number: int
    name: str
    what: tuple[str, ...]


@dataclass(frozen=True)
class Section:
    """A list as shown: its heading (with its count) and one line per student."""

    heading: str
    lines: tuple[str, ...]


def _value(value: Decimal | int | Choice) -> str:
    if isinstance(value, Choice):
        return value.label
    if isinstance(value, Decimal):
        return formatting.score(value)
    return _("điểm KTĐK cuối năm {score}").format(score=value)


def _shortfalls(items: Sequence[Shortfall]) -> str:
    return "; ".join(f"{name} {_value(value)}" for name, value in items)


@dataclass(frozen=True)
class ClassLists:
    """The end-of-year lists of one class, and what is missing before they are complete."""

    class_id: int
    class_name: str
    year_name: str
    primary: bool
    standings: tuple[Standing, ...]
    missing: tuple[Missing, ...]

    @property
    def complete(self) -> bool:
        return not self.missing

    def facts(self) -> tuple:
        """Everything the lists show, for a confirmation's stamp (core.confirmation): a
        confirmation holds only while every line is still the same. Language-free once the
        class is complete, the only time a stamp is given."""
        return tuple(
            (s.national_id, s.kind, s.result, s.conduct, s.absent, s.title, s.shortfalls)
            for s in self.standings
        ) + tuple((m.number, m.what) for m in self.missing)

    def members(self, kind: str) -> list[Standing]:
        return [s for s in self.standings if s.kind == kind]

    def counts(self) -> dict[str, int]:
        """How many students each list holds (the audit keeps these with the decision)."""
        order = PRIMARY_ORDER if self.primary else SECONDARY_ORDER
        counts = {str(kind): len(self.members(kind)) for kind in order}
        if not self.primary:
            counts |= {t.value: sum(s.title is t for s in self.standings) for t in tt22.Title}
        return counts

    @staticmethod
    def heading(kind: str) -> str:
        if kind == COMPLETED:
            return _("Hoàn thành chương trình lớp học")
        if kind == NOT_COMPLETED:
            return _("Chưa hoàn thành chương trình lớp học: rèn luyện thêm trong hè")
        return tt22.Promotion(kind).label

    def _line(self, s: Standing) -> str:
        if self.primary:
            detail = s.result.label if s.kind == COMPLETED else _shortfalls(s.shortfalls)
        elif s.kind == tt22.Promotion.REPEAT:
            detail = _("nghỉ {n} buổi (quá {max} buổi)").format(
                n=s.absent, max=tt22.MAX_ABSENT_SESSIONS
            )
        else:
            detail = _("học tập {learning}, rèn luyện {conduct}, nghỉ {n} buổi").format(
                learning=s.result.label, conduct=s.conduct.label if s.conduct else "", n=s.absent
            )
            if s.shortfalls:
                detail += "; " + _("môn được chọn kiểm tra lại: {subjects}").format(
                    subjects=_shortfalls(s.shortfalls)
                )
        return f"{s.number}. {s.name}: {detail}"

    def title(self) -> str:
        return _("Lớp {klass}, năm học {year}: danh sách cuối năm").format(
            klass=self.class_name, year=self.year_name
        )

    def sections(self) -> list[Section]:
        """What is missing first, by student (what to do before anything else); then every
        list, in order, empty ones included (an empty list is a fact worth seeing); for
        secondary classes, then the titles."""
        order = PRIMARY_ORDER if self.primary else SECONDARY_ORDER
        found = []
        if self.missing:
            heading = _("Còn thiếu dữ liệu ({n} học sinh, chưa xếp vào danh sách)")
            found.append(Section(heading.format(n=len(self.missing)), tuple(self.missing_lines())))
        found += [
            Section(
                _("{list} ({n})").format(list=self.heading(kind), n=len(self.members(kind))),
                tuple(self._line(s) for s in self.members(kind)),
            )
            for kind in order
        ]
        if not self.primary:
            for title in tt22.Title:
                named = [s for s in self.standings if s.title is title]
                found.append(
                    Section(
                        _("Danh hiệu {title} ({n})").format(title=title.label, n=len(named)),
                        tuple(f"{s.number}. {s.name}" for s in named),
                    )
                )
        return found

    def after_summer(self) -> str:
        """What happens next to those not promoted, so nobody reads the lists as final."""
        if self.primary:
            return _(
                "Học sinh chưa hoàn thành được giáo viên giúp đỡ và đánh giá bổ sung trong hè; "
                "sau đó Hiệu trưởng quyết định lên lớp hoặc ở lại lớp (TT27 Điều 9)."
            )
        return _(
            "Kiểm tra lại và rèn luyện hè: kết quả bổ sung nhập đến hạn bổ sung (15/8); học "
            "sinh vẫn chưa đạt thì ở lại lớp (TT22 Điều 12–14)."
        )

    def missing_lines(self) -> list[str]:
        return [
            _("{number}. {name}: {what}").format(
                number=m.number, name=m.name, what="; ".join(m.what)
            )
            for m in self.missing
        ]

    def missing_text(self) -> str:
        """The refusal of a close: what is missing, student by student."""
        head = _("Lớp {klass} còn {n} học sinh chưa đủ kết quả, chưa chốt được:").format(
            klass=self.class_name, n=len(self.missing)
        )
        return "\n".join([head, *(f"• {line}" for line in self.missing_lines())])

    def not_promoted(self) -> list[str]:
        """One line per student outside the first list (promoted, or completed): the part of
        the lists someone has to act on this summer."""
        first = PRIMARY_ORDER[0] if self.primary else SECONDARY_ORDER[0]
        return [
            _("{list}: {line}").format(list=self.heading(s.kind), line=self._line(s))
            for s in self.standings
            if s.kind != first
        ]


def _secondary(row: SecondaryResult, unentered: list[str]) -> Standing | Missing:
    what = [*row.missing, *unentered]
    learning, conduct = row.learning["year"], row.conduct["year"]
    if what or row.promotion is None or learning is None or conduct is None:
        return Missing(row.number, row.full_name, tuple(what or [_("chưa xét được lên lớp")]))
    retest = ()
    if row.promotion in (tt22.Promotion.RETEST, tt22.Promotion.TRAINING_AND_RETEST):
        retest = tuple(
            (r.subject.name, r.year)
            for r in row.subjects
            if (isinstance(r.year, Decimal) and r.year < RETEST_BELOW)
            or r.year is tt22.Verdict.FAIL
        )
    return Standing(
        row.national_id,
        row.number,
        row.full_name,
        row.promotion.value,
        learning,
        conduct,
        row.absent_days,
        row.title,
        retest,  # type: ignore[arg-type]
    )


def _primary(row: PrimaryResult, results: ClassResults, unentered: list[str]) -> Standing | Missing:
    if row.missing or unentered or row.result is None:
        what = [*row.missing, *unentered] or [_("chưa có kết quả")]
        return Missing(row.number, row.full_name, tuple(what))
    if row.result is not tt27.YearResult.NOT_DONE:
        return Standing(row.national_id, row.number, row.full_name, COMPLETED, row.result)
    names = {s.code: s.name for s in results.subjects} | dict(tt27.QUALITIES + tt27.COMPETENCIES)
    short: list[Shortfall] = [
        (names[code], level)
        for code, level in row.levels.items()
        if level is tt27.SubjectLevel.NOT_DONE
    ]
    short += [(names[c], n) for c, n in row.scores.items() if n is not None and n < PASS_SCORE]
    short += [
        (names[code], level)
        for code, level in row.qualities.items()
        if level is tt27.QualityLevel.EFFORT
    ]
    return Standing(
        row.national_id,
        row.number,
        row.full_name,
        NOT_COMPLETED,
        row.result,
        shortfalls=tuple(short),
    )


async def _homeroom_missing(
    school_class: SchoolClass, level: SchoolLevel, ids: list[str]
) -> dict[str, list[str]]:
    """national id → the homeroom teacher's columns nobody entered that the results do not
    judge themselves: the days absent of each term (0 must be entered too: a count nobody
    entered would promote the student) and the comments the record prints (the same columns
    progress reminds of, core.services.homeroom_gaps)."""
    terms = await Term.filter(year_id=school_class.year_id).order_by("number")
    student_of = dict(await Student.filter(national_id__in=ids).values_list("national_id", "id"))
    missing = await homeroom_gaps.unentered(
        level,
        [(t.id, t.number) for t in terms],
        list(student_of.values()),
        {homeroom_gaps.ABSENCES, homeroom_gaps.COMMENT},
    )
    return {nid: missing[student_of[nid]] for nid in ids}


async def class_lists(actor: Actor, school_class: SchoolClass) -> ClassLists:
    """The class's lists from its results: whoever may read the class's results may read
    them (leadership, admins, the office, its homeroom teacher; core.services.access)."""
    results = await class_results(actor, school_class)
    year = await school_class.year
    level = SchoolLevel((await year.school).level)
    primary = level is SchoolLevel.PRIMARY
    unentered = await _homeroom_missing(school_class, level, [r.national_id for r in results.rows])
    judged: list[Standing | Missing]
    if primary:
        judged = [
            _primary(row, results, unentered[row.national_id])  # type: ignore[arg-type]
            for row in results.rows
        ]
    else:
        rows: Sequence[SecondaryResult] = results.rows  # type: ignore[assignment]
        judged = [_secondary(row, unentered[row.national_id]) for row in rows]
    return ClassLists(
        school_class.id,
        school_class.name,
        year.name,
        primary,
        tuple(j for j in judged if isinstance(j, Standing)),
        tuple(j for j in judged if isinstance(j, Missing)),
    )
