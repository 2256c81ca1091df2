"""Merkle hashing, proofs, signed notes, checkpoints and tile paths against the published vectors
(RFC 6962/9162 values from transparency-dev/merkle, its inclusion and consistency test data, golang/mod's and
C2SP's note and checkpoint examples, and tessera's test log)."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from tests.tlog.conftest import load_json
from tlog import merkle, note, tiles
from tlog.errors import NoteError, ProofError, TileError


def b64(value: str | None) -> bytes:
    return base64.b64decode(value or "")


def test_rfc6962_hasher_values(vectors: Path) -> None:
    data = load_json(vectors / "extracted" / "rfc6962.json")
    for case in data["hasher"]:
        if case["op"] == "empty_root":
            got = merkle.EMPTY_ROOT
        elif case["op"] == "leaf":
            got = merkle.hash_leaf(bytes.fromhex(case["input_hex"]))
        else:
            got = merkle.hash_children(bytes.fromhex(case["left_hex"]), bytes.fromhex(case["right_hex"]))
        assert got.hex() == case["want"], case


def test_rfc6962_roots_and_node_hashes(vectors: Path) -> None:
    data = load_json(vectors / "extracted" / "rfc6962.json")
    leaves = [merkle.hash_leaf(bytes.fromhex(x)) for x in data["leaf_inputs_hex"]]
    for size, want in enumerate(data["root_hashes"], start=0):
        got = merkle.root_of_leaves(leaves[:size]) if size else merkle.EMPTY_ROOT
        assert got.hex() == want, size
        # the same root through complete-subtree reads, as the tiles serve them
        assert merkle.tree_root(merkle.leaf_nodes(leaves), size).hex() == want
    node = merkle.leaf_nodes(leaves)
    for level, row in enumerate(data["node_hashes"]):
        for index, want in enumerate(row):
            assert node(level, index).hex() == want, (level, index)


def _cases(vectors: Path, kind: str) -> list[tuple[str, dict]]:
    root = vectors / "merkle" / kind
    return [(str(p.relative_to(root)), load_json(p)) for p in sorted(root.rglob("*.json"))]


def test_inclusion_vectors(vectors: Path) -> None:
    cases = _cases(vectors, "inclusion")
    assert len(cases) >= 90
    for _name, c in cases:
        proof = [b64(p) for p in c["proof"] or []]
        args = (c["leafIdx"], c["treeSize"], b64(c["leafHash"]), proof, b64(c["root"]))
        if c["wantErr"]:
            with pytest.raises(ProofError):
                merkle.verify_inclusion(*args)
        else:
            merkle.verify_inclusion(*args)


def test_consistency_vectors(vectors: Path) -> None:
    cases = _cases(vectors, "consistency")
    assert len(cases) >= 90
    for _name, c in cases:
        proof = [b64(p) for p in c["proof"] or []]
        args = (c["size1"], c["size2"], b64(c["root1"]), b64(c["root2"]), proof)
        if c["wantErr"]:
            with pytest.raises(ProofError):
                merkle.verify_consistency(*args)
        else:
            merkle.verify_consistency(*args)


def test_our_proofs_equal_the_published_happy_paths(vectors: Path) -> None:
    """The proofs we build for the RFC test tree are byte for byte the published ones, and verify."""
    data = load_json(vectors / "extracted" / "rfc6962.json")
    leaves = [merkle.hash_leaf(bytes.fromhex(x)) for x in data["leaf_inputs_hex"]]
    node = merkle.leaf_nodes(leaves)
    checked = 0
    for kind in ("inclusion", "consistency"):
        for _name, c in _cases(vectors, kind):
            if c["wantErr"] or c["desc"] != "happy path":
                continue
            if (
                kind == "inclusion"
                and c["treeSize"] <= len(leaves)
                and leaves[c["leafIdx"]] == b64(c["leafHash"])
            ):
                got = merkle.inclusion_proof(node, c["leafIdx"], c["treeSize"])
            elif kind == "consistency" and c["size2"] <= len(leaves) and c["size1"] > 0:
                got = merkle.consistency_proof(node, c["size1"], c["size2"])
            else:
                continue
            assert [base64.b64encode(p).decode() for p in got] == (c["proof"] or []), c
            checked += 1
    assert checked >= 5
    for size2 in range(1, len(leaves) + 1):
        root2 = merkle.tree_root(node, size2)
        for size1 in range(1, size2 + 1):
            proof = merkle.consistency_proof(node, size1, size2)
            merkle.verify_consistency(size1, size2, merkle.tree_root(node, size1), root2, proof)
        for index in range(size2):
            merkle.verify_inclusion(
                index, size2, leaves[index], merkle.inclusion_proof(node, index, size2), root2
            )


def test_note_verifier_keys(vectors: Path) -> None:
    data = load_json(vectors / "extracted" / "notes.json")
    for case in data["vkeys_valid"]:
        v = note.Verifier.parse(case["vkey"])
        assert (v.name, v.key_hash.hex(), str(v)) == (case["name"], case["key_id"], case["vkey"])
    for case in data["vkeys_invalid"]:
        with pytest.raises(NoteError):
            note.Verifier.parse(case["vkey"])
    base = data["vkey_mangle_base"]
    for i in range(len(base)):  # any changed character makes the key unreadable or its id wrong
        mangled = base[:i] + ("B" if base[i] != "B" else "C") + base[i + 1 :]
        with pytest.raises(NoteError):
            note.Verifier.parse(mangled)


def test_note_signing_gives_the_published_note(vectors: Path) -> None:
    data = load_json(vectors / "extracted" / "notes.json")
    for case in data["skeys"]:
        signer = note.NoteSigner.parse(case["skey"])
        assert str(signer.verifier) == case["vkey"]
        if case["text"] is not None:
            assert signer.sign(case["text"]) == case["want_note"]


def test_note_open_cases(vectors: Path) -> None:
    data = load_json(vectors / "extracted" / "notes.json")
    for case in data["notes"]:
        msg: bytes = case["msg"].encode()
        if case.get("desc_bytes_hex_prefix"):
            msg = bytes.fromhex(case["desc_bytes_hex_prefix"]) + msg
        verifiers = [note.Verifier.parse(k) for k in case["vkeys"]]
        if case["ok"]:
            opened = note.open_note(msg, verifiers)
            assert [s.name for s in opened.verified] == case["verified"], case["desc"]
            assert [s.name for s in opened.unverified] == case["unverified"], case["desc"]
        else:
            with pytest.raises(NoteError):
                note.open_note(msg, verifiers)
            if case.get("parses"):
                assert len(note.parse_note(msg).text.splitlines()) == case["text_lines"]


def test_checkpoint_bodies(vectors: Path) -> None:
    data = load_json(vectors / "extracted" / "checkpoints.json")
    for case in data["valid"]:
        cp = note.Checkpoint.parse(case["text"])
        assert (cp.origin, cp.size) == (case["origin"], case["size"])
        assert cp.to_text() == case["text"]
        if "root_is_leaf_hash_of" in case:
            assert cp.root == merkle.hash_leaf(case["root_is_leaf_hash_of"].encode())
    for case in data["invalid"]:
        with pytest.raises(NoteError):
            note.Checkpoint.parse(case["text"])


def test_tile_paths(vectors: Path) -> None:
    data = load_json(vectors / "extracted" / "tiles.json")
    for case in data["index_encoding"]:
        assert tiles.encode_index(case["n"]) == case["enc"]
    for case in data["paths_valid"]:
        assert tiles.parse_tile_path(case["path"]) == (case["level"], case["n"], case["width"])
        assert tiles.tile_path(case["level"], case["n"], case["width"]) == case["path"]
    for case in data["paths_invalid"]:
        with pytest.raises(TileError):
            tiles.parse_tile_path(case["path"])
    for case in data["tiles_for_size"]:
        full: dict[str, int] = {}
        partial: dict[str, int] = {}
        for level, _n, width in tiles.tiles_for_size(case["size"]):
            if width == tiles.WIDTH:
                full[str(level)] = full.get(str(level), 0) + 1
            else:
                partial[str(level)] = width
        assert (full, partial) == (case["full"], case["partial"])


def test_tessera_test_log(vectors: Path) -> None:
    """Tessera's 15-entry test log: its entry bundles, leaf tiles and every signed checkpoint agree with our
    hashing, our bundle format and our note verifier; an inclusion proof from its tiles verifies."""
    log = vectors / "tessera-log"
    meta = load_json(vectors / "extracted" / "tessera-log.json")
    verifier = note.Verifier.parse(meta["vkey"])
    entries = [e.encode() for e in meta["entries"]]
    bundle = (log / "tile" / "entries" / "000.p" / "15").read_bytes()
    assert tiles.decode_bundle(bundle) == entries
    assert tiles.encode_bundle(entries) == bundle
    leaves = tiles.split_hashes((log / "tile" / "0" / "000.p" / "15").read_bytes())
    assert leaves == [merkle.hash_leaf(e) for e in entries]
    for size in range(1, 16):
        cp, _ = note.open_checkpoint((log / f"checkpoint.{size}").read_bytes(), verifier, meta["origin"])
        assert cp.size == size
        assert cp.root == merkle.root_of_leaves(leaves[:size])
        node = tiles.tile_nodes(lambda lv, n, w: (log / tiles.tile_path(lv, n, w)).read_bytes(), size)
        for index in range(size):
            merkle.verify_inclusion(
                index, size, leaves[index], merkle.inclusion_proof(node, index, size), cp.root
            )
    latest, _ = note.open_checkpoint((log / "checkpoint").read_bytes(), verifier)
    assert latest.size == 15
    tampered = (log / "checkpoint").read_text().replace("\n15\n", "\n14\n")
    with pytest.raises(NoteError):
        note.open_checkpoint(tampered, verifier)
