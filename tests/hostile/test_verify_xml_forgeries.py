"""Forged and replayed record XML files (issue 12, "Bad input"): stripped, extra, reordered,
duplicated or wrapped signatures; another school's valid certificates, or a teacher in the
principal's or the seal's place; unsigned content; a moved signing time; the replaced version
presented as current. Each is refused with its reason in Vietnamese, named under the question of
regulation 001 Điều 15 it fails, in bounded time and memory, writing nothing
(tests/hostile/forgery_kit.py).

Where xmlsec1 accepts such a file (it checks one signature at a time and knows no signer list: a
record stripped of its principal's and seal's signatures still "verifies" for xmlsec1), a second
test shows that it does, and the first that the project's verifier refuses it all the same.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from lxml import etree

from core.models.records import SignatureRole
from core.render import xml_record as fmt
from core.render.xml_base import DS
from demo.pki import Issued
from tests.hostile import forgery_kit
from tests.hostile.forgery_kit import (
    THIS_SCHOOL,
    Case,
    Kit,
    add_role_signature,
    another_schools_record,
    assert_refused,
    container,
    made,
    serialised,
    sign_as,
    signature,
    strip,
    stripped,
    tree,
)
from tests.signing import conftest as signing
from tests.signing.conftest import listed
from tests.signing.oracles import signed_record, xmlsec_verify

# the test PKI, record and school, shared (pytest finds fixtures by module name)
ca, ca_file, record, signers = signing.ca, signing.ca_file, signing.record, signing.signers
kit, other_school = forgery_kit.kit, forgery_kit.other_school


def stripped_seal(kit: Kit) -> bytes:
    return strip(kit.v2, "chuky-dv")


def extra(kit: Kit) -> bytes:
    return serialised(add_role_signature(tree(kit.v2), kit.signers["gvbm"], "chuky-gvbm", kit.now))


def reordered(kit: Kit) -> bytes:
    root = tree(kit.v2)
    principal = signature(root, "chuky-ht")
    container(root).remove(principal)
    container(root).insert(0, principal)
    return serialised(root)


def duplicated(kit: Kit) -> bytes:
    root = tree(kit.v2)
    container(root).append(copy.deepcopy(signature(root, "chuky-ht")))
    return serialised(root)


def wrapped_data(kit: Kit) -> bytes:
    """XML signature wrapping: the signed data hidden in a signature's Object, where an
    Id lookup would still find it, and a changed mark in the data everybody reads."""
    root = tree(kit.v2)
    data = fmt.data_element(root)
    hidden = etree.SubElement(signature(root, "chuky-gvcn"), f"{{{DS}}}Object")
    hidden.append(copy.deepcopy(data))
    data.find(f"{{{fmt.NS}}}ketqua/{{{fmt.NS}}}monhoc/{{{fmt.NS}}}hk1").text = "9.5"
    return serialised(root)


def wrapped_signature(kit: Kit) -> bytes:
    root = tree(kit.v2)
    seal = signature(root, "chuky-dv")
    wrapper = etree.SubElement(container(root), f"{{{DS}}}Object")
    wrapper.append(seal)
    return serialised(root)


def other_school_certificates(kit: Kit) -> bytes:
    """Every signature valid, the list consistent, the CA trusted: only the seal is not this
    school's (another school's, registered there)."""
    return signed_record(another_schools_record(kit), kit.other, kit.now)


def teacher_in_principal_and_seal_places(kit: Kit) -> bytes:
    """What main accepted: a subject teacher's certificate in the principal's and seal's places."""
    xml = stripped(kit)
    xml = sign_as(xml, kit.signers["gvbm"], SignatureRole.PRINCIPAL, kit.now)
    return sign_as(xml, kit.signers["gvbm"], SignatureRole.SEAL, kit.now)


def teacher_listed_as_principal_and_seal(kit: Kit) -> bytes:
    """The same forger writing their own signer list: the seal is then not the school's."""
    teacher = kit.signers["gvbm"]
    people = {"gvcn": kit.signers["gvcn"], "ht": teacher, "dv": teacher}
    forged = dataclasses.replace(kit.record, signers=listed(people, "gvcn", "ht", "dv"))
    xml = fmt.build_record(forged)
    for role in (SignatureRole.HOMEROOM, SignatureRole.PRINCIPAL, SignatureRole.SEAL):
        xml = sign_as(xml, people[role.value], role, kit.now)
    return xml


def element_outside_signed_data(kit: Kit) -> bytes:
    root = tree(kit.v2)
    etree.SubElement(root, f"{{{fmt.NS}}}ghichu").text = "Được miễn thi lại"
    return serialised(root)


def element_inside_a_signature(kit: Kit) -> bytes:
    root = tree(kit.v2)
    note = etree.SubElement(signature(root, "chuky-dv"), f"{{{DS}}}Object")
    etree.SubElement(note, f"{{{fmt.NS}}}ghichu").text = "Được miễn thi lại"
    return serialised(root)


def _signed_in_order(root: etree._Element, kit: Kit, times: dict[str, dt.datetime]) -> bytes:
    """The school's own three keys over `root`, with no list check: what a holder of the keys
    could sign, at the times given."""
    for role in (SignatureRole.HOMEROOM, SignatureRole.PRINCIPAL, SignatureRole.SEAL):
        root = add_role_signature(root, kit.signers[role.value], role, times[role.value])
    return serialised(root)


