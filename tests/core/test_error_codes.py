"""Every error code raised anywhere is in the one table (core.error_codes) with its English and Bangla sentence,
and the API answers with the codes."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from core.error_codes import GENERIC, MESSAGES, PYDANTIC_CODES
from tests.factories import make_party
from tests.registry.test_workflow import PRODUCT, REGISTRATION

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = (
    "app.py",
    "core",
    "registry",
    "signing",
    "labels",
    "search",
    "procurement",
    "tlog",
    "gs1",
    "web",
    "stats",
)
PARAM = re.compile(r"%\((\w+)\)s")


def _sources() -> list[Path]:
    out: list[Path] = []
    for name in PACKAGES:
        path = ROOT / name
        out += [path] if path.is_file() else sorted(path.rglob("*.py"))
    return out


def raised_codes() -> dict[str, str]:
    """Every code the code names: ``code="..."`` on a call, ``"code": "..."`` in an errors entry, ``code =
    "..."`` on an error class, the first argument of ``coded(...)``/``refused(...)``/``message(...)`` and the
    values of the code maps (pydantic types, HTTP statuses). Code → one place it is named."""
    found: dict[str, str] = {}

    def add(node: ast.AST, path: Path) -> None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.setdefault(node.value, f"{path.relative_to(ROOT)}:{node.lineno}")

    for path in _sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                for kw in node.keywords:
                    if kw.arg == "code":
                        add(kw.value, path)
                func = node.func
                name = (
                    func.id
                    if isinstance(func, ast.Name)
                    else func.attr
                    if isinstance(func, ast.Attribute)
                    else ""
                )
                if name in ("coded", "refused", "message") and node.args:
                    add(node.args[0], path)
            elif isinstance(node, ast.Dict):  # an errors entry: {"field", "reason", "code"}
                keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
                if {"code", "reason"} <= keys:
                    add(node.values[[getattr(k, "value", None) for k in node.keys].index("code")], path)
            elif isinstance(node, ast.ClassDef) and node.bases:  # an error class's own code
                for stmt in node.body:
                    if isinstance(stmt, ast.Assign) and any(
                        isinstance(t, ast.Name) and t.id == "code" for t in stmt.targets
                    ):
                        add(stmt.value, path)
            elif isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id in ("PYDANTIC_CODES", "_HTTP_CODES") for t in node.targets
            ):
                assert isinstance(node.value, ast.Dict)
                for value in node.value.values:
                    add(value, path)
    return found


def test_every_code_raised_is_in_the_table() -> None:
    found = raised_codes()
    # the scan finds the codes of every package (a scan that found nothing would prove nothing)
    assert {
        "gtin.check_digit",
        "bin.format",
        "record.changed",
        "verification.failed",
        "tlog.proof",
    } <= found.keys()
    assert len(found) > 60
    unknown = {code: where for code, where in found.items() if code not in MESSAGES}
    assert not unknown, f"codes without a sentence in core.error_codes.MESSAGES: {unknown}"
    assert set(PYDANTIC_CODES.values()) <= MESSAGES.keys()


def test_codes_are_stable_names() -> None:
    for code in MESSAGES:
        assert re.fullmatch(r"[a-z0-9_]+\.[a-z0-9_]+", code), code


@pytest.fixture(scope="module")
def bangla() -> dict[str, tuple[str, bool]]:
    with open(ROOT / "translations" / "bn" / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f, locale="bn")
    return {m.id: (m.string, m.fuzzy) for m in catalog if m.id and isinstance(m.id, str)}


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_every_code_has_english_and_bangla(code: str, bangla: dict[str, tuple[str, bool]]) -> None:
    english = MESSAGES[code].text
    assert english.strip() and english[0].isupper(), code
    assert english in bangla, (
        f"{code}: {english!r} is not in the Bangla catalogue (run python -m web.i18n_build)"
    )
    text, fuzzy = bangla[english]
    assert text and not fuzzy, f"{code}: no Bangla for {english!r}"
    assert any("\u0980" <= ch <= "\u09ff" for ch in text), f"{code}: {text!r} is not Bangla"
    assert sorted(PARAM.findall(text)) == sorted(PARAM.findall(english)), code


def _problem(resp, status):
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == "application/problem+json"
    return resp.get_json()


def test_the_api_names_each_fields_code(client) -> None:
    bad = REGISTRATION | {"bin": "12345", "district": "atlantis", "surprise": 1, "contact_email": "nobody"}
    body = _problem(client.post("/api/v1/manufacturers", json=bad), 422)
    assert body["code"] == "value.invalid"
    codes = {e["field"]: e["code"] for e in body["errors"]}
    assert codes == {
        "bin": "bin.format",
        "district": "district.unknown",
        "surprise": "field.unknown",
        "contact_email": "email.format",
    }
    assert all(e["reason"] for e in body["errors"])  # the English words stay beside the code


def test_the_api_gives_a_codes_params(client, session) -> None:
    maker = make_party(session)
    session.commit()
    sent = PRODUCT | {"gtin": "5901234123458"}
    body = _problem(client.post("/api/v1/products", json=sent, headers=maker.headers), 422)
    [entry] = [e for e in body["errors"] if e["field"] == "gtin"]
    assert entry["code"] == "gtin.check_digit"
    assert entry["params"] == {"gtin": "5901234123458", "got": "8", "expected": "7"}
    assert "expected 7" in entry["reason"]


def test_a_conflict_names_its_own_code(client, session) -> None:
    maker = make_party(session, brand="Padma")
    session.commit()
    assert client.post("/api/v1/products", json=PRODUCT, headers=maker.headers).status_code == 201
    body = _problem(client.post("/api/v1/products", json=PRODUCT, headers=maker.headers), 409)
    assert body["code"] == "gtin.taken"
    assert [(e["field"], e["code"]) for e in body["errors"]] == [("gtin", "gtin.taken")]


def test_a_problem_without_a_precise_code_has_its_class_code(client) -> None:
    body = _problem(client.get("/api/v1/no-such-thing"), 404)
    assert body["code"] == "resource.not_found"
    body = _problem(client.post("/api/v1/manufacturers", data="{", content_type="application/json"), 422)
    assert body["code"] == "body.invalid_json"
    assert body["errors"][0]["code"] == "body.invalid_json"
    assert GENERIC in MESSAGES
