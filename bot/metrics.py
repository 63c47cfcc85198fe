"""/metrics in the Prometheus text format (issue 16, part 4), through prometheus_client.

Two kinds of figures:
- what this process did since it started, counted as it happens: Telegram updates handled, by
  kind, and how long their handlers took (the reply latency people feel, minus the network);
- the deployment's state, read from the database at each scrape (core.services.operations):
  the outbox by delivery state and the age of its oldest notification still to send, signing
  batches open, signing steps stored, record versions by state. Read, not counted, so every
  process reports the same numbers and a restart loses none.

Each Metrics has its own registry, so a test's bot and another's never share counters.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from telegram import Update

from core import clock
from core.services.operations import StateFigures, state_figures

# seconds: around the 150 ms a reply should take at the 95th percentile (issue 9)
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def update_kind(update: object) -> str:
    """What a person did, as the metrics count it."""
    if not isinstance(update, Update):
        return "other"
    if update.callback_query is not None:
        return "button"
    message = update.effective_message
    if message is None:
        return "other"
    if message.document is not None or message.photo:
        return "file"
    if message.text and message.text.startswith("/"):
        return "command"
    return "message"


class _State(Collector):
    """The database's figures of the last scrape, as metric families."""

    def __init__(self) -> None:
        self.figures: StateFigures | None = None

    def collect(self) -> Iterator[Metric]:
        figures = self.figures
        if figures is None:
            return
        outbox = GaugeMetricFamily(
            "hocba_outbox_notifications", "Notifications by delivery state", labels=["state"]
        )
        for state, count in sorted(figures.outbox.items()):
            outbox.add_metric([state], count)
        yield outbox
        yield GaugeMetricFamily(
            "hocba_outbox_oldest_waiting_seconds",
            "Age of the oldest notification still to send (0: none)",
            value=figures.oldest_waiting_seconds,
        )
        yield GaugeMetricFamily(
            "hocba_signing_batches_open", "Signing batches not ended", value=figures.batches_open
        )
        yield CounterMetricFamily(
            "hocba_documents_signed", "Signing steps stored", value=figures.documents_signed
        )
        records = GaugeMetricFamily("hocba_records", "Record versions by state", labels=["state"])
        for state, count in sorted(figures.records_issued.items()):
            records.add_metric([state], count)
        yield records


class Metrics:
    """This process's counters and the database's state, for /metrics."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._updates = Counter(
            "hocba_updates", "Telegram updates handled", ["kind"], registry=self.registry
        )
        self._latency = Histogram(
            "hocba_update_seconds",
            "Time an update's handlers took, from its turn to their end",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._state = _State()
        self.registry.register(self._state)

    def timer(self, update: object) -> _Timer:
        """Times one update's handling: `with metrics.timer(update): ...`."""
        return _Timer(self, update_kind(update))

    def observe(self, kind: str, seconds: float) -> None:
        self._updates.labels(kind).inc()
        self._latency.observe(seconds)

    async def exposition(self) -> bytes:
        """The text a Prometheus server scrapes, with the database's figures read now."""
        self._state.figures = await state_figures(clock.now())
        return generate_latest(self.registry)


class _Timer:
    def __init__(self, metrics: Metrics, kind: str) -> None:
        self._metrics, self._kind = metrics, kind
        self._start = 0.0

    def __enter__(self) -> None:
        self._start = time.perf_counter()

    def __exit__(self, *_exc: object) -> None:
        self._metrics.observe(self._kind, time.perf_counter() - self._start)
