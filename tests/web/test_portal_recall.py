"""A manufacturer recalls from the portal: the whole product, one batch or one unit, with the words consumers
will read in both languages; a form missing any of them is refused with the field marked and nothing changes."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select

from signing.models import Recall
from tests.factories import RECALL_WORDS, ProductFactory, licensed
from tests.web.pages import post_form, sign_in

JSON = {"Accept": "application/json"}


def _batch_and_label(client: Any, product: Any) -> tuple[int, str]:
    post_form(client, f"/portal/products/{product.id}/batches", {"count": "5"}, form_page="/portal/")
    page = client.get(f"/portal/products/{product.id}").get_data(as_text=True)
    csv_link = re.search(r'href="(/portal/batches/(\d+)/labels\.csv)"', page)
    assert csv_link is not None
    rows = client.get(csv_link.group(1)).get_data(as_text=True).splitlines()
    url = next(cell for cell in rows[1].split(",") if "/01/" in cell)
    return int(csv_link.group(2)), url


def test_a_batch_recall_from_the_portal_reaches_the_verdict(client: Any, session: Any, maker: Any) -> None:
    product = ProductFactory(manufacturer=maker.manufacturer, category="laptops", **licensed())
    session.flush()
    sign_in(client, maker.user)
    batch_id, url = _batch_and_label(client, product)
    page = f"/portal/products/{product.id}"
    resp = post_form(
        client,
        page + "/recall",
        {"scope": "batch", "batch_id": str(batch_id), **RECALL_WORDS},
        form_page=page,
    )
    assert resp.status_code == 303, resp.get_data(as_text=True)[:2000]
    shown = client.get(page + "?lang=en").get_data(as_text=True)
    assert RECALL_WORDS["reason_en"] in shown
    path = "/" + url.split("://", 1)[1].split("/", 1)[1]
    verdict = client.get(path, base_url="https://verify.example.gov.bd", headers=JSON).get_json()
    assert verdict["verdict"] == "recalled" and verdict["recall"]["contact"] == RECALL_WORDS["contact"]


def test_a_recall_form_without_the_bangla_words_is_refused_and_changes_nothing(
    client: Any, session: Any, maker: Any
) -> None:
    product = ProductFactory(manufacturer=maker.manufacturer, category="laptops", **licensed())
    session.flush()
    sign_in(client, maker.user)
    page = f"/portal/products/{product.id}"
    words = {k: v for k, v in RECALL_WORDS.items() if k != "instructions_bn"}
    resp = post_form(client, page + "/recall", {"scope": "product", **words}, form_page=page)
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert 'id="e-instructions_bn"' in html and RECALL_WORDS["reason_bn"] in html  # the typed words are kept
    assert (
        session.scalar(select(func.count()).select_from(Recall).where(Recall.product_id == product.id)) == 0
    )


def test_a_unit_recall_needs_a_label_of_this_product(client: Any, session: Any, maker: Any) -> None:
    product = ProductFactory(manufacturer=maker.manufacturer, category="laptops", **licensed())
    session.flush()
    sign_in(client, maker.user)
    page = f"/portal/products/{product.id}"
    resp = post_form(
        client,
        page + "/recall",
        {"scope": "unit", "url": "https://evil.example/x", **RECALL_WORDS},
        form_page=page,
    )
    assert resp.status_code == 422 and 'id="e-url"' in resp.get_data(as_text=True)
    _, url = _batch_and_label(client, product)
    resp = post_form(client, page + "/recall", {"scope": "unit", "url": url, **RECALL_WORDS}, form_page=page)
    assert resp.status_code == 303
    assert session.scalar(select(Recall.scope).where(Recall.product_id == product.id)) == "unit"


def test_a_manufacturer_clears_a_false_copy_flag_from_the_portal(
    client: Any, session: Any, maker: Any
) -> None:
    from signing.models import Unit

    product = ProductFactory(manufacturer=maker.manufacturer, category="laptops", **licensed())
    session.flush()
    sign_in(client, maker.user)
    _, url = _batch_and_label(client, product)
    path = "/" + url.split("://", 1)[1].split("/", 1)[1]
    for address in ("10.1.0.1", "10.3.0.1"):  # Dhaka, then Chattogram: two clients, two divisions
        client.get(
            path,
            base_url="https://verify.example.gov.bd",
            headers=JSON,
            environ_base={"REMOTE_ADDR": address},
        )
    unit = session.scalar(select(Unit).where(Unit.product_id == product.id))
    assert unit is not None and unit.flags == ["far_apart_districts"]
    page = client.get("/portal/reports?lang=en").get_data(as_text=True)
    assert "checked in far-apart districts within a few hours" in page and "far_apart_districts" not in page
    empty = post_form(
        client, f"/portal/units/{unit.id}/clear-flags", {"reason": " "}, form_page="/portal/reports"
    )
    assert empty.status_code == 303
    session.refresh(unit)
    assert unit.flags == ["far_apart_districts"]
    resp = post_form(
        client,
        f"/portal/units/{unit.id}/clear-flags",
        {"reason": "owner moved; receipt seen"},
        form_page="/portal/reports",
    )
    assert resp.status_code == 303
    session.refresh(unit)
    assert unit.flags == [] and unit.flags_cleared_at is not None
