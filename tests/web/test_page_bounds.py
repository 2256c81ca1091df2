"""A page number far past the end shows an empty page, never a 500 (the OFFSET it made overflowed the
database's integer)."""

from __future__ import annotations

import pytest

from tests.web.pages import sign_in


@pytest.mark.parametrize("path", ["/console/products", "/console/audit", "/console/reports"])
def test_console_pages_far_past_the_end_are_empty(client, reviewer, path):
    sign_in(client, reviewer.user)
    assert client.get(f"{path}?page={2**70}").status_code == 200


def test_manufacturer_page_far_past_the_end_is_empty(client, maker):
    assert client.get(f"/manufacturers/{maker.manufacturer.id}?page={2**70}").status_code == 200
