"""What a deployment installs: the Python versions, the lock files in requirements/ and the extras.

* every pin of pyproject.toml is in the lock files that should carry it, at that version, with hashes;
* test, demo, HSM and second-engine libraries are not runtime dependencies: the runtime lock lacks them, and
  the application imports every module, starts and answers with all of them hidden (a subprocess where
  importing any module of a distribution outside the runtime lock fails as if it were not installed).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
LOCKS = ROOT / "requirements"
# the modules that exist for the demo extra, and what each imports that needs it
EXTRA_MODULES = {"registry.factories": "factory", "registry.demo": "registry.factories"}
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^ ;\\]+)")


def read_lock(name: str) -> dict[str, str]:
    """Distribution name → pinned version; every entry must carry at least one hash."""
    pins: dict[str, str] = {}
    entries = re.split(r"\n(?=[A-Za-z0-9])", (LOCKS / name).read_text(encoding="utf-8"))
    for entry in entries:
        match = PIN.match(entry)
        if match is None:
            continue
        assert "--hash=sha256:" in entry, f"{name}: {match.group(1)} has no hash"
        pins[canonicalize_name(match.group(1))] = match.group(2)
    assert pins, f"{name} pins nothing"
    return pins


def pins_of(requirements: list[str]) -> dict[str, str]:
    pins = {}
    for line in requirements:
        requirement = Requirement(line)
        if requirement.name == PYPROJECT["project"]["name"]:  # dev's reference to the other extras
            continue
        (specifier,) = requirement.specifier
        assert specifier.operator == "==", f"{line}: pyproject.toml pins exact versions"
        pins[canonicalize_name(requirement.name)] = specifier.version
    return pins


# the project's packages, as pyproject.toml lists them for setuptools ("registry*" → "registry")
PACKAGES = [name.rstrip("*") for name in PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]]
RUNTIME = pins_of(PYPROJECT["project"]["dependencies"])
EXTRAS = {extra: pins_of(lines) for extra, lines in PYPROJECT["project"]["optional-dependencies"].items()}


def test_python_311_to_313_are_supported_and_314_is_not_claimed() -> None:
    supported = SpecifierSet(PYPROJECT["project"]["requires-python"])
    assert all(version in supported for version in ("3.11.0", "3.12.1", "3.13.0"))
    assert "3.10.13" not in supported and "3.14.0" not in supported


def test_the_extras_are_the_ones_the_docs_name() -> None:
    assert set(EXTRAS) == {"dev", "demo", "hsm", "engines"}
    dev_includes = next(line for line in PYPROJECT["project"]["optional-dependencies"]["dev"] if "[" in line)
    assert Requirement(dev_includes).extras == {"demo", "hsm", "engines"}


@pytest.mark.parametrize(
    ("lock", "sets"),
    [
        ("runtime.txt", ["runtime"]),
        ("demo.txt", ["runtime", "demo"]),
        ("dev.txt", ["runtime", "demo", "hsm", "engines", "dev"]),
    ],
)
def test_each_lock_file_pins_what_pyproject_pins(lock: str, sets: list[str]) -> None:
    locked = read_lock(lock)
    for name in sets:
        wanted = RUNTIME if name == "runtime" else EXTRAS[name]
        for distribution, version in wanted.items():
            assert locked.get(distribution) == version, f"{lock}: {distribution} should be {version} ({name})"


def test_the_lock_files_agree_on_every_version() -> None:
    dev = read_lock("dev.txt")
    for lock in ("runtime.txt", "demo.txt"):
        for distribution, version in read_lock(lock).items():
            assert dev[distribution] == version, f"{lock} and dev.txt differ on {distribution}"


def test_test_demo_hsm_and_engine_libraries_are_not_runtime_dependencies() -> None:
    runtime = read_lock("runtime.txt")
    optional = {name for extra in EXTRAS.values() for name in extra}
    assert optional, "the extras pin something"
    assert not optional & set(runtime), f"in the runtime lock: {sorted(optional & set(runtime))}"
    assert not {"pytest", "factory-boy", "faker", "hypothesis"} & set(runtime)


def modules_outside_the_runtime_lock() -> list[str]:
    """Top-level module names of installed distributions that the runtime lock does not contain."""
    project = canonicalize_name(PYPROJECT["project"]["name"])
    runtime = set(read_lock("runtime.txt")) | {project}
    return sorted(
        module
        for module, distributions in packages_distributions().items()
        if not module.startswith("_")
        and not any(canonicalize_name(name) in runtime for name in distributions)
        and module not in sys.stdlib_module_names
    )


APP_WITH_RUNTIME_ONLY = textwrap.dedent(
    """
    import importlib, json, pkgutil, sys, tempfile
    from importlib.abc import MetaPathFinder

    blocked = set(json.loads(sys.argv[1]))
    extra_modules = json.loads(sys.argv[2])
    packages = json.loads(sys.argv[3])

    class NotInstalled(MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] in blocked:
                raise ModuleNotFoundError(f"No module named {name!r} (not a runtime dependency)", name=name)
            return None

    sys.meta_path.insert(0, NotInstalled())
    failures = {}
    for package in packages:
        for info in pkgutil.walk_packages(importlib.import_module(package).__path__, package + "."):
            if info.name in extra_modules or info.name.endswith(".__main__"):  # __main__ runs a CLI
                continue
            try:
                importlib.import_module(info.name)
            except ImportError as exc:
                failures[info.name] = repr(exc)
    from app import create_app

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({
            "ENV": "testing",
            "SECRET_KEY": "runtime-only-check-secret-key-long-enough",
            "INSTANCE_PATH": tmp,
            "DATABASE_URL": f"sqlite:///{tmp}/registry.sqlite3",
            "SEARCH_SYNC_THREAD": False,
            "PUBLIC_BASE_URL": "https://verify.example.gov.bd",
        })
        from core.migrate import upgrade_database
        upgrade_database(app.extensions["core.db"])
        client = app.test_client()
        statuses = {path: client.get(path).status_code for path in ("/healthz", "/", "/.well-known/jwks.json")}
        app.extensions["core.db"].dispose()
    leaked = sorted({name.partition(".")[0] for name in sys.modules} & blocked)
    print(json.dumps({"failures": failures, "statuses": statuses, "leaked": leaked}))
    """
)


@pytest.mark.slow
def test_the_app_imports_starts_and_answers_with_only_the_runtime_dependencies(tmp_path: Path) -> None:
    blocked = modules_outside_the_runtime_lock()
    # it hides what it should, and only that
    assert {"pytest", "factory", "faker", "pkcs11", "elasticsearch"} <= set(blocked)
    assert not {"config", "registry", "flask", "nacl"} & set(blocked)
    completed = subprocess.run(
        [
            sys.executable,
            "-c",
            APP_WITH_RUNTIME_ONLY,
            json.dumps(blocked),
            json.dumps(sorted(EXTRA_MODULES)),
            json.dumps(PACKAGES),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    assert report["failures"] == {}, "modules that need a non-runtime library"
    assert report["statuses"] == {"/healthz": 200, "/": 200, "/.well-known/jwks.json": 200}
    assert report["leaked"] == []


def test_the_modules_kept_for_an_extra_do_need_it() -> None:
    """EXTRA_MODULES lists no module that would import without the extra (the list cannot only grow)."""
    for module, needs in EXTRA_MODULES.items():
        source = (ROOT / (module.replace(".", "/") + ".py")).read_text(encoding="utf-8")
        assert re.search(rf"^(import|from) {re.escape(needs)}\b", source, re.M), (
            f"{module} imports no {needs}"
        )
