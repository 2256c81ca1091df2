"""The searchable fields of a catalogue document, declared once as data.

Every backend derives its schema and its queries from ``FIELDS`` and ``FACETS``: the embedded
backend builds its FTS5 columns and bm25 weights from the text fields, OpenSearch and
Elasticsearch build their mappings (``text_bn`` → the ``bengali`` analyzer, ``text_en`` →
``english``, ``facet`` → ``keyword`` with aggregations, ``suggest`` → completion). Adding a field
here and to ``documents.build_product_document`` is all it takes to make it searchable.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Literal

FieldKind = Literal["text_en", "text_bn", "keyword", "code", "facet", "suggest", "number", "date"]


@dataclass(frozen=True)
class Field:
    """One document field.

    ``kind`` says how it is analysed: ``text_en``/``text_bn`` full text in that language,
    ``keyword`` exact value, ``code`` exact value also matched by prefix and substring (GTIN,
    model number), ``facet`` exact value counted in facets, ``suggest`` offered while typing,
    ``number`` and ``date`` for filters and sorting. ``boost`` weighs a text match (1 = normal).
    ``languages`` are the languages the field holds; ``banglish`` adds its words' Latin
    skeletons to the transliteration field so romanised queries find them.
    """

    name: str
    kind: FieldKind
    boost: float = 1.0
    languages: tuple[str, ...] = ()
    banglish: bool = False
    sortable: bool = False
    multi: bool = False


FIELDS: tuple[Field, ...] = (
    Field("id", "keyword"),
    Field("gtin", "code", boost=8.0),
    Field("model_number", "code", boost=6.0),
    # procurement officers search by the licence number on a bid and by the bidder's BIN (issue 22)
    Field("licence_number", "code", boost=8.0),
    Field("manufacturer_bin", "code", boost=4.0),
    Field("name_en", "text_en", boost=6.0, languages=("en",), banglish=True, sortable=True),
    Field("name_bn", "text_bn", boost=6.0, languages=("bn",), banglish=True),
    Field("brand", "text_en", boost=5.0, languages=("en", "bn"), banglish=True),
    Field("manufacturer_name_en", "text_en", boost=3.0, languages=("en",), banglish=True),
    Field("manufacturer_name_bn", "text_bn", boost=3.0, languages=("bn",), banglish=True),
    Field("category_name_en", "text_en", boost=3.0, languages=("en",), banglish=True),
    Field("category_name_bn", "text_bn", boost=3.0, languages=("bn",), banglish=True),
    Field("district_name_en", "text_en", boost=1.5, languages=("en",), banglish=True),
    Field("district_name_bn", "text_bn", boost=1.5, languages=("bn",), banglish=True),
    Field("description_en", "text_en", boost=1.0, languages=("en",)),
    Field("description_bn", "text_bn", boost=1.0, languages=("bn",)),
    Field("specifications_text", "text_en", boost=0.7, languages=("en", "bn")),
    Field("suggest", "suggest", languages=("en", "bn")),
    Field("manufacturer_id", "facet"),
    Field("category", "facet"),
    Field("district", "facet"),
    Field("certificate_schemes", "facet", multi=True),
    Field("licence_status", "keyword"),
    Field("licence_valid_from", "date"),
    Field("licence_valid_until", "date"),
    Field("local_value_addition", "number", sortable=True),
    Field("launch_date", "date", sortable=True),
    Field("created_at", "date", sortable=True),
)

FIELDS_BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}

# Local-value-addition bands (percent): lower bound inclusive, upper bound exclusive except the last.
LVA_BANDS: tuple[tuple[str, float, float], ...] = (
    ("0-20", 0.0, 20.0),
    ("20-40", 20.0, 40.0),
    ("40-60", 40.0, 60.0),
    ("60-80", 60.0, 80.0),
    ("80-100", 80.0, 100.0),
)


@dataclass(frozen=True)
class Facet:
    """A facet offered to clients: counts of ``field`` values (``terms``) or of ``LVA_BANDS`` (``bands``)."""

    name: str
    field: str
    kind: Literal["terms", "bands"] = "terms"


FACETS: dict[str, Facet] = {
    f.name: f
    for f in (
        Facet("category", "category"),
        Facet("manufacturer", "manufacturer_id"),
        Facet("district", "district"),
        Facet("certificate", "certificate_schemes"),
        Facet("lva", "local_value_addition", kind="bands"),
    )
}

SORTS: tuple[str, ...] = ("relevance", "newest", "name", "lva")


@cache  # called for every indexed document
def text_fields() -> tuple[Field, ...]:
    return tuple(f for f in FIELDS if f.kind in ("text_en", "text_bn"))


@cache  # called for every indexed document
def code_fields() -> tuple[Field, ...]:
    return tuple(f for f in FIELDS if f.kind == "code")


@cache  # called for every indexed document
def banglish_fields() -> tuple[Field, ...]:
    return tuple(f for f in FIELDS if f.banglish)


def lva_band(value: float) -> str:
    """The band label of a local-value-addition percentage."""
    for label, low, high in LVA_BANDS:
        if low <= value < high:
            return label
    return LVA_BANDS[-1][0] if value >= LVA_BANDS[-1][1] else LVA_BANDS[0][0]
