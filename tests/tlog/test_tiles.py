"""Tiles built incrementally, in batches of any size, give the same tree as hashing all leaves at once; proofs
read from them (with or without the shared upper-tile cache) equal the RFC 9162 proofs over the leaves."""

from __future__ import annotations

import hashlib
import random

from tlog import merkle, tiles
from tlog.services import append_to_tiles


def leaf(i: int) -> bytes:
    return merkle.hash_leaf(i.to_bytes(4, "big"))


def build(sizes: list[int]) -> tuple[dict[tuple[int, int], bytes], list[bytes], list[int]]:
    """Append batches of ``sizes`` leaves; the tiles, all leaves and the tree sizes after each batch."""
    store: dict[tuple[int, int], bytes] = {}
    leaves: list[bytes] = []
    after = []
    for n in sizes:
        new = [leaf(len(leaves) + k) for k in range(n)]

        def read(level: int, index: int, width: int) -> bytes:
            return store[(level, index)][: width * 32]

        append_to_tiles(read, lambda lv, ix, d: store.__setitem__((lv, ix), d), len(leaves), new)
        leaves += new
        after.append(len(leaves))
    return store, leaves, after


def test_incremental_tiles_match_the_tree_and_serve_proofs() -> None:
    rng = random.Random(6962)
    batches = [1, 1, 254, 1, 300, 65_000, 3, 256 * 3, 17]
    store, leaves, sizes = build(batches)
    reads = []

    def read(level: int, index: int, width: int) -> bytes:
        reads.append(level)
        data = store[(level, index)]
        assert len(data) >= width * 32
        return data[: width * 32]

    shared = tiles.PyramidCache()
    plain = merkle.leaf_nodes(leaves)
    for size in sizes:
        # every tile the size has is stored with at least its width, and full tiles are exactly 256 wide
        for level, index, width in tiles.tiles_for_size(size):
            assert len(store[(level, index)]) >= width * 32
        root = merkle.tree_root(tiles.tile_nodes(read, size), size)
        if size <= 600:
            assert root == merkle.root_of_leaves(leaves[:size])
        for _ in range(20):
            i = rng.randrange(size)
            got = merkle.inclusion_proof(tiles.tile_nodes(read, size, shared), i, size)
            if size <= 600:
                assert got == merkle.inclusion_proof(plain, i, size)
            merkle.verify_inclusion(i, size, leaves[i], got, root)
        for earlier in sizes:
            if earlier <= size:
                proof = merkle.consistency_proof(tiles.tile_nodes(read, size, shared), earlier, size)
                first = merkle.tree_root(tiles.tile_nodes(read, earlier), earlier)
                merkle.verify_consistency(earlier, size, first, root, proof)
    # the shared cache keeps the upper tiles: after the first proofs, level-1+ tiles are no longer read
    reads.clear()
    size = sizes[-1]
    for _ in range(50):
        merkle.inclusion_proof(tiles.tile_nodes(read, size, shared), rng.randrange(size), size)
    assert reads and set(reads) == {0}


def test_a_full_tile_hashes_to_the_subtree_root() -> None:
    store, leaves, _ = build([256 * 2 + 5])
    assert tiles.split_hashes(store[(0, 1)]) == leaves[256:512]
    assert store[(1, 0)] == merkle.root_of_leaves(leaves[:256]) + merkle.root_of_leaves(leaves[256:512])
    assert hashlib.sha256(b"").digest() == merkle.EMPTY_ROOT
