"""In-memory bitsets over an embedded index: filters and facet counts without re-running SQL.

Python integers are arbitrary-size bitsets: bit ``i`` stands for document id ``i``. One bitset per
facet value (category, manufacturer, district, local-value-addition band) and per derived
filter (licence valid on a day, certificate scheme valid on a day, local value addition ≥ x)
makes a query's filters a few ANDs and ORs, and each facet count an AND and a popcount — about a
millisecond for 100,000 documents, where GROUP BY over the same rows takes tens.

The bitsets follow the index file: writers append changed ids to its ``changes`` table and
``refresh`` applies the changes since the last sequence number it saw (another process may be
the writer), falling back to a full rebuild when the log was pruned past it.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from search.fields import lva_band

TERMS_FACETS = ("category", "manufacturer", "district", "lva", "brand")


@dataclass(frozen=True)
class DocFacts:
    """What filters, facets and sorts need of one document."""

    category: str
    brand: str
    manufacturer: str
    district: str
    lva: float
    licence_from: str | None
    licence_until: str | None
    newest: str
    name_sort: str
    certs: tuple[tuple[str, str, str], ...]  # (scheme, valid_from, valid_until)

    def facet_values(self) -> dict[str, str]:
        return {
            "category": self.category,
            "manufacturer": self.manufacturer,
            "district": self.district,
            "lva": lva_band(self.lva),
            "brand": self.brand,
        }


Predicate = Callable[[DocFacts], bool]


def bits_from_ids(ids: Iterable[int]) -> int:
    """A bitset with the bits of ``ids`` set."""
    ids = list(ids)
    if not ids:
        return 0
    buffer = bytearray(max(ids) // 8 + 1)
    for i in ids:
        buffer[i >> 3] |= 1 << (i & 7)
    return int.from_bytes(buffer, "little")


def ids_from_bits(bits: int) -> list[int]:
    """The set bits of ``bits`` in ascending order."""
    out: list[int] = []
    data = bits.to_bytes((bits.bit_length() + 7) // 8, "little")
    for index, byte in enumerate(data):
        if byte:
            base = index << 3
            for bit in range(8):
                if byte >> bit & 1:
                    out.append(base + bit)
    return out


class Membership:
    """O(1) ``i in bits`` for a bitset (shifting a big integer per test would be O(size))."""

    def __init__(self, bits: int) -> None:
        self._data = bits.to_bytes((bits.bit_length() + 7) // 8, "little")
        self._size = len(self._data)

    def __contains__(self, i: int) -> bool:
        index = i >> 3
        return index < self._size and bool(self._data[index] >> (i & 7) & 1)


class FacetIndex:
    """Bitsets of one index file, kept current with ``refresh(conn)``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.seq = -1
        self.facts: dict[int, DocFacts] = {}
        self.all = 0
        self.values: dict[str, dict[str, int]] = {name: {} for name in TERMS_FACETS}
        self.cert_values: dict[str, int] = {}  # scheme → docs holding any certificate of it
        self._derived: dict[tuple[Any, ...], tuple[Predicate, int]] = {}

    # --- loading and keeping current -----------------------------------------------------------

    @staticmethod
    def _load_facts(conn: sqlite3.Connection, ids: list[int] | None) -> dict[int, DocFacts]:
        columns = (
            "id, category, manufacturer_id, district, lva, licence_valid_from, licence_valid_until, newest, "
            "name_sort, brand"
        )
        certs: dict[int, list[tuple[str, str, str]]] = {}
        if ids is None:
            rows = conn.execute(f"SELECT {columns} FROM docs").fetchall()  # noqa: S608 - constant columns
            cert_rows = conn.execute(
                "SELECT doc_id, scheme, valid_from, valid_until FROM doc_certs"
            ).fetchall()
        else:
            rows, cert_rows = [], []
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ", ".join("?" * len(chunk))
                rows += conn.execute(f"SELECT {columns} FROM docs WHERE id IN ({marks})", chunk).fetchall()  # noqa: S608
                cert_rows += conn.execute(
                    f"SELECT doc_id, scheme, valid_from, valid_until FROM doc_certs WHERE doc_id IN ({marks})",  # noqa: S608
                    chunk,
                ).fetchall()
        for doc_id, scheme, valid_from, valid_until in cert_rows:
            certs.setdefault(doc_id, []).append((scheme, valid_from, valid_until))
        return {
            r[0]: DocFacts(
                category=r[1],
                manufacturer=str(r[2]),
                district=r[3],
                lva=float(r[4]),
                licence_from=r[5],
                licence_until=r[6],
                newest=r[7],
                name_sort=r[8],
                brand=r[9],
                certs=tuple(certs.get(r[0], ())),
            )
            for r in rows
        }

    def _rebuild(self, conn: sqlite3.Connection, seq: int) -> None:
        facts = self._load_facts(conn, None)
        buffers: dict[tuple[str, str], bytearray] = {}
        size = (max(facts) // 8 + 1) if facts else 1

        def setbit(key: tuple[str, str], i: int) -> None:
            buffer = buffers.get(key)
            if buffer is None:
                buffer = buffers[key] = bytearray(size)
            buffer[i >> 3] |= 1 << (i & 7)

        for doc_id, f in facts.items():
            setbit(("", ""), doc_id)
            for name, value in f.facet_values().items():
                setbit((name, value), doc_id)
            for scheme, _from, _until in f.certs:
                setbit(("certificate", scheme), doc_id)
        values: dict[str, dict[str, int]] = {name: {} for name in TERMS_FACETS}
        cert_values: dict[str, int] = {}
        for (name, value), buffer in buffers.items():
            bits = int.from_bytes(buffer, "little")
            if name == "certificate":
                cert_values[value] = bits
            elif name:
                values[name][value] = bits
        self.facts = facts
        self.all = int.from_bytes(buffers[("", "")], "little") if ("", "") in buffers else 0
        self.values = values
        self.cert_values = cert_values
        self._derived = {}
        self.seq = seq

    def _apply(self, conn: sqlite3.Connection, ids: list[int], seq: int) -> None:
        fresh = self._load_facts(conn, ids)
        derived = dict(self._derived)
        for doc_id in ids:
            mask = 1 << doc_id
            old = self.facts.pop(doc_id, None)
            if old is not None:
                self.all &= ~mask
                for name, value in old.facet_values().items():
                    self.values[name][value] &= ~mask
                for scheme, _f, _u in old.certs:
                    self.cert_values[scheme] &= ~mask
            new = fresh.get(doc_id)
            if new is not None:
                self.facts[doc_id] = new
                self.all |= mask
                for name, value in new.facet_values().items():
                    self.values[name][value] = self.values[name].get(value, 0) | mask
                for scheme, _f, _u in new.certs:
                    self.cert_values[scheme] = self.cert_values.get(scheme, 0) | mask
            for key, (predicate, bits) in derived.items():
                bits = bits | mask if new is not None and predicate(new) else bits & ~mask
                derived[key] = (predicate, bits)
        self._derived = derived
        self.seq = seq

    def refresh(self, conn: sqlite3.Connection) -> None:
        """Catch up with the index file's change log (or rebuild when it cannot)."""
        row = conn.execute("SELECT min(seq), max(seq) FROM changes").fetchone()
        low, high = (row[0], row[1]) if row and row[1] is not None else (None, 0)
        if high == self.seq:
            return
        with self._lock:
            if high == self.seq:
                return
            if self.seq < 0 or (low is not None and low > self.seq + 1) or high < self.seq:
                self._rebuild(conn, high)
                return
            changed = [
                r[0]
                for r in conn.execute(
                    "SELECT DISTINCT doc_id FROM changes WHERE seq > ? AND seq <= ?", (self.seq, high)
                )
            ]
            self._apply(conn, changed, high)

    # --- filters and counts --------------------------------------------------------------------

    def derived(self, key: tuple[Any, ...], predicate: Predicate) -> int:
        """The bitset of documents for which ``predicate`` holds, cached under ``key``."""
        cached = self._derived.get(key)
        if cached is not None:
            return cached[1]
        with self._lock:  # refresh() may be changing ``facts``
            bits = bits_from_ids(i for i, f in self.facts.items() if predicate(f))
            self._derived[key] = (predicate, bits)
        return bits

    def any_of(self, facet: str, values: Iterable[str]) -> int:
        bits = 0
        table = self.values[facet]
        for value in values:
            bits |= table.get(value, 0)
        return bits
