"""Remote signing through CSC v1 against certomancer-csc-dummy: the principal signs the class
with ONE authorisation for all its records; a refusal or a timeout signs nothing; a restart
between the authorisation and signHash resumes from the database."""

from __future__ import annotations

import dataclasses
import datetime as dt
import subprocess

import aiohttp
import pytest

from bot.cli_signing import issue_class
from core import clock
from core.models import (
    BatchState,
    IssuedRecord,
    Role,
    SignatureRole,
    SigningBatch,
    Staff,
)
from core.services import issuance
from core.services.access import Actor
from core.services.issuance import batches
from core.signing.csc import CscClient, RemoteRefused
from tests.signing.conftest import tool
from tests.signing.csc_server import register_remote_certificate, start_csc
from tests.signing.oracles import xmlsec_verify


async def _principal_batch(demo, runtime, server, session) -> tuple[SigningBatch, CscClient]:
    """Everything signed up to the principal, then the principal's batch prepared remotely."""
    _config, school, school_class = demo
    await issue_class(runtime, school, school_class, stop_before=SignatureRole.PRINCIPAL)
    principal = await Staff.get(school=school, roles__role=Role.PRINCIPAL)
    client = CscClient(session, server.url)
    credential = await client.credential(school.code, principal.code)
    batch = await issuance.start_batch(
        await Actor.of_staff(principal), school_class, SignatureRole.PRINCIPAL, "csc"
    )
    claimed = await batches.claim(batch.id)
    assert claimed is not None
    return await issuance.prepare_remote(claimed, credential, runtime.workers), client


async def _records(demo) -> list[IssuedRecord]:
    return await IssuedRecord.filter(school_class=demo[2]).order_by("id")


@pytest.mark.xmlsec1
@pytest.mark.poppler
async def test_whole_class_with_one_authorisation(demo, runtime, csc, tmp_path):
    async with aiohttp.ClientSession() as session:
        batch, client = await _principal_batch(demo, runtime, csc, session)
        batch = await issuance.complete_remote(batch, client, 10, runtime.workers)
    records = await _records(demo)
    assert batch.state is BatchState.DONE and batch.done == len(records) == 40
    assert csc.control.authorisations == [2 * len(records)]  # XML + PDF of each record, once
    assert all(r.next_role is SignatureRole.SEAL for r in records)
    xml_path, pdf_path = tmp_path / "r.xml", tmp_path / "r.pdf"
    xml_path.write_bytes(records[0].xml)
    pdf_path.write_bytes(records[0].pdf or b"")
    demo_ca = demo[0].signing.pkcs12_dir / "ca.pem"
    for sig_id, root in (("chuky-ht", csc.root_file), ("chuky-gvcn", demo_ca)):
        assert xmlsec_verify(xml_path, root, sig_id), sig_id
    out = subprocess.run(
        [tool("pdfsig"), "-nocert", str(pdf_path)], capture_output=True, text=True, check=False
    ).stdout
    assert out.count("Signature Validation: Signature is Valid.") == 1


async def test_refusal_signs_nothing(demo, runtime, csc):
    csc.control.answer = "refuse"
    async with aiohttp.ClientSession() as session:
        batch, client = await _principal_batch(demo, runtime, csc, session)
        before = [(r.xml, r.pdf) for r in await _records(demo)]
        with pytest.raises(RemoteRefused, match="từ chối"):
            await issuance.complete_remote(batch, client, 10, runtime.workers)
    batch = await SigningBatch.get(id=batch.id)
    assert batch.state is BatchState.REFUSED and "chưa ký học bạ nào" in batch.message
    assert [(r.xml, r.pdf) for r in await _records(demo)] == before
    assert all(r.next_role is SignatureRole.PRINCIPAL for r in await _records(demo))


