"""The shape of the house: no import cycle between packages or between modules, imports at module top, and the
layers kept (core and gs1 import no domain; labels imports neither registry nor signing).

The graph comes from tools/import_graph.py (`python tools/import_graph.py` prints the same figures). It counts
every import statement: at module top, inside functions and under ``if TYPE_CHECKING:`` alike, since hiding an
import in a function or behind a type-checking guard does not make the dependency go away. Every top-level
directory with an ``__init__.py`` is a project package, so a package added later is checked without being
listed here. An import of ``pkg.mod`` counts as depending on ``pkg.mod`` (not on ``pkg/__init__.py``, which
Python runs first): a package whose ``init_app`` wires its own submodules is not a cycle.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


def load_import_graph() -> ModuleType:
    spec = importlib.util.spec_from_file_location("import_graph", ROOT / "tools" / "import_graph.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


graph_tools = load_import_graph()

# The most imports that may sit inside functions, as a share of all import statements (warehouse: 2 %,
# sigstore-python: 1 %). What stays there is a heavy optional library a request path never needs (PDF and
# QR rendering, PDF reading, Alembic, the search engines' clients, PKCS#11, Redis, the native Ed25519 module).
MAX_FUNCTION_IMPORT_SHARE = 0.03
# Packages below the domains: they may import one another (config, the settings tree, lowest) and third-party
# code, never a domain package.
GROUND_FLOOR = {"core": {"config", "core"}, "gs1": {"core", "gs1"}, "config": {"config"}}
# labels renders; it reads nothing of the registry and signs nothing.
LEAF_RENDERERS = {"labels": {"registry", "signing", "search", "web"}}


@pytest.fixture(scope="module")
def graph():
    return graph_tools.build_graph(ROOT)


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_the_graph_finds_cycles_hidden_in_functions_and_type_checking(tmp_path: Path) -> None:
    """The checker itself: a cycle through a function-level import and one behind TYPE_CHECKING are found,
    a new package is picked up without being listed, and an acyclic tree passes."""
    root = write_tree(
        tmp_path,
        {
            "alpha/__init__.py": "",
            "alpha/one.py": "def f():\n    from beta.two import g\n    return g\n",
            "beta/__init__.py": "",
            "beta/two.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from alpha import one\n",
            "gamma/__init__.py": "",
            "gamma/a.py": "from gamma import b\n",
            "gamma/b.py": "from . import c\n",
            "gamma/c.py": "import json\n",
            "tests/__init__.py": "import alpha.one\n",  # tests are not a project package
        },
    )
    graph = graph_tools.build_graph(root)
    assert graph_tools.project_packages(root) == ["alpha", "beta", "gamma"]
    assert graph_tools.strongly_connected(graph.package_edges()) == [["alpha", "beta"]]
    assert graph_tools.strongly_connected(graph.module_edges()) == [["alpha.one", "beta.two"]]
    inside, total = graph_tools.function_import_share(graph)["*"]
    assert (inside, total) == (1, 6)


def test_no_cycle_between_packages(graph) -> None:
    cycles = graph_tools.strongly_connected(graph.package_edges())
    assert not cycles, f"these packages import one another (directly or round a loop): {cycles}"


def test_no_cycle_between_modules(graph) -> None:
    cycles = graph_tools.strongly_connected(graph.module_edges())
    assert not cycles, f"these modules import one another (directly or round a loop): {cycles}"


def test_imports_sit_at_module_top(graph) -> None:
    inside, total = graph_tools.function_import_share(graph)["*"]
    where = [f"{s.module}:{s.line}" for s in graph.statements if s.in_function]
    assert inside / total < MAX_FUNCTION_IMPORT_SHARE, (
        f"{inside} of {total} import statements sit inside functions ({100 * inside / total:.1f} %, the most is "
        f"{100 * MAX_FUNCTION_IMPORT_SHARE:.0f} %); move them to the top of their module: {where}"
    )


@pytest.mark.parametrize("package", sorted(GROUND_FLOOR))
def test_the_ground_floor_imports_no_domain(graph, package: str) -> None:
    imported = graph.package_edges().get(package, set())
    assert imported <= GROUND_FLOOR[package], f"{package} imports {sorted(imported - GROUND_FLOOR[package])}"


@pytest.mark.parametrize("package", sorted(LEAF_RENDERERS))
def test_labels_is_a_leaf_renderer(graph, package: str) -> None:
    imported = graph.package_edges().get(package, set())
    assert not imported & LEAF_RENDERERS[package], (
        f"{package} imports {sorted(imported & LEAF_RENDERERS[package])}"
    )


def test_every_package_is_measured(graph) -> None:
    """A new top-level package is in the graph without being listed anywhere."""
    packages = {name.split(".")[0] for name in graph.modules}
    on_disk = {p.parent.name for p in ROOT.glob("*/__init__.py")} - graph_tools.NOT_PACKAGES
    assert on_disk <= packages


def test_nothing_depends_on_procurement(graph) -> None:
    """procurement reads the domains (registry, signing, labels) and web's page helpers; none reads it back."""
    readers = {package for package, targets in graph.package_edges().items() if "procurement" in targets}
    assert readers <= {"procurement", "app"}, sorted(readers - {"procurement", "app"})


def test_nothing_depends_on_stats(graph) -> None:
    """stats reads the domains (registry, search, signing) and web's page helpers; none of them reads it back
    (only app.py, which wires every package in)."""
    readers = {package for package, targets in graph.package_edges().items() if "stats" in targets}
    assert readers <= {"stats", "app"}, sorted(readers - {"stats", "app"})
