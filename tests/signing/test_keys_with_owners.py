"""Keys stay with their owners (regulation 001 Điều 8.3, 11.1, 32.1; 004 Điều 9.4).

In production each person signs their own step: through the remote signing service, approving
in their own app (CSC, a real server on loopback), or with their own token, typing its PIN at
`hocba sign`. `hocba issue` then only seals and issues what the people signed, with the
school's seal on a token (SoftHSM2), operated by the clerk, or by the admin the school gives
that role. Every signature's audit event names the person who approved it, with the backend
and the key; nobody who did nothing appears in the log.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from bot.bootstrap import trust_roots
from bot.config import load_config
from core.models import (
    AuditEvent,
    BatchState,
    IssuedRecord,
    RecordState,
    Role,
    SignatureRole,
    SigningBatch,
    SigningCertificate,
    Staff,
    TeachingAssignment,
)
from core.services import certificates, issuance, roster
from core.services.access import Actor
from core.services.issuance import BatchRunner
from core.services.issuance.prepare import waiting_documents
from core.signing.backends import SEAL_CODE, SigningSettings, open_signer, signer_code
from core.signing.keys import SignerUnavailable
from core.workers import WorkerPool
from demo.pki import Issued, issue, load_or_make_ca, make_ca, pem
from tests.portal import PORTAL
from tests.signing import softhsm
from tests.signing.conftest import ISSUING_2025_2026
from tests.signing.csc_server import CscServer, start_csc
from tests.signing.oracles import xmlsec_verify

SEAL_TOKEN, OWN_TOKEN = "hocba-con-dau", "token-ca-nhan"
SEAL_PIN, OWN_PIN = "2468", "1357"
VALID_FROM = ISSUING_2025_2026 - dt.timedelta(days=30)  # the certificates made here


@dataclass(frozen=True)
class Tokens:
    module: str
    conf: Path
    seal: Issued  # the school's seal, on the token


@pytest.fixture
def tokens(demo, demo_keys: Path, tmp_path: Path) -> Iterator[Tokens]:
    """Two SoftHSM2 tokens in one configuration: the school's seal (label SEAL on the token
    `hocba-con-dau`, certificate from the demo's CA), and the homeroom teacher's own token,
    whose key has a label of its own (as a provider's token has)."""
    _config, school, _class = demo
    reason = softhsm.missing()
    if reason:
        pytest.skip(reason)
    before = os.environ.get("SOFTHSM2_CONF")
    ca = load_or_make_ca(demo_keys)
    seal = issue(ca, school.name, school.name, not_before=VALID_FROM)
    directory = tmp_path / "softhsm"
    token = softhsm.make_token(directory, {SEAL_CODE: seal}, SEAL_TOKEN, SEAL_PIN)
    yield Tokens(token.module, token.conf, seal)
    if before is None:  # make_token points this process at the new tokens: put it back
        os.environ.pop("SOFTHSM2_CONF", None)
    else:
        os.environ["SOFTHSM2_CONF"] = before


def own_token(tokens: Tokens, demo_keys: Path, name: str, school: str) -> Issued:
    """The person's own token, in the same SoftHSM2 configuration, their key under the label
    «Chữ ký số» (not their staff code)."""
    before = os.environ.get("SOFTHSM2_CONF")
    person = issue(
        load_or_make_ca(demo_keys), name, school, "Giáo viên chủ nhiệm", not_before=VALID_FROM
    )
    softhsm.make_token(tokens.conf.parent, {"Chữ ký số": person}, OWN_TOKEN, OWN_PIN)
    if before is not None:
        os.environ["SOFTHSM2_CONF"] = before
    return person


async def register(
    demo, remote: CscServer, tokens: Tokens, workers: WorkerPool, **own: Issued
) -> None:
    """Each signer's certificate in the school's register, as when their key was set up (a
    record names its signers' certificates): the remote service's credential for each person,
    the own token's certificate for `own` (staff code → its certificate), the seal's."""
    config, school, school_class = demo
    admin = Actor.command_line(school.id)
    roots = [remote.root, load_or_make_ca(config.signing.pkcs12_dir).certificate]
    settings = production(remote, tokens)
    for group in (await signers(school_class)).values():
        for person in group:
            if person.code not in own:
                await certificates.register_from_key(admin, person.code, settings, workers, roots)
    for code, issued in own.items():
        await certificates.register(admin, code, issued.certificate, "pkcs11", roots)
    await certificates.register(admin, SEAL_CODE, tokens.seal.certificate, "pkcs11", roots)


async def signers(school_class) -> dict[SignatureRole, list[Staff]]:
    teachers = await Staff.filter(
        id__in=await TeachingAssignment.filter(school_class=school_class)
        .distinct()
        .values_list("staff_id", flat=True)
    )
    principal = await Staff.get(school_id=teachers[0].school_id, roles__role=Role.PRINCIPAL)
    return {
        SignatureRole.SUBJECT_TEACHER: list(teachers),
        SignatureRole.HOMEROOM: [await Staff.get(id=school_class.homeroom_id)],
        SignatureRole.PRINCIPAL: [principal],
    }


@pytest.fixture
async def remote(demo, demo_keys: Path) -> AsyncIterator[CscServer]:
    """The remote signing service, holding one credential for every person who signs 6A."""
    _config, school, school_class = demo
    people = {
        s.code: s.full_name for group in (await signers(school_class)).values() for s in group
    }
    server = await start_csc(demo_keys / "csc-all", people, school.name, school.code)
    yield server
    await server.stop()


def production(remote: CscServer, tokens: Tokens, **more: object) -> SigningSettings:
    """A school's signing settings: people through the remote service, the seal on a token."""
    return SigningSettings(
        "csc",
        csc_url=remote.url,
        pkcs11_module=tokens.module,
        pkcs11_token_label=SEAL_TOKEN,
        pkcs11_pin=SEAL_PIN,
        **more,  # type: ignore[arg-type]
    )


async def sign_as(
    person: Staff, school_class, role: SignatureRole, settings, workers: WorkerPool
) -> SigningBatch:
    """The person's press of «Ký lớp …» and its batch, run as the bot runs it."""
    actor = await Actor.of_staff(person)
    started = await issuance.begin(actor, school_class.id, role, settings)
    batch = await BatchRunner(settings, workers, approval_wait=10).run(started.id)
    assert batch is not None and batch.state is BatchState.DONE, batch and batch.message
    return batch


def hocba(env: dict[str, str], *argv: str, stdin: str = "") -> subprocess.CompletedProcess:
    """The command on the demo's issuing day (a staging clock, which the log says: that line
    is taken out of stderr, which is left with what the command itself said)."""
    command = [sys.executable, "-m", "bot.cli", "--school", "THCS-DEMO", *argv]
    ran = subprocess.run(
        command,
        env={**env, "HOCBA_STAGING_NOW": ISSUING_2025_2026.strftime("%Y-%m-%d %H:%M")},
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    said = [line for line in ran.stderr.splitlines() if not line.startswith("Đồng hồ thử")]
    ran.stderr = "".join(f"{line}\n" for line in said)
    return ran


def console(sqlite_db: str, tmp_path: Path, tokens: Tokens, **more: str) -> dict[str, str]:
    """The environment of `hocba` on the school's server: production (no demo mode), the
    seal's token configured with its PIN, and no person's key anywhere."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("HOCBA_")}
    return {
        **base,
        "SOFTHSM2_CONF": str(tokens.conf),
        "HOCBA_DATABASE_URL": sqlite_db,
        "HOCBA_STORAGE_DIR": str(tmp_path / "files"),
        "HOCBA_WORKERS_PROCESSES": "1",
        "HOCBA_SIGNING_PKCS11_MODULE": tokens.module,
        "HOCBA_SIGNING_PKCS11_TOKEN_LABEL": SEAL_TOKEN,
        "HOCBA_SIGNING_PKCS11_PIN": SEAL_PIN,
        **more,
    }


async def events_since(seq: int) -> list[AuditEvent]:
    return await AuditEvent.filter(seq__gt=seq).order_by("seq")


async def last_seq() -> int:
    last = await AuditEvent.all().order_by("-seq").first()
    return last.seq if last else 0


@pytest.mark.xmlsec1
async def test_production_issue_seals_only_what_the_people_signed(
    demo, remote, tokens, workers, sqlite_db, tmp_path
):
    _config, school, school_class = demo
    admin = Actor.command_line(school.id)
    await register(demo, remote, tokens, workers)
    await issuance.prepare_class(admin, school_class, workers, PORTAL)
    people = await signers(school_class)
    operator = await Staff.get(school=school, code="GV003")  # an admin, not (yet) the clerk
    env = console(sqlite_db, tmp_path, tokens)

    start = await last_seq()
    ran = hocba(env, "issue", "6A", "--by", operator.code)  # nobody has signed anything
    assert ran.returncode == 1, ran.stderr
    (line,) = ran.stderr.splitlines()
    assert "chưa có học bạ nào đủ chữ ký của mọi người" in line and "không ký thay ai" in line
    assert "Giáo viên bộ môn:" in line and "Giáo viên chủ nhiệm: 40 học bạ" in line
    assert await events_since(start) == []  # nothing done, nobody named
    assert not await SigningBatch.filter(school_class=school_class).exists()
    ran = hocba(env, "issue", "6A")
    assert ran.returncode == 1 and "--by" in ran.stderr

    settings = production(remote, tokens)
    for role in (SignatureRole.SUBJECT_TEACHER, SignatureRole.HOMEROOM, SignatureRole.PRINCIPAL):
        for person in people[role]:
            if await waiting_documents(await Actor.of_staff(person), school_class, role):
                await sign_as(person, school_class, role, settings, workers)
    records = await IssuedRecord.filter(school_class=school_class)
    assert all(r.next_role is SignatureRole.SEAL for r in records) and len(records) == 40

    start = await last_seq()
    ran = hocba(env, "issue", "6A", "--by", operator.code)  # an admin without the clerk role
    assert ran.returncode == 1 and "Chỉ văn thư" in ran.stderr, ran.stderr
    assert len(ran.stderr.splitlines()) == 1
    assert [e.action for e in await events_since(start)] == []

    # 004 Điều 9.4: the school gives its admin the seal; the principal grants the clerk role
    roles = frozenset({Role(r.role) for r in await operator.roles.all()} | {Role.CLERK})
    given = roster.StaffEntry(operator.code, operator.full_name, roles, operator.phone)
    principal = people[SignatureRole.PRINCIPAL][0]
    await roster.write_staff(admin, await school_class.year, [given], decided_by=principal)
    start = await last_seq()
    ran = hocba(env, "issue", "6A", "--by", operator.code)
    assert ran.returncode == 0, ran.stderr
    assert "Lớp 6A: 40 học bạ đã ký đủ và phát hành." in ran.stdout
    assert "trình diễn" not in ran.stdout + ran.stderr
    records = await IssuedRecord.filter(school_class=school_class)
    assert {r.state for r in records} == {RecordState.ISSUED}

    sealing = await events_since(start)
    assert {e.actor for e in sealing} == {f"staff:{operator.id}"}  # only the one who sealed
    seals = [e for e in sealing if e.action == "record.sign"]
    assert len(seals) == 40
    assert {(e.after["role"], e.after["backend"], e.after["key"]) for e in seals} == {
        ("dv", "pkcs11", SEAL_TOKEN)
    }
    assert seals[0].after["approved_by"] == {"code": "GV003", "name": operator.full_name}
    assert "demo" not in seals[0].after
    assert len([e for e in sealing if e.action == "record.issue"]) == 40

    path = tmp_path / "record.xml"
    path.write_bytes(records[0].xml)
    demo_ca = demo[0].signing.pkcs12_dir / "ca.pem"  # the seal's certificate's issuer
    assert xmlsec_verify(path, demo_ca, "chuky-dv")  # the seal the token made
    assert xmlsec_verify(path, remote.root_file, "chuky-ht")  # the principal's, approved remotely


async def test_each_signature_names_the_person_who_approved_it(demo, remote, tokens, workers):
    _config, school, school_class = demo
    await register(demo, remote, tokens, workers)
    await issuance.prepare_class(Actor.command_line(school.id), school_class, workers, PORTAL)
    people = await signers(school_class)
    settings = production(remote, tokens)
    start = await last_seq()
    approvers = {}
    for role in (SignatureRole.SUBJECT_TEACHER, SignatureRole.HOMEROOM):
        for person in people[role]:
            actor = await Actor.of_staff(person)
            if await waiting_documents(actor, school_class, role):
                batch = await sign_as(person, school_class, role, settings, workers)
                approvers[batch.id] = person
    events = await events_since(start)
    assert {e.actor for e in events} == {f"staff:{p.id}" for p in approvers.values()}
    signed = [e for e in events if e.action in ("sheet.sign", "record.sign")]
    assert len([e for e in signed if e.action == "record.sign"]) == 40
    for event in signed:
        person = approvers[event.after["batch"]]
        assert event.actor == f"staff:{person.id}"
        assert event.after["approved_by"] == {"code": person.code, "name": person.full_name}
        assert event.after["backend"] == "csc"
        assert event.after["key"] == f"{school.code}/{person.code}"  # the service's credential
        assert event.after["signer"] == person.full_name  # as the certificate names them
    approvals = [e for e in events if e.action == "batch.approve"]
    assert len(approvals) == len(approvers)  # one approval in the app per batch
    assert {e.after["credential"] for e in approvals} == {
        f"{school.code}/{p.code}" for p in approvers.values()
    }


async def test_a_person_on_their_own_token_signs_only_with_their_pin(
    demo, remote, tokens, workers, demo_keys, sqlite_db, tmp_path
):
    _config, school, school_class = demo
    people = await signers(school_class)
    homeroom = people[SignatureRole.HOMEROOM][0]
    own = own_token(tokens, demo_keys, homeroom.full_name, school.name)
    await register(demo, remote, tokens, workers, **{homeroom.code: own})
    await issuance.prepare_class(Actor.command_line(school.id), school_class, workers, PORTAL)
    settings = production(remote, tokens, people={homeroom.code: "pkcs11"})
    for person in people[SignatureRole.SUBJECT_TEACHER]:  # the homeroom teacher's own: later
        if person.id != homeroom.id and await waiting_documents(
            await Actor.of_staff(person), school_class, SignatureRole.SUBJECT_TEACHER
        ):
            await sign_as(person, school_class, SignatureRole.SUBJECT_TEACHER, settings, workers)

    # from the phone, the server has no PIN of theirs: it says how to sign, and signs nothing
    with pytest.raises(SignerUnavailable, match=f"hocba sign LỚP --as {homeroom.code}"):
        await issuance.begin(
            await Actor.of_staff(homeroom),
            school_class.id,
            SignatureRole.SUBJECT_TEACHER,
            settings,
        )
    assert not await SigningBatch.filter(signer=homeroom).exists()

    config = tmp_path / "config.toml"
    config.write_text(
        f'[signing]\ncsc_url = "{remote.url}"\n[signing.people]\n"{homeroom.code}" = "pkcs11"\n',
        encoding="utf-8",
    )
    env = console(sqlite_db, tmp_path, tokens, HOCBA_CONFIG=str(config))
    wrong = hocba(env, "sign", "6A", "--as", homeroom.code, "--token", OWN_TOKEN, stdin="0000\n")
    assert wrong.returncode == 1 and "sai mã PIN" in wrong.stderr, wrong.stderr
    records = await IssuedRecord.filter(school_class=school_class)
    assert all(r.next_role is SignatureRole.HOMEROOM for r in records)

    start = await last_seq()
    ran = hocba(env, "sign", "6A", "--as", homeroom.code, "--token", OWN_TOKEN, stdin=OWN_PIN)
    assert ran.returncode == 0, ran.stderr
    assert f"{homeroom.full_name} đã ký 40 tài liệu" in ran.stdout
    records = await IssuedRecord.filter(school_class=school_class)
    assert all(r.next_role is SignatureRole.PRINCIPAL for r in records)
    events = await events_since(start)
    assert {e.actor for e in events} == {f"staff:{homeroom.id}"}
    signed = [e for e in events if e.action == "record.sign"]
    assert len(signed) == 40
    assert {(e.after["backend"], e.after["key"]) for e in signed} == {("pkcs11", OWN_TOKEN)}
    assert signed[0].after["approved_by"]["code"] == homeroom.code
    assert OWN_PIN not in str([e.after for e in events])  # the PIN is never kept

    principal = people[SignatureRole.PRINCIPAL][0]  # remote: no token to sign with here
    ran = hocba(env, "sign", "6A", "--as", principal.code, stdin="0000\n")
    assert ran.returncode == 1 and "hãy ký trên điện thoại" in ran.stderr, ran.stderr
    assert all(
        r.next_role is SignatureRole.PRINCIPAL
        for r in await IssuedRecord.filter(school_class=school_class)
    )


async def test_key_files_on_the_server_sign_for_nobody_outside_demo_mode(demo, demo_keys):
    """Settings naming the server's key files (which a configuration outside demo mode cannot
    hold, bot.config) still sign nothing: each person's step and the seal's are refused before
    any batch, and no key file is opened; the same files open in demo mode."""
    config, school, school_class = demo
    people = await signers(school_class)
    clerk = await Staff.get(school=school, roles__role=Role.CLERK)
    password = config.signing.pkcs12_password
    files = SigningSettings("pkcs12", demo_keys, password, seal="pkcs12")
    steps = [(people[role][0], role) for role in people] + [(clerk, SignatureRole.SEAL)]
    for person, role in steps:
        with pytest.raises(SignerUnavailable, match=r"chế độ trình diễn.*Điều 8\.3, 11\.1"):
            await issuance.begin(await Actor.of_staff(person), school_class.id, role, files)
        code = signer_code(person.code, role)
        with (
            pytest.raises(SignerUnavailable, match="chế độ trình diễn"),
            open_signer(files, school.code, code),
        ):
            pass
        with open_signer(dataclasses.replace(files, demo=True), school.code, code) as signer:
            der = signer.certificate.public_bytes(Encoding.DER)
        staff = None if role is SignatureRole.SEAL else person
        assert await SigningCertificate.exists(school=school, staff=staff, der=der, active=True)
    assert not await SigningBatch.exists()


def test_a_school_trusts_only_the_roots_it_names(tmp_path: Path):
    """The demo's CA, kept beside its key files, is trusted in demo mode only: a real school
    trusts the roots its configuration names, and nothing else."""
    (tmp_path / "ca.pem").write_bytes(pem(make_ca().certificate))
    keys = {"HOCBA_SIGNING_PKCS12_DIR": str(tmp_path)}
    assert trust_roots(load_config(environ=keys)) == ()
    shown = load_config(environ={**keys, "HOCBA_DEMO_ENABLED": "true"})
    assert trust_roots(shown) == (tmp_path / "ca.pem",)
