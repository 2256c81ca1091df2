"""Every reason the registry gives for a bad field has its Bangla sentence (no English left on a Bangla page),
found by the error's code (core.error_codes), not by its English words."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask_babel import refresh
from pydantic import ValidationError

from core.error_codes import GENERIC, MESSAGES, code_of_pydantic
from registry.schemas import CertificateCreate, ManufacturerRegistration, ProductCreate
from web.field_errors import from_pydantic, message

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


def _has_bangla(text: str) -> bool:
    return any("\u0980" <= ch <= "\u09ff" for ch in text)


@pytest.mark.parametrize(("model", "data"), BAD_INPUTS)
def test_each_schema_error_has_a_bangla_sentence(app: Any, model: Any, data: dict[str, Any]) -> None:
    errors = _errors(model, data)
    assert errors
    for err in errors:
        code = code_of_pydantic(err)
        assert code != GENERIC and not MESSAGES[code].lead, (err["type"], err["msg"])
    with page_in(app, "bn"):
        for err in errors:
            text = from_pydantic(err)
            assert not text.startswith("এই মানটি গ্রহণযোগ্য নয়:"), (err["type"], err["msg"])
            assert _has_bangla(text), text
    with page_in(app, "en"):
        for err in errors:
            text = from_pydantic(err)
            assert not _has_bangla(text), text
            assert text[:1].isupper() and text.endswith("."), text


def test_the_check_digit_sentence_names_the_digits(app: Any) -> None:
    [err] = [e for e in _errors(ProductCreate, {"gtin": "4006381333932"}) if e["loc"] == ("gtin",)]
    assert err["type"] == "gtin.check_digit"
    with page_in(app, "bn"):
        assert "4006381333932" in from_pydantic(err) and "1" in from_pydantic(err)
    with page_in(app, "en"):
        assert from_pydantic(err) == (
            "The check digit of GTIN 4006381333932 is 2; it should be 1. Check the number."
        )


def test_an_untranslated_reason_keeps_its_english_words(app: Any) -> None:
    with page_in(app, "bn"):
        assert message(GENERIC, None, "the moon is not a district") == (
            "এই মানটি গ্রহণযোগ্য নয়: the moon is not a district"
        )
        assert message("certificate.taken", {"number": 42}) == "সনদ 42 হিসেবে আগেই নিবন্ধিত।"
    with page_in(app, "en"):
        assert message(GENERIC, None, "the moon is not a district") == "the moon is not a district"
