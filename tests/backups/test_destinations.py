"""Backup destinations: a local folder and an S3 bucket (moto's server, through minio), each
written whole or not at all, and every failure a school can meet told in one sentence that
names the destination."""

from __future__ import annotations

import json
import os
import resource
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from minio import Minio

from core.errors import HocbaError, InvalidValue, NotFound
from core.services.backups.destinations import (
    ARCHIVE_SUFFIX,
    LocalFolder,
    S3Bucket,
    S3Settings,
    destination,
)
from tests.backups.s3_server import S3Store

NAME = "hocba-THCS01-20250630T193000Z.tar.gz"
OTHER = "hocba-THCS01-20250701T193000Z.tar.gz"


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    """An archive-sized file of bytes that no short copy or truncation could reproduce."""
    path = tmp_path / "made" / NAME
    path.parent.mkdir()
    path.write_bytes(os.urandom(3 * 1024 * 1024 + 17))
    return path


def _round_trip(place, archive: Path, tmp_path: Path) -> None:
    """put, names, fetch (byte-identical), delete: what the backup job and a restore do."""
    assert place.names() == []
    place.put(archive, NAME)
    place.put(archive, OTHER)
    assert place.names() == [NAME, OTHER]
    target = tmp_path / "restore" / "here.tar.gz"
    place.fetch(NAME, target)
    assert target.read_bytes() == archive.read_bytes()
    assert [p.name for p in target.parent.iterdir()] == ["here.tar.gz"]  # no temporary left
    place.delete(NAME)
    place.delete(NAME)  # already gone: nothing to do, no error
    assert place.names() == [OTHER]
    with pytest.raises(NotFound, match=NAME):
        place.fetch(NAME, tmp_path / "gone.tar.gz")
    assert not (tmp_path / "gone.tar.gz").exists()


# --- local folders ---------------------------------------------------------------------------


def test_local_folder_round_trip(archive: Path, tmp_path: Path) -> None:
    folder = tmp_path / "backups" / "nightly"  # not made yet: names() is empty, put makes it
    place = destination(str(folder), S3Settings())
    assert isinstance(place, LocalFolder)
    assert place.label == str(folder)
    _round_trip(place, archive, tmp_path)
    assert sorted(p.name for p in folder.iterdir()) == [OTHER]


