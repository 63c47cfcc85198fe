"""Issuing records: close a class's year, build its documents, sign them in order, issue.

Order (regulation 001 Điều 24, khoản 5): each subject teacher signs the class × subject sheets
of their subject; then the homeroom teacher, the principal and the clerk with the school's seal
sign each student's record; a record is issued only when all three are on it. Every step checks
in the core who signs (role and assignment), that the previous step is done, and that the
class is closed. A batch signs all of one signer's waiting documents of a class with one
approval, chunk by chunk in the worker pool; the next signer sees them once the batch is done.

Modules: `build` (record data and sheets from the gradebook), `prepare` (creating a closed
class's documents, what waits for whom), `closing` (the principal's decision closing a class's
year on its end-of-year lists, then its documents waiting for their signers), `announce`
(telling each signer when their step opens), `batches` (starting, leasing and ending a batch),
`chunks` (a batch through the worker pool), `apply` (a signed chunk onto its documents),
`local` (a key file or token), `remote` (CSC, one approval), `runner` (running and resuming
batches), `revise` (new versions, reading).
"""

from core.services.issuance.batches import Started, batch_progress, begin, start_batch
from core.services.issuance.build import data_hash
from core.services.issuance.closing import (
    Closed,
    Closure,
    OpenClass,
    Review,
    classes_to_close,
    close_and_prepare,
    close_year,
    lists_for,
    review,
    to_close,
)
from core.services.issuance.prepare import (
    Prepared,
    Waiting,
    ensure_closed,
    prepare_class,
    waiting_for,
)
from core.services.issuance.remote import complete_remote, prepare_remote
from core.services.issuance.revise import issued_records, revise
from core.services.issuance.runner import BatchRunner

__all__ = [
    "BatchRunner",
    "Closed",
    "Closure",
    "OpenClass",
    "Prepared",
    "Review",
    "Started",
    "Waiting",
    "batch_progress",
    "begin",
    "classes_to_close",
    "close_and_prepare",
    "close_year",
    "complete_remote",
    "data_hash",
    "ensure_closed",
    "issued_records",
    "lists_for",
    "prepare_class",
    "prepare_remote",
    "review",
    "revise",
    "start_batch",
    "to_close",
    "waiting_for",
]
