"""Every reason the registry gives for a bad field has its Bangla sentence (no English left on a Bangla page)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask_babel import refresh
from pydantic import ValidationError

from registry.schemas import CertificateCreate, ManufacturerRegistration, ProductCreate
from web.field_errors import from_pydantic, from_text

BAD_INPUTS = [
    (ProductCreate, {"gtin": "123", "category": "toasters", "local_value_addition": -1, "hs_code": "85"}),
    (ProductCreate, {"gtin": "4006381333932", "name_en": "", "brand": "x" * 201, "launch_date": "soon"}),
    (
        ManufacturerRegistration,
        {"bin": "12", "tin": "3", "district": "atlantis", "contact_email": "nobody", "website": "not a url"},
    ),
    (CertificateCreate, {"scheme": "XYZ", "valid_from": "2026-02-01", "valid_until": "2026-01-01"}),
]


@contextmanager
def page_in(app: Any, lang: str) -> Iterator[None]:
    with app.test_request_context(f"/?lang={lang}"):
        refresh()  # the locale is cached per app context, which outlives one request in tests
        yield


def _errors(model: Any, data: dict[str, Any]) -> list[dict[str, Any]]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return caught.value.errors()


@pytest.mark.parametrize(("model", "data"), BAD_INPUTS)
def test_each_schema_error_has_a_bangla_sentence(app: Any, model: Any, data: dict[str, Any]) -> None:
    errors = _errors(model, data)
    assert errors
    with page_in(app, "bn"):
        for err in errors:
            text = from_pydantic(err)
            assert not text.startswith("এই মানটি গ্রহণযোগ্য নয়:"), (err["type"], err["msg"])
            assert any("\u0980" <= ch <= "\u09ff" for ch in text), text
    with page_in(app, "en"):
        assert [from_pydantic(e) for e in errors] == [e["msg"].removeprefix("Value error, ") for e in errors]


def test_an_untranslated_reason_keeps_its_english_words(app: Any) -> None:
    with page_in(app, "bn"):
        assert from_text("the moon is not a district") == "এই মানটি গ্রহণযোগ্য নয়: the moon is not a district"
        assert from_text("already registered as certificate 42") == "সনদ 42 হিসেবে আগেই নিবন্ধিত।"
