"""GS1 Digital Link URIs as this registry prints and reads them: ``https://<HOST>/01/<GTIN-14>[/21/<serial>]``.

Only syntax lives here (scheme, host, the ``/01/`` primary key, the key qualifiers ``/22/`` CPV, ``/10/`` lot
and ``/21/`` serial); what the query string carries (the signature parameter) is the signing package's.
Two kinds of error: :class:`DigitalLinkSyntaxError` when the path breaks GS1 Digital Link's grammar (GS1
Digital Link URI Syntax 1.4: the GTIN, the qualifiers' set, order and characters; a GS1-Conformant resolver
answers 400), plain :class:`LabelURLError` for what GS1 allows but this registry never prints (a serial
outside 0-9 A-Z -). See docs/formats.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from gs1.errors import DigitalLinkSyntaxError, InvalidGTIN, LabelURLError
from gs1.gtin import normalize_gtin

SERIAL_PATTERN = re.compile(r"[0-9A-Z-]{1,20}")
_HOST_PATTERN = re.compile(r"[a-z0-9.-]+(:[0-9]{1,5})?|\[[0-9a-f:.]+\](:[0-9]{1,5})?")
_QUALIFIERS = {"22": "cpv", "10": "lot", "21": "serial"}
# GS1 General Specifications' order of a GTIN's key qualifiers in a Digital Link path: CPV, lot, serial
_QUALIFIER_ORDER = ("22", "10", "21")
# GS1 AI encodable character set 82 (General Specifications, figure 7.11-1), which AIs 22, 10 and 21 use
_CSET82 = re.compile(r"[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]{1,20}")
_URL_PATTERN = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)([^?#]*)(?:\?([^#]*))?(?:#.*)?", re.DOTALL)
_WHITESPACE = re.compile(r"\s")


def normalize_host(host: str) -> str:
    """Lower-case the host and drop a default port; raise :class:`LabelURLError` for anything odd."""
    text = host.strip().lower()
    for default in (":443", ":80"):
        if text.endswith(default):
            text = text[: -len(default)]
    if not text.isascii() or not _HOST_PATTERN.fullmatch(text):
        raise LabelURLError(f"not a host name: {host!r}", field="host")
    return text


def format_digital_link(host: str, gtin14: str, serial: str | None = None, *, scheme: str = "https") -> str:
    """``<scheme>://<HOST>/01/<GTIN-14>[/21/<serial>]`` for an already normalised host and GTIN-14; the host
    is upper case so that the whole URL packs in a QR code's alphanumeric mode."""
    url = f"{scheme}://{host.upper()}/01/{gtin14}"
    return url if serial is None else f"{url}/21/{serial}"


def check_serial(serial: str) -> str:
    """``serial`` if it is 1 to 20 of 0-9 A-Z -, else :class:`LabelURLError` on the field ``serial``."""
    if not SERIAL_PATTERN.fullmatch(serial):
        raise LabelURLError(f"serial {serial!r} is not 1 to 20 of 0-9 A-Z -", field="serial")
    return serial


@dataclass(frozen=True)
class DigitalLink:
    """A parsed Digital Link: ``host`` normalised (lower case), ``gtin`` a GTIN-14, ``query`` as sent."""

    host: str
    gtin: str
    serial: str | None = None
    lot: str | None = None
    query: str = ""
    cpv: str | None = None


def parse_digital_link(url: str, *, strict: bool = False) -> DigitalLink:
    """Parse any GS1 Digital Link spelling; raise :class:`LabelURLError` if it is malformed.

    Accepted: ``http`` or ``https``; any host case; a path prefix before ``/01/``; GTIN-8/12/13/14; the key
    qualifiers ``/22/`` (CPV), ``/10/`` (lot), ``/21/`` (serial), each once, with values of GS1's character
    set 82. The query is returned as is. Readers of label URLs forgive qualifiers out of GS1's order;
    ``strict`` (a GS1-Conformant resolver) refuses them with :class:`DigitalLinkSyntaxError`.
    """
    text = url.strip() if isinstance(url, str) else ""
    if not text.isascii() or _WHITESPACE.search(text):
        raise DigitalLinkSyntaxError("a label URL is a single line of ASCII")
    parts = _URL_PATTERN.fullmatch(text)
    if parts is None:
        raise LabelURLError("not an absolute URL")
    scheme, netloc, path, query = parts.groups()
    if scheme.lower() not in ("http", "https"):
        raise LabelURLError("a label URL starts with https:// or http://", field="scheme")
    if "@" in netloc:
        raise LabelURLError("a label URL has no user information", field="host")
    host = normalize_host(netloc)
    segments = path.split("/")[1:]
    if "%" in path:
        segments = [unquote(segment) for segment in segments]
    if segments and segments[-1] == "":
        segments.pop()
    start = next(
        (i for i, segment in enumerate(segments) if segment == "01" and (len(segments) - i) % 2 == 0),
        None,
    )
    if start is None:
        raise DigitalLinkSyntaxError("a label URL path contains /01/<GTIN>", field="path")
    try:
        gtin = normalize_gtin(segments[start + 1])
    except InvalidGTIN as exc:
        raise DigitalLinkSyntaxError(str(exc), field="gtin") from exc
    qualifiers: dict[str, str] = {}
    last = -1
    for ai, value in zip(segments[start + 2 :: 2], segments[start + 3 :: 2], strict=True):
        name = _QUALIFIERS.get(ai)
        if name is None:
            raise DigitalLinkSyntaxError(f"/{ai}/ is not a key qualifier of a GTIN", field="path")
        if name in qualifiers:
            raise DigitalLinkSyntaxError(f"/{ai}/ appears twice", field="path")
        position = _QUALIFIER_ORDER.index(ai)
        if strict and position < last:
            raise DigitalLinkSyntaxError(
                f"/{ai}/ comes too late: a GTIN's qualifiers go in the order /22/, /10/, /21/", field="path"
            )
        last = position
        if not _CSET82.fullmatch(value):
            raise DigitalLinkSyntaxError(
                f"/{ai}/ needs a value of 1 to 20 characters of GS1's character set 82", field=name
            )
        qualifiers[name] = value
    serial = qualifiers.get("serial")
    if serial is not None:
        serial = serial.upper()
        if not SERIAL_PATTERN.fullmatch(serial):
            raise LabelURLError("a serial is 1 to 20 of 0-9 A-Z -", field="serial")
    return DigitalLink(
        host=host,
        gtin=gtin,
        serial=serial,
        lot=qualifiers.get("lot"),
        query=query or "",
        cpv=qualifiers.get("cpv"),
    )
