"""HTTP: the C2SP tiles and checkpoint under ``/log/``, proofs and entries under ``/api/v1/log/``, the public
history page at ``/transparency``.  Everything here is public."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request
from sqlalchemy import false, or_, select

from config import settings_of
from core.api import PUBLIC, api, read_json_body
from core.db import get_session
from core.errors import NotFound, ValidationFailed
from core.limits import MAX_DB_INT
from registry.models import Product
from tlog import services, tiles
from tlog.errors import NoteError, TileError
from tlog.models import TlogEntry
from tlog.note import Verifier

bp = Blueprint("tlog", __name__)
pages = Blueprint("tlog_pages", __name__)
IMMUTABLE = "public, max-age=31536000, immutable"
SHORT = "public, max-age=2"
HISTORY_PAGE_SIZE = 50
TREE_SIZE = {"type": "integer", "minimum": 1, "description": "prove against this tree size (default: newest)"}


def extension() -> Any:
    return current_app.extensions["tlog"]


def latest_or_404() -> Any:
    row = extension().proofs.checkpoint(get_session())
    if row is None:
        raise NotFound("the log has no checkpoint yet")
    return row


def public(response: Response, cache: str) -> Response:
    response.headers["Cache-Control"] = cache
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/log/checkpoint")
def checkpoint() -> Response:
    """The newest signed checkpoint with the witnesses' cosignatures (C2SP tlog-checkpoint)."""
    row = latest_or_404()
    body = services.checkpoint_with_cosignatures(get_session(), row)
    return public(Response(body, mimetype="text/plain; charset=utf-8"), "no-cache")


@bp.get("/log/tile/<path:rest>")
def tile(rest: str) -> Response:
    level, index, width = tiles.parse_tile_path("tile/" + rest)
    session = get_session()
    size = latest_or_404().size
    if isinstance(level, int):
        have = tiles.tile_width(level, index, size)
        if width > have:
            raise TileError(f"the log of size {size} has no tile {rest}")
        data = services.read_tile(session, level, index, width)
    else:
        if width > tiles.tile_width(0, index, size):
            raise TileError(f"the log of size {size} has no entry bundle {rest}")
        data = services.read_bundle(session, index, width)
    response = Response(data, mimetype="application/octet-stream")
    return public(response, IMMUTABLE if width == tiles.WIDTH else SHORT)


api.declare(bp, "checkpoint", PUBLIC)
api.declare(bp, "tile", PUBLIC)


def int_arg(name: str, *, required: bool = True, low: int = 0) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        if required:
            raise ValidationFailed.field(name, "this parameter is required")
        return None
    if not raw.isdecimal() or len(raw) > 19 or int(raw) < low:
        raise ValidationFailed.field(name, f"must be a whole number from {low}")
    return int(raw)


def hash_arg(raw: str) -> str:
    """A leaf hash given as 64 hex digits or as base64 (as the tiles and proofs carry it)."""
    if len(raw) == 64 and all(c in "0123456789abcdefABCDEF" for c in raw):
        return raw.lower()
    try:
        value = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        value = b""
    if len(value) != 32:
        raise ValidationFailed.field("hash", "give the leaf hash as 64 hex digits or base64 of 32 bytes")
    return value.hex()


def entry_json(entry: TlogEntry) -> dict[str, Any]:
    return {
        "log_index": entry.idx,
        "kind": entry.kind,
        "leaf_hash": entry.leaf_hash,
        "entry": json.loads(entry.data),
        "entry_b64": base64.b64encode(entry.data).decode(),
    }


@api.describe(
    bp,
    "/api/v1/log/inclusion",
    "GET",
    summary="Inclusion proof of a log entry (by index or leaf hash) against the newest checkpoint",
    tags=["transparency"],
    query={
        "index": {"type": "integer", "minimum": 0, "description": "the entry's log index"},
        "hash": {"type": "string", "description": "or the entry's leaf hash (hex or base64)"},
        "tree_size": TREE_SIZE,
    },
    scope=PUBLIC,
)
@bp.get("/api/v1/log/inclusion")
def inclusion_proof() -> Any:
    session = get_session()
    index = int_arg("index", required=False)
    raw_hash = request.args.get("hash")
    if (index is None) == (raw_hash is None):
        raise ValidationFailed.field("index", "give either index or hash")
    if index is not None:
        entry = services.entry_by_index(session, index)
    else:
        entry = services.entry_by_hash(session, hash_arg(raw_hash or ""))
    if entry is None or entry.idx is None:
        raise NotFound("no such entry in the log (a new one is integrated within seconds)")
    proof = services.entry_proof(
        session, entry, extension().proofs, int_arg("tree_size", required=False, low=1)
    )
    return {**entry_json(entry), **proof}


