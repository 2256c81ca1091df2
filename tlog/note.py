"""C2SP signed notes (``signed-note``), checkpoints (``tlog-checkpoint``) and cosignatures
(``tlog-cosignature``), Ed25519 only.  Pure: bytes in, objects out; failures raise ``NoteError``.

A note is UTF-8 text ending in a newline, a blank line, then lines ``— <key name> base64(key id || sig)``.
The key id is the first four bytes of ``SHA-256(name || "\\n" || type || public key)``, type ``0x01`` for an
Ed25519 signature and ``0x04`` for an Ed25519 ``cosignature/v1`` (whose signed message is
``"cosignature/v1\\ntime <t>\\n" || checkpoint text`` and whose signature carries the 8-byte time).
"""

from __future__ import annotations

import base64
import hashlib
import re
import struct
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from tlog.errors import NoteError

ALG_ED25519 = 0x01
ALG_COSIGNATURE_V1 = 0x04
SIGNATURE_PREFIX = "\u2014 "  # an em dash and a space
MAX_SIGNATURES = 100
_NAME = re.compile(r"[^\s+]+")
_DECIMAL = re.compile(r"0|[1-9][0-9]{0,19}")
_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")


def _b64decode(text: str, what: str) -> bytes:
    if not _BASE64.fullmatch(text):
        raise NoteError(f"{what} is not base64")
    try:
        return base64.b64decode(text, validate=True)
    except ValueError as exc:
        raise NoteError(f"{what} is not base64") from exc


def key_id(name: str, alg: int, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([alg]) + public).digest()[:4]


def _check_name(name: str) -> None:
    if not _NAME.fullmatch(name):
        raise NoteError(f"key name {name!r} is empty or has a space or '+'")


@dataclass(frozen=True)
class Verifier:
    """A note verifier key: ``<name>+<hex key id>+<base64(type || public key)>``."""

    name: str
    alg: int
    public: bytes
    key_hash: bytes

    @classmethod
    def parse(cls, vkey: str) -> Verifier:
        parts = vkey.split("+", 2)
        if len(parts) != 3:
            raise NoteError("a verifier key has three '+'-separated parts")
        name, hex_id, b64 = parts
        _check_name(name)
        if not re.fullmatch(r"[0-9a-f]{8}", hex_id):
            raise NoteError("the key id is not 8 lower-case hex digits")
        raw = _b64decode(b64, "the key")
        if len(raw) != 33 or raw[0] not in (ALG_ED25519, ALG_COSIGNATURE_V1):
            raise NoteError("only Ed25519 keys (type 0x01) and cosigner keys (type 0x04) are understood")
        if key_id(name, raw[0], raw[1:]) != bytes.fromhex(hex_id):
            raise NoteError("the key id does not match the key")
        return cls(name, raw[0], raw[1:], bytes.fromhex(hex_id))

    @classmethod
    def of(cls, name: str, public: Ed25519PublicKey, alg: int = ALG_ED25519) -> Verifier:
        _check_name(name)
        raw = public.public_bytes_raw()
        return cls(name, alg, raw, key_id(name, alg, raw))

    def __str__(self) -> str:
        b64 = base64.b64encode(bytes([self.alg]) + self.public).decode()
        return f"{self.name}+{self.key_hash.hex()}+{b64}"

    def verify(self, message: bytes, signature: bytes) -> None:
        try:
            Ed25519PublicKey.from_public_bytes(self.public).verify(signature, message)
        except InvalidSignature as exc:
            raise NoteError(f"the signature of {self.name} does not verify") from exc


@dataclass(frozen=True)
class NoteSigner:
    """An Ed25519 note signer (``PRIVATE+KEY+<name>+<hex id>+<base64(0x01 || seed)>`` as text)."""

    name: str
    private: Ed25519PrivateKey
    alg: int = ALG_ED25519

    @classmethod
    def parse(cls, skey: str) -> NoteSigner:
        parts = skey.split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise NoteError("a signer key reads PRIVATE+KEY+<name>+<id>+<key>")
        raw = _b64decode(parts[4], "the private key")
        if len(raw) != 33 or raw[0] != ALG_ED25519:
            raise NoteError("only Ed25519 signer keys are understood")
        signer = cls(parts[2], Ed25519PrivateKey.from_private_bytes(raw[1:]))
        if signer.verifier.key_hash.hex() != parts[3]:
            raise NoteError("the key id does not match the key")
        return signer

    @property
    def verifier(self) -> Verifier:
        return Verifier.of(self.name, self.private.public_key(), self.alg)

    def signature_line(self, text: str) -> str:
        sig = self.private.sign(text.encode())
        return f"{SIGNATURE_PREFIX}{self.name} {base64.b64encode(self.verifier.key_hash + sig).decode()}\n"

    def sign(self, text: str) -> str:
        check_text(text)
        return text + "\n" + self.signature_line(text)


@dataclass(frozen=True)
class Signature:
    name: str
    key_hash: bytes
    raw: bytes  # what follows the key id
    line: str


@dataclass(frozen=True)
class Note:
    text: str
    signatures: tuple[Signature, ...]
    verified: tuple[Signature, ...] = ()
    unverified: tuple[Signature, ...] = field(default=())

    def to_text(self) -> str:
        return self.text + "\n" + "".join(s.line for s in self.signatures)


