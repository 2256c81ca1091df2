"""The product passport: one licensed product as JSON-LD in the GS1 Web Vocabulary and schema.org, plus the
registry's own terms (licence, local value addition), signed with the registry's issuing key.

Pure: :func:`build_passport` takes a loaded product, :func:`passport_context` is the JSON-LD context every
passport names (served at ``/passports/context.jsonld``). The bytes served and signed are the RFC 8785
canonical JSON of the passport; the signature is the detached JWS of ``signing.detached`` over them, with
the name ``passports/<GTIN-14>.jsonld`` (so ``python -m signing verify`` checks one). docs/formats.md,
"Product passport", maps every field.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from registry.data.taxonomy import CATEGORIES, CERTIFICATE_SCHEMES
from registry.models import Manufacturer, Product
from registry.queries import PUBLIC_PRODUCT_STATES

CONTEXT_PATH = "/passports/context.jsonld"
PASSPORT_TYPE = "application/ld+json"
SCHEMA_ORG = "https://schema.org/"
GS1_VOC = "https://gs1.org/voc/"
XSD = "http://www.w3.org/2001/XMLSchema#"
COUNTRY = "BD"  # ISO 3166-1 alpha-2: made in, and licensed for sale in, Bangladesh


def passport_name(gtin: str) -> str:
    """The name the passport's detached signature binds (``passports/<GTIN-14>.jsonld``)."""
    return f"passports/{gtin}.jsonld"


def has_passport(product: Product) -> bool:
    """Only a product that has been licensed has a passport (a suspended or revoked one says so)."""
    return product.status in PUBLIC_PRODUCT_STATES


def passport_context(base_url: str) -> dict[str, Any]:
    """The JSON-LD 1.1 context of every passport: each term maps to the GS1 Web Vocabulary, schema.org or
    the registry's vocabulary under ``<PUBLIC_BASE_URL>/voc/`` (prefix ``mib``)."""
    mib = base_url + "/voc/"
    return {
        "@context": {
            "@version": 1.1,
            "gs1": GS1_VOC,
            "schema": SCHEMA_ORG,
            "mib": mib,
            "xsd": XSD,
            "id": "@id",
            "type": "@type",
            "Product": "gs1:Product",
            "Organization": "gs1:Organization",
            "Brand": "gs1:Brand",
            "Country": "gs1:Country",
            "CertificationDetails": "gs1:CertificationDetails",
            "ReferencedFileDetails": "gs1:ReferencedFileDetails",
            "Licence": "mib:Licence",
            "gtin": "gs1:gtin",
            "brand": "gs1:brand",
            "brandName": {"@id": "gs1:brandName", "@container": "@language"},
            "productName": {"@id": "gs1:productName", "@container": "@language"},
            "productDescription": {"@id": "gs1:productDescription", "@container": "@language"},
            "gpcCategoryCode": "gs1:gpcCategoryCode",
            "productImage": {"@id": "gs1:productImage", "@container": "@set"},
            "referencedFileURL": {"@id": "gs1:referencedFileURL", "@type": "xsd:anyURI"},
            "countryOfOrigin": "gs1:countryOfOrigin",
            "countryOfSaleCode": "gs1:countryOfSaleCode",
            "countryCode": "gs1:countryCode",
            "manufacturer": "schema:manufacturer",
            "organizationName": {"@id": "gs1:organizationName", "@container": "@language"},
            "businessIdentificationNumber": "mib:businessIdentificationNumber",
            "model": "schema:model",
            "category": "schema:category",
            "categoryName": {"@id": "mib:categoryName", "@container": "@language"},
            "hsCode": "mib:hsCode",
            "certification": {"@id": "gs1:certification", "@container": "@set"},
            "certificationStandard": "gs1:certificationStandard",
            "certificationIdentification": "gs1:certificationIdentification",
            "certificationAgency": "gs1:certificationAgency",
            "certificationStartDate": {"@id": "gs1:certificationStartDate", "@type": "xsd:date"},
            "certificationEndDate": {"@id": "gs1:certificationEndDate", "@type": "xsd:date"},
            "localValueAddition": {"@id": "mib:localValueAddition", "@type": "xsd:decimal"},
            "localValueAdditionBasis": "mib:localValueAdditionBasis",
            "licence": "mib:licence",
            "licenceNumber": "mib:licenceNumber",
            "licenceStatus": "mib:licenceStatus",
            "validFrom": {"@id": "schema:validFrom", "@type": "xsd:date"},
            "validThrough": {"@id": "schema:validThrough", "@type": "xsd:date"},
            "verificationService": {"@id": "gs1:verificationService", "@type": "@id"},
            "productPage": {"@id": "gs1:pip", "@type": "@id"},
            "dateModified": {"@id": "schema:dateModified", "@type": "xsd:dateTime"},
        }
    }


