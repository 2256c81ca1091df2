"""The log as an outsider sees it over HTTP: the signed checkpoint, C2SP tiles, proofs, the log index and
proof in verification answers and record downloads, and the monitor catching a changed entry, a dropped one,
a fork and a broken registry rule."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import delete, select, update

from config import settings_of
from signing.offline import EXIT_LOG_NOT_PROVEN
from signing.offline import main as offline_main
from tests.factories import ProductFactory, make_party
from tlog import entries, merkle, monitor, tiles
from tlog.models import TlogCheckpoint, TlogCosignature, TlogEntry, TlogTile
from tlog.note import NoteSigner, Verifier, open_checkpoint, open_note


def integrate(runner: Any) -> str:
    result = runner.invoke(args=["tlog", "integrate"])
    assert result.exit_code == 0, result.output
    return result.output


def log_verifier(client: Any) -> Verifier:
    jwks = client.get("/.well-known/jwks.json").get_json()
    member = jwks["transparency_log"]
    assert all(k["kid"] != member["jwk"]["kid"] for k in jwks["keys"])  # not an issuing key
    return Verifier.parse(member["note_verifier_key"])


def getter(client: Any) -> monitor.Getter:
    def get(path: str) -> bytes:
        resp = client.get(path)
        if resp.status_code != 200:
            raise monitor.AuditError(f"GET {path}: HTTP {resp.status_code}")
        return resp.data

    return get


def make_history(client: Any, session: Any, products: int = 3) -> list[int]:
    """Verified makers, licensed products (each with its record and status list), a batch each."""
    reviewer = make_party(session, "reviewer")
    ids = []
    for _ in range(products):
        maker = make_party(session, status="pending")
        session.commit()
        assert (
            client.post(
                f"/api/v1/manufacturers/{maker.manufacturer.id}/verify", json={}, headers=reviewer.headers
            ).status_code
            == 200
        )
        product = ProductFactory(
            manufacturer_id=maker.manufacturer.id, status="submitted", category="laptops"
        )
        session.commit()
        assert (
            client.post(
                f"/api/v1/products/{product.id}/approve", json={}, headers=reviewer.headers
            ).status_code
            == 200
        )
        resp = client.post(f"/api/v1/products/{product.id}/batches", json={"count": 5}, headers=maker.headers)
        assert resp.status_code == 201, resp.get_data(as_text=True)
        ids.append(product.id)
    return ids


def rebuild_log(session: Any, runner: Any) -> None:
    """What a dishonest operator would do: re-sequence the entries and re-sign the tree."""
    session.execute(delete(TlogCosignature))
    session.execute(delete(TlogCheckpoint))
    session.execute(delete(TlogTile))
    session.execute(update(TlogEntry).values(idx=None))
    session.commit()
    integrate(runner)


def test_checkpoint_tiles_and_proofs(client: Any, session: Any, runner: Any) -> None:
    make_history(client, session)
    integrate(runner)
    verifier = log_verifier(client)
    resp = client.get("/log/checkpoint")
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-cache"
    cp, _ = open_checkpoint(resp.data, verifier)
    assert cp.origin == "verify.example.gov.bd/log" and cp.size >= 15
    # the tiles rebuild the root; the entry bundles hash to the level-0 tile
    bundle = client.get("/log/" + tiles.tile_path("entries", 0, cp.size))
    level0 = client.get("/log/" + tiles.tile_path(0, 0, cp.size))
    assert bundle.headers["Cache-Control"] == "public, max-age=2"  # partial: short
    leaves = tiles.split_hashes(level0.data)
    assert leaves == [merkle.hash_leaf(e) for e in tiles.decode_bundle(bundle.data)]
    assert merkle.root_of_leaves(leaves) == cp.root
    assert client.get("/log/" + tiles.tile_path(0, 0)).status_code == 404  # not full yet
    assert client.get("/log/" + tiles.tile_path(0, 0, cp.size + 1)).status_code == 404
    bad = client.get("/log/tile/0/0001")
    assert bad.status_code == 404 and bad.mimetype == "application/problem+json"
    # inclusion by index and by hash, consistency between two sizes
    first_size = cp.size
    by_index = client.get("/api/v1/log/inclusion?index=3").get_json()
    proof = [base64.b64decode(p) for p in by_index["inclusion_proof"]]
    merkle.verify_inclusion(3, cp.size, leaves[3], proof, cp.root)
    for given in (quote(base64.b64encode(leaves[3]).decode(), safe=""), leaves[3].hex()):
        by_hash = client.get(f"/api/v1/log/inclusion?hash={given}").get_json()
        assert by_hash["log_index"] == 3 and by_hash["inclusion_proof"] == by_index["inclusion_proof"]
    assert client.get("/api/v1/log/inclusion?hash=abc").status_code == 422
    assert client.get("/api/v1/log/inclusion?index=x").status_code == 422
    assert client.get("/api/v1/log/inclusion").status_code == 422
    assert client.get(f"/api/v1/log/inclusion?index={cp.size + 5}").status_code == 404
    make_history(client, session, products=1)
    integrate(runner)
    later, _ = open_checkpoint(client.get("/log/checkpoint").data, verifier)
    answer = client.get(f"/api/v1/log/consistency?first={first_size}").get_json()
    merkle.verify_consistency(
        first_size,
        later.size,
        cp.root,
        later.root,
        [base64.b64decode(p) for p in answer["consistency_proof"]],
    )
    assert client.get("/api/v1/log/consistency?first=0").status_code == 422
    assert client.get(f"/api/v1/log/consistency?first={later.size + 1}").status_code == 400


def test_verification_answers_and_records_carry_their_proof(client: Any, session: Any, runner: Any) -> None:
    [pid] = make_history(client, session, products=1)
    gtin = session.scalar(
        select(TlogEntry.gtin).where(TlogEntry.kind == "batch.issued", TlogEntry.product_id == pid)
    )
    record = client.get(f"/api/v1/products/{pid}/record")
    assert "Tlog-Index" not in record.headers and record.headers["Tlog-Leaf-Hash"]  # not integrated yet
    integrate(runner)
    verifier = log_verifier(client)
    record = client.get(f"/api/v1/products/{pid}/record")
    cp, _ = open_checkpoint(client.get("/log/checkpoint").data, verifier)
    leaf = merkle.hash_leaf(
        base64.b64decode(
            client.get(f"/api/v1/log/entries/{record.headers['Tlog-Index']}").get_json()["entry_b64"]
        )
    )
    proof = [base64.b64decode(p) for p in record.headers["Tlog-Inclusion-Proof"].split(",")]
    merkle.verify_inclusion(int(record.headers["Tlog-Index"]), cp.size, leaf, proof, cp.root)
    entry = client.get(f"/api/v1/log/entries/{record.headers['Tlog-Index']}").get_json()["entry"]
    assert entry["kind"] == "record.signed"
    assert (
        entry["record_sha256"] == hashlib.sha256(record.data).hexdigest()
    )  # the entry names this very record
    answer = client.get(
        f"/api/v1/verify?url=https://verify.example.gov.bd/01/{gtin}", headers={"Accept": "application/json"}
    )
    body = answer.get_json()
    t = body["transparency"]
    assert t["status"] == "included" and t["log_index"] == int(record.headers["Tlog-Index"])
    checkpoint, _ = open_checkpoint(t["checkpoint"], verifier)
    merkle.verify_inclusion(
        t["log_index"],
        t["tree_size"],
        bytes.fromhex(t["leaf_hash"]),
        [base64.b64decode(p) for p in t["inclusion_proof"]],
        checkpoint.root,
    )


def test_the_monitor_replays_and_then_catches_a_changed_entry(
    client: Any, session: Any, runner: Any, tmp_path: Path, capsys: Any
) -> None:
    make_history(client, session)
    integrate(runner)
    state = tmp_path / "state.json"
    assert monitor.main(["audit", "http://test", "--state", str(state)], get=getter(client)) == 0
    out = capsys.readouterr().out
    assert "registry rules: all hold" in out and "licence.granted: 3" in out
    make_history(client, session, products=1)
    integrate(runner)
    assert monitor.main(["audit", "http://test", "--state", str(state)], get=getter(client)) == 0
    assert "licence.granted: 1" in capsys.readouterr().out
    # an operator edits an entry in place: a fresh monitor catches it
    row = session.scalar(select(TlogEntry).where(TlogEntry.kind == "licence.granted").limit(1))
    row.data = row.data.replace(b'"status":"licensed"', b'"status":"revoked"')
    session.commit()
    fresh = tmp_path / "fresh.json"
    assert monitor.main(["audit", "http://test", "--state", str(fresh)], get=getter(client)) == 1
    assert "does not hash to the leaf" in capsys.readouterr().out
    assert not fresh.exists()  # nothing kept from an inconsistent log


def test_the_monitor_catches_a_dropped_entry_and_a_fork(
    client: Any, session: Any, runner: Any, tmp_path: Path, capsys: Any
) -> None:
    make_history(client, session)
    integrate(runner)
    state = tmp_path / "state.json"
    assert monitor.main(["audit", "http://test", "--state", str(state)], get=getter(client)) == 0
    saved = state.read_text()
    seen = json.loads(saved)["size"]
    # drop: entry 2 disappears and the log is re-sequenced and re-signed, then grows past the old size
    session.execute(delete(TlogEntry).where(TlogEntry.idx == 2))
    session.commit()
    rebuild_log(session, runner)
    make_history(client, session, products=1)
    integrate(runner)
    assert monitor.main(["audit", "http://test", "--state", str(state)], get=getter(client)) == 1
    assert "do not give the checkpoint's root" in capsys.readouterr().out
    # fork: another tree of exactly the size the monitor saw, signed by the log's key
    session.execute(delete(TlogEntry).where(TlogEntry.idx >= seen - 1))
    session.commit()
    rebuild_log(session, runner)
    entries.append_rows(
        session,
        [entries.entry_row("status_list.published", {"token_id": 0, "at": "2026-01-01T00:00:00Z"}, None)],
    )
    session.commit()
    integrate(runner)
    cp_size = int(client.get("/log/checkpoint").data.split(b"\n")[1])
    assert cp_size == seen
    assert monitor.main(["audit", "http://test", "--state", str(state)], get=getter(client)) == 1
    assert "fork" in capsys.readouterr().out


def test_the_monitor_checks_the_registry_rules(
    client: Any, session: Any, runner: Any, tmp_path: Path, capsys: Any
) -> None:
    make_history(client, session, products=1)
    at = "2026-01-01T00:00:00Z"
    forged = [
        entries.entry_row(
            "batch.issued",
            {
                "batch_id": 999,
                "product_id": 424242,
                "gtin": "00000000000000",
                "prefix": "Z",
                "count": 1,
                "issued_on": "2026-01-01",
                "status": "active",
                "at": at,
            },
            None,
        ),
        entries.entry_row(
            "licence.granted",
            {
                "product_id": 424243,
                "manufacturer_id": 777777,
                "gtin": "00000000000017",
                "status": "licensed",
                "at": at,
            },
            None,
        ),
        entries.entry_row(
            "key.compromised",
            {"kid": "K1", "status": "compromised", "compromised_after": "2025-01-01T00:00:00Z", "at": at},
            None,
        ),
        entries.entry_row("record.signed", {"record_id": 1, "product_id": 1, "kid": "K1", "at": at}, None),
    ]
    entries.append_rows(session, forged)
    session.commit()
    integrate(runner)
    state = tmp_path / "state.json"
    assert monitor.main(["audit", "http://test", "--state", str(state)], get=getter(client)) == 1
    out = capsys.readouterr().out
    assert "RULE VIOLATIONS: 3" in out
    assert "product 424242 that is never licensed" in out
    assert "manufacturer 777777 never appeared" in out
    assert "compromised after 2025-01-01" in out


def test_a_witness_cosigns_and_the_checkpoint_carries_it(
    app: Any, client: Any, session: Any, runner: Any, tmp_path: Path
) -> None:
    make_history(client, session, products=1)
    integrate(runner)
    skey = monitor.new_witness_key("witness.example.org/w1")
    witness = NoteSigner.parse(skey)
    key_file = tmp_path / "witness.key"
    key_file.write_text(skey)

    def post(path: str, body: dict[str, Any]) -> tuple[int, Any]:
        resp = client.post(path, json=body)
        return resp.status_code, resp.get_json()

    args = ["cosign", "http://test", "--state", str(tmp_path / "w.json"), "--key", str(key_file)]
    assert monitor.main(args, get=getter(client), post=post) == 1  # an unknown witness is refused
    settings_of(app).tlog.witness_keys = str(monitor.witness_verifier(witness))
    try:
        assert monitor.main(args, get=getter(client), post=post) == 0
    finally:
        settings_of(app).tlog.witness_keys = ""
    served = client.get("/log/checkpoint").data
    note = open_note(served, [log_verifier(client), monitor.witness_verifier(witness)])
    assert {s.name for s in note.verified} == {"verify.example.gov.bd/log", "witness.example.org/w1"}


def test_history_page_in_both_languages(client: Any, session: Any, runner: Any) -> None:
    [pid] = make_history(client, session, products=1)
    integrate(runner)
    gtin = session.scalar(select(TlogEntry.gtin).where(TlogEntry.product_id == pid).limit(1))
    page = client.get(f"/transparency?q={gtin}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Licence granted" in page and "Serial batch issued" in page and gtin in page
    assert "/api/v1/log/entries/" in page
    bangla = client.get(f"/transparency?q={gtin}&lang=bn", headers={"Accept-Language": "bn"}).get_data(
        as_text=True
    )
    assert "Licence granted" not in bangla
    nothing = client.get("/transparency?q=00000000000000&lang=en").get_data(as_text=True)
    assert "No events found." in nothing
    for odd in ("99999999999999", "9" * 40, "ক" * 200, "%", "\u202e"):
        assert client.get("/transparency", query_string={"q": odd}).status_code == 200


@pytest.mark.parametrize(
    "path",
    ["/log/checkpoint", "/log/tile/0/000.p/1", "/api/v1/log/entries/0", "/api/v1/log/consistency?first=1"],
)
def test_an_empty_log_answers_404_problems(client: Any, path: str) -> None:
    resp = client.get(path)
    assert resp.status_code == 404 and resp.mimetype == "application/problem+json"


def test_offline_verify_checks_the_log_proof_against_a_checkpoint(
    client: Any, session: Any, runner: Any, tmp_path: Path, capsys: Any
) -> None:
    [pid] = make_history(client, session, products=1)
    integrate(runner)
    held = tmp_path / "checkpoint.txt"
    held.write_bytes(client.get("/log/checkpoint").data)  # the checkpoint this verifier trusts
    make_history(client, session, products=1)  # the log grows meanwhile
    integrate(runner)
    record = client.get(f"/api/v1/products/{pid}/record")
    files = {"record.json": record.data, "jwks.json": client.get("/.well-known/jwks.json").data}
    files["status.jwt"] = client.get("/status/1").data
    size = int(held.read_text().split("\n")[1])
    ref = record.headers["Link"].split(">")[0].lstrip("<")
    files["proof.json"] = client.get(f"{ref}?tree_size={size}").data
    files["newest.json"] = client.get(ref).data
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    base = ["verify", str(tmp_path / "record.json"), "--jwks", str(tmp_path / "jwks.json")]
    base += ["--status", str(tmp_path / "status.jwt"), "--checkpoint", str(held), "--json"]
    assert offline_main([*base, "--log-proof", str(tmp_path / "proof.json")]) == 0
    assert json.loads(capsys.readouterr().out)["log"].startswith("entry ")
    # a proof for the newest tree does not fit the held checkpoint; another record's entry does not fit
    assert offline_main([*base, "--log-proof", str(tmp_path / "newest.json")]) == EXIT_LOG_NOT_PROVEN
    assert "fetch it with tree_size" in json.loads(capsys.readouterr().out)["log"]
    other = json.loads(files["proof.json"])
    other["entry_b64"] = base64.b64encode(
        json.dumps({**other["entry"], "record_sha256": "0" * 64}, separators=(",", ":")).encode()
    ).decode()
    (tmp_path / "other.json").write_text(json.dumps(other))
    assert offline_main([*base, "--log-proof", str(tmp_path / "other.json")]) == EXIT_LOG_NOT_PROVEN
    assert "another record" in json.loads(capsys.readouterr().out)["log"]
    forged = held.read_text().replace("\n\u2014 ", "\n\u2014 x", 1)
    (tmp_path / "forged.txt").write_text(forged)
    args = [
        *base[:-3],
        "--checkpoint",
        str(tmp_path / "forged.txt"),
        "--json",
        "--log-proof",
        str(tmp_path / "proof.json"),
    ]
    assert offline_main(args) == EXIT_LOG_NOT_PROVEN


def test_backfill_logs_the_state_of_a_database_older_than_the_log(
    client: Any, session: Any, runner: Any, tmp_path: Path, capsys: Any
) -> None:
    [pid, _other] = make_history(client, session, products=2)
    reviewer = make_party(session, "reviewer")
    session.commit()
    reason = {"reason": "factory audit"}
    assert (
        client.post(f"/api/v1/products/{pid}/suspend", json=reason, headers=reviewer.headers).status_code
        == 200
    )
    session.execute(delete(TlogEntry))  # as if the history predated migration 0010_tlog
    session.commit()
    result = runner.invoke(args=["tlog", "backfill"])
    assert result.exit_code == 0 and "entries appended" in result.output, result.output
    assert runner.invoke(args=["tlog", "backfill"]).exit_code != 0  # only into an empty log
    integrate(runner)
    state = tmp_path / "state.json"
    assert monitor.main(["audit", "http://test", "--state", str(state)], get=getter(client)) == 0
    out = capsys.readouterr().out
    assert "registry rules: all hold" in out
    for line in ("manufacturer.verified: 2", "licence.granted: 2", "licence.suspended: 1", "batch.issued: 2"):
        assert line in out
