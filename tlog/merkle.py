"""RFC 6962 / RFC 9162 Merkle tree hashing, inclusion and consistency proofs (pure, no I/O).

Leaves hash as ``SHA-256(0x00 || entry)``, interior nodes as ``SHA-256(0x01 || left || right)``; the empty
tree's root is ``SHA-256("")``.  Proofs are built from a ``node(level, index)`` function that returns the hash
of the *complete* subtree of ``2**level`` leaves starting at leaf ``index << level`` (what the tiles store),
so the same code serves the database, the HTTP tiles and a simulated store.  Verification follows RFC 9162
sections 2.1.3.2 and 2.1.4.2 and raises ``ProofError``; it never returns ``False``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from tlog.errors import ProofError

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
NodeReader = Callable[[int, int], bytes]


def hash_leaf(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def hash_children(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def root_of_leaves(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH of a list of leaf hashes, bottom-up (RFC 9162 2.1.1 gives the same tree)."""
    if not leaf_hashes:
        return EMPTY_ROOT
    level = list(leaf_hashes)
    while len(level) > 1:
        nxt = [hash_children(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def subtree_hash(node: NodeReader, start: int, end: int) -> bytes:
    """MTH(D[start:end]) where ``start`` is a multiple of the largest power of two not above ``end - start``,
    as every range in RFC 9162's recursion is: the complete subtrees from the left, folded from the right."""
    if end <= start:
        return EMPTY_ROOT
    parts = []
    while start < end:
        size = 1 << ((end - start).bit_length() - 1)
        parts.append(node(size.bit_length() - 1, start // size))
        start += size
    out = parts.pop()
    while parts:
        out = hash_children(parts.pop(), out)
    return out


def tree_root(node: NodeReader, size: int) -> bytes:
    return subtree_hash(node, 0, size)


def inclusion_proof(node: NodeReader, index: int, size: int) -> list[bytes]:
    """PATH(index, D[0:size]) of RFC 9162 2.1.3.1, leaf-side first."""
    if not 0 <= index < size:
        raise ProofError(f"index {index} is outside a tree of size {size}")
    proof: list[bytes] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            proof.append(subtree_hash(node, lo + k, hi))
            hi = lo + k
        else:
            proof.append(subtree_hash(node, lo, lo + k))
            lo += k
    proof.reverse()
    return proof


def consistency_proof(node: NodeReader, size1: int, size2: int) -> list[bytes]:
    """PROOF(size1, D[0:size2]) of RFC 9162 2.1.4.1 (empty when size1 is 0 or equals size2)."""
    if not 0 <= size1 <= size2:
        raise ProofError(f"cannot prove size {size1} consistent with size {size2}")
    if size1 in (0, size2):
        return []
    proof: list[bytes] = []
    lo, hi, m, complete = 0, size2, size1, True
    while True:
        if m == hi - lo:
            if not complete:
                proof.append(subtree_hash(node, lo, hi))
            break
        k = _split(hi - lo)
        if m <= k:
            proof.append(subtree_hash(node, lo + k, hi))
            hi = lo + k
        else:
            proof.append(subtree_hash(node, lo, lo + k))
            lo += k
            m -= k
            complete = False
    proof.reverse()
    return proof


def _check_hash(value: bytes, what: str) -> None:
    if not isinstance(value, bytes | bytearray) or len(value) != HASH_SIZE:
        raise ProofError(f"{what} is not a {HASH_SIZE}-byte hash")


def root_from_inclusion_proof(index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes]) -> bytes:
    """The root that ``proof`` leads to from ``leaf_hash`` (RFC 9162 2.1.3.2 steps 1-5)."""
    if not 0 <= index < size:
        raise ProofError(f"index {index} is outside a tree of size {size}")
    _check_hash(leaf_hash, "the leaf hash")
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        _check_hash(p, "a proof element")
        if sn == 0:
            raise ProofError("the inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = hash_children(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = hash_children(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the inclusion proof is shorter than the tree is deep")
    return r


def verify_inclusion(index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes], root: bytes) -> None:
    _check_hash(root, "the root")
    if root_from_inclusion_proof(index, size, leaf_hash, proof) != root:
        raise ProofError(f"leaf {index} is not in the tree of size {size} with this root")


def verify_consistency(size1: int, size2: int, root1: bytes, root2: bytes, proof: Sequence[bytes]) -> None:
    """RFC 9162 2.1.4.2 (sizes from 1); raises ``ProofError`` unless ``proof`` shows tree ``size1`` is a prefix of ``size2``."""
    if not 0 <= size1 <= size2:
        raise ProofError(f"size {size1} is larger than size {size2}")
    if size1 == 0:  # as transparency-dev/merkle: the empty tree proves nothing, so nothing is accepted
        raise ProofError("a consistency proof starts from a tree of at least one leaf")
    if size1 == size2:
        if proof:
            raise ProofError("a proof between equal sizes must be empty")
        if root1 != root2:
            raise ProofError("two trees of the same size have different roots")
        return
    _check_hash(root1, "the first root")
    _check_hash(root2, "the second root")
    if not proof:
        raise ProofError("the consistency proof is empty")
    for p in proof:
        _check_hash(p, "a proof element")
    path = list(proof)
    if size1 & (size1 - 1) == 0:  # a power of two: the first tree's root is the first node
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("the consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = hash_children(c, fr)
            sr = hash_children(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = hash_children(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the consistency proof is too short")
    if fr != root1:
        raise ProofError(f"the proof does not lead to the root of size {size1}")
    if sr != root2:
        raise ProofError(f"the proof does not lead to the root of size {size2}")


def leaf_nodes(leaf_hashes: Sequence[bytes]) -> NodeReader:
    """A ``node`` reader over an in-memory list of leaf hashes (tests, small trees)."""

    def node(level: int, index: int) -> bytes:
        start = index << level
        return root_of_leaves(leaf_hashes[start : start + (1 << level)])

    return node
