"""A record version's lookup code and access code (001 Điều 22.1, mã số tra cứu học bạ), made
when the version is built and signed inside it; the portal's page for the code shows the record
only with the access code (core.services.record_lookup)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from core.render.xml_record import Lookup

LOOKUP_PATH = "/xac-thuc"  # the portal's page; a record's own is LOOKUP_PATH/{code}
ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no 0/O, 1/I/L, U: read aloud and typed by hand
CODE_LENGTH = 12
ACCESS_DIGITS = 8


@dataclass(frozen=True)
class Portal:
    """Where the school's portal is reached from outside ([web] public_url): the address every
    record's QR code leads to."""

    url: str

    def address(self, code: str) -> str:
        return f"{self.url.rstrip('/')}{LOOKUP_PATH}/{code}"

    def new_lookup(self) -> Lookup:
        """A fresh lookup code and access code for a record version being built."""
        code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
        access = f"{secrets.randbelow(10**ACCESS_DIGITS):0{ACCESS_DIGITS}d}"
        return Lookup(code, access, self.address(code))
