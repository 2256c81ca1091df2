"""The statistics page as caches see it: anyone's copy may be shared, a signed-in visitor's may not (it carries
their menu and a sign-out form with its CSRF token)."""

from __future__ import annotations

from typing import Any

from tests.web.pages import sign_in


def test_a_signed_in_visitors_page_is_not_shared_by_caches(client: Any, maker: Any) -> None:
    anonymous = client.get("/statistics?lang=en")
    assert anonymous.headers["Cache-Control"].startswith("public, max-age=")
    assert anonymous.headers["Vary"] == "Cookie, Accept-Language"
    sign_in(client, maker.user)
    mine = client.get("/statistics?lang=en")
    assert mine.status_code == 200 and "Sign out" in mine.get_data(as_text=True)
    assert mine.headers["Cache-Control"] == "private, no-cache"