@api.describe(
    bp,
    "/api/v1/log/consistency",
    "GET",
    summary="Consistency proof from an earlier tree size to the newest checkpoint (RFC 9162)",
    tags=["transparency"],
    query={"first": {"type": "integer", "minimum": 1, "required": True, "description": "the earlier size"}},
    scope=PUBLIC,
)
@bp.get("/api/v1/log/consistency")
def consistency_proof() -> Any:
    first = int_arg("first", low=1)
    assert first is not None
    row = latest_or_404()
    proof = services.consistency(get_session(), first, row, extension().proofs)
    return {"first": first, "second": row.size, "consistency_proof": proof, "checkpoint": row.note}


@api.describe(
    bp,
    "/api/v1/log/entries/<int:index>",
    "GET",
    summary="One log entry with its inclusion proof",
    tags=["transparency"],
    scope=PUBLIC,
)
@bp.get("/api/v1/log/entries/<int:index>")
def show_entry(index: int) -> Any:
    session = get_session()
    entry = services.entry_by_index(session, index)
    if entry is None:
        raise NotFound(f"the log has no entry {index} yet")
    return {**entry_json(entry), **services.entry_proof(session, entry, extension().proofs)}


@api.describe(
    bp,
    "/api/v1/log/entries/by-ref/<ref>",
    "GET",
    summary="The newest log entry about one row (record:12, batch:3, key:<kid>) with its proof",
    tags=["transparency"],
    query={"tree_size": TREE_SIZE},
    scope=PUBLIC,
)
@bp.get("/api/v1/log/entries/by-ref/<ref>")
def entry_by_ref(ref: str) -> Any:
    session = get_session()
    entry = services.latest_entry_for(session, ref[:48])
    if entry is None:
        raise NotFound(f"the log has no entry about {ref[:48]}")
    size = int_arg("tree_size", required=False, low=1)
    return {**entry_json(entry), **services.entry_proof(session, entry, extension().proofs, size)}


@api.describe(
    bp,
    "/api/v1/log/cosignatures",
    "POST",
    summary="A witness's cosignature on a checkpoint (C2SP tlog-cosignature), kept and served with it",
    tags=["transparency"],
    body={"type": "object", "required": ["note"], "properties": {"note": {"type": "string"}}},
    scope=PUBLIC,
)
@bp.post("/api/v1/log/cosignatures")
def add_cosignature() -> Any:
    body = read_json_body()
    note = body.get("note") if isinstance(body, dict) else None
    if not isinstance(note, str) or len(note) > 20_000:
        raise ValidationFailed.field("note", "send the cosigned checkpoint note as text")
    witnesses = []
    for text in settings_of(current_app).tlog.witness_key_list():
        witnesses.append(Verifier.parse(text))
    session = get_session()
    log_key = extension().verifier()
    for witness in witnesses:
        try:
            row = services.add_cosignature(session, note, witness, log_key)
        except NoteError:
            continue
        session.commit()
        return jsonify({"size": row.size, "witness": row.name}), 201
    raise ValidationFailed.field("note", "no configured witness cosigned one of this log's checkpoints")


# ---------------------------------------------------------------------------------------------- page


@pages.get("/transparency")
def history() -> str:
    """The public history: newest events first, searchable by product name, GTIN or manufacturer."""
    session = get_session()
    q = (request.args.get("q") or "").strip()[:100]
    stmt = select(TlogEntry).where(TlogEntry.idx.is_not(None)).order_by(TlogEntry.idx.desc())
    if q:
        if q.isdecimal() and len(q) <= 14:
            number = int(q)
            by_maker = TlogEntry.manufacturer_id == number if number <= MAX_DB_INT else false()
            stmt = stmt.where(or_(TlogEntry.gtin == q.zfill(14), by_maker))
        else:
            like = f"%{q}%"
            products = select(Product.id).where(or_(Product.name_en.ilike(like), Product.name_bn.like(like)))
            stmt = stmt.where(TlogEntry.product_id.in_(products))
    rows = session.scalars(stmt.limit(HISTORY_PAGE_SIZE)).all()
    events = [{"entry": json.loads(r.data), "row": r} for r in rows]
    cp = extension().proofs.checkpoint(session)
    return render_template("tlog/history.html", events=events, q=q, checkpoint=cp)


api.declare_public_pages(pages)
