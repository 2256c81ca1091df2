"""The signing and label routes speak one contract: pydantic request models that api.route validates and
response models it serialises, the OpenAPI document built from them, and the JSON shapes callers had."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask
from pydantic import BaseModel

from core.api import PUBLIC, ApiSpec
from signing.models import SerialBatch
from tests.signing import test_label_views as with_labels

# the fixtures of a signing app with labels (tests/signing/test_label_views.py)
_labels_app, lapp, client, session = (
    with_labels._labels_app,
    with_labels.lapp,
    with_labels.client,
    with_labels.session,
)
maker, product, new_batch = with_labels.maker, with_labels.product, with_labels.new_batch

SIGNING_PATHS = (
    "/api/v1/batches",
    "/api/v1/units",
    "/api/v1/labels",
    "/api/v1/label-jobs",
    "/api/v1/reports",
)


def test_a_batch_answer_keeps_its_shape_and_iso_times(
    client: Any, maker: Any, product: Any, session: Any
) -> None:
    batch = new_batch(client, maker, product, 5)
    row = session.get(SerialBatch, batch["id"])
    assert batch == {
        "id": row.id,
        "product_id": product.id,
        "gtin": row.gtin,
        "prefix": row.prefix,
        "count": 5,
        "serial_length": row.serial_length,
        "issued_on": row.issued_on.isoformat(),
        "status": "active",
        "status_reason": None,
        "created_at": row.created_at.isoformat(),
        "links": {"self": f"/api/v1/batches/{row.id}", "urls": f"/api/v1/batches/{row.id}/urls"},
    }
    listed = client.get(f"/api/v1/products/{product.id}/batches", headers=maker.headers).get_json()
    assert listed == {"items": [batch]}


def test_a_bad_body_is_refused_by_the_model_naming_the_field(client: Any, maker: Any, product: Any) -> None:
    resp = client.post(f"/api/v1/products/{product.id}/batches", json={"count": 0}, headers=maker.headers)
    assert resp.status_code == 422
    [error] = resp.get_json()["errors"]
    assert (error["field"], error["code"]) == ("count", "number.too_small")
    batch = new_batch(client, maker, product, 3)
    resp = client.post(
        f"/api/v1/batches/{batch['id']}/status", json={"status": "lost", "reason": "x"}, headers=maker.headers
    )
    assert resp.status_code == 422
    assert [e["field"] for e in resp.get_json()["errors"]] == ["status"]


def test_the_document_takes_signing_schemas_from_the_models(client: Any) -> None:
    doc = client.get("/api/v1/openapi.json").get_json()
    checked = 0
    for path, item in doc["paths"].items():
        if not path.startswith(SIGNING_PATHS):
            continue
        for op in item.values():
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            if body is not None:
                assert set(body["schema"]) == {"$ref"}, (path, body)  # a model, not a hand-written schema
                checked += 1
            for answer in op["responses"].values():
                json_answer = answer.get("content", {}).get("application/json")
                if json_answer is not None:
                    assert "$ref" in json_answer["schema"], (path, json_answer)
                    checked += 1
    assert checked >= 15
    assert {"LinkedBatchOut", "RecallOut", "UnitOut", "ReportOut", "LabelJobOut", "UrlLabels"} <= set(
        doc["components"]["schemas"]
    )


class Answer(BaseModel):
    name: str
    count: int


def test_api_route_serialises_a_returned_model_and_documents_it() -> None:
    spec = ApiSpec("t", "1")
    bp = Blueprint("t", __name__)

    @spec.route(
        bp, "/answer", "POST", summary="s", tags=["t"], body=Answer, response=Answer, status=201, scope=PUBLIC
    )
    def answer(body: Answer) -> Any:
        return Answer(name=body.name.upper(), count=body.count + 1), 201

    app = Flask(__name__)
    app.register_blueprint(bp)
    resp = app.test_client().post("/answer", json={"name": "padma", "count": 1})
    assert resp.status_code == 201 and resp.mimetype == "application/json"
    assert resp.get_json() == {"name": "PADMA", "count": 2}
    op = spec.document()["paths"]["/answer"]["post"]
    assert op["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Answer"
    }
