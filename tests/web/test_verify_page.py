"""The verification page a consumer sees when the phone opens a label URL: the verdict first, large and
plain, in both languages, with colour and icon, then details, first sighting and the clone warning."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from flask import render_template

from config import settings_of
from tests.factories import ProductFactory, licensed

VERDICTS = {
    "genuine": ("আসল", "Genuine"),
    "not_genuine": ("আসল নয়", "Not genuine"),
    "suspended": ("স্থগিত", "Suspended"),
    "revoked": ("বাতিল", "Revoked"),
    "expired": ("মেয়াদোত্তীর্ণ", "Expired"),
    "recalled": ("প্রত্যাহার করা হয়েছে", "Recalled"),
    "untrusted_key": ("অবিশ্বস্ত", "Untrusted"),
    "unknown": ("অজানা", "Unknown"),
}


def _label_url(app: Any, session: Any, product: Any) -> str:
    from signing.batches import create_batch, iter_batch_urls

    ext = app.extensions["signing"]
    batch = create_batch(session, product, 3, user_id=None, now=datetime.now(UTC))
    session.flush()
    url, _serial = next(iter_batch_urls(batch, ext.signer(session), ext.settings.public_host))
    return url


def _path(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def _open(app: Any, client: Any, path: str) -> str:
    """Open a label URL on the registry's public host (the host is part of what the label signs)."""
    resp = client.get(path, base_url=settings_of(app).core.public_base_url, headers={"Accept": "text/html"})
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def render_verdict(app: Any, lang: str, **body: Any) -> str:
    body = {
        "reasons": [{"code": "x", "detail": "because"}],
        "serial": "ABC",
        "product": {"id": 1, "name_en": "Ekota Phone", "name_bn": "একতা ফোন", "gtin": "02100000000012"},
        "licence": {"status": "licensed", "number": "MIB-2026-000123", "valid": True},
        "certificates": [{"scheme": "BTRC", "number": "BTRC-77", "valid": True}],
        "first_seen": {
            "at": "2026-03-05T08:00:00+00:00",
            "district": "khulna",
            "district_name": "Khulna",
            "district_name_bn": "খুলনা",
        },
        "scan_count": 12,
        "clone_warning": False,
    } | body
    with app.test_request_context(f"/01/02100000000012/21/ABC?lang={lang}"):
        return render_template("verify.html", v=body)


@pytest.mark.parametrize("verdict", list(VERDICTS))
@pytest.mark.parametrize("lang", ["bn", "en"])
def test_every_verdict_reads_in_both_languages(app: Any, verdict: str, lang: str) -> None:
    html = render_verdict(app, lang, verdict=verdict)
    bn, en = VERDICTS[verdict]
    first, other = (bn, en) if lang == "bn" else (en, bn)
    assert f'<h1 id="verdict-word" class="verdict-word">{first}</h1>' in html
    assert other in html  # the other language under it
    assert f"verdict-{verdict}" in html and 'class="verdict-icon"' in html
    assert ("খুলনা" if lang == "bn" else "Khulna") in html
    assert ("১২" if lang == "bn" else "12") in html


@pytest.mark.parametrize("lang", ["bn", "en"])
def test_a_flagged_genuine_label_is_one_amber_card_not_a_green_one(app: Any, lang: str) -> None:
    html = render_verdict(
        app, lang, verdict="genuine", clone_warning={"flags": ["many_devices"], "reasons": ["many devices"]}
    )
    card = html.split('<section class="verdict', 1)[1].split("</section>", 1)[0]
    assert "verdict-copied" in card and "verdict-genuine" not in html
    words = ("আসল লেবেল — নকল থাকতে পারে", "Genuine label — copies may exist")
    assert (words[0] if lang == "bn" else words[1]) in card
    assert (
        "এক ইউনিটের স্বাভাবিকের চেয়ে বেশি ফোন থেকে যাচাই করা হয়েছে"
        if lang == "bn"
        else "Checked from more phones than one unit normally is"
    ) in card
    assert "/report" in card  # what to do sits in the card itself


@pytest.mark.parametrize("verdict", ["not_genuine", "untrusted_key"])
def test_a_forged_or_untrusted_label_says_what_to_do_and_endorses_nothing(app: Any, verdict: str) -> None:
    html = render_verdict(app, "en", verdict=verdict)
    card = html.split('<section class="verdict', 1)[1].split("</section>", 1)[0]
    assert "/report" in card and "Report a fake" in card
    assert "Do not buy this product" in card
    assert "MIB-2026-000123" not in html and "BTRC-77" not in html  # no licence block to read as endorsement
    assert "Brand licence" not in html
    assert "The label names this product" in html
    if verdict == "untrusted_key":
        assert "Treat the product as not genuine" in card


