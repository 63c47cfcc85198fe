"""A consistent copy of the database while the school works, and putting one back.

SQLite: the online backup API (sqlite3.Connection.backup), which copies a consistent state while
other connections write. PostgreSQL: `pg_dump --format=custom` of the deployment's schema, and
`pg_restore` into an empty one. Both run as plain functions in a worker process or a thread,
never on the bot's event loop.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from core.db import postgres_dsn
from core.errors import HocbaError, InvalidValue
from core.i18n import _
from core.storage import write_atomically


def kind_of(url: str) -> str:
    return "sqlite" if url.startswith("sqlite://") else "postgres"


def _sqlite_path(url: str) -> Path:
    return Path(url.removeprefix("sqlite://").partition("?")[0])


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise HocbaError(
            _(
                "Không có lệnh {name} trên máy chủ: cần cài gói postgresql-client (cùng phiên bản "
                "với máy chủ PostgreSQL) để sao lưu và khôi phục."
            ).format(name=name)
        )
    return path


def _run(command: list[str], what: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise HocbaError(
            _("{what} không thành công: {error}").format(
                what=what, error=(done.stderr.strip().splitlines() or ["?"])[-1]
            )
        )


def snapshot(url: str, target: Path) -> None:
    """A consistent copy of the database at `url`, written to `target`."""
    if kind_of(url) == "sqlite":
        source = sqlite3.connect(f"file:{_sqlite_path(url)}?mode=ro", uri=True)
        copy = sqlite3.connect(target)
        try:
            with copy:
                source.backup(copy)
        finally:
            copy.close()
            source.close()
        return
    address, schema = postgres_dsn(url)
    command = [_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges"]
    command += [f"--schema={schema}"] if schema else []
    _run([*command, f"--file={target}", f"--dbname={address}"], "pg_dump")


def _sqlite_tables(path: Path) -> int:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return connection.execute(
            "SELECT count(*) FROM sqlite_master WHERE type='table'"
        ).fetchone()[0]
    finally:
        connection.close()


def _not_empty(where: str) -> InvalidValue:
    return InvalidValue(
        _(
            "Cơ sở dữ liệu {where} không trống: chỉ khôi phục vào một cơ sở dữ liệu trống, để "
            "không trộn hai bản dữ liệu. Hãy chỉ [database] url tới một tệp hoặc lược đồ mới."
        ).format(where=where)
    )


def ensure_empty(url: str) -> None:
    """Refuse (InvalidValue) a database that holds anything: a restore never merges."""
    if kind_of(url) == "sqlite":
        path = _sqlite_path(url)
        if path.exists() and path.stat().st_size and _sqlite_tables(path):
            raise _not_empty(str(path))
        return
    address, schema = postgres_dsn(url)
    query = "SELECT count(*) FROM information_schema.tables WHERE table_schema = " + (
        f"'{schema}'" if schema else "current_schema()"
    )
    done = subprocess.run(
        [_tool("psql"), "--no-psqlrc", "--tuples-only", "--command", query, address],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise HocbaError(
            _("Không kiểm tra được cơ sở dữ liệu PostgreSQL: {error}").format(
                error=done.stderr.strip()
            )
        )
    if int(done.stdout.strip() or 0):
        raise _not_empty(schema or address.rpartition("/")[2])


def restore(url: str, source: Path) -> None:
    """Put the snapshot `source` into the empty database at `url`."""
    ensure_empty(url)
    if kind_of(url) == "sqlite":
        with source.open("rb") as snapshot_file:
            write_atomically(snapshot_file, _sqlite_path(url))
        return
    address, _schema = postgres_dsn(url)  # objects return to the schema they were dumped from
    listing = subprocess.run(
        [_tool("pg_restore"), "--list", str(source)], capture_output=True, text=True, check=True
    ).stdout
    # The schema itself exists already (empty): restore what is in it, not its CREATE SCHEMA.
    wanted = source.with_suffix(".list")
    wanted.write_text(
        "\n".join(line for line in listing.splitlines() if " SCHEMA " not in line) + "\n"
    )
    _run(
        [
            _tool("pg_restore"),
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--use-list={wanted}",
            f"--dbname={address}",
            str(source),
        ],
        "pg_restore",
    )
