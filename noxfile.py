"""Test sessions, discovered from the folders: no hand-kept matrix.

- ``tests(<package>)``: core and that one package installed, that package's tests (the proof
  that each package works on its own);
- ``tests_all``: everything installed, the cross-package tests in ``tests/``;
- ``lint``: ruff;
- ``typecheck``: mypy over the public API, hookspecs and the plugins (see pyproject.toml).

Uses the venv backend with pip, which honours this machine's pip configuration (a local CPU
wheel of torch). Extra test-only requirements live in ``<package>/tests/requirements.txt``.
"""

from __future__ import annotations

from pathlib import Path

import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = False
nox.options.error_on_missing_interpreters = True

ROOT = Path(__file__).parent
PLUGIN_DIRS = {
    p.name: p
    for p in sorted((ROOT / "plugins").iterdir())
    if (p / "pyproject.toml").exists() and not p.name.startswith("_")
}
PACKAGE_DIRS = {"core": ROOT / "core", **PLUGIN_DIRS}


#: What every session's pytest needs whatever it tests: pyproject.toml's pytest settings name
#: pytest-timeout's ``timeout`` (with ``--strict-config``, unknown without it).
EVERY_SESSION = ["pytest-timeout>=2.2"]


def _install(session: nox.Session, *dirs: Path, core_tests: bool = False) -> None:
    """Core with its kit, the packages ``dirs``, their ``tests/requirements.txt`` (``ROOT``: the
    cross-package tests' own) and :data:`EVERY_SESSION`, in one pip call (one resolution).

    Core's own test requirements (schemathesis, kubernetes-validate, tritonclient, ...: ~80
    distributions) only where core's or the cross-package tests run (``core_tests``): a
    plugin's session installs what its own tests ask for, which is also the proof that they
    ask for all they need. ``--no-compile``: no byte-compiling of every installed module (torch,
    ray); Python compiles what a test imports, when it imports it.
    """
    packages = [d for d in dirs if d not in (ROOT, ROOT / "core")]  # ROOT: only tests/
    args = ["./core[testing]"] + ["./" + str(d.relative_to(ROOT)) for d in packages]
    reqs = []
    for d in ((ROOT / "core",) if core_tests else ()) + dirs:
        req = d / "tests" / "requirements.txt"
        if req.exists() and str(req) not in reqs:
            reqs.append(str(req))
    for req in reqs:
        args += ["-r", req]
    _install_local(session, *args, *EVERY_SESSION)


#: What builds our packages (their ``[build-system] requires``).
BUILD_BACKEND = "hatchling>=1.18"


def _install_local(session: nox.Session, *args: str) -> None:
    """``pip install ARGS`` with our packages built by this venv's hatchling.

    pip would build each local package in an isolated environment of its own, installing
    hatchling into it first: ~5 s a package, ~40 builds in a full run. One hatchling per
    session instead, and ``--no-build-isolation``.
    """
    session.install("--no-compile", BUILD_BACKEND)
    session.install("--no-compile", "--no-build-isolation", *args)


def _pytest(session: nox.Session, *paths: str) -> None:
    # warnings are errors (pyproject.toml), so a plugin that fails to load fails the run
    session.run("pytest", *paths, *session.posargs)


@nox.session
@nox.parametrize("package", list(PACKAGE_DIRS))
def tests(session: nox.Session, package: str) -> None:
    """One package's tests with only core and that package installed."""
    pkg_dir = PACKAGE_DIRS[package]
    _install(session, pkg_dir, core_tests=package == "core")
    _pytest(session, str((pkg_dir / "tests").relative_to(ROOT)))


@nox.session
def tests_all(session: nox.Session) -> None:
    """Cross-package tests with every package installed."""
    _install(session, *PLUGIN_DIRS.values(), ROOT, core_tests=True)
    _pytest(session, "tests")


@nox.session
def lint(session: nox.Session) -> None:
    session.install("ruff")
    session.run("ruff", "check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy over core's public API, hookspecs, storage layer and every plugin ([tool.mypy]).

    Core is installed for its dependencies' types; plugins without their frameworks
    (``--no-deps``): torch, xgboost and scikit-learn types count as unknown.
    """
    _install_local(session, "mypy==1.13.0", "types-PyYAML", "pytest", "./core")
    _install_local(
        session, "--no-deps", *("./" + str(d.relative_to(ROOT)) for d in PLUGIN_DIRS.values())
    )
    session.run("mypy")
