"""Waking the delivery job as soon as something was enqueued, not at its next idle look.

When the outbox is empty the delivery job (jobs.outbox) looks again every couple of seconds,
so a signer waited up to that long for the result of a batch that had ended, and a principal
for a request just submitted: about a second each time, for nothing.

`enqueue` counts what this process adds. Where a change has committed (an update handled, a
batch run ended) the process rings its `Doorbell`, which wakes the job when the count moved
since the last ring. Waking from `enqueue` itself would come too early: it runs inside the
caller's transaction, whose rows the job cannot see yet. Rows another process enqueues wake
that process's job; the idle look remains for whatever no ring announces.
"""

from __future__ import annotations

from collections.abc import Callable

_enqueued = 0  # notifications enqueue() added in this process


def count_one() -> None:
    """Called by `enqueue` for each row it adds."""
    global _enqueued
    _enqueued += 1


class Doorbell:
    """One per runtime; the delivery job registers how it is woken (`answer_with`)."""

    def __init__(self) -> None:
        self._heard = _enqueued
        self._wake: Callable[[], None] | None = None

    def answer_with(self, wake: Callable[[], None]) -> None:
        self._wake = wake

    def ring(self) -> None:
        """Wake the job if anything was enqueued since the last ring; cheap when nothing was."""
        if self._wake is None or _enqueued == self._heard:
            return
        self._heard = _enqueued
        self._wake()
