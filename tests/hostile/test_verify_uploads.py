"""Files handed to the verifier that are no record at all (issue 12, "Bad input"): external
entities, entity expansion, an external DTD, a DOCTYPE hidden by another encoding, a 50 MB
upload, an empty file, bytes that are neither XML nor PDF, another kind of XML. Each is refused
before any signature is looked at, with its reason in Vietnamese, in bounded time and memory,
writing nothing (tests/hostile/forgery_kit.py); the genuine current files, the control, pass.
"""

from __future__ import annotations

import pytest

from core.signing.trust import Trust
from demo.pki import Issued
from tests.hostile import forgery_kit
from tests.hostile.forgery_kit import XXE, Case, Kit, assert_refused, verify_bounded
from tests.signing import conftest as signing

# the test PKI, record and school, shared (pytest finds fixtures by module name)
ca, record, signers = signing.ca, signing.record, signing.signers
kit, other_school = forgery_kit.kit, forgery_kit.other_school

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE hocba SYSTEM "http://127.0.0.1:9/hocba.dtd">
<hocba xmlns="urn:hocbaso:hocba:1.0"/>"""

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol">
<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
<hocba xmlns="urn:hocbaso:hocba:1.0">&lol9;</hocba>"""

DOCTYPE = "khai báo DOCTYPE/thực thể"
TOO_BIG = ("Tệp quá lớn", "không kiểm tra")


def _always(data: bytes):
    return lambda kit: data


def utf16_entities(kit: Kit) -> bytes:
    """The external entity in UTF-16: no `<!DOCTYPE` among the bytes for a scan to see."""
    declared = XXE.replace(b'version="1.0"', b'version="1.0" encoding="UTF-16"', 1)
    return declared.decode().encode("utf-16")


def upload_of_50_mb(kit: Kit) -> bytes:
    return kit.v2 + b" " * (50 << 20)


def pdf_of_50_mb(kit: Kit) -> bytes:
    return kit.pdf2 + b"\n%" + b"x" * (50 << 20)


CASES = {
    "external-entity": Case(_always(XXE), (DOCTYPE,)),
    "external-entity-in-utf-16": Case(utf16_entities, (DOCTYPE,)),
    "external-dtd": Case(_always(EXTERNAL_DTD), (DOCTYPE,)),
    "entity-expansion": Case(_always(LAUGHS), (DOCTYPE,)),
    "upload-of-50-mb": Case(upload_of_50_mb, TOO_BIG),
    "pdf-of-50-mb": Case(pdf_of_50_mb, TOO_BIG),
    "empty-file": Case(_always(b""), ("không phải XML hợp lệ",)),
    "neither-xml-nor-pdf": Case(_always(bytes(range(256)) * 16), ("không phải XML hợp lệ",)),
    "xml-that-is-not-a-record": Case(
        _always(b'<?xml version="1.0"?><hoadon xmlns="urn:khac"><tien>1000000</tien></hoadon>'),
        ("không phải học bạ số",),
    ),
}


@pytest.mark.parametrize("name", list(CASES))
async def test_upload_is_refused_with_its_reason(name: str, kit: Kit, ca: Issued) -> None:
    await assert_refused(CASES[name], kit, ca)


async def test_the_genuine_current_files_are_valid_and_current(kit: Kit, ca: Issued) -> None:
    """The control: the files every forgery starts from are accepted, and current."""
    for data in (kit.v2, kit.pdf2):
        lines, ok = await verify_bounded(data, Trust((ca.certificate,)))
        assert ok and "KẾT LUẬN: mọi chữ ký hợp lệ." in lines, "\n".join(lines)
        assert any("đang có hiệu lực (bản hiện hành)" in line for line in lines)
