"""GS1-Conformant resolver answers (GS1-Conformant Resolver Standard 1.2) for a product or unit of this
registry: the links of a Digital Link URI, its RFC 9264 linkset, the link a ``linkType`` asks for, the
``Link`` header and the resolver description file. Pure: the caller looks the product up and passes its
facts in (:class:`ProductLinks`); nothing here reads the database or the request.

Link types are GS1 Web Vocabulary terms (``https://gs1.org/voc/``, CURIE prefix ``gs1:``) except one the GS1
vocabulary has no term for, defined by this registry under ``<PUBLIC_BASE_URL>/voc/`` (prefix ``mib:``):
``mib:authenticityRecord``, the product's signed authenticity record (docs/formats.md, "Resolver").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from gs1.digital_link import DigitalLink

GS1_VOC = "https://gs1.org/voc/"
REGISTRY_VOC_PATH = "/voc/"
LINKSET_TYPE = "application/linkset+json"
LINKSET_CONTEXT = "https://ref.gs1.org/standards/resolver/1.2.0/linkset-context"
JSONLD_CONTEXT_REL = "http://www.w3.org/ns/json-ld#context"
LANGUAGES = ("bn", "en")
# what ``linkType`` may say to ask for the whole linkset: ``linkset`` (resolver standard 1.x), ``all`` (Digital
# Link 1.1's spelling, still sent by older clients) and the vocabulary term
LINKSET_REQUESTS = frozenset({"linkset", "all", "gs1:linkset", GS1_VOC + "linkset"})

DEFAULT_LINK = "gs1:defaultLink"
VERIFICATION = "gs1:verificationService"
PIP = "gs1:pip"
CERTIFICATION = "gs1:certificationInfo"
MASTER_DATA = "gs1:masterData"
RECORD = "mib:authenticityRecord"

# (English, Bangla) title of each link type; each link's ``title`` is in its own language
TITLES: dict[str, tuple[str, str]] = {
    DEFAULT_LINK: ("Check that this product is genuine", "পণ্যটি আসল কি না যাচাই করুন"),
    VERIFICATION: ("Check that this product is genuine", "পণ্যটি আসল কি না যাচাই করুন"),
    PIP: ("Product page in the Made in Bangladesh registry", "মেড ইন বাংলাদেশ নিবন্ধনে পণ্যের পাতা"),
    CERTIFICATION: ("Certificates of this product", "এই পণ্যের সনদসমূহ"),
    MASTER_DATA: ("Product passport (signed JSON-LD)", "পণ্যের পাসপোর্ট (স্বাক্ষরিত JSON-LD)"),
    RECORD: ("Signed authenticity record", "স্বাক্ষরিত সত্যতার রেকর্ড"),
}


@dataclass(frozen=True)
class Link:
    """One target of a link type: ``hreflang`` the languages the target speaks."""

    rel: str  # a CURIE: gs1:pip, mib:authenticityRecord
    href: str
    type: str
    hreflang: tuple[str, ...]
    title: str

    def to_json(self) -> dict[str, Any]:
        return {"href": self.href, "title": self.title, "type": self.type, "hreflang": list(self.hreflang)}


@dataclass(frozen=True)
class ProductLinks:
    """What the links of one product need to know: its id (the public page), whether it has certificates and
    a signed record (every product licensed through the workflow has one)."""

    product_id: int
    has_certificates: bool
    has_record: bool = True


class Vocabulary:
    """The link-type namespaces this resolver knows, as CURIE prefix → namespace URI."""

    def __init__(self, base_url: str) -> None:
        self.prefixes = {"gs1:": GS1_VOC, "mib:": base_url + REGISTRY_VOC_PATH}

    def expand(self, link_type: str) -> str | None:
        """The full URI of ``link_type`` (a CURIE or a URI of a known namespace), or ``None`` if unknown."""
        for prefix, namespace in self.prefixes.items():
            if link_type.startswith(prefix):
                term = link_type[len(prefix) :]
            elif link_type.startswith(namespace):
                term = link_type[len(namespace) :]
            else:
                continue
            return namespace + term if term else None
        return None


def canonical_uri(base_url: str, link: DigitalLink) -> str:
    """The canonical GS1 Digital Link URI of ``link`` on this resolver: GTIN-14, qualifiers in GS1's order,
    no query (the anchor of its linkset)."""
    path = f"/01/{link.gtin}"
    for ai, value in (("22", link.cpv), ("10", link.lot), ("21", link.serial)):
        if value is not None:
            path += f"/{ai}/{quote(value, safe='')}"
    return base_url + path


def signature_query(link: DigitalLink) -> list[tuple[str, str]]:
    """The signature parameter of the request (what proves a unit label), kept on the links that verify."""
    return [tuple(pair.split("=", 1)) for pair in link.query.split("&") if pair[:2] in ("s=", "S=")]  # type: ignore[misc]


def with_query(url: str, pairs: Sequence[tuple[str, str]]) -> str:
    return url + ("?" + urlencode(pairs) if pairs else "")


def build_links(base_url: str, link: DigitalLink, product: ProductLinks) -> list[Link]:
    """Every link of ``link``'s product (and unit), in linkset order; the default link first."""
    anchor = canonical_uri(base_url, link)
    signed = signature_query(link)
    en, bn = "en", "bn"
    out = [
        Link(DEFAULT_LINK, with_query(anchor, signed), "text/html", LANGUAGES, TITLES[DEFAULT_LINK][0]),
    ]
    for lang, title in ((bn, TITLES[VERIFICATION][1]), (en, TITLES[VERIFICATION][0])):
        out.append(
            Link(VERIFICATION, with_query(anchor, [*signed, ("lang", lang)]), "text/html", (lang,), title)
        )
    page = f"{base_url}/products/{product.product_id}"
    for lang, title in ((bn, TITLES[PIP][1]), (en, TITLES[PIP][0])):
        out.append(Link(PIP, f"{page}?lang={lang}", "text/html", (lang,), title))
    if product.has_certificates:
        for lang, title in ((bn, TITLES[CERTIFICATION][1]), (en, TITLES[CERTIFICATION][0])):
            out.append(Link(CERTIFICATION, f"{page}?lang={lang}#certificates", "text/html", (lang,), title))
    out.append(
        Link(
            MASTER_DATA,
            f"{base_url}/passports/{link.gtin}",
            "application/ld+json",
            LANGUAGES,
            TITLES[MASTER_DATA][0],
        )
    )
    if product.has_record:
        out.append(
            Link(
                RECORD,
                f"{base_url}/api/v1/products/{product.product_id}/record",
                "application/json",
                LANGUAGES,
                TITLES[RECORD][0],
            )
        )
    return out


