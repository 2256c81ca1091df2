"""Check codes: the short code printed under every unit label's QR, for a check by SMS (docs/formats.md,
"Check codes").

A check code is 12 Crockford base32 characters, printed ``XXXX-XXXX-XXXX`` (the hyphens and any spaces are
ignored when read): 11 characters (55 bits) that are a keyed pseudorandom permutation of the unit's place,
``batch id * 2**20 + unit index``, then one check character.

* **One unit.** The permutation is a bijection, so a code names exactly one (batch, index); the registry
  inverts it with the key and derives the unit's serial from the batch row as a camera scan would.  Nothing is
  stored per unit: a batch of N units is still one row.
* **Not guessable.** The key (``check_code_keys``, 32 random bytes, one for the registry, never rotated:
  codes are printed) is known only to the registry; without it the codes of issued units are a random-looking
  sparse set of the 2**55 values: with ``U`` units issued, a guessed code is valid with probability
  ``U / 2**55`` (10**8 units: 1 in 3.6 * 10**8), and knowing other codes, of the same batch or not, does not
  help (a pseudorandom permutation; 10-round Feistel with AES-256 round functions, ``SerialPermutation``).
* **Typos caught.** The check character is a Damm check over GF(32): ``state = 2 * (state XOR digit)`` in
  GF(2**5) (polynomial x**5 + x**2 + 1), starting at 0, and the check character is the state after the 11
  data characters, so a valid code ends in state 0.  ``x * y = 2(x XOR y)`` is a quasigroup with a zero
  diagonal that is totally anti-symmetric (``(c*x)*y = (c*y)*x`` only if ``x = y``, because 2 is neither 0 nor
  1), which is exactly what catches every single substitution and every swap of two neighbours, the check
  character included (``tests/signing/test_checkcodes.py`` tries them all over every state).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from signing.models import CheckCodeKey, SerialBatch
from signing.serials import ALPHABET, SerialPermutation, decode_base32, encode_base32

__all__ = [
    "CODE_LENGTH",
    "CheckCodeError",
    "CheckCodes",
    "IssuedCode",
    "check_character",
    "format_code",
    "load_check_codes",
    "normalise_code",
]

DATA_LENGTH = 11  # 55 bits
CODE_LENGTH = DATA_LENGTH + 1
INDEX_BITS = 20  # a batch holds at most 1,000,000 < 2**20 units (signing.batches.MAX_BATCH)
MAX_BATCH_ID = (1 << (5 * DATA_LENGTH - INDEX_BITS)) - 1  # 2**35 - 1
MAX_DATABASE_ID = 2_147_483_647  # ids are PostgreSQL integers (core.limits), on SQLite too
_VALUES = {char: value for value, char in enumerate(ALPHABET)}
# Crockford's reading rules: letters that look like digits are read as those digits
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s\-‐-―_.]+")


class CheckCodeError(ValueError):
    """A text is not a check code: ``reason`` is ``length``, ``character`` or ``check`` (a typing mistake)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


def _times_two(value: int) -> int:
    """``2 * value`` in GF(2**5) with the primitive polynomial x**5 + x**2 + 1."""
    value <<= 1
    return value ^ 0b100101 if value & 0b100000 else value


DAMM = tuple(tuple(_times_two(x ^ y) for y in range(32)) for x in range(32))  # DAMM[state][digit]
# two characters at a time: _PAIR_STEP["7K"][state] is the state after reading "7K" from ``state``
_PAIR_STEP = {
    high + low: tuple(DAMM[DAMM[state][_VALUES[high]]][_VALUES[low]] for state in range(32))
    for high in ALPHABET
    for low in ALPHABET
}


def damm_state(digits: Iterable[int]) -> int:
    state = 0
    for digit in digits:
        state = DAMM[state][digit]
    return state


def check_character(data: str) -> str:
    """The check character of ``data`` (Crockford base32, upper case)."""
    state = 0
    if len(data) % 2:
        state = DAMM[0][_VALUES[data[0]]]
        data = data[1:]
    step = _PAIR_STEP
    for i in range(0, len(data), 2):
        state = step[data[i : i + 2]][state]
    return ALPHABET[state]