def _language_map(en: str | None, bn: str | None) -> dict[str, str]:
    return {lang: text for lang, text in (("en", en), ("bn", bn)) if text}


def _organization(maker: Manufacturer) -> dict[str, Any]:
    return {
        "type": "Organization",
        "organizationName": _language_map(maker.legal_name_en, maker.legal_name_bn),
        "businessIdentificationNumber": maker.bin,
    }


def build_passport(product: Product, base_url: str, today: date) -> dict[str, Any]:
    """The passport of a licensed (or once licensed) ``product`` as of ``today`` (whose licence state it
    shows: ``licensed``, ``suspended``, ``revoked`` or ``expired``)."""
    category = CATEGORIES.get(product.category)
    passport: dict[str, Any] = {
        "@context": base_url + CONTEXT_PATH,
        "id": f"{base_url}/01/{product.gtin}",
        "type": "Product",
        "gtin": product.gtin,
        "brand": {"type": "Brand", "brandName": {"en": product.brand}},
        "productName": _language_map(product.name_en, product.name_bn),
        "productDescription": _language_map(
            product.description_en or product.name_en, product.description_bn or product.name_bn
        ),
        "model": product.model_number,
        "category": product.category,
        "countryOfOrigin": {"type": "Country", "countryCode": COUNTRY},
        "countryOfSaleCode": {"type": "Country", "countryCode": COUNTRY},
        "manufacturer": _organization(product.manufacturer),
        "localValueAddition": f"{product.local_value_addition:.2f}",
        "localValueAdditionBasis": product.lva_basis,
        "certification": [
            {
                "type": "CertificationDetails",
                "certificationStandard": CERTIFICATE_SCHEMES.get(c.scheme, (c.scheme,))[0],
                "certificationIdentification": c.number,
                "certificationAgency": c.issuer,
                "certificationStartDate": c.valid_from.isoformat(),
                "certificationEndDate": c.valid_until.isoformat(),
            }
            for c in sorted(product.certificates, key=lambda c: c.id)
        ],
        "licence": {
            "type": "Licence",
            "licenceNumber": product.licence_number,
            "licenceStatus": product.licence_state(today),
            "validFrom": product.licence_valid_from.isoformat() if product.licence_valid_from else None,
            "validThrough": product.licence_valid_until.isoformat() if product.licence_valid_until else None,
        },
        "verificationService": f"{base_url}/01/{product.gtin}",
        "productPage": f"{base_url}/products/{product.id}",
        "dateModified": product.updated_at.replace(microsecond=0, tzinfo=None).isoformat() + "Z",
    }
    if category is not None:
        passport["categoryName"] = _language_map(category.name_en, category.name_bn)
    if product.hs_code:
        passport["hsCode"] = product.hs_code
    images = [url for url in product.images or () if isinstance(url, str)]
    if images:
        passport["productImage"] = [
            {"type": "ReferencedFileDetails", "referencedFileURL": url} for url in images
        ]
    passport["licence"] = {key: value for key, value in passport["licence"].items() if value is not None}
    return passport
