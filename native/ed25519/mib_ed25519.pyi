"""Ed25519 signing and batch verification (ed25519-dalek 2.x via pyo3).  See src/lib.rs for the rules."""

__version__: str

class SigningKey:
    """An Ed25519 private key from its 32-byte RFC 8032 seed."""

    def __init__(self, secret: bytes) -> None: ...
    def public_bytes(self) -> bytes: ...
    def sign(self, message: bytes) -> bytes: ...
    def sign_many(self, messages: list[bytes]) -> list[bytes]:
        """One signature per message, computed without holding the GIL."""

class VerifyingKey:
    """An Ed25519 public key from its 32-byte encoding; ``ValueError`` if it is not a curve point."""

    def __init__(self, public: bytes) -> None: ...
    def public_bytes(self) -> bytes: ...
    def verify(self, message: bytes, signature: bytes) -> bool:
        """Strict verification (dalek ``verify_strict``); never raises."""

def verify_batch(items: list[tuple[VerifyingKey, bytes, bytes]]) -> list[bool]:
    """Verify ``(key, message, signature)`` triples together; exactly the failing ones are ``False``."""
