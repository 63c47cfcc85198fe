"""What a running front end (the bot, its jobs, the web server) works with, built once.

`bot.bootstrap` reads the configuration, opens what must be opened and hands this one typed
object to every handler (as `context.runtime`) and every job (as an argument), so nothing else
reads the configuration or keeps settings of its own, and a test builds one the same way.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from core.leader import Leadership
from core.services.backups.making import BackupPlan
from core.services.issuance.runner import BatchRunner
from core.services.lookup_codes import Portal
from core.services.outbox import Doorbell
from core.services.reminders import QuietHours
from core.signing.backends import SigningSettings
from core.storage import FileStore
from core.workers import WorkerPool


class Role(StrEnum):
    """What one `hocba serve` process does (`--role`). ALL is the embedded default and
    SQLite's only way; on PostgreSQL a deployment splits the work:

    - BOT, exactly one: takes Telegram's updates (polling, or the webhook on its own port)
      and answers them; conversations live in the database; signing batches it starts are
      handed to the workers;
    - WORKER, one or more: the outbox (sent by the scheduler's leader alone, so one process
      owns the token's sending rate), signing batches, and the scheduled rounds (the leader's);
    - WEB, one or more behind the reverse proxy: the portal and the families' page.
    """

    ALL = "all"
    BOT = "bot"
    WORKER = "worker"
    WEB = "web"

    @property
    def takes_updates(self) -> bool:
        return self in (Role.ALL, Role.BOT)

    @property
    def works(self) -> bool:
        """Runs the jobs: the outbox, signing batches, the scheduled rounds."""
        return self in (Role.ALL, Role.WORKER)


@dataclass(frozen=True)
class Runtime:
    """The served school, where files live, how people sign (and the runner of their signing
    batches), when not to write to them, which zone the school is in, and where CPU-heavy work
    runs."""

    school_id: int | None  # the school this deployment serves; None: every school in the DB
    files: FileStore
    signing: SigningSettings
    trust_roots: tuple[Path, ...]
    quiet: QuietHours
    zone: dt.tzinfo
    workers: WorkerPool
    batches: BatchRunner
    portal: Portal  # where records' QR codes lead ([web] public_url)
    backup: BackupPlan  # what backups take, where they go, what is kept ([backup])
    leader: Leadership  # whether this process runs the scheduled rounds (core.leader)
    trust_crls: tuple[Path, ...] = ()  # revocation lists the verifier checks ([trust] crls)
    # rung where a change has committed, so its notifications leave at once (outbox.doorbell)
    doorbell: Doorbell = field(default_factory=Doorbell)
    role: Role = Role.ALL
