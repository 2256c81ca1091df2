"""Product passports as a buyer's system sees them: JSON-LD whose every term its context defines (expanded
with PyLD, the context served by the registry itself, no network), matching the passport's JSON Schema, signed
so that the published JWKS verifies it; only licensed products have one, a suspended one says so; and a
manufacturer's export holds every licensed product of that maker and nothing else."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pyld import jsonld

from signing import VerificationError
from signing.canonical import canonicalize
from signing.detached import verify_detached
from signing.keys import KeyRing
from signing.offline import verify_detached_file
from tests.factories import CertificateFactory, ProductFactory, licensed, make_party

SCHEMA = json.loads(
    (Path(__file__).resolve().parent.parent / "data" / "passport" / "passport.schema.json").read_text("utf-8")
)
BASE = "https://verify.example.gov.bd"
LD = {"Accept": "application/ld+json"}


def local_loader(client: Any) -> Any:
    """A PyLD document loader that reads the registry's own context through the test client; anything else
    is refused (a test never reaches the network)."""

    def load(url: str, options: Any = None) -> dict[str, Any]:
        if not url.startswith(BASE + "/passports/"):
            raise ValueError(f"no network in tests: {url}")
        resp = client.get(url.removeprefix(BASE))
        assert resp.status_code == 200, url
        return {"contextUrl": None, "documentUrl": url, "document": json.loads(resp.get_data())}

    return load


def used_terms(node: Any, context: dict[str, Any]) -> set[str]:
    """The property terms a compact document uses (not inside language maps, whose keys are languages)."""
    if isinstance(node, list):
        return set().union(*(used_terms(item, context) for item in node)) if node else set()
    if not isinstance(node, dict):
        return set()
    out: set[str] = set()
    for key, value in node.items():
        if key.startswith("@") or key in ("id", "type"):
            continue
        out.add(key)
        definition = context.get(key)
        if not (isinstance(definition, dict) and definition.get("@container") == "@language"):
            out |= used_terms(value, context)
    return out


def expanded_properties(node: Any) -> set[str]:
    if isinstance(node, list):
        return set().union(*(expanded_properties(item) for item in node)) if node else set()
    if not isinstance(node, dict):
        return set()
    return {key for key in node if not key.startswith("@")} | set().union(
        *(expanded_properties(value) for value in node.values())
    )


def iri_of(term: str, context: dict[str, Any]) -> str:
    definition = context[term]
    compact = definition["@id"] if isinstance(definition, dict) else definition
    prefix, _, rest = compact.partition(":")
    return context[prefix] + rest


def undefined_terms(client: Any, passport: dict[str, Any]) -> set[str]:
    """Terms of ``passport`` its context does not define (JSON-LD would silently drop them); and, for the
    ones it defines, that PyLD expands the document to exactly their IRIs."""
    loader = local_loader(client)
    context = loader(passport["@context"])["document"]["@context"]
    terms = used_terms(passport, context)
    missing = {term for term in terms if term not in context}
    expanded = jsonld.expand(passport, {"documentLoader": loader})
    assert expanded_properties(expanded) == {iri_of(term, context) for term in terms - missing}
    return missing


def passport_of(client: Any, gtin: str) -> tuple[bytes, dict[str, Any]]:
    resp = client.get(f"/passports/{gtin}", headers=LD)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.mimetype == "application/ld+json"
    return resp.get_data(), json.loads(resp.get_data())


def test_a_passport_matches_its_schema_and_every_term_expands(iclient: Any, product: Any) -> None:
    data, passport = passport_of(iclient, product.gtin)
    jsonschema.validate(passport, SCHEMA)
    assert passport["gtin"] == product.gtin
    assert passport["licence"]["licenceStatus"] == "licensed"
    assert passport["licence"]["licenceNumber"] == product.licence_number
    assert passport["countryOfOrigin"]["countryCode"] == "BD"
    assert passport["productName"] == {"en": product.name_en, "bn": product.name_bn}
    assert passport["localValueAddition"] == f"{product.local_value_addition:.2f}"
    [certificate] = passport["certification"]
    assert certificate["certificationIdentification"] == product.certificates[0].number

    assert undefined_terms(iclient, passport) == set()
    [node] = jsonld.expand(passport, {"documentLoader": local_loader(iclient)})
    gs1 = "https://gs1.org/voc/"
    assert node[gs1 + "gtin"] == [{"@value": product.gtin}]
    assert node["@type"] == [gs1 + "Product"]
    assert {"@value": product.name_bn, "@language": "bn"} in node[gs1 + "productName"]
    assert node[f"{BASE}/voc/localValueAddition"][0]["@type"] == "http://www.w3.org/2001/XMLSchema#decimal"
    assert canonicalize(passport) == data  # the bytes served are RFC 8785, what the signature covers


def test_the_check_sees_a_term_the_context_does_not_define(iclient: Any, product: Any) -> None:
    _, passport = passport_of(iclient, product.gtin)
    passport["colour"] = "black"
    passport["licence"]["issuedBy"] = "BCC"
    assert undefined_terms(iclient, passport) == {"colour", "issuedBy"}


def test_a_passport_verifies_with_the_published_keys(iclient: Any, product: Any) -> None:
    data, _ = passport_of(iclient, product.gtin)
    signature = iclient.get(f"/passports/{product.gtin}/signature")
    assert signature.status_code == 200 and signature.mimetype == "application/jose"
    jwks = iclient.get("/.well-known/jwks.json").get_json()
    name = f"passports/{product.gtin}.jsonld"
    header = verify_detached(data, signature.get_data(as_text=True), jwks, name=name)
    assert header["name"] == name
    with pytest.raises(VerificationError):
        verify_detached(data.replace(b'"licensed"', b'"revoked"'), signature.get_data(), jwks, name=name)
    with pytest.raises(VerificationError):  # another product's signature does not fit
        verify_detached(data, signature.get_data(), jwks, name="passports/09506000134352.jsonld")


def test_a_saved_passport_verifies_offline_by_its_file_name(
    iclient: Any, product: Any, tmp_path: Path
) -> None:
    """As docs/formats.md says: save it as passports/<GTIN-14>.jsonld and the registry's verifier checks it."""
    saved = tmp_path / "passports" / f"{product.gtin}.jsonld"
    saved.parent.mkdir()
    saved.write_bytes(passport_of(iclient, product.gtin)[0])
    jws = tmp_path / "passport.jws"
    jws.write_bytes(iclient.get(f"/passports/{product.gtin}/signature").get_data())
    keyring = KeyRing.from_jwks(iclient.get("/.well-known/jwks.json").get_json())
    assert verify_detached_file(saved, jws, keyring, None, as_json=True) == 0
    saved.write_bytes(saved.read_bytes().replace(b"BD", b"IN"))
    assert verify_detached_file(saved, jws, keyring, None, as_json=True) != 0


