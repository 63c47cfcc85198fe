"""The school's seal on a PKCS#11 token (SoftHSM2 made by the test): the seal step of the chain
signs the XML and the PDF through core.signing.backends, and the independent verifiers agree."""

from __future__ import annotations

import dataclasses
import subprocess

import pytest

from core.models.records import RECORD_ORDER, SignatureRole
from core.render import xml_record as fmt
from core.signing.backends import open_signer
from core.signing.chain import sign_record_step
from core.signing.keys import SignerUnavailable
from core.signing.trust import fingerprint
from demo.pki import SEAL_CODE
from tests.signing.conftest import SCHOOL, tool
from tests.signing.oracles import xmlsec_verify


@pytest.mark.xmlsec1
@pytest.mark.poppler
async def test_seal_step_signs_with_the_token(
    record, signers, softhsm_token, ca_file, now, tmp_path
):
    with open_signer(softhsm_token, SCHOOL.code, SEAL_CODE) as seal:
        assert seal.name == SCHOOL.name
        on_token = fmt.ListedSigner("dv", seal.name, fingerprint(seal.certificate))
        record = dataclasses.replace(record, signers=(*record.signers[:-1], on_token))
        xml, pdf = fmt.build_record(record), None
        for role in RECORD_ORDER[:-1]:
            xml, pdf = await sign_record_step(xml, pdf, role, signers[role.value], now)
        xml, pdf = await sign_record_step(xml, pdf, SignatureRole.SEAL, seal, now)
    xml_path, pdf_path = tmp_path / "record.xml", tmp_path / "record.pdf"
    xml_path.write_bytes(xml)
    pdf_path.write_bytes(pdf or b"")
    for role in RECORD_ORDER:
        assert xmlsec_verify(xml_path, ca_file, role.signature_id), role
    out = subprocess.run(
        [tool("pdfsig"), "-nocert", str(pdf_path)], capture_output=True, text=True, check=False
    ).stdout
    assert out.count("Signature Validation: Signature is Valid.") == 2
    assert SCHOOL.name in out


def test_wrong_pin_or_label_is_refused_clearly(softhsm_token):
    wrong_pin = dataclasses.replace(softhsm_token, pkcs11_pin="0000")
    with pytest.raises(SignerUnavailable, match="PIN"), open_signer(wrong_pin, "X", SEAL_CODE):
        pass
    missing = dataclasses.replace(softhsm_token, pkcs11_token_label="no-such-token")
    with (
        pytest.raises(SignerUnavailable, match="no-such-token"),
        open_signer(missing, "X", SEAL_CODE),
    ):
        pass
