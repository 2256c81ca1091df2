"""The daily open data: written once per day, signed file by file, served at stable URLs with a "latest"
link; the signatures verify with the published keys (the registry's verifier and the documented Python recipe)
and fail when one byte changes or a file is passed off as another day's. The files live in the shared blob
store (every host serves them); folders written by earlier versions move in with ``flask blobs import-files``."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jsonschema import Draft202012Validator
from sqlalchemy import select

from core.blobs import get_blobs
from registry.models import Product
from signing import KeyRing, PublishedKey, Signer
from signing.detached import verify_detached
from signing.errors import Reason, VerificationError
from signing.offline import main as verify_main
from stats.opendata import blob_key, read_blob, resign_snapshots
from tests.signing.conftest import RFC8032_TEST2_SECRET
from tests.stats.conftest import Demo

ROOT = Path(__file__).resolve().parents[2]
FILES = ("catalogue.csv", "catalogue.json", "statistics.csv", "statistics.json")


class Snapshot:
    """A day's snapshot as the blob store holds it."""

    def __init__(self, app: Any, day: str) -> None:
        self.app, self.name = app, day

    def read(self, name: str) -> bytes:
        return read_blob(get_blobs(self.app), blob_key(self.name, name))

    def text(self, name: str) -> str:
        return self.read(name).decode("utf-8")

    def names(self) -> list[str]:
        return sorted(key.rsplit("/", 1)[1] for key in get_blobs(self.app).keys(f"open-data/{self.name}/"))

    def everything(self) -> dict[str, bytes]:
        return {name: self.read(name) for name in self.names()}


@pytest.fixture()
def open_data(app: Any, tmp_path: Path) -> Path:
    """The folder of earlier versions (``OPEN_DATA_DIR``), for the import."""
    ext = app.extensions["stats"]
    previous = ext.settings
    ext.settings = replace(previous, open_data_dir=tmp_path / "open-data")
    yield ext.settings.open_data_dir
    ext.settings = previous


@pytest.fixture()
def snapshot(app: Any, runner: Any, demo: Demo) -> Snapshot:
    result = runner.invoke(args=["stats", "snapshot"])
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output
    return Snapshot(app, demo.today.isoformat())


def test_a_day_is_written_once_with_a_signature_per_file(runner: Any, snapshot: Snapshot) -> None:
    assert snapshot.names() == sorted([*FILES, *(f"{f}.jws" for f in FILES)])
    before = snapshot.everything()
    again = runner.invoke(args=["stats", "snapshot"])
    assert again.exit_code == 0 and "unchanged" in again.output
    assert snapshot.everything() == before
    resigned = runner.invoke(args=["stats", "resign"])
    assert resigned.exit_code == 0 and "signed 4 open data files again" in resigned.output
    after = snapshot.everything()
    assert {name: data for name, data in after.items() if not name.endswith(".jws")} == {
        name: data for name, data in before.items() if not name.endswith(".jws")
    }
    assert sorted(after) == sorted(before)


def test_the_catalogue_is_the_public_catalogue(
    client: Any, session: Any, demo: Demo, snapshot: Snapshot
) -> None:
    public = sorted(
        p.id
        for p in session.scalars(select(Product))
        if p.licence_state(demo.today) == "licensed"
        and p.manufacturer.status not in ("suspended", "rejected")
    )
    document = json.loads(snapshot.text("catalogue.json"))
    assert [p["id"] for p in document["products"]] == public and document["as_of"] == demo.today.isoformat()
    schema = client.get("/open-data/schema/catalogue.schema.json").get_json()
    Draft202012Validator(schema).validate(document)
    rows = list(csv.DictReader(io.StringIO(snapshot.text("catalogue.csv"))))
    assert [int(r["id"]) for r in rows] == public
    first, row = document["products"][0], rows[0]
    assert row["gtin"] == first["gtin"] and row["name_bn"] == first["name_bn"]
    assert row["certificates"] == ";".join(f"{c['scheme']}:{c['valid_until']}" for c in first["certificates"])