async def test_timeout_signs_nothing(demo, runtime, csc):
    csc.control.answer = "wait"
    async with aiohttp.ClientSession() as session:
        batch, client = await _principal_batch(demo, runtime, csc, session)
        with pytest.raises(RemoteRefused, match="Hết thời gian"):
            await issuance.complete_remote(batch, client, 0.5, runtime.workers)
    assert (await SigningBatch.get(id=batch.id)).state is BatchState.REFUSED
    assert all(r.next_role is SignatureRole.PRINCIPAL for r in await _records(demo))


class _Crash(Exception):
    """The process dies after the approval, before signHash."""


class _CrashingClient(CscClient):
    async def sign_hashes(self, credential_id, sad, hashes):
        raise _Crash


async def test_restart_between_authorisation_and_signing_resumes(demo, runtime, csc):
    async with aiohttp.ClientSession() as session:
        batch, client = await _principal_batch(demo, runtime, csc, session)
        crashing = _CrashingClient(session, csc.url)
        with pytest.raises(_Crash):
            await issuance.complete_remote(batch, crashing, 10, runtime.workers)
        stored = await SigningBatch.get(id=batch.id)  # what a restarted process finds
        assert stored.state is BatchState.AWAITING and stored.remote.get("sad")
        assert await batches.claim(batch.id) is None  # the dead process's lease still holds
        clock.set_time(clock.now() + dt.timedelta(minutes=10))
        try:
            restarted = await batches.claim(batch.id)
            assert restarted is not None
            done = await issuance.complete_remote(restarted, client, 10, runtime.workers)
        finally:
            clock.set_time(None)
    assert done.state is BatchState.DONE
    assert len(csc.control.authorisations) == 1  # no second approval asked
    assert all(r.next_role is SignatureRole.SEAL for r in await _records(demo))


async def _through_the_runner(demo, runtime, csc, client: tuple[str, str]) -> SigningBatch:
    """The principal's batch as the bot runs it: the runner asks the service for the person's
    credential with the school's client credentials, then for one approval."""
    _config, school, school_class = demo
    await issue_class(runtime, school, school_class, stop_before=SignatureRole.PRINCIPAL)
    principal = await Staff.get(school=school, roles__role=Role.PRINCIPAL)
    signing = dataclasses.replace(
        runtime.signing,
        csc_url=csc.url,
        csc_client_id=client[0],
        csc_client_secret=client[1],
        people={principal.code: "csc"},
    )
    started = await issuance.begin(
        await Actor.of_staff(principal), school_class.id, SignatureRole.PRINCIPAL, signing
    )
    assert started.backend == "csc"
    runner = issuance.BatchRunner(signing, runtime.workers, approval_wait=10)
    batch = await runner.run(started.id)
    assert batch is not None
    return batch


CLIENT = ("hocba-thcs", "bí-mật")


@pytest.fixture
async def closed_csc(demo, tmp_path, workers):
    """A CSC service open only to the school's client credentials (CLIENT), the principal's
    credential registered from it."""
    _config, school, _class = demo
    principal = await Staff.get(school=school, roles__role=Role.PRINCIPAL)
    server = await start_csc(
        tmp_path / "csc", {principal.code: principal.full_name}, school.name, school.code, CLIENT
    )
    await register_remote_certificate(server, school.id, principal.code, workers, CLIENT)
    yield server
    await server.stop()


async def test_the_service_is_called_with_the_schools_client_credentials(demo, runtime, closed_csc):
    batch = await _through_the_runner(demo, runtime, closed_csc, CLIENT)
    assert batch.state is BatchState.DONE and batch.done == 40
    assert closed_csc.control.authorisations == [80]


async def test_wrong_client_credentials_sign_nothing_and_say_why(demo, runtime, closed_csc):
    batch = await _through_the_runner(demo, runtime, closed_csc, (CLIENT[0], "sai"))
    assert batch.state is BatchState.FAILED and "client_id" in batch.message
    assert closed_csc.control.authorisations == []
    assert all(r.next_role is SignatureRole.PRINCIPAL for r in await _records(demo))
