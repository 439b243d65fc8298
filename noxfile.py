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


def _install(session: nox.Session, *dirs: Path) -> None:
    args = ["./core[testing]"] + ["./" + str(d.relative_to(ROOT)) for d in dirs if d.name != "core"]
    reqs = []
    for d in (ROOT / "core", *dirs):
        req = d / "tests" / "requirements.txt"
        if req.exists() and str(req) not in reqs:
            reqs.append(str(req))
    for req in reqs:
        args += ["-r", req]
    session.install(*args)


def _pytest(session: nox.Session, *paths: str) -> None:
    # warnings are errors (pyproject.toml), so a plugin that fails to load fails the run
    session.run("pytest", *paths, *session.posargs)


@nox.session
@nox.parametrize("package", list(PACKAGE_DIRS))
def tests(session: nox.Session, package: str) -> None:
    """One package's tests with only core and that package installed."""
    pkg_dir = PACKAGE_DIRS[package]
    _install(session, pkg_dir)
    _pytest(session, str((pkg_dir / "tests").relative_to(ROOT)))


@nox.session
def tests_all(session: nox.Session) -> None:
    """Cross-package tests with every package installed."""
    _install(session, *PLUGIN_DIRS.values())
    reqs = ROOT / "tests" / "requirements.txt"
    if reqs.exists():
        session.install("-r", str(reqs))
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
    session.install("mypy==1.13.0", "types-PyYAML", "pytest", "./core")
    session.install("--no-deps", *("./" + str(d.relative_to(ROOT)) for d in PLUGIN_DIRS.values()))
    session.run("mypy")
