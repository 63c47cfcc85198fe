"""The sample deployment of deploy/, started as shipped: every service the `hocba.target` of
the systemd units wants, with the command line and the environment its unit gives (the example
environment file, pointed at the test's PostgreSQL, fake Telegram and folders), behind nginx
with the shipped locations and upstreams (the upstreams' ports moved to free ones).

Through nginx: the portal answers from the web processes, /metrics is not served outside,
and Telegram's webhook reaches the one bot process, which answers a person.
"""

from __future__ import annotations

import asyncio
import configparser
import os
import re
import shlex
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import POSTGRES_URL, _postgres
from tests.e2e.processes import Process, Processes, get
from tests.telegram_fake import FakeTelegramServer
from tests.telegram_fake.fixtures import free_port
from web.portal import PAGE as PORTAL_PAGE

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
INSTALLED = "/opt/hocba/.venv/bin/hocba"  # where the units expect the installed script
SCHEMA = f"hocba_deploy_{os.getpid()}"


def _unit(name: str) -> configparser.ConfigParser:
    unit = configparser.ConfigParser(interpolation=None, strict=False)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(DEPLOY / "systemd" / name, encoding="utf-8")
    return unit


def _wanted() -> list[tuple[str, str]]:
    """(unit file, instance) of each service hocba.target wants."""
    services = []
    for service in _unit("hocba.target")["Unit"]["Wants"].split():
        stem, _, instance = service.removesuffix(".service").partition("@")
        services.append((f"{stem}@.service" if instance else f"{stem}.service", instance))
    return services


def _example_environment() -> dict[str, str]:
    lines = (DEPLOY / "hocba.env.example").read_text(encoding="utf-8").splitlines()
    pairs = (line.split("=", 1) for line in lines if line.strip() and not line.startswith("#"))
    return {key: value for key, value in pairs}


@dataclass(frozen=True)
class Service:
    arguments: list[str]  # what follows the `hocba` script
    shipped_port: int


def _service(file: str, instance: str) -> Service:
    section = _unit(file)["Service"]
    command = shlex.split(section["ExecStart"].replace("%i", instance))
    assert command[0] == INSTALLED, command
    environment = dict(
        item.split("=", 1) for item in shlex.split(section["Environment"].replace("%i", instance))
    )
    assert section["EnvironmentFile"] == "/etc/hocba/hocba.env"
    return Service(command[1:], int(environment["HOCBA_WEB_PORT"]))


def _nginx_conf(folder: Path, listen: int, ports: dict[int, int]) -> Path:
    """An nginx.conf around the shipped upstreams (ports moved) and locations."""
    upstreams = re.sub(
        r"127\.0\.0\.1:(\d+)",
        lambda m: f"127.0.0.1:{ports[int(m.group(1))]}",
        (DEPLOY / "nginx" / "hocba-upstreams.conf").read_text(encoding="utf-8"),
    )
    temp = " ".join(
        f"{kind}_temp_path {folder / kind};" for kind in ("client_body", "proxy", "fastcgi")
    )
    conf = folder / "nginx.conf"
    conf.write_text(
        f"""daemon off;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"};
events {{}}
http {{
    access_log {folder / "access.log"};
    {temp} uwsgi_temp_path {folder / "uwsgi"}; scgi_temp_path {folder / "scgi"};
    {upstreams}
    server {{
        listen 127.0.0.1:{listen};
        include {DEPLOY / "nginx" / "hocba-locations.conf"};
    }}
}}
""",
        encoding="utf-8",
    )
    return conf


@dataclass
class Site:
    url: str
    processes: dict[str, list[Process]]


@pytest.fixture
async def site(telegram_server: FakeTelegramServer, tmp_path: Path) -> AsyncIterator[Site]:
    await _postgres(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE; CREATE SCHEMA {SCHEMA};")
    listen = free_port()
    environ = {key: value for key, value in os.environ.items() if key != "HOCBA_CONFIG"}
    environ |= _example_environment()
    environ |= {
        "HOCBA_DATABASE_URL": f"{POSTGRES_URL}?schema={SCHEMA}",
        "HOCBA_STORAGE_DIR": str(tmp_path / "files"),
        "HOCBA_SCHOOL_CODE": "",  # the example's school is not in the test database
        "HOCBA_TELEGRAM_TOKEN": telegram_server.token,
        "HOCBA_TELEGRAM_BASE_URL": telegram_server.base_url,
        "HOCBA_TELEGRAM_BASE_FILE_URL": telegram_server.base_file_url,
        "HOCBA_TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{listen}/telegram",
        "HOCBA_WEB_PUBLIC_URL": f"http://127.0.0.1:{listen}",
        "HOCBA_WORKERS_PROCESSES": "1",
    }
    processes = Processes(environ, tmp_path)
    nginx: asyncio.subprocess.Process | None = None
    try:
        started: dict[str, list[Process]] = {}
        ports = {}
        for file, instance in _wanted():
            service = _service(file, instance)
            process = await processes.start(service.arguments)
            ports[service.shipped_port] = process.port
            started.setdefault(service.arguments[-1], []).append(process)
        conf = _nginx_conf(tmp_path, listen, ports)
        nginx = await asyncio.create_subprocess_exec("nginx", "-c", str(conf), "-p", str(tmp_path))
        url = f"http://127.0.0.1:{listen}"
        for _ in range(100):
            try:
                if (await asyncio.to_thread(get, f"{url}/healthz"))[0] == 200:
                    break
            except OSError:
                await asyncio.sleep(0.1)
        yield Site(url, started)
    finally:
        if nginx is not None and nginx.returncode is None:
            nginx.terminate()
            await nginx.wait()
        await processes.stop()
        await _postgres(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")


@pytest.mark.postgres
@pytest.mark.nginx
async def test_the_sample_deployment_serves_people_behind_nginx(
    site: Site, telegram_server: FakeTelegramServer
) -> None:
    assert sorted(site.processes) == ["bot", "web", "worker"]
    assert len(site.processes["worker"]) == 2 and len(site.processes["web"]) == 2

    status, page = await asyncio.to_thread(get, f"{site.url}{PORTAL_PAGE}")
    assert status == 200 and "Xác thực học bạ số" in page
    assert (await asyncio.to_thread(get, f"{site.url}/metrics"))[0] == 404

    leaders = [(await w.readyz()).get("leader") for w in site.processes["worker"]]
    assert sorted(leaders) == [False, True]

    # Telegram pushes a person's /start to the webhook, through nginx, to the bot process
    assert telegram_server.webhook is not None
    assert telegram_server.webhook.url == f"{site.url}/telegram"
    user = telegram_server.user(4242, "Lan")
    await user.send_command("/start")
    welcome = await user.wait_for_message(timeout=15)
    assert "Xin chào! Đây là trợ lý Học bạ số" in welcome.text


def test_every_unit_runs_a_role_of_hocba_serve() -> None:
    """What the deployment's README promises: one bot, workers and portals, each on its port."""
    services = [_service(file, instance) for file, instance in _wanted()]
    roles = sorted(s.arguments[-1] for s in services)
    assert roles == ["bot", "web", "web", "worker", "worker"]
    assert all(s.arguments[:2] == ["serve", "--role"] for s in services)
    assert len({s.shipped_port for s in services}) == len(services)
