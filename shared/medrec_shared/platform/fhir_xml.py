"""FHIR R4's XML representation (http://hl7.org/fhir/R4/xml.html) of the JSON resources medrec
handles as dicts: `to_xml` and `from_xml` are inverse for every resource whose types the table
knows.

The rules kept: one namespace (http://hl7.org/fhir); the root and every contained resource
(`contained`, `Bundle.entry.resource`, `outcome`) an element named by its resourceType; a
primitive as a `value` attribute, its JSON `_name` (id, extensions) as the element's `id`
attribute and `extension` children; an array as repeated elements (a primitive array's gaps as
elements without a value); an element's `id` and an extension's `url` as attributes (a
resource's `id` stays an element); Narrative's `div` as XHTML in its own namespace. Elements
are written in the JSON's order (medrec writes its JSON in FHIR's order).

Reading needs to know which elements repeat and which primitives are booleans or numbers: that
is `fhir_xml_types.TYPES`, generated from fhirclient's FHIR 4.0.1 models for the resources
medrec carries. An element the table does not know is read as a string (or an object when it
has children), and as an array when it repeats in the document.

Parsing is defusedxml's: no DTDs, no entities, no external resources (no XXE, no bombs)."""

import json
from typing import Any, Final
from xml.etree import ElementTree as ET  # building only; parsing is defusedxml's

from defusedxml import ElementTree as SafeET

from medrec_shared.platform.fhir_xml_types import TYPES

FHIR_NS: Final = "http://hl7.org/fhir"
XHTML_NS: Final = "http://www.w3.org/1999/xhtml"
_EXTENSIONS: Final = ("extension", "modifierExtension")
_PRIMITIVE_KINDS: Final = ("str", "bool", "int", "dec")


class FhirXmlError(ValueError):
    """The document is not FHIR XML medrec can read (never quotes the document)."""


# -- JSON → XML ------------------------------------------------------------------------------


def to_xml(resource: dict[str, Any]) -> bytes:
    root = _resource_element(resource)
    root.set("xmlns", FHIR_NS)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _resource_element(resource: dict[str, Any]) -> ET.Element:
    element = ET.Element(str(resource["resourceType"]))
    _write_members(element, resource, is_resource=True, is_extension=False)
    return element


def _write_members(
    element: ET.Element, obj: dict[str, Any], *, is_resource: bool, is_extension: bool
) -> None:
    for key, value in obj.items():
        if key == "resourceType":
            continue
        if key.startswith("_"):
            if key[1:] not in obj:  # a primitive with only an id or extensions
                _write_values(element, key[1:], None, value)
            continue
        if (key == "id" and not is_resource) or (key == "url" and is_extension):
            element.set(key, str(value))
            continue
        _write_values(element, key, value, obj.get("_" + key))


def _write_values(element: ET.Element, name: str, value: Any, ext: Any) -> None:
    values = value if isinstance(value, list) else [value]
    exts = ext if isinstance(ext, list) else [ext]
    if value is None:
        values = [None] * len(exts)
    for index, item in enumerate(values):
        item_ext = exts[index] if index < len(exts) else None
        if isinstance(item, dict) and "resourceType" in item:
            ET.SubElement(element, name).append(_resource_element(item))
        elif isinstance(item, dict):
            child = ET.SubElement(element, name)
            _write_members(child, item, is_resource=False, is_extension=name in _EXTENSIONS)
        elif name == "div" and isinstance(item, str):
            element.append(_xhtml(item))
        else:
            _write_primitive(ET.SubElement(element, name), item, item_ext)


def _write_primitive(element: ET.Element, value: Any, ext: dict[str, Any] | None) -> None:
    if value is not None:
        element.set("value", _text(value))
    if ext:
        if "id" in ext:
            element.set("id", str(ext["id"]))
        for extension in ext.get("extension", []):
            child = ET.SubElement(element, "extension")
            _write_members(child, extension, is_resource=False, is_extension=True)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    return str(value)


def _xhtml(div: str) -> ET.Element:
    try:
        parsed = SafeET.fromstring(div, forbid_dtd=True)
    except Exception as exc:  # defusedxml's refusals and ParseError alike
        raise FhirXmlError("Narrative.div is not well-formed XHTML") from exc
    for node in parsed.iter():
        if isinstance(node.tag, str) and node.tag.startswith("{"):
            node.tag = node.tag.split("}", 1)[1]
    parsed.set("xmlns", XHTML_NS)
    return parsed


