"""The registry's public transparency log (issue 18): every trust-changing event as an RFC 6962 leaf, C2SP
tiles and signed checkpoints, proofs, and a monitor anyone can run (``python -m signing log audit``).

``init_app`` hooks the log in at one point: a session ``after_flush`` listener (``tlog.entries``) appends the
entries in the transaction of the change.  The integrator (``flask tlog integrate``, or a background thread
in the embedded default) sequences them, extends the tiles and signs a checkpoint.

"""

from __future__ import annotations

import base64
import logging
import threading
from datetime import UTC, datetime
from typing import Any

from config import settings_of
from tlog import entries
from tlog.cli import tlog_cli
from tlog.errors import TlogError
from tlog.services import (
    LogKeyMissing,
    ProofCache,
    TlogSettings,
    entry_proof,
    integrate,
    latest_entry_for,
    load_log_signer,
    needs_integration,
    transparency_of_gtin,
)
from tlog.views import bp, pages

__all__ = ["TlogError", "init_app"]
log = logging.getLogger("registry.tlog")


class LogExtension:
    """The app's log: settings, the (lazily loaded) checkpoint signer, the proof cache, the integrator."""

    def __init__(self, settings: Any, database: Any) -> None:

        self.settings = settings
        self.database = database
        testing = settings.env == "testing"
        self.proofs = ProofCache(checkpoint_ttl=0 if testing else 1.0, share_tiles=not testing)
        self._signer: Any = None
        self._lock = threading.Lock()
        self.thread: threading.Thread | None = None
        self._stop = threading.Event()

    def signer(self) -> Any:

        with self._lock:
            if self._signer is None:
                self._signer = load_log_signer(self.settings)
            return self._signer

    def verifier(self) -> Any:
        return self.signer().verifier

    def integrate_once(self) -> Any:
        """Integrate what is pending in its own transaction; the new checkpoint row or None."""

        signer = self.signer()
        with self.database.session(write=False) as reader:  # an idle log takes no write lock (SQLite)
            if not needs_integration(reader):
                return None
        with self.database.session(write=True) as session:
            row = integrate(session, signer, now=datetime.now(UTC))
            session.commit()
            return row

    def start_thread(self) -> None:
        if self.thread is not None and self.thread.is_alive():
            return

        def run() -> None:

            while not self._stop.wait(self.settings.interval):
                try:
                    self.integrate_once()
                except LogKeyMissing as exc:  # production without TLOG_KEY_PATH: entries wait, say so once
                    log.warning("transparency log: %s", exc.detail)
                    return
                except Exception:  # keep integrating after a failed round (database restart, lock)
                    log.exception("transparency log integration failed; retrying")

        self.thread = threading.Thread(target=run, name="tlog-integrator", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self._stop.set()


def init_app(app: Any) -> None:

    entries.install()
    ext = LogExtension(TlogSettings.from_settings(settings_of(app)), app.extensions["core.db"])
    app.extensions["tlog"] = ext
    app.register_blueprint(bp)
    app.register_blueprint(pages)
    app.cli.add_command(tlog_cli)
    app.extensions.setdefault("signing.answer_hooks", []).append(answer_hook(ext))
    app.extensions.setdefault("signing.record_hooks", []).append(record_hook(ext))
    app.extensions.setdefault("signing.jwks_hooks", []).append(jwks_hook(ext))
    if ext.settings.thread:
        started = threading.Event()

        @app.before_request
        def _start_integrator() -> None:
            if not started.is_set():
                started.set()
                ext.start_thread()


def answer_hook(ext: LogExtension) -> Any:
    """Adds ``transparency`` (log index and inclusion proof of the product's newest record) to a
    verification answer."""

    def hook(body: dict[str, Any], session: Any) -> None:
        gtin = body.get("gtin")
        if gtin and body.get("product") is not None:
            body["transparency"] = transparency_of_gtin(session, gtin, ext.proofs)

    return hook


def record_hook(ext: LogExtension) -> Any:
    """Adds the record's log index and inclusion proof to a record download as headers (the body is the
    signed record, byte for byte)."""

    def hook(row: Any, session: Any, response: Any) -> None:
        entry = latest_entry_for(session, f"record:{row.id}")
        if entry is None:
            return
        proof = entry_proof(session, entry, ext.proofs)
        response.headers["Tlog-Leaf-Hash"] = proof["leaf_hash"]
        if proof["status"] == "included":
            response.headers["Tlog-Index"] = str(proof["log_index"])
            response.headers["Tlog-Tree-Size"] = str(proof["tree_size"])
            response.headers["Tlog-Inclusion-Proof"] = ",".join(proof["inclusion_proof"])
        response.headers["Link"] = f'</api/v1/log/entries/by-ref/record:{row.id}>; rel="transparency"'

    return hook


def jwks_hook(ext: LogExtension) -> Any:
    """Publishes the log's checkpoint key beside the issuing keys, as a JWK Set member of its own (RFC 7517
    lets readers ignore members they do not know; it is not an issuing key, so it is not in ``keys``)."""

    def hook(body: dict[str, Any]) -> None:
        try:
            verifier = ext.verifier()
        except TlogError:
            return  # production without TLOG_KEY_PATH: no log key to publish yet
        body["transparency_log"] = {
            "origin": ext.settings.origin,
            "note_verifier_key": str(verifier),
            "jwk": {
                "kty": "OKP",
                "crv": "Ed25519",
                "x": base64.urlsafe_b64encode(verifier.public).decode().rstrip("="),
                "use": "sig",
                "alg": "EdDSA",
                "kid": verifier.key_hash.hex(),
            },
        }

    return hook
