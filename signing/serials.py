"""Serial numbers for batches, derived statelessly from one batch row.

A serial is ``<batch prefix><body>`` in Crockford base32 (``0-9 A-Z`` without I, L, O, U, so it is easy to
read aloud and matches ``[0-9A-Z-]{1,20}``).  The prefix tells batches of one GTIN apart; the body is a keyed
pseudorandom permutation (a 10-round alternating Feistel network with AES-256 round functions, the
structure of NIST SP 800-38G FF1) of the unit index over all ``32**len(body)`` values.  So:

* serial *i* is computed from ``(batch secret, prefix, i)`` alone — a batch of N units is one database row;
* serials are unique per GTIN (the permutation is a bijection; prefixes differ between batches);
* knowing some serials of a batch tells nothing useful about others without the batch secret (a default
  10-character body has 2**50 values, so a 1,000,000-unit batch fills one in 10**9);
* a serial maps back to its index with the inverse permutation (:func:`locate_serial`).
"""

from __future__ import annotations

import hashlib
import os
import sys
from array import array

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from signing.errors import SigningError

__all__ = [
    "ALPHABET",
    "DEFAULT_PREFIX_LENGTH",
    "DEFAULT_SERIAL_LENGTH",
    "SerialError",
    "SerialPermutation",
    "derive_serial",
    "encode_batch_prefix",
    "generate_batch_secret",
    "locate_serial",
]

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32
_VALUES = {char: value for value, char in enumerate(ALPHABET)}
_PAIRS = [high + low for high in ALPHABET for low in ALPHABET]
_LITTLE_ENDIAN = sys.byteorder == "little"
DEFAULT_SERIAL_LENGTH = 13
DEFAULT_PREFIX_LENGTH = 3
MIN_BODY_LENGTH = 6
ROUNDS = 10


class SerialError(SigningError, ValueError):
    """A serial does not belong to the batch, or serial parameters are out of range."""

    status_code = 422
    title = "Invalid serial"
    code = "signing.serial"

    def __init__(self, detail: str, *, field: str = "serial") -> None:
        super().__init__(detail, errors=[{"field": field, "reason": detail}])


def generate_batch_secret() -> bytes:
    """A fresh 32-byte batch secret (kept in the batch row, never published)."""
    return os.urandom(32)


def encode_base32(value: int, length: int) -> str:
    """``value`` as ``length`` Crockford base32 digits, two digits (10 bits) at a time."""
    text = _PAIRS[value & 0x3FF]
    value >>= 10
    while len(text) < length:
        text = _PAIRS[value & 0x3FF] + text
        value >>= 10
    return text[len(text) - length :]


def decode_base32(text: str) -> int:
    value = 0
    for char in text:
        digit = _VALUES.get(char)
        if digit is None:
            raise SerialError(f"{char!r} is not a serial character")
        value = value * 32 + digit
    return value


def encode_batch_prefix(sequence: int, length: int = DEFAULT_PREFIX_LENGTH) -> str:
    """The prefix of a GTIN's ``sequence``-th batch (0-based): ``000``, ``001``, ... ``ZZZ``."""
    if not 0 <= sequence < 32**length:
        raise SerialError(f"batch sequence {sequence} does not fit {length} characters", field="prefix")
    return encode_base32(sequence, length)


