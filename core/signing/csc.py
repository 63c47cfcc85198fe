"""Remote signing through the Cloud Signature Consortium API v1 (CSC), with aiohttp.

The signer's key stays with the provider; the person approves in the provider's app. One
`credentials/authorize` call carries all the hashes of a batch (numSignatures = N, hash
pinning), so one approval covers the whole batch; `signatures/signHash` then signs them in
chunks with the SAD that came back. The returned values are checked against the certificate by
the caller before anything is stored (core.signing.xmldsig / core.signing.pades).

Which credential belongs to whom: the provider's credential list, asked with the school's code
as clientData, holds one credential per person whose ID is, or ends with "/", the person's
staff code (the seal: core.signing.backends.SEAL_CODE).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass

import aiohttp
from cryptography import x509

from core.errors import HocbaError
from core.i18n import _
from core.signing.keys import SignerUnavailable

SHA256_RSA = "1.2.840.113549.1.1.11"
SHA256 = "2.16.840.1.101.3.4.2.1"
SIGN_CHUNK = 50  # hashes per signHash call: providers cap request sizes
APPROVAL_WAIT = 300.0  # seconds a signer has to approve a batch in their app


class RemoteRefused(HocbaError):
    """The signer refused the approval, or it did not come in time: nothing was signed."""


@dataclass(frozen=True)
class Credential:
    id: str
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]


class CscClient:
    """The CSC v1 calls the batch needs, on one aiohttp session.

    With client credentials (issued by the provider to the school's deployment), the client
    first obtains a service access token (CSC v1 `oauth2/token`, grant_type
    client_credentials) and sends it as a Bearer token on every call; without them, the
    service is called as is (a provider on a private network, the tests' server).
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        client_id: str = "",
        client_secret: str = "",
    ) -> None:
        self._session = session
        self._base = base_url.rstrip("/")
        self._client = (client_id, client_secret)
        self._headers: dict[str, str] | None = None if client_id else {}

    async def _authorization(self) -> dict[str, str]:
        if self._headers is None:
            client_id, secret = self._client
            form = {
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": secret,
            }
            try:
                async with self._session.post(
                    f"{self._base}/oauth2/token",
                    data=form,
                    timeout=aiohttp.ClientTimeout(total=30),
                ) as response:
                    answer = await response.json(content_type=None)
                    if response.status >= 400 or "access_token" not in answer:
                        raise SignerUnavailable(
                            _(
                                "Dịch vụ ký số từ xa không chấp nhận mã ứng dụng (client_id/"
                                "client_secret) của trường: quản trị hãy kiểm tra mục [signing]."
                            )
                        )
            except (aiohttp.ClientError, ValueError) as exc:
                raise SignerUnavailable(
                    _("Không kết nối được dịch vụ ký số từ xa: {reason}.").format(reason=exc)
                ) from exc
            self._headers = {"Authorization": f"Bearer {answer['access_token']}"}
        return self._headers

    async def _post(self, method: str, body: dict, timeout: float = 30) -> dict:
        headers = await self._authorization()
        try:
            async with self._session.post(
                f"{self._base}/{method}",
                json=body,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=timeout),
            ) as response:
                if response.status >= 400:
                    raise _CscHttpError(response.status, await response.text())
                return await response.json()
        except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError) as exc:
            raise SignerUnavailable(
                _("Không kết nối được dịch vụ ký số từ xa: {reason}.").format(reason=exc)
            ) from exc

    async def credential(self, client_data: str, code: str) -> Credential:
        """The credential of staff `code` and its certificate chain."""
        listed = await self._post("credentials/list", {"clientData": client_data})
        ids = [c for c in listed.get("credentialIDs", []) if c == code or c.endswith(f"/{code}")]
        if len(ids) != 1:
            raise SignerUnavailable(
                _("Dịch vụ ký số không có (đúng một) chứng thư cho {code}.").format(code=code)
            )
        info = await self._post(
            "credentials/info", {"credentialID": ids[0], "certificates": "chain"}
        )
        chain = tuple(
            x509.load_der_x509_certificate(base64.b64decode(c))
            for c in info["cert"]["certificates"]
        )
        return Credential(ids[0], chain[0], chain)

    async def authorize(self, credential_id: str, hashes: Sequence[bytes], wait: float) -> str:
        """Ask one approval for all `hashes`; waits up to `wait` seconds for the person.
        Returns the SAD; a refusal or no answer in time raises RemoteRefused."""
        try:
            answer = await self._post(
                "credentials/authorize",
                {
                    "credentialID": credential_id,
                    "numSignatures": len(hashes),
                    "hash": [base64.b64encode(h).decode() for h in hashes],
                },
                timeout=wait,
            )
        except TimeoutError as exc:
            raise RemoteRefused(
                _("Hết thời gian chờ phê duyệt trên ứng dụng ký số: chưa ký học bạ nào.")
            ) from exc
        except _CscHttpError as exc:
            raise RemoteRefused(
                _("Yêu cầu ký bị từ chối trên ứng dụng ký số: chưa ký học bạ nào.")
            ) from exc
        return str(answer["SAD"])

    async def sign_hashes(
        self, credential_id: str, sad: str, hashes: Sequence[bytes]
    ) -> list[bytes]:
        """RSA-SHA256 (PKCS#1 v1.5) signature values of `hashes`, in order."""
        values: list[bytes] = []
        for at in range(0, len(hashes), SIGN_CHUNK):
            chunk = hashes[at : at + SIGN_CHUNK]
            try:
                answer = await self._post(
                    "signatures/signHash",
                    {
                        "credentialID": credential_id,
                        "SAD": sad,
                        "hash": [base64.b64encode(h).decode() for h in chunk],
                        "hashAlgo": SHA256,
                        "signAlgo": SHA256_RSA,
                    },
                )
            except (_CscHttpError, TimeoutError) as exc:
                raise RemoteRefused(
                    _("Dịch vụ ký số không ký được ({reason}): chưa ký học bạ nào.").format(
                        reason=exc
                    )
                ) from exc
            signatures = answer.get("signatures", [])
            if len(signatures) != len(chunk):
                raise RemoteRefused(_("Dịch vụ ký số trả về thiếu chữ ký: chưa ký học bạ nào."))
            values += [base64.b64decode(s) for s in signatures]
        return values


class _CscHttpError(Exception):
    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.body = body
