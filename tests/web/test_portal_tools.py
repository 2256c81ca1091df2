"""Portal pages for a manufacturer's systems and bulk work: API tokens (created with scopes and a lifetime,
the secret shown once, last use listed, revoked) and bulk import with the per-row report."""

from __future__ import annotations

import io
import re
from typing import Any

from sqlalchemy import func, select

from core.models import ApiToken, AuditEvent
from registry.models import Product
from tests.factories import own_brand
from tests.web.pages import post_form, sign_in

HEADER = "name_en,name_bn,brand,model_number,category,gtin,local_value_addition,lva_basis,specifications,certificate_ids\n"
GOOD = 'Ekota Router R1,একতা রাউটার আর১,Ekota,R1,network-equipment,5901234123457,35,ex-factory audit,"Ports=4",'
BAD = "Ekota Thing,একতা,Ekota,T1,spaceships,1234,140,x,,"
TOKEN_RE = re.compile(r'id="new-token"[^>]*value="(mib_[^"]+)"')


def test_a_token_is_shown_once_works_and_can_be_revoked(client: Any, session: Any, maker: Any) -> None:
    sign_in(client, maker.user)
    resp = post_form(
        client,
        "/portal/tokens?lang=en",
        {"name": "ERP export", "scopes": ["read"], "days": "30"},
        form_page="/portal/tokens",
    )
    assert resp.status_code == 201
    secret = TOKEN_RE.search(resp.get_data(as_text=True))
    assert secret is not None
    headers = {"Authorization": f"Bearer {secret.group(1)}"}
    assert client.get("/api/v1/tokens", headers=headers).status_code == 200
    token = session.scalar(select(ApiToken).where(ApiToken.name == "ERP export"))
    assert (
        token.scopes == ["read"]
        and round((token.expires_at - token.created_at).total_seconds() / 86400) == 30
    )
    listing = client.get("/portal/tokens?lang=en").get_data(as_text=True)
    assert "ERP export" in listing and f"mib_{token.prefix}_" in listing
    assert secret.group(1) not in listing  # never shown again
    row = re.search(r"ERP export.*?</tr>", listing, re.S)
    assert row is not None and "never" not in row.group(0)  # its last use is listed
    write = client.post("/api/v1/products", json={}, headers=headers)
    assert write.status_code == 403  # a read token cannot write
    assert (
        post_form(client, f"/portal/tokens/{token.id}/revoke", form_page="/portal/tokens").status_code == 303
    )
    assert client.get("/api/v1/tokens", headers=headers).status_code == 401
    actions = session.scalars(
        select(AuditEvent.action).where(
            AuditEvent.target_type == "token", AuditEvent.target_id == str(token.id)
        )
    )
    assert sorted(actions) == ["token.created", "token.revoked"]


def test_a_token_form_without_a_permission_is_refused(client: Any, session: Any, maker: Any) -> None:
    sign_in(client, maker.user)
    resp = post_form(
        client, "/portal/tokens?lang=en", {"name": "x", "days": "30"}, form_page="/portal/tokens"
    )
    assert resp.status_code == 422 and 'id="e-scopes"' in resp.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(ApiToken).where(ApiToken.name == "x")) == 0


def test_another_users_token_cannot_be_revoked(app: Any, client: Any, session: Any, maker: Any) -> None:
    from tests.factories import make_party

    other = make_party(session)
    theirs = session.scalar(select(ApiToken).where(ApiToken.user_id == other.user.id))
    sign_in(client, maker.user)
    assert (
        post_form(client, f"/portal/tokens/{theirs.id}/revoke", form_page="/portal/tokens").status_code == 404
    )
    session.refresh(theirs)
    assert theirs.revoked_at is None


def _upload(client: Any, mode: str, *rows: str, name: str = "products.csv") -> Any:
    from tests.web.pages import csrf_token

    data = {
        "csrf_token": csrf_token(client, "/portal/import"),
        "mode": mode,
        "file": (io.BytesIO((HEADER + "".join(r + "\n" for r in rows)).encode()), name),
    }
    return client.post("/portal/import?lang=en", data=data, content_type="multipart/form-data")


def _products(session: Any, maker: Any) -> int:
    return int(
        session.scalar(
            select(func.count()).select_from(Product).where(Product.manufacturer_id == maker.manufacturer.id)
        )
    )


def test_import_reports_each_row_and_imports_nothing_when_one_is_bad(
    client: Any, session: Any, maker: Any
) -> None:
    own_brand(session, maker.manufacturer, "Ekota")
    sign_in(client, maker.user)
    resp = _upload(client, "all-or-nothing", GOOD, BAD)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "2 rows: 0 imported as drafts, 1 with problems." in html
    assert "category" in html and "gtin" in html  # the bad row's fields are named
    assert _products(session, maker) == 0


def test_import_valid_rows_only_and_check_only(client: Any, session: Any, maker: Any) -> None:
    own_brand(session, maker.manufacturer, "Ekota")
    sign_in(client, maker.user)
    checked = _upload(client, "check", GOOD)
    assert "1 rows: 0 imported" in checked.get_data(as_text=True) and _products(session, maker) == 0
    resp = _upload(client, "valid-only", GOOD, BAD)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "1 imported as drafts, 1 with problems" in html
    [product] = session.scalars(select(Product).where(Product.manufacturer_id == maker.manufacturer.id))
    assert product.status == "draft" and f"/portal/products/{product.id}" in html


def test_import_refuses_a_file_of_another_kind(client: Any, maker: Any) -> None:
    sign_in(client, maker.user)
    resp = _upload(client, "all-or-nothing", GOOD, name="products.xlsx")
    assert resp.status_code == 422 and 'id="e-file"' in resp.get_data(as_text=True)
