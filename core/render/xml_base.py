"""The record format's namespace and the few lxml helpers every part of it is written with.

Elements are always created with an explicit namespace (DESIGN.md section 5: under a
default-namespaced parent an element without one would land in no namespace, and the
signatures would cover something else than the schema describes).
"""

from __future__ import annotations

from lxml import etree

NS = "urn:hocbaso:hocba:1.0"
DS = "http://www.w3.org/2000/09/xmldsig#"
NAMESPACES = {"h": NS}


def q(tag: str) -> str:
    """The qualified name of a record element."""
    return f"{{{NS}}}{tag}"


def add(parent: etree._Element, tag: str, text: object | None = None) -> etree._Element:
    """Append a record element, with `text` as its content when given."""
    element = etree.SubElement(parent, q(tag))
    if text is not None:
        element.text = str(text)
    return element


def text(element: etree._Element, path: str, default: str = "") -> str:
    """The text at `path` ("h:hocsinh/h:hovaten") below `element`, or `default`."""
    found = element.find(path, NAMESPACES)
    return default if found is None or found.text is None else found.text