def build_linkset(
    anchor: str, links: Iterable[Link], vocabulary: Vocabulary, *, name: str = ""
) -> dict[str, Any]:
    """The RFC 9264 JSON linkset (section 4.2) with GS1's conventions: one context object anchored at the
    canonical Digital Link URI, link relation types as full URIs, each target with ``href``, ``title``,
    ``type`` and ``hreflang``; ``itemDescription`` names the product."""
    context: dict[str, Any] = {"anchor": anchor}
    if name:
        context["itemDescription"] = name
    for link in links:
        rel = vocabulary.expand(link.rel)
        assert rel is not None, link.rel
        context.setdefault(rel, []).append(link.to_json())
    return {"linkset": [context]}


def choose_link(links: Iterable[Link], rel: str, languages: Sequence[str]) -> Link | None:
    """The link of type ``rel`` (a CURIE) whose ``hreflang`` comes first in ``languages`` (the client's
    preference, best first), else the first link of that type; ``None`` if there is none."""
    candidates = [link for link in links if link.rel == rel]
    for lang in languages:
        for link in candidates:
            if lang in link.hreflang:
                return link
    return candidates[0] if candidates else None


def link_header(anchor_url: str, default_href: str, linkset_url: str) -> str:
    """The ``Link`` header of a resolver answer: where the linkset is and which link is the default."""
    return (
        f'<{linkset_url}>; rel="linkset"; type="{LINKSET_TYPE}", '
        f'<{default_href}>; rel="{GS1_VOC}defaultLink"; anchor="{anchor_url}"'
    )


def describe_resolver(base_url: str, *, name: str, contact_email: str) -> dict[str, Any]:
    """The resolver description file served at ``/.well-known/gs1resolver`` (its JSON Schema is GS1's
    ``description-file-schema`` 1.2.0: primary keys are named by their AI, ``01`` for the GTIN)."""
    return {
        "name": name,
        "resolverRoot": base_url,
        "supportedPrimaryKeys": ["01"],
        "supportedLinkType": [
            {"namespace": GS1_VOC, "prefix": "gs1:", "profile": GS1_VOC + "?show=linktypes"},
            {"namespace": base_url + REGISTRY_VOC_PATH, "prefix": "mib:"},
        ],
        "linkTypeDefaultCanBeLinkset": False,
        "supportedContextValuesEnumerated": [],
        "supportedContextValuesExternal": [],
        "contact": {"fn": name, "email": contact_email},
    }
