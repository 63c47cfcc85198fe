"""The school's seal on the minutes of a correction when it lives on a PKCS#11 token (SoftHSM2),
checked by pdfsig and pyhanko's validator.

The sealing task runs in a process of its own, as in the worker pool: a PKCS#11 session belongs
to the process that opened it, and the task keeps its key open for the process's life. It is a
fresh (spawned) process here, because the worker pool's processes come from a forkserver that
may have started before this token existed (SoftHSM2 finds tokens through SOFTHSM2_CONF).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import multiprocessing
import subprocess
from concurrent.futures import ProcessPoolExecutor

import pytest

from core.signing.backends import SigningSettings
from core.signing.pdf_verify import verify_pdf
from core.signing.worker import seal_minutes
from demo.pki import Issued
from tests.corrections.test_minutes_seal import facts
from tests.signing.conftest import SCHOOL, tool


@pytest.mark.poppler
async def test_the_minutes_sealed_with_the_token(
    softhsm_token: SigningSettings, ca: Issued, tmp_path
) -> None:
    now = dt.datetime.now(dt.UTC)
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as process:
        sealed = await asyncio.get_running_loop().run_in_executor(
            process, seal_minutes, softhsm_token, SCHOOL.code, facts(), now
        )
    assert (sealed.sealed_by, sealed.problem) == (SCHOOL.name, "")
    path = tmp_path / "bien-ban.pdf"
    path.write_bytes(sealed.pdf)
    out = subprocess.run(
        [tool("pdfsig"), "-nocert", str(path)], capture_output=True, text=True, check=False
    ).stdout
    assert out.count("Signature Validation: Signature is Valid.") == 1 and SCHOOL.name in out
    reports = await verify_pdf(sealed.pdf, [ca.certificate])
    assert [(r.signer, r.ok) for r in reports] == [(SCHOOL.name, True)]
