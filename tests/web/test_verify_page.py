"""The verification page a consumer sees when the phone opens a label URL: the verdict first, large and
plain, in both languages, with colour and icon, then details, first sighting and the clone warning."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from flask import render_template

from tests.factories import ProductFactory, licensed

VERDICTS = {
    "genuine": ("আসল", "Genuine"),
    "not_genuine": ("আসল নয়", "Not genuine"),
    "suspended": ("স্থগিত", "Suspended"),
    "revoked": ("বাতিল", "Revoked"),
    "expired": ("মেয়াদোত্তীর্ণ", "Expired"),
    "untrusted_key": ("অবিশ্বস্ত", "Untrusted"),
    "unknown": ("অজানা", "Unknown"),
}


def _label_url(app: Any, session: Any, product: Any) -> str:
    from signing.services import create_batch, iter_batch_urls

    ext = app.extensions["signing"]
    batch = create_batch(session, product, 3, user_id=None, now=datetime.now(UTC))
    session.flush()
    url, _serial = next(iter_batch_urls(batch, ext.signer(session), ext.settings.public_host))
    return url


def _path(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def _open(app: Any, client: Any, path: str) -> str:
    """Open a label URL on the registry's public host (the host is part of what the label signs)."""
    resp = client.get(path, base_url=app.config["PUBLIC_BASE_URL"], headers={"Accept": "text/html"})
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


@pytest.mark.parametrize("verdict", list(VERDICTS))
@pytest.mark.parametrize("lang", ["bn", "en"])
def test_every_verdict_reads_in_both_languages(app: Any, verdict: str, lang: str) -> None:
    body = {"verdict": verdict, "reasons": [{"code": "x", "detail": "because"}], "serial": "ABC",
            "product": {"id": 1, "name_en": "Ekota Phone", "name_bn": "একতা ফোন", "gtin": "02100000000012"},
            "first_seen": {"at": "2026-03-05T08:00:00+00:00", "district": "khulna", "district_name": "Khulna",
                           "district_name_bn": "খুলনা"}, "scan_count": 12,
            "clone_warning": {"flags": ["many_devices"], "reasons": ["verified from many devices"]}}
    with app.test_request_context(f"/01/02100000000012/21/ABC?lang={lang}"):
        html = render_template("verify.html", v=body)
    bn, en = VERDICTS[verdict]
    first, other = (bn, en) if lang == "bn" else (en, bn)
    assert f'<h1 id="verdict-word" class="verdict-word">{first}</h1>' in html
    assert other in html  # the other language under it
    assert f"verdict-{verdict}" in html and 'class="verdict-icon"' in html
    assert ("খুলনা" if lang == "bn" else "Khulna") in html
    assert ("১২" if lang == "bn" else "12") in html
    assert "clone-warning" in html
    assert ("এক ইউনিটের স্বাভাবিকের চেয়ে বেশি ফোন থেকে যাচাই করা হয়েছে" if lang == "bn"
            else "Checked from more phones than one unit normally is") in html


def test_a_genuine_label_then_tampered_then_revoked(app: Any, client: Any, session: Any, maker: Any) -> None:
    product = ProductFactory(manufacturer=maker.manufacturer, category="laptops", **licensed())
    url = _label_url(app, session, product)
    path = _path(url)
    html = _open(app, client, path + "&lang=en")
    assert '<h1 id="verdict-word" class="verdict-word">Genuine</h1>' in html
    assert product.name_en in html and "First verified on" in html
    assert len(html.encode()) < 100 * 1024
    tampered = path[:-3] + ("000" if not path.endswith("000") else "111")
    html = _open(app, client, tampered + "&lang=en")
    assert '<h1 id="verdict-word" class="verdict-word">Not genuine</h1>' in html
    product.status = "revoked"
    session.flush()
    html = _open(app, client, path + "&lang=bn")
    assert '<h1 id="verdict-word" class="verdict-word">বাতিল</h1>' in html