def check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise NoteError("the note text must end with a newline")
    if any(ord(c) < 0x20 and c != "\n" for c in text):
        raise NoteError("the note text has a control character")


def parse_note(data: bytes | str) -> Note:
    """Split a note into text and signature lines, checking the format (not the signatures)."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NoteError("a note is UTF-8 text") from exc
    if "\ufffd" in data or any(0xD800 <= ord(c) <= 0xDFFF for c in data):
        raise NoteError("a note is valid UTF-8 text")
    cut = data.rfind("\n\n")
    if cut < 0:
        raise NoteError("a note has a blank line before its signatures")
    text, sig_block = data[: cut + 1], data[cut + 2 :]
    check_text(text)
    if not sig_block.endswith("\n") or not sig_block.strip():
        raise NoteError("a note ends with at least one signature line and a newline")
    lines = sig_block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"a note carries at most {MAX_SIGNATURES} signatures")
    sigs = []
    for line in lines:
        if not line.startswith(SIGNATURE_PREFIX):
            raise NoteError(f"not a signature line: {line[:40]!r}")
        name, _, b64 = line[len(SIGNATURE_PREFIX) :].partition(" ")
        _check_name(name)
        raw = _b64decode(b64, "a signature")
        if len(raw) < 5:
            raise NoteError("a signature is too short")
        sigs.append(Signature(name, raw[:4], raw[4:], line + "\n"))
    return Note(text, tuple(sigs))


def _cosigned_message(text: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n{text}".encode()


def open_note(data: bytes | str, verifiers: list[Verifier]) -> Note:
    """Parse ``data`` and check every signature by a known key (name and key id); at least one must verify.

    A signature by a known key that fails is an error; signatures by unknown keys are returned unverified."""
    note = parse_note(data)
    known = {(v.name, v.key_hash): v for v in verifiers}
    verified: dict[tuple[str, bytes], Signature] = {}
    unverified = []
    for sig in note.signatures:
        v = known.get((sig.name, sig.key_hash))
        if v is None:
            if sig not in unverified:  # the same line twice is listed once (as golang.org/x/mod does)
                unverified.append(sig)
            continue
        if v.alg == ALG_COSIGNATURE_V1:
            if len(sig.raw) != 72:
                raise NoteError(f"the cosignature of {sig.name} is not 8 + 64 bytes")
            (timestamp,) = struct.unpack(">Q", sig.raw[:8])
            v.verify(_cosigned_message(note.text, timestamp), sig.raw[8:])
        else:
            if len(sig.raw) != 64:
                raise NoteError(f"the signature of {sig.name} is not 64 bytes")
            v.verify(note.text.encode(), sig.raw)
        verified.setdefault((sig.name, sig.key_hash), sig)
    if not verified:
        raise NoteError("no signature on the note is by a known key")
    return Note(note.text, note.signatures, tuple(verified.values()), tuple(unverified))


def cosignature_line(name: str, private: Ed25519PrivateKey, checkpoint_text: str, timestamp: int) -> str:
    """A C2SP ``tlog-cosignature`` (cosignature/v1) line on ``checkpoint_text`` at ``timestamp``."""
    check_text(checkpoint_text)
    verifier = Verifier.of(name, private.public_key(), ALG_COSIGNATURE_V1)
    sig = private.sign(_cosigned_message(checkpoint_text, timestamp))
    raw = verifier.key_hash + struct.pack(">Q", timestamp) + sig
    return f"{SIGNATURE_PREFIX}{name} {base64.b64encode(raw).decode()}\n"


@dataclass(frozen=True)
class Checkpoint:
    """``<origin>\\n<size>\\n<base64 root>\\n`` plus optional extension lines (C2SP tlog-checkpoint)."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        if not text.endswith("\n"):
            raise NoteError("a checkpoint ends with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise NoteError("a checkpoint has an origin, a size and a root hash")
        origin, size, root, *ext = lines
        if not origin:
            raise NoteError("the checkpoint's origin is empty")
        if not _DECIMAL.fullmatch(size) or int(size) >= 1 << 64:
            raise NoteError("the tree size is a decimal number without leading zeroes")
        raw = _b64decode(root, "the root hash")
        if len(raw) != 32:
            raise NoteError("the root hash is not 32 bytes")
        if any(not line for line in ext):
            raise NoteError("a checkpoint has no empty extension line")
        return cls(origin, int(size), raw, tuple(ext))

    def to_text(self) -> str:
        body = f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"
        return body + "".join(line + "\n" for line in self.extensions)


def open_checkpoint(
    data: bytes | str, verifier: Verifier, origin: str | None = None
) -> tuple[Checkpoint, Note]:
    """The checkpoint signed by ``verifier`` (the log's key), its origin checked; raises ``NoteError``."""
    note = open_note(data, [verifier])
    if not any(s.name == verifier.name for s in note.verified):
        raise NoteError("the checkpoint is not signed by the log's key")
    checkpoint = Checkpoint.parse(note.text)
    if checkpoint.origin != (origin or verifier.name):
        raise NoteError(f"the checkpoint's origin is {checkpoint.origin!r}, not {origin or verifier.name!r}")
    return checkpoint, note
