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
from tlog.merkle import HASH_SIZE, NodeReader, root_of_leaves

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


def tile_nodes(read_tile: TileReader, size: int, cache_tiles: int = 4096) -> NodeReader:
    """A ``node(level, index)`` reader for a tree of ``size`` over tiles, keeping recent tiles in memory.

    Node (h, n) lies in tile level h // 8; its 2**(h % 8) hashes there are hashed up to it."""
    cache: OrderedDict[tuple[int, int], bytes] = OrderedDict()

    def tile(level: int, n: int) -> bytes:
        key = (level, n)
        data = cache.get(key)
        if data is None:
            width = tile_width(level, n, size)
            if width == 0:
                raise TileError(f"tile {level}/{n} is beyond tree size {size}")
            data = read_tile(level, n, width)
            if len(data) != width * HASH_SIZE:
                raise TileError(f"tile {tile_path(level, n, width)} has {len(data)} bytes")
            cache[key] = data
            if len(cache) > cache_tiles:
                cache.popitem(last=False)
        else:
            cache.move_to_end(key)
        return data

    def node(h: int, n: int) -> bytes:
        level, r = divmod(h, HEIGHT)
        first = n << r
        data = tile(level, first >> HEIGHT)
        offset = (first & (WIDTH - 1)) * HASH_SIZE
        if r == 0:
            return data[offset : offset + HASH_SIZE]
        chunk = data[offset : offset + (HASH_SIZE << r)]
        if len(chunk) != HASH_SIZE << r:
            raise TileError(f"node {h}/{n} is not complete in a tree of size {size}")
        return root_of_leaves(split_hashes(chunk))

    return node