def failing_the_xsd(kit: Kit) -> bytes:
    """Signed data the record format does not allow (an 11-digit personal ID), every signature
    by its listed, registered key."""
    root = tree(fmt.build_record(kit.record))
    fmt.data_element(root).find(f".//{{{fmt.NS}}}madinhdanhcanhan").text = "03721300000"
    return _signed_in_order(root, kit, dict.fromkeys(("gvcn", "ht", "dv"), kit.now))


def signed_out_of_order_in_time(kit: Kit) -> bytes:
    """The principal's signature dated before the homeroom teacher's (Điều 24.5)."""
    earlier = kit.now - dt.timedelta(minutes=30)
    times = {"gvcn": kit.now, "ht": earlier, "dv": kit.now}
    return _signed_in_order(tree(fmt.build_record(kit.record)), kit, times)


def changed_signing_time(kit: Kit) -> bytes:
    root = tree(kit.v2)
    moment = signature(root, "chuky-ht").find(f".//{{{fmt.NS}}}SigningTime")
    moment.text = (kit.now - dt.timedelta(days=30)).replace(microsecond=0).isoformat()
    return serialised(root)


def replayed_v1(kit: Kit) -> bytes:
    return kit.v1


def replayed_v1_reserialised(kit: Kit) -> bytes:
    """Version 1 with its bytes changed where no signature looks (spacing between signatures,
    the XML declaration): a lookup by the file's bytes would find nothing to say it was
    replaced; the lookup by the signed data still does."""
    root = tree(kit.v1)
    for each in container(root):
        each.tail = "\n  "
    body = etree.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body).encode()


NOW_REPLACED = ("ĐÃ BỊ THAY THẾ", "bản hiện hành là phiên bản 2")
CASES = {
    "stripped-principal-and-seal": Case(
        stripped,
        ("THIẾU chữ ký của Hiệu trưởng", "THIẾU chữ ký của Nhà trường"),
        xmlsec1="chuky-gvcn",
    ),
    "stripped-seal": Case(stripped_seal, ("THIẾU chữ ký của Nhà trường",), xmlsec1="chuky-ht"),
    "extra-signature": Case(
        extra, ("chữ ký THỪA: không có trong danh sách ký",), xmlsec1="chuky-gvbm"
    ),
    "reordered-signatures": Case(reordered, ("SAI THỨ TỰ",), xmlsec1="chuky-ht"),
    "duplicated-signature": Case(
        duplicated, ("Id «chuky-ht-2025-2026» xuất hiện 2 lần", "chữ ký TRÙNG LẶP")
    ),
    "wrapped-signed-data": Case(
        wrapped_data, ("Id «dulieu-2025-2026» xuất hiện 2 lần", "dữ liệu học bạ ĐÃ BỊ THAY ĐỔI")
    ),
    "wrapped-signature": Case(
        wrapped_signature, ("phần tử không phải chữ ký", "THIẾU chữ ký của Nhà trường")
    ),
    "valid-certificates-of-another-school": Case(
        other_school_certificates, (THIS_SCHOOL,), xmlsec1="chuky-dv"
    ),
    "teacher-in-principal-and-seal-places": Case(
        teacher_in_principal_and_seal_places,
        (
            "không phải chứng thư danh sách ký ghi cho Hiệu trưởng",
            "không phải chứng thư danh sách ký ghi cho Nhà trường",
        ),
        xmlsec1="chuky-dv",
    ),
    "teacher-listed-as-principal-and-seal": Case(
        teacher_listed_as_principal_and_seal, (THIS_SCHOOL,), xmlsec1="chuky-dv"
    ),
    "extra-element-outside-signed-data": Case(
        element_outside_signed_data,
        ("phần tử «ghichu» nằm ngoài phần dữ liệu đã ký",),
        xmlsec1="chuky-dv",
    ),
    "extra-element-inside-a-signature": Case(
        element_inside_a_signature, ("cấu trúc chữ ký khác quy định",), xmlsec1="chuky-dv"
    ),
    "signed-data-failing-the-xsd": Case(
        failing_the_xsd,
        ("không đúng định dạng", "giá trị «03721300000» không hợp lệ"),
        xmlsec1="chuky-dv",
    ),
    "signed-out-of-order-in-time": Case(
        signed_out_of_order_in_time, ("người phải ký trước theo Điều 24.5",), xmlsec1="chuky-ht"
    ),
    "changed-signing-time": Case(
        changed_signing_time,
        ("thời điểm ký ĐÃ BỊ THAY ĐỔI", "thời điểm ký không nằm trong phần được ký"),
    ),
    "replaced-version-presented-as-current": Case(
        replayed_v1, NOW_REPLACED, xmlsec1="chuky-dv", reads_record=True
    ),
    "replaced-version-re-serialised": Case(
        replayed_v1_reserialised, NOW_REPLACED, xmlsec1="chuky-dv", reads_record=True
    ),
}


@pytest.mark.parametrize("name", list(CASES))
async def test_forged_xml_is_refused_with_its_reason(name: str, kit: Kit, ca: Issued) -> None:
    await assert_refused(CASES[name], kit, ca)


@pytest.mark.xmlsec1
@pytest.mark.parametrize("name", [n for n, c in CASES.items() if c.xmlsec1])
async def test_xmlsec1_accepts_what_we_refuse(
    name: str, kit: Kit, ca_file: Path, tmp_path: Path
) -> None:
    """xmlsec1 checks the one signature it is pointed at: it accepts each of these."""
    path = tmp_path / "forged.xml"
    path.write_bytes(await made(CASES[name], kit))
    assert xmlsec_verify(path, ca_file, CASES[name].xmlsec1)
