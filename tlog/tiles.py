"""C2SP ``tlog-tiles``: tile paths, which tiles a tree size has, and node hashes read from tiles.

Tiles have height 8: a tile at level L holds up to 256 hashes of tree level 8·L (level 0: leaf hashes),
entry bundles hold up to 256 entries each as ``uint16 length || bytes``.  A full tile never changes (it is
served with a long cache lifetime); a partial one ``.p/<W>`` holds the first W hashes of the tile.
"""

from __future__ import annotations

import re
import struct
from collections import OrderedDict
from collections.abc import Callable, Iterator

from tlog.errors import TileError
from tlog.merkle import HASH_SIZE, NodeReader, hash_children

HEIGHT = 8
WIDTH = 1 << HEIGHT
MAX_LEVEL = 63
_PATH = re.compile(r"tile/(entries|0|[1-9][0-9]?)/((?:x[0-9]{3}/)*[0-9]{3})(?:\.p/([1-9][0-9]{0,2}))?")


def encode_index(n: int) -> str:
    """1234067 → ``x001/x234/067``."""
    digits = f"{n:d}"
    digits = digits.zfill(-(-len(digits) // 3) * 3)
    groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    return "/".join([*("x" + g for g in groups[:-1]), groups[-1]])


def tile_path(level: int | str, n: int, width: int = WIDTH) -> str:
    path = f"tile/{level}/{encode_index(n)}"
    return path if width == WIDTH else f"{path}.p/{width}"


def parse_tile_path(path: str) -> tuple[int | str, int, int]:
    """``tile/<L>/<N>[.p/<W>]`` or ``tile/entries/<N>[.p/<W>]`` → (level or "entries", N, width)."""
    m = _PATH.fullmatch(path)
    if m is None:
        raise TileError(f"{path!r} is not a tile path", field="path")
    level_text, index_text, width_text = m.groups()
    level: int | str = level_text if level_text == "entries" else int(level_text)
    if isinstance(level, int) and level > MAX_LEVEL:
        raise TileError(f"tile level {level} is above {MAX_LEVEL}", field="path")
    width = int(width_text) if width_text else WIDTH
    if width_text and width >= WIDTH:
        raise TileError("a partial tile is 1 to 255 wide", field="path")
    groups = index_text.split("/")
    if len(groups) > 7:  # 21 digits cannot be a 64-bit index
        raise TileError("the tile index is too large", field="path")
    return level, int("".join(g.lstrip("x") for g in groups)), width


def tiles_for_size(size: int) -> Iterator[tuple[int, int, int]]:
    """(level, index, width) of every tile a tree of ``size`` leaves has (full ones have width 256)."""
    level, count = 0, size
    while count > 0:
        full, rest = divmod(count, WIDTH)
        for n in range(full):
            yield level, n, WIDTH
        if rest:
            yield level, full, rest
        level, count = level + 1, full


def tile_width(level: int, n: int, size: int) -> int:
    """How many hashes tile (level, n) has in a tree of ``size`` (0: none yet)."""
    count = size >> (HEIGHT * level)
    return max(0, min(WIDTH, count - n * WIDTH))


def encode_bundle(entries: list[bytes]) -> bytes:
    out = bytearray()
    for data in entries:
        if len(data) > 0xFFFF:
            raise TileError("an entry is longer than 65,535 bytes")
        out += struct.pack(">H", len(data)) + data
    return bytes(out)


def decode_bundle(data: bytes) -> list[bytes]:
    entries, pos = [], 0
    while pos < len(data):
        if pos + 2 > len(data):
            raise TileError("an entry bundle ends inside a length")
        (n,) = struct.unpack_from(">H", data, pos)
        if pos + 2 + n > len(data):
            raise TileError("an entry bundle ends inside an entry")
        entries.append(data[pos + 2 : pos + 2 + n])
        pos += 2 + n
    return entries


def split_hashes(data: bytes) -> list[bytes]:
    if len(data) % HASH_SIZE:
        raise TileError("a tile's length is not a multiple of 32")
    return [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]


TileReader = Callable[[int, int, int], bytes]  # (level, index, width) → the tile's bytes


def pyramid(data: bytes) -> list[list[bytes]]:
    """Every complete node inside one tile: row r holds the hashes of the 2**r-wide subtrees."""
    rows = [split_hashes(data)]
    while len(rows[-1]) > 1:
        below = rows[-1]
        rows.append([hash_children(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)])
    return rows


class PyramidCache:
    """The pyramids of tiles above level 0, kept in this process: there are few of them (153 at 10,000,000
    entries) and every proof passes through them.  A tile of a given width never changes in an append-only
    log; ``clear`` is for a log that was rewritten (tests roll theirs back)."""

    def __init__(self, max_tiles: int = 2048) -> None:
        self.max_tiles = max_tiles
        self._rows: OrderedDict[tuple[int, int, int], list[list[bytes]]] = OrderedDict()

    def get(self, key: tuple[int, int, int], build: Callable[[], list[list[bytes]]]) -> list[list[bytes]]:
        rows = self._rows.get(key)
        if rows is None:
            rows = build()
            self._rows[key] = rows
            if len(self._rows) > self.max_tiles:
                self._rows.popitem(last=False)
        return rows

    def clear(self) -> None:
        self._rows.clear()


def tile_nodes(read_tile: TileReader, size: int, shared: PyramidCache | None = None) -> NodeReader:
    """A ``node(level, index)`` reader for a tree of ``size`` over tiles.

    Node (h, n) lies in tile level h // 8, row h % 8 of that tile's pyramid; each tile is read and hashed up
    once per reader, tiles above level 0 once per ``shared`` cache."""
    local: dict[tuple[int, int], list[list[bytes]]] = {}

    def rows_of(level: int, n: int) -> list[list[bytes]]:
        found = local.get((level, n))
        if found is None:
            width = tile_width(level, n, size)
            if width == 0:
                raise TileError(f"tile {level}/{n} is beyond tree size {size}")

            def build() -> list[list[bytes]]:
                data = read_tile(level, n, width)
                if len(data) != width * HASH_SIZE:
                    raise TileError(f"tile {tile_path(level, n, width)} has {len(data)} bytes")
                return pyramid(data)

            found = shared.get((level, n, width), build) if shared is not None and level else build()
            local[(level, n)] = found
        return found

    def node(h: int, n: int) -> bytes:
        level, r = divmod(h, HEIGHT)
        first = n << r
        rows = rows_of(level, first >> HEIGHT)
        offset = (first & (WIDTH - 1)) >> r
        if r >= len(rows) or offset >= len(rows[r]):
            raise TileError(f"node {h}/{n} is not complete in a tree of size {size}")
        return rows[r][offset]

    return node