def normalise_code(text: str) -> str:
    """A typed code as its 12 characters: separators dropped, upper case, O/I/L read as 0/1/1.  Raises
    :class:`CheckCodeError` for a wrong length, a character outside the alphabet, or a wrong check character."""
    code = _SEPARATORS.sub("", text).upper().translate(_READ_AS)
    if len(code) != CODE_LENGTH:
        raise CheckCodeError("length", f"a check code has {CODE_LENGTH} characters, not {len(code)}")
    bad = sorted({char for char in code if char not in _VALUES})
    if bad:
        raise CheckCodeError("character", f"not in a check code: {''.join(bad)}")
    if damm_state(_VALUES[char] for char in code) != 0:
        raise CheckCodeError("check", "the check character does not match: a character is mistyped")
    return code


def format_code(code: str) -> str:
    """``7K3Q9F2MABC5`` → ``7K3Q-9F2M-ABC5`` (as printed)."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


@dataclass(frozen=True)
class IssuedCode:
    """What a valid check code names: the batch and the unit's index and serial in it."""

    batch: SerialBatch
    index: int
    serial: str


class CheckCodes:
    """Check codes under one registry key (pure: no database access once made)."""

    def __init__(self, key: bytes) -> None:
        self._permutation = SerialPermutation(key, "", DATA_LENGTH)

    def codes(self, batch_id: int, start: int, stop: int) -> list[str]:
        """The check codes of units ``start`` .. ``stop - 1`` of batch ``batch_id``, as printed."""
        if not 0 < batch_id <= MAX_BATCH_ID or not 0 <= start <= stop <= 1 << INDEX_BITS:
            raise ValueError(f"no check codes for batch {batch_id}, units {start}..{stop - 1}")
        base = batch_id << INDEX_BITS
        values = self._permutation.permute_all([base + index for index in range(start, stop)])
        out = []
        for value in values:
            data = encode_base32(value, DATA_LENGTH)
            out.append(f"{data[:4]}-{data[4:8]}-{data[8:]}{check_character(data)}")
        return out

    def iter_codes(self, batch_id: int, start: int, stop: int, chunk: int = 10_000) -> Iterator[str]:
        """:meth:`codes`, computed ``chunk`` units at a time."""
        for first in range(start, stop, chunk):
            yield from self.codes(batch_id, first, min(first + chunk, stop))

    def code(self, batch_id: int, index: int) -> str:
        return self.codes(batch_id, index, index + 1)[0]

    def locate(self, code: str) -> tuple[int, int]:
        """(batch id, unit index) named by a normalised code (whether that batch and unit exist is not checked)."""
        place = self._permutation.unpermute(decode_base32(code[:DATA_LENGTH]))
        return place >> INDEX_BITS, place & ((1 << INDEX_BITS) - 1)

    def find(self, session: Session, code: str) -> IssuedCode | None:
        """The issued unit a normalised code names, or None when no batch issued it."""
        batch_id, index = self.locate(code)
        # most codes a guesser sends decode to ids beyond any row's (and beyond PostgreSQL's integer)
        batch = session.get(SerialBatch, batch_id) if 0 < batch_id <= MAX_DATABASE_ID else None
        if batch is None or index >= batch.count:
            return None
        serial = SerialPermutation(batch.secret, batch.prefix, batch.serial_length).serial(index)
        return IssuedCode(batch, index, serial)


def load_check_codes(session: Session) -> CheckCodes:
    """The registry's check codes, making its key the first time (in the caller's transaction: commit it)."""
    key = session.scalar(select(CheckCodeKey.secret).where(CheckCodeKey.id == 1))
    if key is None:
        try:
            with session.begin_nested():
                session.add(CheckCodeKey(id=1, secret=os.urandom(32)))
        except IntegrityError:  # another request made it first
            pass
        key = session.scalar(select(CheckCodeKey.secret).where(CheckCodeKey.id == 1))
    assert key is not None
    return CheckCodes(key)
