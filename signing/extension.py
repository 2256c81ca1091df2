"""What ``signing.init_app`` keeps in ``app.extensions["signing"]``: settings, the signer, caches, rate
limits and the scan recorder."""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy.orm import Session

from signing.batches import CatalogueCache
from signing.keys import (
    EncryptedPKCS8FileKeySource,
    KeyRing,
    Signer,
    UnsafeDevelopmentKeySource,
)
from signing.keystore import KeyringCache, configured_key_source, ensure_current_signer
from signing.models import (
    SigningKey,
)
from signing.scans import ScanRecorder
from signing.settings import SigningSettings


class SigningExtension:
    """What ``init_app`` keeps in ``app.extensions["signing"]``: settings, the signer, caches, rate limits."""

    def __init__(self, settings: SigningSettings, open_session: Callable[[], Session]) -> None:
        self.settings = settings
        self._open_session = open_session
        # tests roll every transaction back, so nothing read from the database may outlive a request there
        self._keyrings = KeyringCache(0.0 if settings.env == "testing" else 5.0)
        self.catalogue = CatalogueCache(0.0 if settings.env == "testing" else 5.0)
        self.scans: ScanRecorder | None = None  # set by signing.init_app (signing.scans)
        self._lock = threading.Lock()
        self._signer: Signer | None = None
        self._ready = False
        self.check_configured_key()

    def check_configured_key(self) -> None:
        """Open the configured key file now, so that a wrong passphrase or a missing or unreadable file stops
        the service at start-up (``KeySourceError``) instead of failing every signing request later.

        A PKCS#11 token is left to the first request (logging in to it may wait for the device)."""
        source = configured_key_source(self.settings)
        if isinstance(source, EncryptedPKCS8FileKeySource):
            source.load_private_key()

    def ready(self) -> None:
        """Make sure an issuing key is registered (on a fresh database the configured key becomes current).

        Runs at the start of a request (``before_app_request``), before the request opens its own write
        transaction: on SQLite a second writer in the same thread would wait for the first one forever.
        """
        if self._ready:
            return
        with self._lock:
            if self._ready:
                return
            session: Session = self._open_session()
            try:
                self._signer = ensure_current_signer(session, self.settings)
                session.commit()
            finally:
                session.close()
            self._keyrings.clear()
            self._ready = True

    @property
    def is_ready(self) -> bool:
        return self._ready

    def keyring(self, session: Session) -> KeyRing:
        return self._keyrings.get(session)

    def signer(self, session: Session) -> Signer:
        """The current key's signer; reloaded when another process rotated the key."""
        current = self.keyring(session).current
        signer = self._signer
        if (
            signer is not None
            and current is not None
            and signer.kid == current.kid
            and session.get(SigningKey, signer.kid) is not None
        ):
            return signer
        with self._lock:
            self._keyrings.clear()
            self._signer = ensure_current_signer(session, self.settings)
            return self._signer

    def forget_keys(self) -> None:
        """After a rotation or compromise in this process."""
        with self._lock:
            self._keyrings.clear()
            self._signer = None

    def restart(self) -> None:
        """Forget the keys and check the issuing key again at the next request, as a new process would
        (after a database restore, and between tests that each bring their own database state)."""
        with self._lock:
            self._keyrings.clear()
            self._signer = None
            self._ready = False

    def describe(self) -> str:
        signer = self._signer
        if signer is None:
            return "Ed25519 (key not loaded yet)"
        source = configured_key_source(self.settings) if not self.settings.key_path else None
        unsafe = " UNSAFE development key" if isinstance(source, UnsafeDevelopmentKeySource) else ""
        return f"Ed25519 kid={signer.kid}{unsafe}"