def test_local_folder_lists_only_archives(archive: Path, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    place = LocalFolder(folder)
    place.put(archive, NAME)
    (folder / "notes.txt").write_text("not an archive")
    (folder / f".{NAME}.abc.part").write_bytes(b"half")  # a temporary of a crashed copy
    (folder / f"dir{ARCHIVE_SUFFIX}").mkdir()
    assert place.names() == [NAME]


def test_read_only_folder(archive: Path, tmp_path: Path) -> None:
    """A folder the server's account cannot write to. root ignores permissions, so as root the
    same failure comes from a folder path that runs through a regular file."""
    if os.geteuid() == 0:
        blocker = tmp_path / "mounted"
        blocker.write_text("a file where a folder was expected")
        folder = blocker / "backups"
    else:
        folder = tmp_path / "readonly"
        folder.mkdir()
        folder.chmod(0o500)
    place = LocalFolder(folder)
    try:
        with pytest.raises(HocbaError) as raised:
            place.put(archive, NAME)
        message = str(raised.value)
        assert str(folder) in message and "hãy" in message
        assert "\n" not in message and "Traceback" not in message
        if os.geteuid() == 0:
            assert blocker.read_text() == "a file where a folder was expected"
        else:
            assert list(folder.iterdir()) == []  # neither the archive nor a temporary
    finally:
        if folder.is_dir():
            folder.chmod(0o700)


_PUT_IN_CHILD = """
import json, sys
from pathlib import Path
from core.errors import HocbaError
from core.services.backups.destinations import LocalFolder
try:
    LocalFolder(Path(sys.argv[1])).put(Path(sys.argv[2]), sys.argv[3])
except HocbaError as error:
    print(json.dumps(str(error)))
"""


def _small_file_limit() -> None:
    """In the child only: files may not grow past 1 MiB, so the copy fails half-way like on a
    full disk (EFBIG rather than ENOSPC: Python ignores SIGXFSZ, the write returns the error)."""
    resource.setrlimit(resource.RLIMIT_FSIZE, (1024 * 1024, resource.RLIM_INFINITY))


def test_disk_full_half_way(archive: Path, tmp_path: Path) -> None:
    """A copy that fails after a megabyte leaves neither the archive nor its temporary."""
    folder = tmp_path / "small-disk"
    child = subprocess.run(
        [sys.executable, "-c", _PUT_IN_CHILD, str(folder), str(archive), NAME],
        capture_output=True,
        text=True,
        preexec_fn=_small_file_limit,
        cwd=Path(__file__).resolve().parents[2],
        check=True,
        timeout=60,
    )
    message = json.loads(child.stdout)
    assert "ổ đĩa đã đầy" in message and str(folder) in message
    assert folder.is_dir() and list(folder.iterdir()) == []


def test_folder_that_is_a_file(archive: Path, tmp_path: Path) -> None:
    path = tmp_path / "backup.img"
    path.write_bytes(b"someone's disk image")
    place = LocalFolder(path)
    with pytest.raises(HocbaError, match="không phải là một thư mục") as raised:
        place.put(archive, NAME)
    assert str(path) in str(raised.value)
    assert path.read_bytes() == b"someone's disk image"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["backup.img", "made"]
    with pytest.raises(HocbaError, match="không phải là một thư mục"):
        place.names()


def test_names_that_are_not_archives_are_refused(archive: Path, tmp_path: Path) -> None:
    place = LocalFolder(tmp_path / "backups")
    for name in ("../escape.tar.gz", "notes.txt", ".hidden.tar.gz", "a/b.tar.gz"):
        with pytest.raises(InvalidValue):
            place.put(archive, name)
    assert not (tmp_path / "escape.tar.gz").exists()
    assert not (tmp_path / "backups").exists()


# --- S3 ---------------------------------------------------------------------------------------


def test_s3_round_trip(
    s3_server: S3Settings, s3_bucket: str, archive: Path, tmp_path: Path
) -> None:
    place = destination(f"s3://{s3_bucket}/truong/thcs01/", s3_server)
    assert isinstance(place, S3Bucket)
    assert place.label == f"s3://{s3_bucket}/truong/thcs01"
    _round_trip(place, archive, tmp_path)


def test_s3_without_prefix(
    s3_server: S3Settings, s3_bucket: str, archive: Path, tmp_path: Path
) -> None:
    place = destination(f"s3://{s3_bucket}", s3_server)
    assert place.label == f"s3://{s3_bucket}"
    _round_trip(place, archive, tmp_path)


def test_s3_lists_only_archives_under_the_prefix(
    s3_store: S3Store, s3_bucket: str, archive: Path
) -> None:
    place = destination(f"s3://{s3_bucket}/nightly", s3_store.writer)
    place.put(archive, NAME)
    client: Minio = s3_store.client()
    for key in ("nightly/notes.txt", "nightly/old/" + OTHER, "weekly/" + OTHER, OTHER):
        client.fput_object(s3_bucket, key, str(archive))
    assert place.names() == [NAME]
    assert destination(f"s3://{s3_bucket}", s3_store.writer).names() == [OTHER]


def test_s3_missing_bucket(s3_server: S3Settings, archive: Path) -> None:
    place = destination("s3://no-such-bucket/x", s3_server)
    for operation in (lambda: place.put(archive, NAME), place.names):
        with pytest.raises(HocbaError, match="không có bucket «no-such-bucket»") as raised:
            operation()
        assert "s3://no-such-bucket/x" in str(raised.value)
        assert "hãy tạo bucket" in str(raised.value)


def test_s3_wrong_keys(s3_server: S3Settings, s3_bucket: str, archive: Path) -> None:
    for wrong in (
        S3Settings(s3_server.endpoint, "AKIANOTAKEY", "secret", s3_server.region),
        S3Settings(s3_server.endpoint, s3_server.access_key, "not-the-secret", s3_server.region),
    ):
        place = destination(f"s3://{s3_bucket}/p", wrong)
        with pytest.raises(HocbaError, match="không nhận khóa truy cập") as raised:
            place.put(archive, NAME)
        assert f"s3://{s3_bucket}/p" in str(raised.value)
        assert "s3_access_key" in str(raised.value)
    assert destination(f"s3://{s3_bucket}/p", s3_server).names() == []


def test_s3_bucket_that_refuses_writes(
    s3_server: S3Settings, s3_read_only: S3Settings, s3_bucket: str, archive: Path
) -> None:
    destination(f"s3://{s3_bucket}", s3_server).put(archive, OTHER)
    place = destination(f"s3://{s3_bucket}", s3_read_only)
    assert place.names() == [OTHER]  # reading is allowed
    with pytest.raises(HocbaError, match="không cho phép ghi") as raised:
        place.put(archive, NAME)
    assert f"s3://{s3_bucket}" in str(raised.value)
    with pytest.raises(HocbaError, match="không cho phép xóa"):
        place.delete(OTHER)
    assert place.names() == [OTHER]


def test_s3_unreachable_endpoint(archive: Path) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = S3Settings(f"http://127.0.0.1:{port}", "key", "secret", "us-east-1")
    place = destination("s3://backups/p", settings)
    with pytest.raises(HocbaError, match="Không kết nối được") as raised:
        place.put(archive, NAME)
    assert f"127.0.0.1:{port}" in str(raised.value) and "s3://backups/p" in str(raised.value)


def test_s3_needs_an_endpoint() -> None:
    with pytest.raises(InvalidValue, match=r"\[backup\] s3_endpoint"):
        destination("s3://b/p", S3Settings())
    with pytest.raises(InvalidValue, match="https://"):
        destination("s3://bucket/p", S3Settings(endpoint="s3.example.vn"))
    with pytest.raises(InvalidValue, match="tên bucket"):
        destination("s3://Not_A_Bucket/p", S3Settings(endpoint="https://s3.example.vn"))


def test_secret_key_stays_out_of_repr() -> None:
    assert "hunter2" not in repr(S3Settings("https://s3.example.vn", "AKIA", "hunter2"))


def test_s3_multipart_upload(s3_store: S3Store, s3_bucket: str, tmp_path: Path) -> None:
    """An archive past 5 MiB goes up in parts, and the object appears whole once they are in."""
    big = tmp_path / NAME
    big.write_bytes(os.urandom(11 * 1024 * 1024 + 5))
    place = destination(f"s3://{s3_bucket}/big", s3_store.writer)
    place.put(big, NAME)
    assert place.names() == [NAME]
    etag = s3_store.client().stat_object(s3_bucket, f"big/{NAME}").etag or ""
    assert etag.endswith("-3")  # S3 marks an object completed from three parts
    place.fetch(NAME, tmp_path / "back.tar.gz")
    assert (tmp_path / "back.tar.gz").read_bytes() == big.read_bytes()
