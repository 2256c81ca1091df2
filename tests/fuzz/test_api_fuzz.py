"""API fuzzing: schemathesis generates requests from /api/v1/openapi.json, valid ones and deliberately invalid
ones, for every operation, and sends them to the app in-process as an anonymous caller, a manufacturer's
owner and a reviewer. No answer may be a 5xx, and every answer must match what the document declares.

Half of the valid requests aim at objects that exist and that the caller may see (the owner's company,
licensed product, certificate and batch), so that they get past "not found" into the views' real work.

``make test`` runs a few requests per operation, role and kind, with a fixed seed (the same requests every
run: a red CI is reproducible); ``make fuzz`` runs thousands per role with a fresh seed and prints the
figures. REGISTRY_FUZZ_EXAMPLES sets the number per operation, role and kind; REGISTRY_FUZZ_SEED a seed.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from config import settings_of
from core.models import Role
from tests.factories import CertificateFactory, ProductFactory, licensed, make_party
from tests.fuzz.figures import FIGURES

EXAMPLES = int(os.environ.get("REGISTRY_FUZZ_EXAMPLES", "3"))
SEED = os.environ.get("REGISTRY_FUZZ_SEED")
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
ROLES = ("anonymous", Role.MANUFACTURER, Role.REVIEWER)

SETTINGS = settings(
    max_examples=EXAMPLES,
    database=None,  # no example database in the repository; a failure is reported with its curl command
    deadline=None,  # the first request of an operation warms caches; time is bounded by max_examples instead
    derandomize=SEED is None,  # make test: the same requests every run; make fuzz passes a fresh seed
    phases=[Phase.explicit, Phase.generate],  # no shrinking: every failure is listed as found, quickly
    # the strategies are schemathesis', built from our own document: slow or large data is expected there
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


@pytest.fixture()
def known_objects(app: Any, session: Any) -> tuple[dict[str, dict[str, str]], dict[str, int]]:
    """Headers per role, and ids of objects the owner's requests can reach."""
    maker = make_party(session)
    reviewer = make_party(session, Role.REVIEWER)
    product = ProductFactory(manufacturer_id=maker.manufacturer.id, **licensed())
    certificate = CertificateFactory(manufacturer_id=maker.manufacturer.id)
    session.commit()
    client = app.test_client()
    resp = client.post(f"/api/v1/products/{product.id}/batches", json={"count": 20}, headers=maker.headers)
    assert resp.status_code == 201, resp.get_json()
    ids = {
        "manufacturer_id": maker.manufacturer.id,
        "product_id": product.id,
        "certificate_id": certificate.id,
        "batch_id": resp.get_json()["id"],
    }
    headers = {"anonymous": {}, Role.MANUFACTURER: maker.headers, Role.REVIEWER: reviewer.headers}
    return headers, ids


# schemathesis' WSGI transport reads a response's body but never closes it: a file sent with send_file (a
# certificate's evidence) is closed by the garbage collector, which pytest reports as an unraisable
# ResourceWarning. Only that one is ignored, here; every other warning stays an error.
@pytest.mark.filterwarnings(
    "ignore:Exception ignored in. <_io.FileIO:pytest.PytestUnraisableExceptionWarning"
)
@pytest.mark.parametrize("role", ROLES)
def test_no_request_gets_a_server_error_or_an_undeclared_answer(app, known_objects, monkeypatch, role):
    headers, ids = known_objects
    # the per-client limits would answer most anonymous verifications and reports with 429 after a few
    monkeypatch.setattr(settings_of(app).ratelimit, "verify", "")
    monkeypatch.setattr(settings_of(app).ratelimit, "report", "")
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    figures = FIGURES.setdefault(role, {"requests": 0, "server errors": 0, "schema violations": 0})
    failures: list[str] = []

    def send(case: Any) -> None:
        figures["requests"] += 1
        response = case.call(headers=headers[role])
        try:
            case.validate_response(response, checks=CHECKS, headers=headers[role])
        except (Failure, FailureGroup) as exc:
            figures["server errors" if response.status_code >= 500 else "schema violations"] += 1
            failures.append(f"{case.operation.label} [{response.status_code}]\n{str(exc)[:1500]}")

    for result in schema.get_all_operations():
        operation = result.ok()
        names = {p.name for p in operation.path_parameters}
        strategies = [
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
        ]
        if names and names <= ids.keys():
            fixed = {name: ids[name] for name in names}
            strategies.append(operation.as_strategy(GenerationMode.POSITIVE, path_parameters=fixed))
        for strategy in strategies:
            run = SETTINGS(given(case=strategy)(send))
            if SEED is not None:
                run = seed(int(SEED))(run)
            try:
                run()
            except Unsatisfiable:  # nothing to make invalid (an operation without parameters or body)
                continue
    assert not failures, f"{len(failures)} failing requests:\n\n" + "\n\n".join(failures[:20])
