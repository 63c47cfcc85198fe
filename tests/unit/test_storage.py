"""The content-addressed file store."""

from __future__ import annotations

import pytest

from core.errors import InvalidValue, NotFound
from core.storage import FileStore, sha256


def test_put_get_once(tmp_path) -> None:
    store = FileStore(tmp_path)
    digest = store.put(b"bai kiem tra")
    assert digest == sha256(b"bai kiem tra") and store.exists(digest)
    assert store.put(b"bai kiem tra") == digest  # stored once
    assert store.get(digest) == b"bai kiem tra"
    assert len(list(tmp_path.rglob("*"))) == 2  # one fan-out directory, one file


def test_damaged_or_missing_or_bad_name(tmp_path) -> None:
    store = FileStore(tmp_path)
    digest = store.put(b"so diem ca nhan")
    (tmp_path / digest[:2] / digest).write_bytes(b"edited")
    with pytest.raises(InvalidValue, match="bị hỏng"):
        store.get(digest)
    with pytest.raises(NotFound):
        store.get("0" * 64)
    with pytest.raises(NotFound):
        store.get("../../etc/passwd")