# -- XML → JSON ------------------------------------------------------------------------------


def from_xml(data: bytes) -> dict[str, Any]:
    try:
        root = SafeET.fromstring(data, forbid_dtd=True)
    except Exception as exc:  # defusedxml's refusals and ParseError alike
        raise FhirXmlError("The body is not well-formed XML without a DTD") from exc
    if _namespace(root) != FHIR_NS:
        raise FhirXmlError("The root element is not in the FHIR namespace")
    return _read_resource(root)


def _namespace(element: ET.Element) -> str:
    tag = str(element.tag)
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _local(element: ET.Element) -> str:
    return str(element.tag).rsplit("}", 1)[-1]


def _read_resource(element: ET.Element) -> dict[str, Any]:
    resource_type = _local(element)
    out: dict[str, Any] = {"resourceType": resource_type}
    _read_children(element, resource_type, out)
    return out


def _read_object(element: ET.Element, type_name: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for attribute in ("id", "url"):
        if attribute in element.attrib and (attribute == "id" or _local(element) in _EXTENSIONS):
            out[attribute] = element.attrib[attribute]
    _read_children(element, type_name, out)
    return out


def _read_children(element: ET.Element, type_name: str, out: dict[str, Any]) -> None:
    table = TYPES.get(type_name, {})
    collected: dict[str, list[tuple[Any, dict[str, Any] | None]]] = {}
    for child in element:
        if not isinstance(child.tag, str):  # a comment or processing instruction
            continue
        name = _local(child)
        if name == "div" and _namespace(child) == XHTML_NS:
            collected.setdefault(name, []).append((_div_text(child), None))
            continue
        kind = "Extension*" if name in _EXTENSIONS else table.get(name, "str")
        collected.setdefault(name, []).append(_read_value(child, kind.rstrip("*")))
    for name, items in collected.items():
        kind = "Extension*" if name in _EXTENSIONS else table.get(name, "str")
        _store(out, name, items, repeats=kind.endswith("*") or len(items) > 1)


def _read_value(child: ET.Element, kind: str) -> tuple[Any, dict[str, Any] | None]:
    if kind == "Resource":
        inner = [node for node in child if isinstance(node.tag, str)]
        if len(inner) != 1:
            raise FhirXmlError("A resource container must hold exactly one resource")
        return _read_resource(inner[0]), None
    if kind in _PRIMITIVE_KINDS and ("value" in child.attrib or not _has_members(child)):
        return _primitive(child, kind)
    return _read_object(child, kind if kind not in _PRIMITIVE_KINDS else ""), None


def _has_members(element: ET.Element) -> bool:
    return any(isinstance(node.tag, str) and _local(node) not in _EXTENSIONS for node in element)


def _primitive(child: ET.Element, kind: str) -> tuple[Any, dict[str, Any] | None]:
    raw = child.attrib.get("value")
    value = None if raw is None else _convert(raw, kind)
    ext: dict[str, Any] = {}
    if "id" in child.attrib:
        ext["id"] = child.attrib["id"]
    extensions = [_read_object(node, "Extension") for node in child if _is_extension(node)]
    if extensions:
        ext["extension"] = extensions
    return value, ext or None


def _is_extension(node: ET.Element) -> bool:
    return isinstance(node.tag, str) and _local(node) == "extension"


def _convert(raw: str, kind: str) -> Any:
    try:
        if kind == "bool":
            if raw not in ("true", "false"):
                raise ValueError
            return raw == "true"
        if kind == "int":
            return int(raw)
        if kind == "dec":
            return float(raw) if any(mark in raw for mark in ".eE") else int(raw)
    except ValueError as exc:
        raise FhirXmlError(f"A {kind} element has a value of the wrong type") from exc
    return raw


def _store(
    out: dict[str, Any],
    name: str,
    items: list[tuple[Any, dict[str, Any] | None]],
    *,
    repeats: bool,
) -> None:
    values = [value for value, _ in items]
    exts = [ext for _, ext in items]
    if any(value is not None for value in values):
        out[name] = values if repeats else values[0]
    if any(ext is not None for ext in exts):
        out["_" + name] = exts if repeats else exts[0]


def _div_text(element: ET.Element) -> str:
    tail, element.tail = element.tail, None  # the text after </div> is not the narrative's
    try:
        return ET.tostring(element, encoding="unicode", default_namespace=XHTML_NS)
    finally:
        element.tail = tail
