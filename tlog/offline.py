"""Offline: is this label's or record's log entry in the log a checkpoint vouches for?

``python -m signing verify TARGET --jwks jwks.json --checkpoint checkpoint.txt --log-proof proof.json``: the
checkpoint is verified with the log key published in the JWKS (member ``transparency_log``), the proof file is
what ``/api/v1/log/entries/by-ref/record:<id>`` (or ``/api/v1/log/inclusion?…&tree_size=N``) answered, and
1. its entry must be a ``record.signed`` entry for the target's GTIN (and, for a record file, name the
   record's SHA-256);
2. its inclusion proof must lead from the entry's leaf hash to the checkpoint's root at the checkpoint's size.
Raises ``ProofError`` or ``NoteError``; returns what was proven.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from tlog import merkle
from tlog.errors import NoteError, ProofError
from tlog.note import Verifier, open_checkpoint


def log_verifier_of(jwks: Any) -> Verifier:
    try:
        return Verifier.parse(jwks["transparency_log"]["note_verifier_key"])
    except (KeyError, TypeError) as exc:
        raise NoteError("the JWKS has no transparency_log member with the log's key") from exc


def check_log_proof(
    gtin: str, record_bytes: bytes | None, proof: Any, checkpoint_text: str, jwks: Any
) -> dict[str, Any]:
    checkpoint, _ = open_checkpoint(checkpoint_text, log_verifier_of(jwks))
    if not isinstance(proof, dict) or not isinstance(proof.get("entry_b64"), str):
        raise ProofError("the proof file is not a log entry answer (it has no entry_b64)")
    data = base64.b64decode(proof["entry_b64"])
    entry = json.loads(data)
    if entry.get("kind") != "record.signed" or entry.get("gtin") != gtin:
        raise ProofError(f"the log entry is not a signed record of GTIN {gtin}")
    if record_bytes is not None and entry.get("record_sha256") != hashlib.sha256(record_bytes).hexdigest():
        raise ProofError("the log entry names another record than this one")
    if proof.get("tree_size") != checkpoint.size:
        raise ProofError(
            f"the proof is for a tree of {proof.get('tree_size')} entries, the checkpoint for {checkpoint.size}: "
            f"fetch it with tree_size={checkpoint.size}"
        )
    index = proof.get("log_index")
    if not isinstance(index, int):
        raise ProofError("the proof has no log_index")
    path = [base64.b64decode(p) for p in proof.get("inclusion_proof") or []]
    merkle.verify_inclusion(index, checkpoint.size, merkle.hash_leaf(data), path, checkpoint.root)
    return {"log_index": index, "tree_size": checkpoint.size, "origin": checkpoint.origin}
