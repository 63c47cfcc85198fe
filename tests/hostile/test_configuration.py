"""A configuration or a path that cannot work stops the program at start with one clear line.

Each case runs the command line in an empty directory with a configuration that cannot work,
and asserts: exit code 2 (a configuration problem), nothing on stdout, stderr exactly one line
holding the expected Vietnamese words (no traceback, no library warning), nothing created (no
database, no file store, no key, in the directory or where the configuration points), and a
time and memory bound that a program reading a device, a huge file or a hanging connection
would break. `serve` runs as `make run` does, `python -m bot.cli serve` in a process of its own
(its peak memory from os.wait4); the other commands run `bot.cli.main` in this process (its
allocations traced by tracemalloc), which costs no interpreter start. Among the cases: a
production configuration with a personal PKCS#12 file (regulation 001 Điều 8.3, 11.1: a
private key stays with its owner), and the school's seal as a file (Điều 11.2).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.cli import main
from demo.pki import make_ca, pem
from tests.telegram_fake.fixtures import free_port

SECONDS = 20.0  # a start that stops on its configuration takes about 2 s here
PEAK_MIB = 250.0  # `serve`'s process: the interpreter and its libraries take about 120 MiB
TRACED_MIB = 20.0  # in this process: what the command allocates (a few MiB at most)


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str
    seconds: float
    peak_mib: float


# Runs a command and writes its peak memory (KiB) to argv[1]. A process's ru_maxrss includes
# the resident size of the process that spawned it (Linux keeps the old image's peak at exec),
# so `hocba` is spawned by this small launcher, not by the test process (large after others).
MEASURED = """import os, subprocess, sys
child = subprocess.Popen(sys.argv[2:])
_pid, status, usage = os.wait4(child.pid, 0)
with open(sys.argv[1], "w") as peak:
    peak.write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def hocba(cwd: Path, env: dict[str, str], *argv: str) -> Ran:
    """`python -m bot.cli ARGV` in `cwd`, killed after the time bound; its own peak memory
    (os.wait4 gives that process's resource usage, its workers' included, not the test's)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("HOCBA_")}
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        peak = Path(tempfile.mkdtemp()) / "peak"
        launcher = [sys.executable, "-I", "-c", MEASURED, str(peak)]
        child = subprocess.Popen(
            [*launcher, sys.executable, "-m", "bot.cli", *argv],
            cwd=cwd,
            env={**base, "HOCBA_TELEGRAM_TOKEN": "123:test", **env},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            start_new_session=True,  # the launcher and `hocba` are killed together
        )
        killer = threading.Timer(SECONDS * 2, os.killpg, (child.pid, signal.SIGKILL))
        killer.start()
        try:
            code = child.wait()
        finally:
            killer.cancel()
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        kib = int(peak.read_text()) if peak.exists() else 0
        shutil.rmtree(peak.parent)
        return Ran(code, out.read().decode(), err.read().decode(), seconds, kib / 1024)


def in_process(cwd: Path, env: dict[str, str], argv: tuple[str, ...], monkeypatch, capsys) -> Ran:
    """`hocba ARGV` through `bot.cli.main` in `cwd`, with only `env` for HOCBA_ settings; the
    peak of what it allocated, by tracemalloc."""
    for name in [n for n in os.environ if n.startswith("HOCBA_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(cwd)
    capsys.readouterr()
    tracemalloc.start()
    started = time.perf_counter()
    try:
        code = main(list(argv))
        seconds = time.perf_counter() - started
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    out, err = capsys.readouterr()
    return Ran(code, out, err, seconds, peak / 2**20)


def tree(*roots: Path) -> list[str]:
    """Every path under `roots`, to tell that nothing was created."""
    return sorted(str(p) for root in roots if root.exists() for p in [root, *root.rglob("*")])


@dataclass
class Place:
    """The empty directory a case runs in, with what the case laid out beforehand."""

    dir: Path
    env: dict[str, str] = field(default_factory=dict)
    watched: list[Path] = field(default_factory=list)  # outside `dir`, must stay as they are

    def file(self, name: str, content: bytes = b"") -> Path:
        path = self.dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        return path

    def folder(self, name: str) -> Path:
        path = self.dir / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def config(self, text: str) -> None:
        self.file("config.toml", text.encode())


@pytest.fixture
def place(tmp_path: Path) -> Iterator[Place]:
    here = tmp_path / "school"
    here.mkdir()
    found = Place(here)
    yield found
    for path in found.dir.rglob("*"):  # undo read-only folders, so pytest can clean up
        if path.is_dir():
            _writable(path)


def _writable(path: Path) -> None:
    if shutil.which("chattr"):
        subprocess.run(["chattr", "-i", str(path)], capture_output=True, check=False)
    path.chmod(0o755)


def read_only(path: Path) -> Path:
    """`path` (a folder) made read-only for this account: no write permission, and for root,
    who ignores permissions, immutable; skipped (failed under CI) where neither holds."""
    path.chmod(0o555)
    if os.geteuid() == 0 and shutil.which("chattr"):
        subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
    if os.access(path, os.W_OK):
        pytest.skip("cannot make a read-only folder here (root without chattr +i)")
    return path


def closed_port() -> int:
    """A loopback port nobody listens on."""
    return free_port()


# ------------------------------------------------------------------------------ the cases


def people_pkcs12_in_the_environment(p: Place) -> None:
    p.env["HOCBA_SIGNING_BACKEND"] = "pkcs12"


def people_pkcs12_in_the_file(p: Place) -> None:
    p.config('[signing]\nbackend = "pkcs12"\npkcs12_dir = "keys"\n')


def one_person_pkcs12(p: Place) -> None:
    p.config('[signing]\nbackend = "csc"\n[signing.people]\n"GV01" = "pkcs12"\n')


def people_pkcs12_with_demo_off(p: Place) -> None:
    p.env.update(HOCBA_DEMO_ENABLED="false", HOCBA_SIGNING_BACKEND="pkcs12")


def seal_as_a_key_file(p: Place) -> None:
    p.env["HOCBA_SIGNING_SEAL"] = "pkcs12"


def seal_with_a_remote_service(p: Place) -> None:
    p.env["HOCBA_SIGNING_SEAL"] = "csc"


def seal_among_the_people(p: Place) -> None:
    p.config('[signing.people]\n"SEAL" = "pkcs11"\n')


def demo_switch_not_a_boolean(p: Place) -> None:
    p.env["HOCBA_DEMO_ENABLED"] = "maybe"


def database_path_is_a_folder(p: Place) -> None:
    p.env["HOCBA_DATABASE_URL"] = f"sqlite://{p.folder('data')}"


def database_under_a_file(p: Place) -> None:
    p.env["HOCBA_DATABASE_URL"] = f"sqlite://{p.file('data')}/hocba.sqlite3"


def database_in_a_read_only_folder(p: Place) -> None:
    p.env["HOCBA_DATABASE_URL"] = f"sqlite://{read_only(p.folder('data'))}/hocba.sqlite3"


def database_file_read_only_folder_below(p: Place) -> None:
    p.env["HOCBA_DATABASE_URL"] = f"sqlite://{read_only(p.folder('data'))}/db/hocba.sqlite3"


def postgres_closed_port(p: Place) -> None:
    p.env["HOCBA_DATABASE_URL"] = f"postgres://postgres@127.0.0.1:{closed_port()}/test"


def postgres_unknown_host(p: Place) -> None:
    p.env["HOCBA_DATABASE_URL"] = "postgres://hocba:secret@db.invalid:5432/hocba"


def postgres_unknown_database(p: Place) -> None:
    p.env["HOCBA_DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/hocba_no_such_database"


def storage_is_a_file(p: Place) -> None:
    p.env["HOCBA_STORAGE_DIR"] = str(p.file("files"))


def storage_read_only(p: Place) -> None:
    p.env["HOCBA_STORAGE_DIR"] = str(read_only(p.folder("files")))


def storage_under_a_read_only_folder(p: Place) -> None:
    p.env["HOCBA_STORAGE_DIR"] = str(read_only(p.folder("srv")) / "files")


def storage_on_a_system_folder(p: Place) -> None:
    # /sys/fs: writable by permissions for root, yet nothing can be created there
    p.env["HOCBA_STORAGE_DIR"] = "/sys/fs/hocba-files"
    p.watched.append(Path("/sys/fs/hocba-files"))


def trust_root_missing(p: Place) -> None:
    p.env["HOCBA_TRUST_ROOTS"] = str(p.dir / "certs" / "root-ca.pem")


def trust_root_not_a_certificate(p: Place) -> None:
    p.env["HOCBA_TRUST_ROOTS"] = str(p.file("root-ca.pem", b"-----BEGIN NOTHING-----\nxyz\n"))


def trust_root_a_text_file(p: Place) -> None:
    p.config(f'[trust]\nroots = ["{p.file("root-ca.txt", "chứng thư gốc".encode())}"]\n')


def trust_root_a_private_key_not_a_certificate(p: Place) -> None:
    ca = make_ca()
    from cryptography.hazmat.primitives import serialization

    key = ca.key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    p.env["HOCBA_TRUST_ROOTS"] = f"{p.file('ok.pem', pem(ca.certificate))},{p.file('k.pem', key)}"


def trust_root_a_folder(p: Place) -> None:
    p.env["HOCBA_TRUST_ROOTS"] = str(p.folder("certs"))


def trust_root_a_device(p: Place) -> None:
    p.env["HOCBA_TRUST_ROOTS"] = "/dev/zero"


def trust_root_huge(p: Place) -> None:
    huge = p.file("root-ca.pem")
    os.truncate(huge, 4 << 30)  # 4 GiB, sparse: read whole, it would exhaust memory
    p.env["HOCBA_TRUST_ROOTS"] = str(huge)


def crl_missing(p: Place) -> None:
    p.env["HOCBA_TRUST_CRLS"] = str(p.dir / "certs" / "ca.crl")


def crl_a_certificate(p: Place) -> None:
    # the CA's certificate where its revocation list belongs: both come from the provider
    p.config(f'[trust]\ncrls = ["{p.file("ca.crl", pem(make_ca().certificate))}"]\n')


def crl_a_device(p: Place) -> None:
    p.env["HOCBA_TRUST_CRLS"] = "/dev/zero"  # read whole, it would never end


def crl_huge(p: Place) -> None:
    huge = p.file("ca.crl")
    os.truncate(huge, 4 << 30)
    p.env["HOCBA_TRUST_CRLS"] = str(huge)


def pkcs11_module_missing(p: Place) -> None:
    p.env["HOCBA_SIGNING_PKCS11_MODULE"] = "/usr/lib/no-such/libtoken.so"


def pkcs11_module_a_folder(p: Place) -> None:
    p.env["HOCBA_SIGNING_PKCS11_MODULE"] = str(p.folder("lib"))


def remote_service_not_https(p: Place) -> None:
    p.env["HOCBA_SIGNING_CSC_URL"] = "http://ky-so.example.vn/csc/v1"


def remote_service_not_a_url(p: Place) -> None:
    p.env["HOCBA_SIGNING_CSC_URL"] = "ky-so.example.vn"


def config_file_a_device(p: Place) -> None:
    p.env["HOCBA_CONFIG"] = "/dev/zero"


def config_file_huge(p: Place) -> None:
    os.truncate(p.file("config.toml"), 2 << 30)


def config_file_a_folder(p: Place) -> None:
    p.env["HOCBA_CONFIG"] = str(p.folder("etc"))


Case = tuple[Callable[[Place], None], tuple[str, ...], tuple[str, ...]]
# (lay out the case, the command, words the one line must hold)
PKCS12_PEOPLE = ("PKCS#12", "chế độ trình diễn", "Điều 8.3, 11.1", '"csc"', '"pkcs11"')
CASES: list[Case] = [
    (people_pkcs12_in_the_environment, ("serve",), ("HOCBA_SIGNING_BACKEND", *PKCS12_PEOPLE)),
    (people_pkcs12_in_the_environment, ("issue", "6A"), ("HOCBA_SIGNING_BACKEND", "PKCS#12")),
    (people_pkcs12_in_the_file, ("serve",), ("[signing] backend", *PKCS12_PEOPLE)),
    (people_pkcs12_in_the_file, ("results", "6A"), ("[signing] backend", "PKCS#12")),
    (one_person_pkcs12, ("serve",), ('[signing.people] "GV01" = "pkcs12"', "PKCS#12")),
    (one_person_pkcs12, ("sign", "6A", "--as", "GV01"), ('"GV01" = "pkcs12"', "PKCS#12")),
    (people_pkcs12_with_demo_off, ("demo",), ("HOCBA_SIGNING_BACKEND", "chế độ trình diễn")),
    (seal_as_a_key_file, ("serve",), ("HOCBA_SIGNING_SEAL", "token hoặc HSM", "Điều 11.2")),
    (seal_as_a_key_file, ("issue", "6A", "--by", "VT01"), ("HOCBA_SIGNING_SEAL", "token")),
    (seal_with_a_remote_service, ("prepare", "6A"), ("HOCBA_SIGNING_SEAL", 'cần "pkcs11"')),
    (seal_among_the_people, ("issue", "6A"), ('[signing.people] "SEAL"', "seal")),
    (demo_switch_not_a_boolean, ("demo",), ("HOCBA_DEMO_ENABLED", "true hoặc false")),
    (database_path_is_a_folder, ("serve",), ("HOCBA_DATABASE_URL", "là một thư mục")),
    (database_path_is_a_folder, ("init",), ("HOCBA_DATABASE_URL", "là một thư mục")),
    (database_under_a_file, ("migrate",), ("HOCBA_DATABASE_URL", "là một tệp")),
    (database_in_a_read_only_folder, ("serve",), ("HOCBA_DATABASE_URL", "chỉ đọc")),
    (database_file_read_only_folder_below, ("init",), ("HOCBA_DATABASE_URL", "chỉ đọc")),
    (postgres_closed_port, ("serve",), ("PostgreSQL 127.0.0.1:", "từ chối kết nối")),
    (postgres_closed_port, ("migrate", "--plan"), ("PostgreSQL", "từ chối kết nối")),
    (postgres_closed_port, ("init",), ("PostgreSQL", "từ chối kết nối")),
    (postgres_closed_port, ("results", "6A"), ("PostgreSQL", "HOCBA_DATABASE_URL")),
    (postgres_unknown_host, ("results", "6A"), ("PostgreSQL db.invalid:5432/hocba", "máy chủ")),
    (storage_is_a_file, ("demo",), ("HOCBA_STORAGE_DIR", "là một tệp")),
    (storage_read_only, ("serve",), ("HOCBA_STORAGE_DIR", "chỉ đọc")),
    (storage_under_a_read_only_folder, ("demo",), ("HOCBA_STORAGE_DIR", "chỉ đọc")),
    (storage_on_a_system_folder, ("serve",), ("/sys/fs", "ghi")),
    (storage_on_a_system_folder, ("results", "6A"), ("/sys/fs", "ghi")),
    (trust_root_missing, ("verify", "x.xml"), ("HOCBA_TRUST_ROOTS", "không tồn tại")),
    (trust_root_not_a_certificate, ("serve",), ("HOCBA_TRUST_ROOTS", "không phải chứng thư")),
    (trust_root_a_text_file, ("verify", "x.xml"), ("[trust] roots", "không phải chứng thư")),
    (trust_root_a_private_key_not_a_certificate, ("export", "6A", "out"), ("k.pem", "chứng thư")),
    (trust_root_a_folder, ("verify", "x.xml"), ("HOCBA_TRUST_ROOTS", "không phải tệp")),
    (trust_root_a_device, ("verify", "x.xml"), ("/dev/zero", "không phải tệp")),
    (trust_root_huge, ("verify", "x.xml"), ("root-ca.pem", "quá lớn")),
    (crl_missing, ("verify", "x.xml"), ("HOCBA_TRUST_CRLS", "không tồn tại")),
    (crl_a_certificate, ("serve",), ("[trust] crls", "không phải danh sách thu hồi")),
    (crl_a_device, ("verify", "x.xml"), ("HOCBA_TRUST_CRLS", "/dev/zero", "không phải tệp")),
    (crl_huge, ("export", "6A", "out"), ("ca.crl", "quá lớn")),
    (pkcs11_module_missing, ("serve",), ("HOCBA_SIGNING_PKCS11_MODULE", "không có tệp này")),
    (pkcs11_module_a_folder, ("issue", "6A"), ("HOCBA_SIGNING_PKCS11_MODULE", "thư mục")),
    (remote_service_not_https, ("close", "6A"), ("HOCBA_SIGNING_CSC_URL", "https://")),
    (remote_service_not_a_url, ("prepare", "6A"), ("HOCBA_SIGNING_CSC_URL", "https://")),
    (config_file_a_device, ("serve",), ("/dev/zero", "không phải một tệp văn bản nhỏ")),
    (config_file_huge, ("results", "6A"), ("config.toml", "không phải một tệp văn bản nhỏ")),
    (config_file_a_folder, ("audit", "verify"), ("etc", "không phải một tệp văn bản nhỏ")),
]


def _id(case: Case) -> str:
    layout, argv, _words = case
    return f"{layout.__name__}-{argv[0]}"


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_a_configuration_that_cannot_work_stops_with_one_line(
    case: Case, place: Place, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    layout, argv, words = case
    layout(place)
    before = tree(place.dir, *place.watched)

    if argv[0] == "serve":
        ran = hocba(place.dir, place.env, *argv)
        assert ran.peak_mib < PEAK_MIB, ran
    else:
        ran = in_process(place.dir, place.env, argv, monkeypatch, capsys)
        assert ran.peak_mib < TRACED_MIB, ran

    assert ran.code == 2, ran
    assert ran.out == "", ran
    lines = ran.err.splitlines()
    assert len(lines) == 1, ran.err
    for word in words:
        assert word in lines[0], (word, lines[0])
    assert "Traceback" not in ran.err and "secret" not in ran.err
    assert tree(place.dir, *place.watched) == before  # no database, file store or key made
    assert ran.seconds < SECONDS, ran


@pytest.mark.postgres
def test_an_unknown_postgres_database_stops_with_one_line(place: Place) -> None:
    postgres_unknown_database(place)
    before = tree(place.dir)

    ran = hocba(place.dir, place.env, "serve")

    assert ran.code == 2 and ran.out == "", ran
    (line,) = ran.err.splitlines()
    assert "PostgreSQL 127.0.0.1:5432/hocba_no_such_database" in line
    assert "hocba_no_such_database" in line and "does not exist" in line
    assert tree(place.dir) == before
    assert ran.seconds < SECONDS and ran.peak_mib < PEAK_MIB, ran


def test_demo_mode_lets_the_demo_keys_sign(
    place: Place, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """The same key files are accepted in demo mode: the configuration loads, and a command
    runs to its own answer (here: no such class, since no school exists yet)."""
    place.env.update(HOCBA_DEMO_ENABLED="true", HOCBA_SIGNING_BACKEND="pkcs12")
    ran = in_process(place.dir, place.env, ("results", "6A"), monkeypatch, capsys)
    assert ran.code == 1, ran
    assert "PKCS#12" not in ran.err and "Không có lớp 6A" in ran.err
