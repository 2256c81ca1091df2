"""Issue 15's smaller points on the signing side: another manufacturer's batches, units and recalls answer
404 (as if they did not exist), report photos are what they claim to be, and a signing key that cannot be
opened stops the service at start-up instead of failing every request later."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image

from signing.errors import KeySourceError
from signing.keys import write_encrypted_pkcs8
from tests.conftest import app_settings
from tests.factories import RECALL_WORDS, make_party
from tests.signing.test_web import batch_urls, maker, new_batch, product, reviewer  # noqa: F401


@pytest.fixture()
def rival(ssession: Any) -> Any:
    party = make_party(ssession, "manufacturer")
    ssession.commit()
    return party


def test_another_manufacturers_batches_units_and_recalls_are_not_found(
    sclient: Any,
    maker: Any,  # noqa: F811
    product: Any,  # noqa: F811
    rival: Any,
) -> None:
    batch = new_batch(sclient, maker, product)
    url = batch_urls(sclient, maker, batch)[0]
    requests = [
        ("GET", f"/api/v1/products/{product.id}/batches", None),
        ("POST", f"/api/v1/products/{product.id}/batches", {"count": 5}),
        ("GET", f"/api/v1/batches/{batch['id']}", None),
        ("GET", f"/api/v1/batches/{batch['id']}/urls", None),
        ("GET", f"/api/v1/products/{product.id}/units", None),
        ("GET", f"/api/v1/products/{product.id}/recalls", None),
        ("POST", f"/api/v1/batches/{batch['id']}/recall", RECALL_WORDS),
        ("POST", f"/api/v1/products/{product.id}/recall", RECALL_WORDS),
        ("POST", "/api/v1/units/recall", {"url": url, **RECALL_WORDS}),
        ("POST", "/api/v1/units/clear-flags", {"url": url, "reason": "checked"}),
    ]
    answers = {
        f"{method} {path}": sclient.open(path, method=method, json=body, headers=rival.headers)
        for method, path, body in requests
    }
    assert {name: resp.status_code for name, resp in answers.items()} == dict.fromkeys(answers, 404)
    assert all(resp.mimetype == "application/problem+json" for resp in answers.values())
    # the same answer as for an id that was never issued
    made_up = sclient.get("/api/v1/batches/999999999", headers=rival.headers).get_json()
    assert answers[f"GET /api/v1/batches/{batch['id']}"].get_json()["title"] == made_up["title"]
    # the manufacturer itself still sees them
    for method, path, _body in requests[:6]:
        if method == "GET":
            assert sclient.get(path, headers=maker.headers).status_code == 200, path


def test_a_reviewer_may_see_batches_but_not_request_serials(
    sclient: Any,
    reviewer: Any,  # noqa: F811
    product: Any,  # noqa: F811
) -> None:
    assert sclient.get(f"/api/v1/products/{product.id}/batches", headers=reviewer.headers).status_code == 200
    asked = sclient.post(
        f"/api/v1/products/{product.id}/batches", json={"count": 5}, headers=reviewer.headers
    )
    assert asked.status_code == 403  # a role that may never do this, not a tenant that cannot see it


def webp_image() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, format="WEBP")
    return out.getvalue()


def riff(form: bytes, chunk: bytes) -> bytes:
    body = form + chunk + (24).to_bytes(4, "little") + b"\0" * 24
    return b"RIFF" + len(body).to_bytes(4, "little") + body


def report_with_photo(client: Any, photo: bytes, name: str) -> Any:
    return client.post(
        "/api/v1/reports",
        data={"text": "Sold at half price in a street market", "photo": (io.BytesIO(photo), name)},
        content_type="multipart/form-data",
    )


NOT_WEBP = {
    "WAV sound": riff(b"WAVE", b"fmt "),
    "AVI video": riff(b"AVI ", b"LIST"),
    "WEBP without a VP8 chunk": riff(b"WEBP", b"EXIF"),
    "bare RIFF header": b"RIFF",
}


@pytest.mark.parametrize("what", sorted(NOT_WEBP))
def test_a_riff_file_that_is_not_webp_is_refused(sclient: Any, what: str) -> None:
    resp = report_with_photo(sclient, NOT_WEBP[what], "photo.webp")
    assert resp.status_code == 422, what
    assert resp.get_json()["errors"][0]["field"] == "photo"


def test_a_webp_photo_is_accepted_and_served_as_webp(
    sclient: Any,
    reviewer: Any,  # noqa: F811
) -> None:
    photo = webp_image()
    assert photo[12:16] in (b"VP8 ", b"VP8L", b"VP8X")
    resp = report_with_photo(sclient, photo, "photo.webp")
    assert resp.status_code == 201, resp.get_json()
    served = sclient.get(f"/api/v1/reports/{resp.get_json()['id']}/photo", headers=reviewer.headers)
    assert served.mimetype == "image/webp" and served.get_data() == photo


def test_a_wrong_key_passphrase_or_a_missing_key_file_stops_the_start(tmp_path: Path) -> None:
    from app import create_app

    key = tmp_path / "issuing-key.p8"
    write_encrypted_pkcs8(Ed25519PrivateKey.generate(), key, b"the right passphrase")
    database = f"sqlite:///{tmp_path / 'r.sqlite3'}"

    def start(path: Path, passphrase: str) -> Any:
        return create_app(
            app_settings(tmp_path, database, SIGNING_KEY_PATH=str(path), SIGNING_KEY_PASSPHRASE=passphrase)
        )

    with pytest.raises(KeySourceError, match="cannot load the private key"):
        start(key, "a wrong passphrase")
    with pytest.raises(KeySourceError, match="cannot read the key file"):
        start(tmp_path / "missing.p8", "the right passphrase")
    app = start(key, "the right passphrase")
    assert "signing" in app.extensions
    app.extensions["core.db"].dispose()
