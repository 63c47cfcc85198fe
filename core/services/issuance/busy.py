"""Which of a class's documents an open signing batch holds.

While a batch is open its documents are nobody else's (core.services.issuance.batches). A batch
may sign several classes at once (a subject teacher's classes, one approval), so what it holds
is found through its items' documents, never through the batch's own class.
"""

from __future__ import annotations

from core.models import BatchItem, SchoolClass
from core.models.records import BATCH_OPEN


async def taken_sheets(school_class: SchoolClass) -> list[int]:
    return await BatchItem.filter(
        batch__state__in=BATCH_OPEN, sheet__school_class=school_class
    ).values_list("sheet_id", flat=True)


async def taken_records(school_class: SchoolClass) -> list[int]:
    return await BatchItem.filter(
        batch__state__in=BATCH_OPEN, record__school_class=school_class
    ).values_list("record_id", flat=True)