def test_the_statistics_files_say_what_the_api_and_page_say(client: Any, snapshot: Snapshot) -> None:
    api = client.get("/api/v1/statistics").get_json()
    document = json.loads(snapshot.text("statistics.json"))
    assert document["figures"] == api["figures"]
    Draft202012Validator(client.get("/open-data/schema/statistics.schema.json").get_json()).validate(document)
    lines = list(csv.DictReader(io.StringIO(snapshot.text("statistics.csv"))))
    long_form = [
        (f["id"], r["key"], c["key"], str(v))
        for f in api["figures"]
        for r in f["rows"]
        for c, v in zip(f["columns"], r["values"], strict=True)
    ]
    assert [(x["figure"], x["row"], x["column"], x["value"]) for x in lines] == long_form
    page = client.get("/statistics?lang=en").get_data(as_text=True)
    category = next(f for f in api["figures"] if f["id"] == "products_by_category")
    phones = next(r for r in category["rows"] if r["key"] == "phones")
    assert (
        f'<tr data-key="phones"><th scope="row">Mobile phones</th><td>{phones["values"][0]}</td></tr>' in page
    )


def test_every_signature_verifies_and_fails_when_a_byte_changes(client: Any, snapshot: Snapshot) -> None:
    jwks = client.get("/.well-known/jwks.json").get_json()
    for name in FILES:
        data, jws = snapshot.read(name), snapshot.text(f"{name}.jws")
        published = f"{snapshot.name}/{name}"
        header = verify_detached(data, jws, jwks, name=published)
        assert header["kid"] == jwks["keys"][0]["kid"] and header["name"] == published
        for position in (0, len(data) // 2, len(data) - 1):
            changed = bytearray(data)
            changed[position] ^= 0x01
            with pytest.raises(VerificationError) as caught:
                verify_detached(bytes(changed), jws, jwks, name=published)
            assert caught.value.reason is Reason.BAD_SIGNATURE
        with pytest.raises(VerificationError):  # the same bytes passed off as another day's
            verify_detached(data, jws, jwks, name=f"2000-01-01/{name}")


def test_the_offline_verifier_and_the_documented_recipe_check_a_file(
    client: Any, snapshot: Snapshot, tmp_path: Path, capsys: Any
) -> None:
    jwks_file = tmp_path / "jwks.json"
    jwks_file.write_text(json.dumps(client.get("/.well-known/jwks.json").get_json()))
    downloads = tmp_path / "downloads" / snapshot.name  # as a user keeps them: a folder named by the day
    downloads.mkdir(parents=True)
    target, signature = downloads / "catalogue.csv", downloads / "catalogue.csv.jws"
    target.write_bytes(snapshot.read("catalogue.csv"))
    signature.write_bytes(snapshot.read("catalogue.csv.jws"))
    assert verify_main(["verify", str(target), "--signature", str(signature), "--jwks", str(jwks_file)]) == 0
    assert "verdict: genuine" in capsys.readouterr().out
    tampered = tmp_path / snapshot.name / "catalogue.csv"
    tampered.parent.mkdir()
    tampered.write_bytes(target.read_bytes().replace(b"\r\n", b"\r\n ", 1))
    assert (
        verify_main(
            ["verify", str(tampered), "--signature", str(signature), "--jwks", str(jwks_file), "--json"]
        )
        == 10
    )
    assert json.loads(capsys.readouterr().out)["reason"] == "bad_signature"
    # docs/formats.md's recipe, run as written
    docs = (ROOT / "docs" / "formats.md").read_text(encoding="utf-8")
    recipe = re.search(r"<!-- open-data-recipe -->\n```python\n(.*?)```", docs, re.S)
    assert recipe is not None
    script = tmp_path / "verify.py"
    script.write_text(recipe.group(1))
    name = f"{snapshot.name}/catalogue.csv"
    good = subprocess.run(
        [sys.executable, str(script), str(target), str(signature), str(jwks_file), name],
        capture_output=True,
        text=True,
        check=False,
    )
    assert good.returncode == 0 and good.stdout.startswith(f"verified {name}"), good.stderr
    bad = subprocess.run(
        [sys.executable, str(script), str(tampered), str(signature), str(jwks_file), name],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode != 0 and "InvalidSignature" in bad.stderr


def test_stable_urls_and_the_latest_link(client: Any, snapshot: Snapshot) -> None:
    day = snapshot.name
    for name in FILES:
        with client.get(f"/open-data/{day}/{name}") as resp:
            assert resp.status_code == 200 and resp.data == snapshot.read(name)
            assert "immutable" in resp.headers["Cache-Control"]
        latest = client.get(f"/open-data/latest/{name}.jws")
        assert latest.status_code == 302 and latest.headers["Location"].endswith(
            f"/open-data/{day}/{name}.jws"
        )
    index = client.get("/api/v1/open-data").get_json()
    assert index["latest"] == day and [f["name"] for f in index["days"][0]["files"]] == list(FILES)
    for entry in index["days"][0]["files"]:
        assert entry["sha256"] == hashlib.sha256(snapshot.read(entry["name"])).hexdigest()
    page = client.get("/statistics?lang=en").get_data(as_text=True)
    assert 'href="/open-data/latest/catalogue.csv"' in page


@pytest.mark.parametrize(
    "path",
    [
        "/open-data/2026-01-01/catalogue.csv",
        "/open-data/latest/catalogue.csv",
        "/open-data/schema/other.json",
        "/open-data/..%2F..%2Fetc/passwd",
    ],
)
def test_missing_or_unknown_files_are_404_problems(client: Any, path: str) -> None:
    resp = client.get(path)
    assert resp.status_code == 404 and resp.mimetype == "application/problem+json"


def test_a_name_outside_the_published_files_is_not_served(app: Any, client: Any, snapshot: Snapshot) -> None:
    get_blobs(app).put(blob_key(snapshot.name, "secret.txt"), io.BytesIO(b"not published"), "text/plain")
    assert client.get(f"/open-data/{snapshot.name}/secret.txt").status_code == 404


def test_after_a_compromise_the_files_are_signed_again_and_verify(
    app: Any, client: Any, snapshot: Snapshot
) -> None:
    jwks = client.get("/.well-known/jwks.json").get_json()
    old_kid = jwks["keys"][0]["kid"]
    before = {name: snapshot.read(name) for name in FILES}
    new_key = Ed25519PrivateKey.from_private_bytes(RFC8032_TEST2_SECRET)
    with app.extensions["core.db"].session() as session:
        assert resign_snapshots(get_blobs(app), Signer.from_private_key(new_key), session) == len(FILES)
        session.commit()
    ring = KeyRing.from_jwks(jwks)
    ring = KeyRing(
        (
            *ring.mark_compromised(old_kid, after=ring.find(old_kid).created_at),
            PublishedKey.from_public_key(new_key.public_key()),
        )
    )
    for name in FILES:
        assert snapshot.read(name) == before[name]  # the data is untouched
        header = verify_detached(
            before[name], snapshot.text(f"{name}.jws"), ring, name=f"{snapshot.name}/{name}"
        )
        assert header["kid"] != old_kid


def test_folders_of_earlier_versions_move_into_the_store(
    app: Any, runner: Any, client: Any, open_data: Path, snapshot: Snapshot
) -> None:
    """``flask blobs import-files`` moves a day folder byte for byte (its signatures stay valid), skips a day
    already in the store and a half-written folder, and does nothing the second time."""
    old_day = "2025-12-31"
    folder = open_data / old_day
    folder.mkdir(parents=True)
    for name in FILES:  # an earlier day, as earlier versions wrote it (the bytes of today's will do)
        (folder / name).write_bytes(snapshot.read(name))
        (folder / f"{name}.jws").write_bytes(snapshot.read(f"{name}.jws"))
    (open_data / snapshot.name).mkdir()
    (open_data / snapshot.name / "catalogue.csv").write_bytes(b"a stale copy")  # incomplete: not moved
    (open_data / ".2025-12-30.123.tmp").mkdir()
    moved = runner.invoke(args=["blobs", "import-files"])
    assert moved.exit_code == 0, moved.output
    assert "open data: moved 1" in moved.output
    resp = client.get(f"/open-data/{old_day}/statistics.json.jws")
    assert resp.status_code == 200 and resp.data == (folder / "statistics.json.jws").read_bytes()
    index = client.get("/api/v1/open-data").get_json()
    assert [day["day"] for day in index["days"]] == [snapshot.name, old_day]
    assert client.get(f"/open-data/{snapshot.name}/catalogue.csv").data == snapshot.read("catalogue.csv")
    again = runner.invoke(args=["blobs", "import-files"])
    assert again.exit_code == 0 and "open data: moved 0" in again.output
