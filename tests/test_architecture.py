"""The package graph may only get simpler: no new import between top-level packages that closes a cycle.

Today registry, signing, labels, web (and through web, search) import one another (issue 16 untangles them). This test pins the
package-to-package imports that take part in a cycle to the ones that exist now: a change may remove them (and
should then remove them here), never add one. Imports inside functions count too: hiding one there does not
make a cycle go away."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("config", "core", "gs1", "registry", "signing", "search", "labels", "web", "procurement")

# package -> packages it imports, for the imports that lie on a cycle today (remove entries as cycles go)
KNOWN_CYCLIC_EDGES: set[tuple[str, str]] = set()


def package_imports() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = defaultdict(set)
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    targets = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    targets = [node.module]
                else:
                    continue
                for target in targets:
                    top = target.split(".")[0]
                    if top in PACKAGES and top != package:
                        edges[package].add(top)
    return edges


def reachable(edges: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for nxt in edges.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def cyclic_edges(edges: dict[str, set[str]]) -> set[tuple[str, str]]:
    """The imports a -> b where b also reaches a: those that lie on some cycle."""
    return {(a, b) for a, targets in edges.items() for b in targets if a in reachable(edges, b)}


def test_the_helpers_find_a_cycle() -> None:
    assert cyclic_edges({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == {("a", "b"), ("b", "c"), ("c", "a")}


def test_no_new_import_closes_a_cycle_between_packages() -> None:
    found = cyclic_edges(package_imports())
    new = found - KNOWN_CYCLIC_EDGES
    assert not new, f"these imports close a cycle between packages: {sorted(new)}"
    gone = KNOWN_CYCLIC_EDGES - found
    assert not gone, f"these cycles are gone: remove them from KNOWN_CYCLIC_EDGES: {sorted(gone)}"


def test_config_stays_out_of_every_cycle() -> None:
    assert not {edge for edge in cyclic_edges(package_imports()) if "config" in edge}
