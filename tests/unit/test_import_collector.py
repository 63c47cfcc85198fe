"""The cyclic garbage collector is paused while imports run, and only while they run."""

from __future__ import annotations

import gc

from core.importing import _collector_paused


def test_paused_until_the_last_import_ends_then_resumed() -> None:
    assert gc.isenabled()
    first, second = _collector_paused(), _collector_paused()
    first.__enter__()
    second.__enter__()  # another person's import, interleaved on the event loop
    first.__exit__(None, None, None)
    assert not gc.isenabled()  # the second import still runs
    second.__exit__(None, None, None)
    assert gc.isenabled()


def test_resumed_after_an_import_that_fails() -> None:
    try:
        with _collector_paused():
            raise ValueError("a row")
    except ValueError:
        pass
    assert gc.isenabled()


def test_a_collector_paused_elsewhere_stays_paused() -> None:
    gc.disable()
    try:
        with _collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
