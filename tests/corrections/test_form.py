"""The request form's service (/suadiem without Telegram): one call per step, the draft kept
as JSON by the caller and checked again at every step, the column keyboard in a few queries."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

import pytest
from tortoise import connections

from core import buttons, clock
from core.errors import InvalidValue, NotFound, PermissionDenied
from core.models import CorrectionRequest, RequestState
from core.services import roster
from core.services.access import Actor
from core.services.corrections import form
from core.services.corrections.files import MAX_NOTES
from core.services.corrections.steps import Stage
from core.validation import Gender
from tests.corrections.conftest import JPEG, PNG, School

# The whole column keyboard: the sheet's five checks (class, assignment, subject, student,
# term), then one read of its marks. It was one cell load and one read per column: 60 for six.
COLUMN_QUERIES = 6
CUTOFF_QUERIES = 5  # the term's calendar (and the school's rules), read when the term is chosen


@pytest.fixture
def queries(monkeypatch: pytest.MonkeyPatch) -> Callable[[], list[str]]:
    """Every statement sent to the database from now on (the connection's two query paths)."""
    client = type(connections.get("default"))
    seen: list[str] = []
    for name in ("execute_query", "execute_query_dict"):
        original = getattr(client, name)

        async def counting(self, query, *args, _original=original, **kwargs):
            seen.append(query)
            return await _original(self, query, *args, **kwargs)

        monkeypatch.setattr(client, name, counting)

    def since_last() -> list[str]:
        taken = list(seen)
        seen.clear()
        return taken

    return since_last


def persisted(draft: object) -> object:
    """What the bot's persistence gives back: the draft through JSON."""
    return json.loads(json.dumps(draft))


async def to_term(school: School) -> form.TermChoices:
    """The form up to the term choice, for Bình in 6A Ngữ văn."""
    teacher = await school.teacher()
    step = await form.start(teacher)
    assert [c.label for c in step.choices] == ["6A"]
    step = await form.choose_class(teacher, persisted(step.draft), school.classes["6A"].id)
    assert step.klass == "6A"
    found = await form.search_student(teacher, persisted(step.draft), "binh")
    assert [c.label for c in found.choices] == ["Trần Thị Bình"]
    student = buttons.FORM_STUDENT.id(found.choices[0].data)
    subjects = await form.choose_student(teacher, persisted(found.draft), student)
    nv = next(c for c in subjects.choices if c.label == "Ngữ văn")
    return await form.choose_subject(
        teacher, persisted(subjects.draft), buttons.FORM_SUBJECT.id(nv.data)
    )


async def test_the_form_from_class_to_submission(school: School, queries) -> None:
    teacher = await school.teacher()
    terms = await to_term(school)
    assert [c.label for c in terms.choices] == ["Học kỳ I", "Học kỳ II"]
    queries()
    columns = await form.choose_term(teacher, persisted(terms.draft), school.terms[1].id)
    drawn = queries()
    assert isinstance(columns, form.ColumnChoices)
    assert [c.label for c in columns.choices][:2] == ["TX1 (6,0)", "TX2 (6,0)"]
    assert len(drawn) <= COLUMN_QUERIES + CUTOFF_QUERIES, drawn
    assert len([q for q in drawn if 'FROM "mark"' in q]) == 1, drawn  # the sheet, read once

    kind, index = buttons.FORM_COLUMN.parse(columns.choices[0].data)
    asked = await form.choose_column(teacher, persisted(columns.draft), kind, index)
    assert (asked.column, asked.current) == ("TX1", "6,0")
    with pytest.raises(InvalidValue, match="trùng giá trị hiện tại"):
        await form.enter_value(teacher, persisted(asked.draft), "6")
    taken = await form.enter_value(teacher, persisted(asked.draft), "7,5")
    assert (taken.column, taken.value) == ("TX1", "7,5")

    queries()
    more = await form.add_cell(teacher, persisted(taken.draft))
    assert len(queries()) <= COLUMN_QUERIES
    assert "TX1 (6,0)" not in [c.label for c in more.choices]

    reason = await form.to_reason(teacher, persisted(taken.draft))
    files = await form.enter_reason(teacher, persisted(reason.draft), "Nhập nhầm điểm")
    draft = files.draft
    for blob in (PNG, JPEG):

        async def fetch(blob: bytes = blob) -> bytes:
            return blob

        got = await form.add_file(
            teacher,
            persisted(draft),
            school.store,
            size=len(blob),
            name=None,
            album_id="A1",
            fetch=fetch,
        )
        assert got.accepted and not got.refusal
        draft = got.draft
    summary = await form.files_done(teacher, persisted(draft))
    assert [(c.column, c.old, c.new) for c in summary.changes] == [("TX1", "6,0", "7,5")]
    assert (summary.student, summary.term, summary.files) == ("Trần Thị Bình", "I", 2)
    sent = await form.send(teacher, persisted(summary.draft), school.store)
    assert sent.draft is None and sent.stage is Stage.DONE
    request = await CorrectionRequest.get()
    assert request.number == sent.number and request.state == RequestState.AT_ADMINS
    with pytest.raises(InvalidValue, match="đã được gửi"):  # the same draft, sent again
        await form.send(teacher, persisted(summary.draft), school.store)


async def test_the_column_keyboard_costs_the_same_for_any_number_of_columns(
    school: School, queries
) -> None:
    """Drawing the keyboard reads the sheet once: a handful of queries, whatever the subject."""
    teacher = await school.teacher()
    terms = await to_term(school)
    term = await form.choose_term(teacher, persisted(terms.draft), school.terms[1].id)
    queries()
    columns = await form.add_cell(teacher, persisted(term.draft))
    assert len(columns.choices) == 6  # TX1..TX4, GK, CK
    assert len(queries()) <= COLUMN_QUERIES


async def test_a_kept_draft_is_never_trusted(school: School) -> None:
    teacher = await school.teacher()
    terms = await to_term(school)
    with pytest.raises(NotFound, match="/suadiem"):  # gone (the flow ended), or damaged
        await form.choose_term(teacher, None, school.terms[1].id)
    with pytest.raises(NotFound, match="/suadiem"):
        await form.choose_term(teacher, {"token": 5, "changes": "x"}, school.terms[1].id)
    # a draft edited to name another class (GV02 does not teach 6B), another student
    forged = {**terms.draft, "class_id": school.classes["6B"].id}
    with pytest.raises(PermissionDenied):
        await form.choose_term(teacher, forged, school.terms[1].id)
    forged = {**terms.draft, "student_id": school.students["Lê Văn Dũng"]}
    with pytest.raises(NotFound, match="không thuộc lớp"):
        await form.choose_term(teacher, forged, school.terms[1].id)
    # unknown keys are dropped: the draft never grows
    step = await form.choose_term(
        teacher, {**terms.draft, "junk": ["x"] * 1000}, school.terms[1].id
    )
    assert "junk" not in step.draft
    # a column the subject does not have, a kind code that does not exist
    with pytest.raises(InvalidValue, match="TX5"):
        await form.choose_column(teacher, step.draft, "r", 5)
    with pytest.raises(NotFound):
        await form.choose_column(teacher, step.draft, "z", 1)
    with pytest.raises(NotFound, match="/suadiem"):  # a value before any column was chosen
        await form.enter_value(teacher, step.draft, "7")


async def test_album_refusals_are_said_once_and_not_kept_forever(school: School) -> None:
    teacher = await school.teacher()
    terms = await to_term(school)
    columns = await form.choose_term(teacher, terms.draft, school.terms[1].id)
    asked = await form.choose_column(teacher, columns.draft, "r", 1)
    taken = await form.enter_value(teacher, asked.draft, "7.5")
    draft = (await form.enter_reason(teacher, taken.draft, "Nhập nhầm")).draft

    async def not_a_picture() -> bytes:
        return b"MZ\x90\x00 not a picture"

    said = []
    for album in range(30):
        for _photo in range(3):
            got = await form.add_file(
                teacher,
                persisted(draft),
                school.store,
                size=20,
                name="x.jpg",
                album_id=f"album-{album}",
                fetch=not_a_picture,
            )
            draft = got.draft
            said.append(bool(got.refusal))
        # what is remembered is the current album's refusals only
        assert draft["album"][0] == f"album-{album}" and len(draft["album"][1]) <= MAX_NOTES
    assert said == [True, False, False] * 30
    assert "evidence" not in draft or draft["evidence"] == []


async def test_the_cut_off_follows_the_clock(school: School, clock_at) -> None:
    """The form's «now» is core.clock's: moved past the cut-off, the term is refused."""
    clock_at(f"30/12/{int(school.year.name[:4])}", "17:00")  # term I locks in 30 days
    teacher = await school.teacher()
    terms = await to_term(school)
    assert isinstance(
        await form.choose_term(teacher, terms.draft, school.terms[1].id), form.ColumnChoices
    )
    clock.set_time(clock.now() + dt.timedelta(days=25))
    try:
        late = await form.choose_term(teacher, terms.draft, school.terms[1].id)
    finally:
        clock.set_time(None)
    assert isinstance(late, form.TooLate) and "quá hạn" in late.refusal
    assert late.stage is Stage.TERM
    assert [c.data for c in late.choices] == [buttons.FORM_ASK_LATE.data()]


async def test_a_loose_search_says_how_many_it_found(school: School) -> None:
    """Twelve students match: the first MAX_MATCHES are offered, and the step says twelve."""
    first = int(school.year.name[:4])
    await roster.write_students(
        Actor.command_line(school.school.id),
        school.year,
        [
            roster.StudentEntry(
                f"0013140001{n:02d}",
                f"Lê Văn Tèo {n}",
                dt.date(first - 11, 3, 1),
                Gender.MALE,
                "6A",
                6,
                10 + n,
            )
            for n in range(12)
        ],
    )
    teacher = await school.teacher()
    step = await form.start(teacher)
    step = await form.choose_class(teacher, persisted(step.draft), school.classes["6A"].id)
    found = await form.search_student(teacher, persisted(step.draft), "teo")
    assert (found.found, len(found.choices), found.typed) == (12, form.MAX_MATCHES, "teo")
    assert (await form.search_student(teacher, persisted(step.draft), "binh")).found == 1
