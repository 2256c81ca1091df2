"""The monitor and the witness: ``python -m signing log audit BASE_URL --state FILE`` and
``python -m signing log cosign BASE_URL --key FILE --state FILE``.  Only HTTP and the formats; no registry code.

An audit (numbered as it runs; every failure is an ``AuditError``, printed, exit code 1):
1. fetch ``/log/checkpoint`` and verify its signature by the log's key (``--log-key``, else the one kept in
   the state, else the JWKS member ``transparency_log`` on first use) and its origin;
2. a smaller size than the last one seen is a rollback, the same size with another root a fork;
3. fetch the entry bundles and level-0 tiles from the last size seen to the new one; each entry's leaf hash
   must equal the tile's, and the monitor's own compact range extended by them must give the new root
   (so an entry changed, dropped or inserted anywhere is caught, as is any fork);
4. the log's consistency proof from the old size to the new must verify too (the proof API is honest);
5. replay the new entries through the registry's rules (docs/formats.md, "Monitor rules");
6. print a summary and keep the new checkpoint, compact range and rule state in the state file.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tlog import merkle, tiles
from tlog.errors import AuditError, TlogError
from tlog.note import (
    ALG_COSIGNATURE_V1,
    ALG_ED25519,
    NoteSigner,
    Verifier,
    cosignature_line,
    open_checkpoint,
)

Getter = Callable[[str], bytes]
Poster = Callable[[str, dict[str, Any]], tuple[int, Any]]
EXIT_OK, EXIT_INCONSISTENT, EXIT_ERROR = 0, 1, 2
LICENSED = {"licence.granted", "licence.reinstated"}


def http_getter(base_url: str, timeout: float = 30.0) -> Getter:
    session = requests.Session()

    def get(path: str) -> bytes:
        resp = session.get(base_url.rstrip("/") + path, timeout=timeout)
        if resp.status_code != 200:
            raise AuditError(f"GET {path}: HTTP {resp.status_code}")
        return resp.content

    return get


def http_poster(base_url: str, timeout: float = 30.0) -> Poster:
    def post(path: str, body: dict[str, Any]) -> tuple[int, Any]:
        resp = requests.post(base_url.rstrip("/") + path, json=body, timeout=timeout)
        return resp.status_code, resp.json() if resp.content else None

    return post


# ---------------------------------------------------------------------------------------------- state


def extend_range(compact: list[bytes], size: int, leaf_hash: bytes) -> None:
    """Append a leaf to a compact range: the roots of the perfect subtrees of a tree of ``size``."""
    node, n = leaf_hash, size
    while n & 1:
        node = merkle.hash_children(compact.pop(), node)
        n >>= 1
    compact.append(node)


def range_root(compact: list[bytes]) -> bytes:
    if not compact:
        return merkle.EMPTY_ROOT
    root = compact[-1]
    for node in reversed(compact[:-1]):
        root = merkle.hash_children(node, root)
    return root


@dataclass
class Rules:
    """What the replay has learnt: key states, manufacturers, product licences."""

    keys: dict[str, dict[str, Any]] = field(default_factory=dict)
    manufacturers: dict[str, str] = field(default_factory=dict)
    licences: dict[str, dict[str, Any]] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"keys": self.keys, "manufacturers": self.manufacturers, "licences": self.licences}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Rules:
        return cls(
            dict(data.get("keys", {})), dict(data.get("manufacturers", {})), dict(data.get("licences", {}))
        )

    def check(self, index: int, entry: dict[str, Any]) -> None:
        kind = entry.get("kind", "")
        at = entry.get("at") or ""

        def violation(why: str) -> None:
            self.violations.append(f"entry {index} ({kind}): {why}")

        if kind.startswith("manufacturer."):
            self.manufacturers[str(entry["manufacturer_id"])] = entry["status"]
        elif kind.startswith("licence."):
            maker = str(entry.get("manufacturer_id"))
            if maker not in self.manufacturers:
                violation(f"manufacturer {maker} never appeared in the log")
            elif kind == "licence.granted" and self.manufacturers[maker] != "verified":
                violation(f"licence granted while manufacturer {maker} is {self.manufacturers[maker]}")
            self.licences[str(entry["product_id"])] = {"kind": kind, "valid_until": entry.get("valid_until")}
        elif kind == "record.signed":
            key = self.keys.get(entry.get("kid", ""))
            if key is None:
                violation(f"signed with key {entry.get('kid')} that the log never registered")
            elif key.get("compromised_after") and at > key["compromised_after"]:
                violation(
                    f"signed at {at} with key {entry['kid']}, compromised after {key['compromised_after']}"
                )
        elif kind == "batch.issued":
            licence = self.licences.get(str(entry.get("product_id")))
            if licence is None or licence["kind"] not in LICENSED:
                state = "never licensed" if licence is None else licence["kind"]
                violation(f"batch for product {entry.get('product_id')} that is {state}")
            elif licence.get("valid_until") and entry.get("issued_on", "") > licence["valid_until"]:
                violation(
                    f"batch issued on {entry['issued_on']} after the licence ended {licence['valid_until']}"
                )
        elif kind.startswith("key."):
            self.keys[entry["kid"]] = {
                "status": entry["status"],
                "compromised_after": entry.get("compromised_after"),
            }


@dataclass
class State:
    log_key: str = ""
    size: int = 0
    root: str = ""
    checkpoint: str = ""
    compact: list[str] = field(default_factory=list)
    rules: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> State:
        if not path.exists():
            return cls()
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})

    def save(self, path: Path) -> None:
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(self.__dict__, indent=1), encoding="utf-8")
        tmp.replace(path)


# ---------------------------------------------------------------------------------------------- audit


@dataclass
class Report:
    old_size: int
    new_size: int
    kinds: Counter[str]
    violations: list[str]
    checkpoint: str


def fetch_log_key(get: Getter) -> str:
    jwks = json.loads(get("/.well-known/jwks.json"))
    try:
        return str(jwks["transparency_log"]["note_verifier_key"])
    except (KeyError, TypeError) as exc:
        raise AuditError("the JWKS publishes no transparency_log key: give --log-key") from exc


def read_range(get: Getter, kind: int | str, start: int, end: int) -> list[bytes]:
    """Leaf hashes (level 0) or entries (``"entries"``) ``start`` .. ``end - 1`` from their tiles."""
    out: list[bytes] = []
    for n in range(start // tiles.WIDTH, -(-end // tiles.WIDTH)):
        width = min(tiles.WIDTH, end - n * tiles.WIDTH)
        data = get("/log/" + tiles.tile_path(kind, n, width))
        items = tiles.decode_bundle(data) if kind == "entries" else tiles.split_hashes(data)
        if len(items) != width:
            raise AuditError(f"tile {tiles.tile_path(kind, n, width)} holds {len(items)} items, not {width}")
        first = n * tiles.WIDTH
        out.extend(items[max(start - first, 0) : end - first])
    return out


def audit(get: Getter, state: State, log_key: str | None = None) -> tuple[Report, State]:
    # 1. the checkpoint and its signature
    key_text = log_key or state.log_key or fetch_log_key(get)
    if state.log_key and key_text != state.log_key:
        raise AuditError("the log key differs from the one this state was made with")
    verifier = Verifier.parse(key_text)
    note_text = get("/log/checkpoint").decode("utf-8", "replace")
    try:
        cp, _note = open_checkpoint(note_text, verifier)
    except TlogError as exc:
        raise AuditError(f"the checkpoint does not verify: {exc}") from exc
    # 2. rollback and fork
    old_root = base64.b64decode(state.root) if state.root else merkle.EMPTY_ROOT
    if cp.size < state.size:
        raise AuditError(f"the log shrank from {state.size} to {cp.size} entries")
    if cp.size == state.size and cp.root != old_root and state.size:
        raise AuditError(f"fork: two checkpoints of size {cp.size} with different roots")
    # 3. new entries against the level-0 tiles and the root
    entries = read_range(get, "entries", state.size, cp.size)
    tile_hashes = read_range(get, 0, state.size, cp.size)
    compact = [base64.b64decode(h) for h in state.compact]
    if range_root(compact) != old_root:
        raise AuditError("the state file is damaged: its compact range does not give its root")
    for offset, data in enumerate(entries):
        index = state.size + offset
        leaf = merkle.hash_leaf(data)
        if leaf != tile_hashes[offset]:
            raise AuditError(f"entry {index} does not hash to the leaf in the log's tile (changed entry)")
        extend_range(compact, index, leaf)
    if range_root(compact) != cp.root:
        raise AuditError(
            f"the entries from {state.size} to {cp.size} do not give the checkpoint's root "
            "(an entry was changed, dropped or inserted, or the log forked)"
        )
    # 4. the log's own consistency proof agrees
    if state.size:
        answer = json.loads(get(f"/api/v1/log/consistency?first={state.size}"))
        later, _ = open_checkpoint(answer["checkpoint"], verifier)
        proof = [base64.b64decode(p) for p in answer["consistency_proof"]]
        try:
            merkle.verify_consistency(state.size, later.size, old_root, later.root, proof)
        except TlogError as exc:
            raise AuditError(f"the log's consistency proof from {state.size} fails: {exc}") from exc
    # 5. the registry's rules
    rules = Rules.from_json(state.rules)
    kinds: Counter[str] = Counter()
    for offset, data in enumerate(entries):
        index = state.size + offset
        try:
            entry = json.loads(data)
        except ValueError:
            rules.violations.append(f"entry {index}: not JSON")
            continue
        if not isinstance(entry, dict) or rfc8785.dumps(entry) != data or entry.get("v") != 1:
            rules.violations.append(f"entry {index}: not a version-1 RFC 8785 JSON object")
            continue
        kinds[str(entry.get("kind"))] += 1
        rules.check(index, entry)
    new_state = State(
        log_key=key_text,
        size=cp.size,
        root=base64.b64encode(cp.root).decode(),
        checkpoint=note_text,
        compact=[base64.b64encode(h).decode() for h in compact],
        rules=rules.to_json(),
    )
    return Report(state.size, cp.size, kinds, rules.violations, note_text), new_state


def print_summary(report: Report) -> None:
    print(f"checkpoint verified: size {report.new_size} (was {report.old_size})")
    print(f"new entries: {report.new_size - report.old_size}")
    for kind, count in sorted(report.kinds.items()):
        print(f"  {kind}: {count}")
    if report.violations:
        print(f"RULE VIOLATIONS: {len(report.violations)}")
        for line in report.violations:
            print(f"  {line}")
    else:
        print("registry rules: all hold")


def cosign(get: Getter, post: Poster, state: State, witness: NoteSigner, log_key: str | None = None) -> State:
    """Audit, then add the witness's cosignature to the checkpoint and send it to the log."""
    report, new_state = audit(get, state, log_key)
    if report.violations:
        raise AuditError("not cosigning a log that breaks the registry's rules")
    note_text = report.checkpoint
    body_end = note_text.index("\n\n") + 1
    line = cosignature_line(witness.name, witness.private, note_text[:body_end], int(time.time()))
    status, answer = post("/api/v1/log/cosignatures", {"note": note_text + line})
    if status != 201:
        raise AuditError(f"the log refused the cosignature: {status} {answer}")
    return new_state


