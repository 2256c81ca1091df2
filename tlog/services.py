"""The log's database side: the log key, integration (entries → tiles → signed checkpoint), tiles, entry
bundles and proofs.  Callers own the transaction; nothing here commits."""

from __future__ import annotations

import base64
import os
import threading
import time
import warnings
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from config import Settings
from tlog import merkle, tiles
from tlog.errors import ProofError, TileError, TlogError
from tlog.models import TlogCheckpoint, TlogCosignature, TlogEntry, TlogTile
from tlog.note import Checkpoint, NoteSigner, Verifier, open_note

INTEGRATE_BATCH = 100_000  # entries sequenced per integration at most (the rest wait for the next)
ADVISORY_LOCK = 0x746C6F67  # "tlog": one integrator at a time on PostgreSQL


@dataclass(frozen=True)
class TlogSettings:
    origin: str
    key_path: str
    key_passphrase: str
    instance_path: Path
    env: str
    interval: float
    thread: bool

    @classmethod
    def from_settings(cls, settings: Settings) -> TlogSettings:
        group, core = settings.tlog, settings.core
        host = urlsplit(core.public_base_url).netloc
        return cls(
            origin=group.origin or f"{host}/log",
            key_path=group.key_path,
            key_passphrase=group.key_passphrase,
            instance_path=Path(core.instance_path),
            env=core.env,
            interval=max(0.2, group.integrate_ms / 1000),
            thread=group.integrate_thread and not core.testing,
        )


class LogKeyMissing(TlogError):
    status_code = 503
    title = "Log not configured"
    slug = "tlog-key"
    code = "tlog.key_missing"


class UnsafeLogKeyWarning(UserWarning):
    """The log's checkpoints are signed with an unencrypted development key."""


def load_log_signer(settings: TlogSettings) -> NoteSigner:
    """The log's checkpoint signer: TLOG_KEY_PATH (encrypted PKCS#8 PEM), else in development an unsafe key
    generated under INSTANCE_PATH.  Its key name is the log's origin."""
    if settings.key_path:
        if not settings.key_passphrase:
            raise LogKeyMissing("TLOG_KEY_PATH needs TLOG_KEY_PASSPHRASE")
        private = read_pem_key(Path(settings.key_path), settings.key_passphrase.encode())
    elif settings.env == "production":
        raise LogKeyMissing("no checkpoints are signed until TLOG_KEY_PATH names the log key")
    else:
        path = settings.instance_path / "tlog" / "dev-log-key.pem"
        if settings.env != "testing":
            warnings.warn(
                f"UNSAFE: the log's checkpoints are signed with {path}", UnsafeLogKeyWarning, stacklevel=2
            )
        if not path.exists():
            pem = Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass  # another worker made it first: use theirs
            else:
                with os.fdopen(descriptor, "wb") as handle:
                    handle.write(pem)
        private = read_pem_key(path, None)
    return NoteSigner(settings.origin, private)


