"""How `make test` and `.ci/run` find the Python of the quick pass (tools/find_python.sh) and what the test
runner does without one (tools/run_tests.py): on a developer's machine a warning, under CI=true a failure."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

from tests.tools.test_services import load_tool

FIND_PYTHON = Path(__file__).resolve().parents[2] / "tools" / "find_python.sh"
RUNNING = f"{sys.version_info.major}.{sys.version_info.minor}"


def find_python(version: str, path: str, pyenv_root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": path, "PYENV_ROOT": str(pyenv_root)}
    return subprocess.run(
        ["/bin/bash", str(FIND_PYTHON), version], capture_output=True, text=True, env=env, check=False
    )


def test_a_python_on_path_is_found(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / f"python{RUNNING}").symlink_to(sys.executable)
    found = find_python(RUNNING, f"{bin_dir}:/usr/bin:/bin", tmp_path / "no-pyenv")
    assert found.returncode == 0
    assert found.stdout.strip() == str(bin_dir / f"python{RUNNING}")


def test_pyenv_versions_are_searched_when_path_has_none_and_a_wrong_version_is_passed_over(
    tmp_path: Path,
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    impostor = bin_dir / f"python{RUNNING}"  # a stale shim: answers with another version
    impostor.write_text("#!/bin/sh\necho 2.7\n")
    impostor.chmod(0o755)
    pyenv_python = tmp_path / "pyenv" / "versions" / f"{RUNNING}.0" / "bin" / f"python{RUNNING}"
    pyenv_python.parent.mkdir(parents=True)
    pyenv_python.symlink_to(sys.executable)
    found = find_python(RUNNING, f"{bin_dir}:/usr/bin:/bin", tmp_path / "pyenv")
    assert (found.returncode, found.stdout.strip()) == (0, str(pyenv_python))


def test_a_version_that_is_nowhere_is_not_found(tmp_path: Path) -> None:
    found = find_python("3.99", "/usr/bin:/bin", tmp_path)
    assert (found.returncode, found.stdout) == (1, "")


@pytest.mark.parametrize("ci", [False, True])
def test_without_a_quick_python_the_runner_warns_or_under_ci_fails(ci: bool) -> None:
    run_tests = load_tool("run_tests")
    pool = run_tests.Services(ci=ci)
    env = {"PATH": os.environ.get("PATH", "")}
    if ci:
        with pytest.raises(SystemExit, match="3.13"):
            run_tests.start_quick_pass([], pool, env)
        return
    pending = run_tests.start_quick_pass([], pool, env)
    assert pending.process is None
    assert pending.finish().exit_code is None  # reported as not run, not as passed
    assert pool.problems == ["quick pass on Python 3.13 skipped: no interpreter"]


def test_the_quick_pass_runs_pytest_on_the_interpreter_it_is_given_and_reports_its_counts() -> None:
    run_tests = load_tool("run_tests")
    pool = run_tests.Services(ci=True)
    env = {**os.environ, run_tests.QUICK_PYTHON_VARIABLE: sys.executable}
    pending = run_tests.start_quick_pass(["tests/gs1/test_gtin.py", "-q"], pool, env)
    try:
        result = pending.finish()
    finally:
        pending.stop()
    assert result.label == f"pass 3: quick, Python {platform.python_version()}"
    assert result.exit_code == 0 and result.counts.get("passed", 0) > 0 and not result.failed