def test_a_suspended_product_passport_says_so(iclient: Any, product: Any, reviewer: Any) -> None:
    resp = iclient.post(
        f"/api/v1/products/{product.id}/suspend", json={"reason": "failed audit"}, headers=reviewer.headers
    )
    assert resp.status_code == 200, resp.get_json()
    _, passport = passport_of(iclient, product.gtin)
    assert passport["licence"]["licenceStatus"] == "suspended"


@pytest.mark.parametrize("status", ["draft", "submitted", "rejected"])
def test_a_product_never_licensed_has_no_passport(
    iclient: Any, session: Any, maker: Any, status: str
) -> None:
    p = ProductFactory(manufacturer_id=maker.manufacturer.id, status=status)
    session.commit()
    for path in (f"/passports/{p.gtin}", f"/passports/{p.gtin}/signature"):
        resp = iclient.get(path, headers=LD)
        assert resp.status_code == 404 and resp.mimetype == "application/problem+json"
        assert resp.get_json()["errors"][0]["field"] == "gtin"


def test_a_path_that_is_not_a_gtin_is_not_found(iclient: Any) -> None:
    resp = iclient.get("/passports/not-a-gtin")
    assert resp.status_code == 404 and resp.mimetype == "application/problem+json"


def test_the_export_holds_every_licensed_product_of_the_maker_and_nothing_else(
    iclient: Any, session: Any, maker: Any, product: Any
) -> None:
    mine = [product.gtin]
    for n in range(2):
        number = f"MIB-EXPORT-{n}"
        mine.append(
            ProductFactory(manufacturer_id=maker.manufacturer.id, licence_number=number, **licensed()).gtin
        )
    suspended = ProductFactory(
        manufacturer_id=maker.manufacturer.id, licence_number="MIB-EXPORT-S", **licensed()
    )
    suspended.status = "suspended"
    mine.append(suspended.gtin)
    ProductFactory(manufacturer_id=maker.manufacturer.id, status="draft")
    other = make_party(session)
    ProductFactory(manufacturer_id=other.manufacturer.id, **licensed())
    CertificateFactory(manufacturer_id=other.manufacturer.id)
    session.commit()

    resp = iclient.get(f"/api/v1/manufacturers/{maker.manufacturer.id}/passports", headers=maker.headers)
    assert resp.status_code == 200 and resp.mimetype == "application/x-ndjson"
    lines = [json.loads(line) for line in resp.get_data(as_text=True).splitlines()]
    assert sorted(line["gtin"] for line in lines) == sorted(mine)
    jwks = iclient.get("/.well-known/jwks.json").get_json()
    for line in lines:
        jsonschema.validate(line["passport"], SCHEMA)
        assert line["passport"]["manufacturer"]["businessIdentificationNumber"] == maker.manufacturer.bin
        name = f"passports/{line['gtin']}.jsonld"
        verify_detached(canonicalize(line["passport"]), line["signature"], jwks, name=name)

    # another company's staff and anonymous callers do not get this catalogue
    refused = iclient.get(f"/api/v1/manufacturers/{maker.manufacturer.id}/passports", headers=other.headers)
    assert refused.status_code == 404
    assert iclient.get(f"/api/v1/manufacturers/{maker.manufacturer.id}/passports").status_code == 401