def read_pem_key(path: Path, passphrase: bytes | None) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=passphrase)
    except (OSError, ValueError, TypeError) as exc:
        raise LogKeyMissing(f"cannot read the log key {path}: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise LogKeyMissing(f"{path} is not an Ed25519 key")
    return key


# ---------------------------------------------------------------------------------------------- tiles


def read_tile(session: Session, level: int, index: int, width: int) -> bytes:
    """The first ``width`` hashes of tile (level, index); ``TileError`` if the log has fewer."""
    data = session.scalar(select(TlogTile.hashes).where(TlogTile.level == level, TlogTile.idx == index))
    if data is None or len(data) < width * merkle.HASH_SIZE:
        raise TileError(f"no tile {tiles.tile_path(level, index, width)}")
    return bytes(data[: width * merkle.HASH_SIZE])


def read_bundle(session: Session, index: int, width: int) -> bytes:
    first = index * tiles.WIDTH
    rows = session.scalars(
        select(TlogEntry.data)
        .where(TlogEntry.idx >= first, TlogEntry.idx < first + width)
        .order_by(TlogEntry.idx)
    ).all()
    if len(rows) != width:
        raise TileError(f"no entry bundle {tiles.tile_path('entries', index, width)}")
    return tiles.encode_bundle([bytes(r) for r in rows])


def append_to_tiles(read: Any, write: Any, old_size: int, leaf_hashes: list[bytes]) -> None:
    """Add ``leaf_hashes`` at ``old_size``: rewrite the partial tile at each level and start new ones; a tile
    that fills up adds its root to the level above."""
    level, start, hashes = 0, old_size, leaf_hashes
    while hashes:
        first = start // tiles.WIDTH
        held = read(level, first, start % tiles.WIDTH) if start % tiles.WIDTH else b""
        buf = held + b"".join(hashes)
        full_roots = []
        step = tiles.WIDTH * merkle.HASH_SIZE
        for i, pos in enumerate(range(0, len(buf), step)):
            chunk = buf[pos : pos + step]
            write(level, first + i, chunk)
            if len(chunk) == step:
                full_roots.append(merkle.root_of_leaves(tiles.split_hashes(chunk)))
        level, start, hashes = level + 1, start // tiles.WIDTH, full_roots


def current_size(session: Session) -> int:
    size = session.scalar(select(func.max(TlogCheckpoint.size)))
    return int(size or 0)


def latest_checkpoint(session: Session) -> TlogCheckpoint | None:
    return session.scalar(select(TlogCheckpoint).order_by(TlogCheckpoint.size.desc()).limit(1))


def needs_integration(session: Session) -> bool:
    """Whether an entry waits for an index, or the log has no checkpoint yet (two indexed reads)."""
    waiting = session.scalar(select(TlogEntry.id).where(TlogEntry.idx.is_(None)).limit(1))
    return waiting is not None or latest_checkpoint(session) is None


def _lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": ADVISORY_LOCK})


def integrate(
    session: Session, signer: NoteSigner, *, now: datetime | None = None, limit: int = INTEGRATE_BATCH
) -> TlogCheckpoint | None:
    """Sequence the entries not yet in the log (in the order they were appended), extend the tiles and sign
    a checkpoint of the new size; None when there was nothing new.  One transaction (the caller's)."""
    _lock(session)
    size = current_size(session)
    # one statement numbers the oldest waiting entries and says which it numbered (UPDATE … FROM … RETURNING,
    # SQLite 3.35+ and PostgreSQL): the tiles are built from exactly the rows that got an index
    numbered = (
        select(TlogEntry.id, (func.row_number().over(order_by=TlogEntry.id) + (size - 1)).label("n"))
        .where(TlogEntry.idx.is_(None))
        .order_by(TlogEntry.id)
        .limit(limit)
        .subquery()
    )
    pending = sorted(
        session.execute(
            update(TlogEntry)
            .where(TlogEntry.id == numbered.c.id)
            .values(idx=numbered.c.n)
            .returning(TlogEntry.idx, TlogEntry.leaf_hash),
            execution_options={"synchronize_session": False},
        ).all()
    )
    if not pending and latest_checkpoint(session) is not None:
        return None
    written: dict[tuple[int, int], bytes] = {}

    def read(level: int, index: int, width: int) -> bytes:
        data = written.get((level, index))
        if data is not None:
            return data[: width * merkle.HASH_SIZE]
        return read_tile(session, level, index, width)

    append_to_tiles(
        read,
        lambda lv, ix, data: written.__setitem__((lv, ix), data),
        size,
        [bytes.fromhex(row.leaf_hash) for row in pending],
    )
    store_tiles(session, written)
    new_size = size + len(pending)
    root = merkle.tree_root(tiles.tile_nodes(read, new_size), new_size)
    note = signer.sign(Checkpoint(signer.name, new_size, root).to_text())
    row = TlogCheckpoint(size=new_size, root=root.hex(), note=note, created_at=now or datetime.now(UTC))
    session.add(row)
    session.flush()
    return row


def store_tiles(session: Session, written: dict[tuple[int, int], bytes]) -> None:
    """Insert the new tiles and rewrite the partial ones that grew."""
    by_level: dict[int, list[int]] = {}
    for level, index in written:
        by_level.setdefault(level, []).append(index)
    for level, indexes in by_level.items():
        existing = {
            t.idx: t
            for t in session.scalars(
                select(TlogTile).where(TlogTile.level == level, TlogTile.idx.in_(indexes))
            )
        }
        for index in indexes:
            data = written[(level, index)]
            if index in existing:
                existing[index].hashes = data
            else:
                session.add(TlogTile(level=level, idx=index, hashes=data))


def checkpoint_with_cosignatures(session: Session, row: TlogCheckpoint) -> str:
    lines = session.scalars(
        select(TlogCosignature.line).where(TlogCosignature.size == row.size).order_by(TlogCosignature.id)
    ).all()
    return row.note + "".join(lines)


def add_cosignature(session: Session, note_text: str, witness: Verifier, log: Verifier) -> TlogCosignature:
    """Keep a witness's cosignature on one of our checkpoints (the note as the witness returned it)."""
    opened = open_note(note_text, [witness, log])
    names = {s.name for s in opened.verified}
    if log.name not in names or witness.name not in names:
        raise ProofError(
            "the note must carry the log's signature and the witness's cosignature", field="note"
        )
    checkpoint = Checkpoint.parse(opened.text)
    row = session.get(TlogCheckpoint, checkpoint.size)
    if row is None or row.root != checkpoint.root.hex():
        raise ProofError("the cosigned checkpoint is not one this log signed", field="note")
    line = next(s.line for s in opened.verified if s.name == witness.name)
    found = session.scalar(
        select(TlogCosignature).where(TlogCosignature.size == row.size, TlogCosignature.name == witness.name)
    )
    if found is not None:
        found.line = line
        return found
    cosig = TlogCosignature(size=row.size, name=witness.name, line=line)
    session.add(cosig)
    session.flush()
    return cosig


# ---------------------------------------------------------------------------------------------- proofs


def b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


class ProofCache:
    """Proofs per (index, tree size) and the newest checkpoint, kept in this process.

    The verification answer carries an inclusion proof for every scan: a proof changes only when a new
    checkpoint is signed (every few seconds at most), so it is computed once per record and size."""

    def __init__(
        self, max_entries: int = 20_000, checkpoint_ttl: float = 1.0, share_tiles: bool = True
    ) -> None:
        self.max_entries = max_entries
        # the upper tiles' hashes, shared by every proof (not in tests: their logs are rolled back and rebuilt)
        self.pyramids = tiles.PyramidCache() if share_tiles else None
        self.checkpoint_ttl = checkpoint_ttl
        self._proofs: OrderedDict[tuple[str, int, int, str], list[str]] = OrderedDict()
        self._checkpoint: tuple[float, TlogCheckpoint | None] | None = None
        self._answers: OrderedDict[tuple[str, int, str], dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def checkpoint(self, session: Session) -> TlogCheckpoint | None:
        cached = self._checkpoint
        moment = time.monotonic()
        if cached is not None and cached[0] > moment:
            return cached[1]
        row = latest_checkpoint(session)
        if row is not None:
            session.expunge(row)
            seen = cached[1] if cached is not None else None
            if seen is not None and (
                row.size < seen.size or (row.size == seen.size and row.root != seen.root)
            ):
                self.clear()  # the log was rewritten (a restored backup): nothing cached may be trusted
        self._checkpoint = (moment + self.checkpoint_ttl, row)
        return row

    def proof(self, kind: str, a: int, b: int, root: str, build: Any) -> list[str]:
        key = (kind, a, b, root)  # the root too: a test's rolled-back log may reach the same size again
        with self._lock:
            found = self._proofs.get(key)
        if found is None:
            found = [b64(p) for p in build()]
            with self._lock:
                self._proofs[key] = found
                if len(self._proofs) > self.max_entries:
                    self._proofs.popitem(last=False)
        return found

    def answer(self, gtin: str, checkpoint: TlogCheckpoint | None, build: Any) -> dict[str, Any]:
        key = (gtin, checkpoint.size if checkpoint else -1, checkpoint.root if checkpoint else "")
        found = self._answers.get(key)
        if found is None:
            found = build()
            with self._lock:
                self._answers[key] = found
                if len(self._answers) > self.max_entries:
                    self._answers.popitem(last=False)
        return found

    def clear(self) -> None:
        with self._lock:
            self._proofs.clear()
            self._answers.clear()
            self._checkpoint = None
            if self.pyramids is not None:
                self.pyramids.clear()


def db_nodes(session: Session, size: int, cache: ProofCache | None = None) -> merkle.NodeReader:
    shared = cache.pyramids if cache is not None else None
    return tiles.tile_nodes(lambda lv, ix, w: read_tile(session, lv, ix, w), size, shared)


def inclusion(
    session: Session, index: int, checkpoint: TlogCheckpoint, cache: ProofCache | None = None
) -> list[str]:
    size = checkpoint.size
    if not 0 <= index < size:
        raise ProofError(f"index {index} is not below tree size {size}", field="index")
    build = lambda: merkle.inclusion_proof(db_nodes(session, size, cache), index, size)  # noqa: E731
    return cache.proof("i", index, size, checkpoint.root, build) if cache else [b64(p) for p in build()]


def consistency(
    session: Session, first: int, checkpoint: TlogCheckpoint, cache: ProofCache | None = None
) -> list[str]:
    second = checkpoint.size
    if not 1 <= first <= second:
        raise ProofError(f"first must be from 1 to the tree size {second}, not {first}", field="first")
    build = lambda: merkle.consistency_proof(db_nodes(session, second, cache), first, second)  # noqa: E731
    return cache.proof("c", first, second, checkpoint.root, build) if cache else [b64(p) for p in build()]


def entry_by_index(session: Session, index: int) -> TlogEntry | None:
    return session.scalar(select(TlogEntry).where(TlogEntry.idx == index))


def entry_by_hash(session: Session, leaf_hash: str) -> TlogEntry | None:
    return session.scalar(
        select(TlogEntry)
        .where(TlogEntry.leaf_hash == leaf_hash, TlogEntry.idx.is_not(None))
        .order_by(TlogEntry.idx)
        .limit(1)
    )


def entry_proof(
    session: Session, entry: TlogEntry, cache: ProofCache | None = None, tree_size: int | None = None
) -> dict[str, Any]:
    """What a verifier needs to check that ``entry`` is in the log: index, leaf hash, the inclusion proof
    against the newest checkpoint (or the tree of ``tree_size``, for a verifier holding an older
    checkpoint), and that checkpoint as signed (null for a size that was never checkpointed)."""
    checkpoint = cache.checkpoint(session) if cache else latest_checkpoint(session)
    if tree_size is not None and checkpoint is not None and tree_size != checkpoint.size:
        if not 1 <= tree_size <= checkpoint.size:
            raise ProofError(f"tree_size must be from 1 to {checkpoint.size}", field="tree_size")
        root = merkle.tree_root(db_nodes(session, tree_size, cache), tree_size).hex()
        signed = session.get(TlogCheckpoint, tree_size)
        checkpoint = TlogCheckpoint(size=tree_size, root=root, note=signed.note if signed else None)
    if entry.idx is None or checkpoint is None or entry.idx >= checkpoint.size:
        if tree_size is not None and entry.idx is not None:
            raise ProofError(f"entry {entry.idx} is not in a tree of {tree_size} entries", field="tree_size")
        return {"status": "pending", "leaf_hash": entry.leaf_hash}
    return {
        "status": "included",
        "log_index": entry.idx,
        "leaf_hash": entry.leaf_hash,
        "tree_size": checkpoint.size,
        "inclusion_proof": inclusion(session, entry.idx, checkpoint, cache),
        "checkpoint": checkpoint.note,
    }


def latest_entry_for(session: Session, ref: str) -> TlogEntry | None:
    return session.scalar(
        select(TlogEntry).where(TlogEntry.ref == ref).order_by(TlogEntry.id.desc()).limit(1)
    )


def transparency_of_gtin(session: Session, gtin: str, cache: ProofCache) -> dict[str, Any]:
    """The log entry of the newest record signed for ``gtin`` with its proof (cached per checkpoint)."""
    checkpoint = cache.checkpoint(session)

    def build() -> dict[str, Any]:
        entry = session.scalar(
            select(TlogEntry)
            .where(TlogEntry.gtin == gtin, TlogEntry.kind == "record.signed")
            .order_by(TlogEntry.id.desc())
            .limit(1)
        )
        return {"status": "absent"} if entry is None else entry_proof(session, entry, cache)

    return cache.answer(gtin, checkpoint, build)
