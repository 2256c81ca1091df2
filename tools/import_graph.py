"""The project's import graph, measured: packages, module cycles, imports inside functions, largest modules.

`python tools/import_graph.py` prints the figures issue 16 asks for (before and after the package redesign);
tests/test_architecture.py uses the same functions to keep the graph acyclic. Every top-level directory with an
`__init__.py` is a project package, so a new package is measured without being listed here.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOT_PACKAGES = {"tests", "tools", "bench", "migrations", "node_modules", "native", "docs", "examples"}


def project_packages(root: Path = ROOT) -> list[str]:
    """Every top-level package of the application (a directory holding `__init__.py`)."""
    return sorted(
        path.name
        for path in root.iterdir()
        if path.is_dir()
        and (path / "__init__.py").is_file()
        and path.name not in NOT_PACKAGES
        and not path.name.startswith(".")
    )


def module_files(root: Path = ROOT) -> dict[str, Path]:
    """Dotted module name -> file, for every module of every project package (and app.py)."""
    modules: dict[str, Path] = {}
    for package in project_packages(root):
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    if (root / "app.py").is_file():
        modules["app"] = root / "app.py"
    return modules


@dataclass
class ImportStatement:
    module: str  # the module holding the statement
    targets: list[str]  # project modules it imports (resolved)
    in_function: bool
    line: int


@dataclass
class Graph:
    modules: dict[str, Path]
    statements: list[ImportStatement] = field(default_factory=list)

    def module_edges(self) -> dict[str, set[str]]:
        edges: dict[str, set[str]] = defaultdict(set)
        for statement in self.statements:
            for target in statement.targets:
                if target != statement.module:
                    edges[statement.module].add(target)
        return edges

    def package_edges(self) -> dict[str, set[str]]:
        edges: dict[str, set[str]] = defaultdict(set)
        for source, targets in self.module_edges().items():
            for target in targets:
                a, b = source.split(".")[0], target.split(".")[0]
                if a != b:
                    edges[a].add(b)
        return edges


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The longest project module that `name` names or lies in (`core.db.Base` -> `core.db`)."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def _function_nodes(tree: ast.AST) -> set[int]:
    """ids of the import nodes that sit inside a function body (at any depth)."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            for child in ast.walk(node):
                if isinstance(child, (ast.Import, ast.ImportFrom)):
                    inside.add(id(child))
    return inside


def build_graph(root: Path = ROOT) -> Graph:
    """Every import statement of the project, module-level, inside functions and under TYPE_CHECKING alike."""
    modules = module_files(root)
    graph = Graph(modules)
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        inside = _function_nodes(tree)
        is_package = path.name == "__init__.py"
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                raw = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = name.split(".") if is_package else name.split(".")[:-1]
                    base = base[: len(base) - (node.level - 1)]
                    prefix = ".".join(base + ([node.module] if node.module else []))
                else:
                    prefix = node.module or ""
                # `from pkg import mod` imports the module pkg.mod when it exists, else names from pkg
                raw = [f"{prefix}.{alias.name}" for alias in node.names] or [prefix]
            else:
                continue
            targets = sorted({t for t in (_resolve(r, modules) for r in raw) if t})
            graph.statements.append(ImportStatement(name, targets, id(node) in inside, node.lineno))
    return graph


def strongly_connected(edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm (iterative): the components with more than one member, i.e. the cycles."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    nodes = set(edges) | {t for targets in edges.values() for t in targets}
    for start in sorted(nodes):
        if start in index:
            continue
        work = [(start, iter(sorted(edges.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return sorted(found)


def function_import_share(graph: Graph) -> dict[str, tuple[int, int]]:
    """package -> (imports inside functions, all import statements); key "*" is the whole project."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for statement in graph.statements:
        for key in (statement.module.split(".")[0], "*"):
            counts[key][0] += statement.in_function
            counts[key][1] += 1
    return {key: (inside, total) for key, (inside, total) in counts.items()}


def largest_modules(graph: Graph, count: int = 12) -> list[tuple[int, str]]:
    sizes = [
        (len(path.read_text(encoding="utf-8").splitlines()), name) for name, path in graph.modules.items()
    ]
    return sorted(sizes, reverse=True)[:count]


def main() -> int:
    graph = build_graph()
    print("largest modules (lines):")
    for lines, name in largest_modules(graph):
        print(f"  {lines:6d}  {name}")
    print("imports inside functions (inside / all statements):")
    for key, (inside, total) in sorted(function_import_share(graph).items()):
        print(f"  {key:12s} {inside:4d} / {total:4d}  {100 * inside / max(total, 1):5.1f} %")
    package_cycles = strongly_connected(graph.package_edges())
    print(f"package cycles: {package_cycles or 'none'}")
    module_cycles = strongly_connected(graph.module_edges())
    print(f"module cycles: {len(module_cycles)}")
    for component in module_cycles:
        print(f"  {len(component)}: {' '.join(component)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