class SerialPermutation:
    """The keyed bijection between unit indexes and serials of one batch.

    Each Feistel round applies AES-256 (key derived from the batch secret, prefix and length) to the block
    ``round number (8 bytes) || half (8 bytes)`` and adds the first 8 bytes of the result modulo the other
    half's size.  Whole ranges are computed a round at a time in one AES call, which is what makes a
    1,000,000-unit batch cheap.
    """

    def __init__(self, batch_secret: bytes, prefix: str, length: int = DEFAULT_SERIAL_LENGTH) -> None:
        if len(batch_secret) < 16:
            raise SerialError("a batch secret has at least 16 bytes", field="batch_secret")
        if any(char not in _VALUES for char in prefix):
            raise SerialError(f"prefix {prefix!r} is not Crockford base32", field="prefix")
        body_length = length - len(prefix)
        if length > 20 or body_length < MIN_BODY_LENGTH:
            raise SerialError(
                f"a serial of {length} characters cannot hold a {MIN_BODY_LENGTH}-character body after "
                f"prefix {prefix!r} (at most 20 characters)",
                field="length",
            )
        self.prefix = prefix
        self.length = length
        self.body_length = body_length
        bits = 5 * body_length
        self.size = 1 << bits
        self._right_bits = bits // 2
        self._masks = ((1 << (bits - self._right_bits)) - 1, (1 << self._right_bits) - 1)
        key = hashlib.blake2b(
            f"{prefix}/{length}".encode(), key=batch_secret[:64], digest_size=32, person=b"mib-serial/1"
        ).digest()
        self._encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()  # noqa: S305 - one block per PRF call

    def _round_values(self, number: int, halves: list[int]) -> list[int]:
        """``PRF(number, half)`` for every half, in one AES call."""
        blocks = array("Q", bytes(16 * len(halves)))
        blocks[0::2] = array("Q", [number]) * len(halves)
        blocks[1::2] = array("Q", halves)
        if _LITTLE_ENDIAN:
            blocks.byteswap()
        out = array("Q", self._encryptor.update(blocks.tobytes()))
        if _LITTLE_ENDIAN:
            out.byteswap()
        return out[0::2].tolist()

    def permute_all(self, indexes: list[int]) -> list[int]:
        right_bits = self._right_bits
        left_mask, right_mask = self._masks
        lefts = [index >> right_bits for index in indexes]
        rights = [index & right_mask for index in indexes]
        for number in range(ROUNDS):
            if number % 2 == 0:
                lefts = [
                    (a + f) & left_mask
                    for a, f in zip(lefts, self._round_values(number, rights), strict=True)
                ]
            else:
                rights = [
                    (b + f) & right_mask
                    for b, f in zip(rights, self._round_values(number, lefts), strict=True)
                ]
        return [a << right_bits | b for a, b in zip(lefts, rights, strict=True)]

    def unpermute(self, value: int) -> int:
        right_bits = self._right_bits
        left_mask, right_mask = self._masks
        left, right = value >> right_bits, value & right_mask
        for number in reversed(range(ROUNDS)):
            if number % 2 == 0:
                left = (left - self._round_values(number, [right])[0]) & left_mask
            else:
                right = (right - self._round_values(number, [left])[0]) & right_mask
        return left << right_bits | right

    def serials(self, start: int, stop: int) -> list[str]:
        """Serials ``start`` .. ``stop - 1`` of the batch."""
        if not 0 <= start <= stop <= self.size:
            raise SerialError(
                f"unit indexes {start}..{stop - 1} are outside 0..{self.size - 1}", field="index"
            )
        prefix, length = self.prefix, self.body_length
        return [prefix + encode_base32(value, length) for value in self.permute_all(list(range(start, stop)))]

    def serial(self, index: int) -> str:
        if not 0 <= index < self.size:
            raise SerialError(f"unit index {index} is outside 0..{self.size - 1}", field="index")
        return self.serials(index, index + 1)[0]

    def index(self, serial: str) -> int:
        if len(serial) != self.length or not serial.startswith(self.prefix):
            raise SerialError(f"serial {serial!r} is not of batch {self.prefix!r}")
        return self.unpermute(decode_base32(serial[len(self.prefix) :]))


def derive_serial(batch_secret: bytes, prefix: str, index: int, length: int = DEFAULT_SERIAL_LENGTH) -> str:
    """Serial number ``index`` (0-based) of the batch with this secret and prefix."""
    return SerialPermutation(batch_secret, prefix, length).serial(index)


def locate_serial(
    batch_secret: bytes,
    prefix: str,
    serial: str,
    count: int | None = None,
    length: int = DEFAULT_SERIAL_LENGTH,
) -> int:
    """The unit index of ``serial`` in its batch; raises :class:`SerialError` if the batch never issued it.

    With ``count`` (the batch size) a serial whose index is ``count`` or more is refused: it was never issued.
    """
    index = SerialPermutation(batch_secret, prefix, length).index(serial.upper())
    if count is not None and index >= count:
        raise SerialError(f"serial {serial!r} was never issued in batch {prefix!r}")
    return index
