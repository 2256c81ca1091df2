"""A form with a control or invisible character in a name says which one, in the page's language."""

from __future__ import annotations

from typing import Any

import pytest

from registry.schemas import ProductCreate
from tests.web.test_field_errors import _errors, page_in
from web.field_errors import from_pydantic


@pytest.mark.parametrize(
    ("name", "bangla"),
    [
        ("Padma\x00P10", "নিয়ন্ত্রণ অক্ষর U+0000 মুছে দিন"),
        ("Padma\u2028P10", "এটি এক লাইনে লিখুন (লাইন ভাঙার অক্ষর U+2028"),
        ("Padma\u202eP10", "অদৃশ্য অক্ষর U+202E মুছে দিন"),
    ],
)
def test_refused_character_is_named_in_bangla(app: Any, name: str, bangla: str) -> None:
    errors = [e for e in _errors(ProductCreate, {"name_en": name}) if e["loc"] == ("name_en",)]
    assert len(errors) == 1
    with page_in(app, "bn"):
        assert from_pydantic(errors[0]).startswith(bangla)
    with page_in(app, "en"):
        assert "U+" in from_pydantic(errors[0])
