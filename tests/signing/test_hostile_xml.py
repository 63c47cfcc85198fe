"""Files handed in for verification are hostile until proven otherwise."""

from __future__ import annotations

import pytest

from core.errors import InvalidValue
from core.render.xml_record import MAX_XML_BYTES, parse_untrusted

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE hocba [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<hocba xmlns="urn:hocbaso:hocba:1.0">&xxe;</hocba>"""

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
<lolz>&lol9;</lolz>"""


@pytest.mark.parametrize("data", [XXE, LAUGHS], ids=["external-entity", "billion-laughs"])
def test_doctype_and_entities_refused(data):
    with pytest.raises(InvalidValue, match="DOCTYPE"):
        parse_untrusted(data)


def test_huge_file_refused_before_parsing():
    with pytest.raises(InvalidValue, match="quá lớn"):
        parse_untrusted(b"<a>" + b"x" * MAX_XML_BYTES + b"</a>")


def test_not_xml_refused():
    with pytest.raises(InvalidValue):
        parse_untrusted(b"\x00\x01 not xml")