@pytest.mark.parametrize("lang", ["bn", "en"])
def test_a_recall_shows_the_makers_words_and_no_fake_report(app: Any, lang: str) -> None:
    recall = {
        "scope": "batch",
        "reason_en": "Battery may swell.",
        "reason_bn": "ব্যাটারি ফুলে যেতে পারে।",
        "instructions_en": "Return it to any service centre.",
        "instructions_bn": "যেকোনো সার্ভিস সেন্টারে ফেরত দিন।",
        "contact": "16123",
        "recalled_at": "2026-11-30T10:00:00+00:00",
    }
    html = render_verdict(app, lang, verdict="recalled", recall=recall)
    assert "verdict-recalled" in html and "16123" in html
    mine, other = (
        ("ব্যাটারি ফুলে যেতে পারে।", "Battery may swell.")
        if lang == "bn"
        else ("Battery may swell.", "ব্যাটারি ফুলে যেতে পারে।")
    )
    assert mine in html and other in html  # the other language is there too, marked as such
    assert ("যেকোনো সার্ভিস সেন্টারে ফেরত দিন।" if lang == "bn" else "Return it to any service centre.") in html
    main = html.split("<main", 1)[1].split("</main>", 1)[0]  # the site's menu links to reports on every page
    assert "/report" not in main and "clone-warning" not in main


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


@pytest.mark.parametrize("lang", ["bn", "en"])
@pytest.mark.parametrize("clone_warning", [False, {"flags": ["many_devices", "far_apart_districts"]}])
@pytest.mark.parametrize("verdict", [*VERDICTS, "something_new"])
def test_the_page_compiled_per_language_reads_exactly_as_the_template(
    app: Any, verdict: str, clone_warning: Any, lang: str
) -> None:
    """The verification page is served from the template compiled per language (its fixed words folded in
    as literals): what it shows is, byte for byte, what the template renders through gettext."""
    from core.templates import translated_template

    body = {
        "verdict": verdict,
        "clone_warning": clone_warning,
        "serial": "ABC",
        "product_only": True,
        "reasons": [{"code": "bad_signature", "detail": "x"}, "plain <reason>"],
        "product": {
            "id": 1,
            "name_en": "Ekota <Phone>",
            "name_bn": "একতা ফোন",
            "brand": "Ek'ota",
            "gtin": "02100000000012",
        },
        "manufacturer": {"id": 1, "legal_name_en": "Ekota & Sons", "legal_name_bn": "একতা"},
        "licence": {"status": "licensed", "number": "MIB-1", "valid_until": "2029-11-05"},
        "certificates": [{"scheme": "BTRC", "number": "BTRC-77", "valid_until": "2028-04-19"}],
        "first_seen": {
            "at": "2026-03-05T08:00:00+00:00",
            "district_name": "Khulna",
            "district_name_bn": "খুলনা",
        },
        "scan_count": 12,
        "recall": {
            "reason_en": "Overheats",
            "reason_bn": "গরম হয়",
            "instructions_en": "Stop",
            "instructions_bn": "থামুন",
            "contact": "a@b.bd",
            "recalled_at": "2026-12-01T00:00:00+00:00",
        },
    }
    with app.test_request_context(f"/01/02100000000012/21/ABC?lang={lang}"):
        app.preprocess_request()
        plain = render_template("verify.html", v=body)
        compiled = render_template(translated_template("verify.html"), v=body)
    assert compiled == plain
    assert f'<html lang="{lang}">' in compiled
    assert ("Skip to content" in compiled) == (lang == "en")  # the fixed words are in the page's language


def test_folding_keeps_quotes_escapes_and_percent_signs() -> None:
    from markupsafe import Markup

    from core.templates import fold_constant_gettext

    table = {"It's 100%% sure": 'এটা "১০০%%" নিশ্চিত', "Plain": "সাধারণ"}
    source = """{{ _('It\\'s 100%% sure') }}|{{ _("Plain") }}|{{ _("Left %(n)s", n=1) }}|{{ x_("Plain") }}"""
    folded = fold_constant_gettext(source, lambda s: table.get(s, s))
    assert folded.count("|safe)") == 2  # the two constants; the call with a variable and x_() are left alone
    assert '{{ _("Left %(n)s", n=1) }}|{{ x_("Plain") }}' in folded
    from jinja2 import Environment

    env = Environment(autoescape=True)  # noqa: S701 - autoescape on
    out = env.from_string(folded).render(x_=lambda s: s, _=lambda s, **k: Markup(s) % k)  # noqa: S704
    assert out == 'এটা "১০০%" নিশ্চিত|সাধারণ|Left 1|Plain'
