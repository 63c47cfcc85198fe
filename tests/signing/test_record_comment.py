"""The homeroom teacher's comment of the year reaches the record (nhanxetgvcn, regulation 001
Điều 24.5b): closing the year asks for it (core.services.homeroom_gaps), so the record built from
the gradebook must print it, and term II's is the year's (a term I comment is not)."""

from __future__ import annotations

from core import clock
from core.models import Term
from core.render.xml_record import build_record
from core.services import gradebook
from core.services.issuance.build import build_class
from tests.conftest import DURING_2025_2026
from tests.signing.year_end import COMMENT, build_secondary


async def test_the_record_prints_the_homeroom_comment_of_the_year(db: str) -> None:
    school = await build_secondary()
    klass = school.classes["6A"]
    students = [s for _e, s in await gradebook.class_students(klass)]
    term_one = await Term.get(year_id=klass.year_id, number=1)
    with clock.staged(DURING_2025_2026):  # written in term I, before its gradebook was locked
        await gradebook.write_comments(
            school.admin,
            [
                gradebook.CommentEntry(
                    students[0].id, klass, term_one, "Học kỳ I: cần mạnh dạn hơn."
                )
            ],
        )

    built = await build_class(school.admin, klass)

    assert {r.full_name: r.homeroom_comment for r in built.records.values()} == {
        s.full_name: COMMENT for s in students
    }
    xml = build_record(built.records[students[0].id])
    assert f"<nhanxetgvcn>{COMMENT}</nhanxetgvcn>".encode() in xml
