"""A SoftHSM2 token made from scratch in a directory, for the PKCS#11 tests and the benchmark.

SoftHSM reads its configuration from SOFTHSM2_CONF, so the token lives in the directory given
and never touches the machine's own tokens. Each key pair is imported as PKCS#8 with
softhsm2-util and its certificate added with python-pkcs11, both under the person's code as
label: that is how core.signing.keys.load_pkcs11 finds them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from demo.pki import Issued

MODULE_PATHS = (
    Path("/usr/lib/softhsm/libsofthsm2.so"),
    Path("/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so"),
    Path("/usr/local/lib/softhsm/libsofthsm2.so"),
)


@dataclass(frozen=True)
class Token:
    module: str
    label: str
    pin: str
    conf: Path


def missing() -> str | None:
    """Why a token cannot be made here, or None."""
    if shutil.which("softhsm2-util") is None:
        return "softhsm2-util is not installed (apt-get install softhsm2)"
    if not any(p.is_file() for p in MODULE_PATHS):
        return "libsofthsm2.so not found (apt-get install softhsm2)"
    return None


def make_token(
    directory: Path, keys: Mapping[str, Issued], label: str = "hocba-test", pin: str = "1234"
) -> Token:
    """Initialise a token in `directory` holding `keys` (label → key and certificate), and
    point SOFTHSM2_CONF at it for this process and its children."""
    import pkcs11
    from pkcs11 import Attribute, CertificateType, ObjectClass

    module = str(next(p for p in MODULE_PATHS if p.is_file()))
    tokens = directory / "tokens"
    tokens.mkdir(parents=True, exist_ok=True)
    conf = directory / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\n")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    env = {**os.environ, "SOFTHSM2_CONF": str(conf)}

    def util(*args: str) -> None:
        subprocess.run(["softhsm2-util", *args], env=env, check=True, capture_output=True)

    util("--init-token", "--free", "--label", label, "--pin", pin, "--so-pin", "5678")
    for index, (name, issued) in enumerate(keys.items(), start=1):
        pem = directory / f"{name}.key.pem"
        pem.write_bytes(
            issued.key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        util(
            "--import",
            str(pem),
            "--token",
            label,
            "--label",
            name,
            "--id",
            f"{index:02x}",
            "--pin",
            pin,
        )
        pem.unlink()
    library = pkcs11.lib(module)
    library.reinitialize()  # SoftHSM2 lists its tokens when initialised: see the one just made
    token = library.get_token(token_label=label)
    with token.open(rw=True, user_pin=pin) as session:
        for index, (name, issued) in enumerate(keys.items(), start=1):
            session.create_object(
                {
                    Attribute.CLASS: ObjectClass.CERTIFICATE,
                    Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                    Attribute.TOKEN: True,
                    Attribute.LABEL: name,
                    Attribute.ID: bytes([index]),
                    Attribute.SUBJECT: issued.certificate.subject.public_bytes(),
                    Attribute.VALUE: issued.certificate.public_bytes(serialization.Encoding.DER),
                }
            )
    return Token(module, label, pin, conf)
