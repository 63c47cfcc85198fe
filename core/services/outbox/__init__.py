"""The notification outbox: enqueue with the change, deliver later, never lose, never double.

Callers enqueue INSIDE the transaction of the change that causes the notification (`enqueue`,
`notify_staff`). A delivery job (jobs.outbox) then moves each row through these states
(`claims`, `failures`, `waiting`), every step a conditional UPDATE:

    PENDING --claim--> SENDING (leased) --Telegram answers--> SENT
                        |  lease expires (worker died): claimable again
                        |-- transient error --> PENDING at now + backoff (or 429 retry_after)
                        |-- blocked / rejected / attempts exhausted --> FAILED (+ audit, alert)
    staff without a linked Telegram account: WAITING_LINK until `release_for(staff)`.
    when they arrive (sign in, unblock): WAITING_LINK, or FAILED as blocked --> PENDING,
                        or LAPSED when it expired or no longer applies (`lapse`): never
                        sent, summed up in one line for the person instead.

Only transitions that matter to people are audited: a notification given up (with why) and a
release when its recipient arrives (with what lapsed). A successful send is not: the row
itself records `sent_at` and the Telegram message id, and one audit event per message of a
2,000-teacher reminder round would flood the log that people read to find what changed.

The core knows nothing about Telegram: the job classifies Telegram's answers and calls
`mark_sent`, `retry_later` or `fail`.

Every public name is importable from `core.services.outbox` itself.
"""

from core.services.outbox.claims import (
    DEFAULT_POLICY,
    Claim,
    Policy,
    claim_due,
    mark_sent,
    recipient_chat,
)
from core.services.outbox.doorbell import Doorbell
from core.services.outbox.enqueue import (
    CALLBACK_DATA_MAX_BYTES,
    Attachment,
    Button,
    Keyboard,
    enqueue,
    notify_each,
    notify_staff,
)
from core.services.outbox.failures import ACTOR, ALERT_KIND, EXCERPT_LENGTH, fail, retry_later
from core.services.outbox.lapse import describe
from core.services.outbox.reach import Delivery, Reach, deliveries
from core.services.outbox.waiting import (
    ARRIVAL_KIND,
    Arrival,
    release_for,
    tell_lapsed,
)

__all__ = [
    "ACTOR",
    "ALERT_KIND",
    "ARRIVAL_KIND",
    "CALLBACK_DATA_MAX_BYTES",
    "DEFAULT_POLICY",
    "EXCERPT_LENGTH",
    "Arrival",
    "Attachment",
    "Button",
    "Claim",
    "Delivery",
    "Doorbell",
    "Keyboard",
    "Policy",
    "Reach",
    "claim_due",
    "deliveries",
    "describe",
    "enqueue",
    "fail",
    "mark_sent",
    "notify_each",
    "notify_staff",
    "recipient_chat",
    "release_for",
    "retry_later",
    "tell_lapsed",
]