def witness_verifier(witness: NoteSigner) -> Verifier:
    return Verifier.of(witness.name, witness.private.public_key(), ALG_COSIGNATURE_V1)


def new_witness_key(name: str) -> str:
    key = Ed25519PrivateKey.generate()
    encoded = base64.b64encode(bytes([ALG_ED25519]) + key.private_bytes_raw()).decode()
    return f"PRIVATE+KEY+{name}+{NoteSigner(name, key).verifier.key_hash.hex()}+{encoded}"


# ---------------------------------------------------------------------------------------------- CLI


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m signing log", description="Monitor the registry's log.")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (("audit", "check the log and the registry's rules"), ("cosign", "audit, then cosign")):
        cmd = commands.add_parser(name, help=text)
        cmd.add_argument("base_url", help="the registry, e.g. https://verify.mib.gov.bd")
        cmd.add_argument("--state", required=True, type=Path, help="what the monitor saw last (JSON)")
        cmd.add_argument("--log-key", help="the log's note verifier key (default: kept / from the JWKS)")
        if name == "cosign":
            cmd.add_argument("--key", required=True, type=Path, help="the witness's PRIVATE+KEY file")
    key = commands.add_parser(
        "witness-key",
        help="make a witness key (prints the private key and, on "
        "stderr, the cosigner verifier key for the registry's TLOG_WITNESS_KEYS)",
    )
    key.add_argument("name", help="the witness's name, e.g. witness.example.org/w1")
    return parser


def main(argv: Sequence[str] | None = None, get: Getter | None = None, post: Poster | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "witness-key":
        skey = new_witness_key(args.name)
        print(skey)
        print(witness_verifier(NoteSigner.parse(skey)), file=sys.stderr)
        return EXIT_OK
    get = get or http_getter(args.base_url)
    try:
        state = State.load(args.state)
        if args.command == "cosign":
            witness = NoteSigner.parse(args.key.read_text(encoding="utf-8").strip())
            new_state = cosign(get, post or http_poster(args.base_url), state, witness, args.log_key)
            print(f"cosigned checkpoint {new_state.size} as {witness.name}")
            new_state.save(args.state)
            return EXIT_OK
        report, new_state = audit(get, state, args.log_key)
    except AuditError as exc:
        print(f"INCONSISTENT: {exc}")
        return EXIT_INCONSISTENT
    except (OSError, ValueError, TlogError, requests.RequestException) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    print_summary(report)
    if report.violations:
        return EXIT_INCONSISTENT
    new_state.save(args.state)
    return EXIT_OK
