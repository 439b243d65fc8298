"""``tiffin.testing.skips``: with ``CI`` set, a skip fails the run unless it is allowed."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

TESTS = """
import pytest

from tiffin.testing.skips import not_applicable

def test_runs():
    pass

def test_skips_for_a_missing_tool():
    pytest.skip("no frobnicator on PATH")

@pytest.mark.skipif(True, reason="no such platform")
def test_skipif():
    pass

@pytest.mark.gpu
def test_gpu_only():
    pytest.skip("no CUDA device here")

def test_kit_capability_not_applicable():
    not_applicable("the backend has no presign_get() (an optional capability)")

@pytest.mark.xfail(reason="known", strict=True)
def test_expected_failure():
    raise AssertionError
"""


def run(project: Path, ci: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci is not None:
        env["CI"] = ci
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-rA",
            "--continue-on-collection-errors",
            str(project),
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["tiffin.testing.skips"]\n')
    (tmp_path / "test_things.py").write_text(textwrap.dedent(TESTS))
    (tmp_path / "test_module_skip.py").write_text(
        'import pytest\n\npytest.importorskip("no_such_module_tiffin")\n\ndef test_x():\n    pass\n'
    )
    return tmp_path


def test_skips_are_skips_outside_ci(project: Path) -> None:
    result = run(project, None)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed, 5 skipped, 1 xfailed" in result.stdout, result.stdout


def test_ci_fails_each_skip_outside_the_allow_list(project: Path) -> None:
    result = run(project, "true")
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    assert "FAILED test_things.py::test_skips_for_a_missing_tool" in out, out
    assert "ERROR test_things.py::test_skipif" in out, out
    assert "ERROR test_module_skip.py" in out, out
    assert "no frobnicator on PATH" in out and "skipped in CI" in out, out
    # the allow-list: GPU-marked tests and kit tests that do not apply; xfail is not a skip
    assert "SKIPPED [1] test_things.py" in out, out
    assert "no CUDA device here" in out, out
    assert "SKIPPED" in out and "(an optional capability)" in out, out
    assert "1 xfailed" in out, out
    assert "2 skipped" in out, out


@pytest.mark.parametrize("value", ["", "0", "false"])
def test_ci_switched_off_by_empty_or_false(project: Path, value: str) -> None:
    assert run(project, value).returncode == 0
