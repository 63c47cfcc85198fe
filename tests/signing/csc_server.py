"""A real CSC v1 server for the tests: certomancer-csc-dummy on loopback, over a Certomancer
PKI made for the run (a CA and one certificate per person, keys written by the test).

The dummy approves at once; `CscControl` lets a test play the person instead: refuse, or keep
the approval waiting, and counts the authorisations asked.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web
from certomancer.registry import CertomancerConfig
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from csc_dummy.csc_dummy_server import CSCWithCertomancer

from core.services import certificates
from core.services.access import Actor
from core.signing.backends import SigningSettings
from core.workers import WorkerPool


@dataclass
class CscControl:
    """What the person does with the next approvals: "approve", "refuse" or "wait"."""

    answer: str = "approve"
    authorisations: list[int] = field(default_factory=list)  # numSignatures of each request
    released: asyncio.Event = field(default_factory=asyncio.Event)  # ends a "wait"


@dataclass(frozen=True)
class CscServer:
    url: str
    root: x509.Certificate
    root_file: Path
    control: CscControl
    runner: web.AppRunner

    async def stop(self) -> None:
        self.control.released.set()
        await self.runner.cleanup()


def _key_pem(path: Path) -> None:
    """A new RSA key as PKCS#8 PEM, unless the file is there already (kept between tests)."""
    if path.exists():
        return
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def certomancer_config(
    directory: Path, people: Mapping[str, str], organisation: str, arch: str
) -> dict:
    """A CA and a signing certificate per person (label = staff code, CN = the name), in a
    PKI architecture named `arch`: the dummy's credential IDs are "arch/label", and it filters
    the credential list by clientData = arch, as core.signing.csc asks with the school code."""
    directory.mkdir(parents=True, exist_ok=True)
    _key_pem(directory / "root.key.pem")
    for code in people:
        _key_pem(directory / f"{code}.key.pem")
    validity = {"valid-from": "2020-01-01T00:00:00+0000", "valid-to": "2045-01-01T00:00:00+0000"}
    return {
        "keysets": {
            "keys": {
                "path-prefix": str(directory),
                "keys": {
                    "root": {"path": "root.key.pem"},
                    **{code: {"path": f"{code}.key.pem"} for code in people},
                },
            }
        },
        "pki-architectures": {
            arch: {
                "keyset": "keys",
                "entity-defaults": {"country-name": "VN", "organization-name": organisation},
                "entities": {
                    "root": {"common-name": "CA thử nghiệm ký từ xa"},
                    **{code: {"common-name": name} for code, name in people.items()},
                },
                "certs": {
                    "root": {
                        "subject": "root",
                        "issuer": "root",
                        "validity": validity,
                        "extensions": [
                            {"id": "basic_constraints", "critical": True, "value": {"ca": True}},
                            {
                                "id": "key_usage",
                                "critical": True,
                                "smart-value": {
                                    "schema": "key-usage",
                                    "params": ["digital_signature", "key_cert_sign", "crl_sign"],
                                },
                            },
                        ],
                    },
                    **{
                        code: {
                            "subject": code,
                            "subject-key": code,
                            "issuer": "root",
                            "validity": validity,
                            "extensions": [
                                {
                                    "id": "key_usage",
                                    "critical": True,
                                    "smart-value": {
                                        "schema": "key-usage",
                                        "params": ["digital_signature", "non_repudiation"],
                                    },
                                }
                            ],
                        }
                        for code in people
                    },
                },
            }
        },
    }


async def start_csc(
    directory: Path,
    people: Mapping[str, str],
    organisation: str,
    arch: str,
    client: tuple[str, str] | None = None,
) -> CscServer:
    """Start the dummy CSC server on a free loopback port. With `client` (id, secret), the
    service is closed to anyone without the access token that `oauth2/token` gives for those
    client credentials (grant_type client_credentials), as a provider's production API is."""
    config = CertomancerConfig(
        certomancer_config(directory, people, organisation, arch), key_search_dir=str(directory)
    )
    control = CscControl()
    csc = CSCWithCertomancer(config)
    csc.register_routes()

    token = "tok-" + (client[0] if client else "")

    async def issue_token(request: web.Request) -> web.Response:
        form = await request.post()
        if client is None or (
            form.get("grant_type"),
            form.get("client_id"),
            form.get("client_secret"),
        ) != ("client_credentials", *client):
            return web.json_response({"error": "invalid_client"}, status=401)
        return web.json_response({"access_token": token, "token_type": "Bearer"})

    csc.app.router.add_post("/csc/v1/oauth2/token", issue_token)

    @web.middleware
    async def person(request: web.Request, handler):
        if (
            client is not None
            and not request.path.endswith("/oauth2/token")
            and request.headers.get("Authorization") != f"Bearer {token}"
        ):
            return web.json_response({"error": "invalid_token"}, status=401)
        if request.path.endswith("/credentials/authorize"):
            body = await request.json()
            control.authorisations.append(int(body.get("numSignatures", 0)))
            if control.answer == "refuse":
                return web.json_response(
                    {"error": "access_denied", "error_description": "refused by user"},
                    status=400,
                )
            if control.answer == "wait":
                await control.released.wait()
                return web.json_response({"error": "expired_token"}, status=400)
        return await handler(request)

    csc.app.middlewares.append(person)
    runner = web.AppRunner(csc.app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    root = x509.load_der_x509_certificate(config.get_pki_arch(arch).get_cert("root").dump())
    root_file = directory / "csc-root.pem"
    root_file.write_bytes(root.public_bytes(serialization.Encoding.PEM))
    return CscServer(f"http://127.0.0.1:{port}/csc/v1", root, root_file, control, runner)


async def register_remote_certificate(
    server: CscServer, school_id: int, code: str, workers: WorkerPool, client: tuple[str, str]
) -> None:
    """The person's remote credential in the school's register, read from the service as at
    key set-up (credentials/info): the records then name the certificate they sign with."""
    settings = SigningSettings(
        backend="csc", csc_url=server.url, csc_client_id=client[0], csc_client_secret=client[1]
    )
    actor = Actor.command_line(school_id)
    await certificates.register_from_key(actor, code, settings, workers, [server.root])
