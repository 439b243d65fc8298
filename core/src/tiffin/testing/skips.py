"""A pytest plugin: no silent skips in CI.

Enable with ``pytest_plugins = ["tiffin.testing.fixtures", "tiffin.testing.skips"]`` in a
package's top ``conftest.py`` (every tiffin package does). Locally nothing changes. With ``CI``
set (``CI=true``, as CI services and ``.ci/run`` set it), a test that skips fails instead,
unless the skip is on the allow-list:

- a test marked ``gpu`` (it depends on whether a CUDA device exists: CI machines have none);
- a conformance-kit test that does not apply to the plugin under test (an optional capability
  it does not have), skipped with :func:`not_applicable` rather than ``pytest.skip``.

A skip because a dependency or a system tool is missing is never on the list: install it in
the package's ``tests/requirements.txt`` (or ``.ci/run`` for system tools) instead.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from typing import Any, NoReturn

import pytest

__all__ = ["ALLOWED_MARKERS", "NotApplicable", "in_ci", "not_applicable"]

#: Tests carrying one of these markers may skip in CI.
ALLOWED_MARKERS = ("gpu",)


class NotApplicable(pytest.skip.Exception):  # type: ignore[name-defined]
    """The skip of a kit test that does not apply to the subject (allowed in CI)."""


def not_applicable(reason: str) -> NoReturn:
    """Skip this test because it does not apply to the subject (say why); allowed in CI."""
    raise NotApplicable(reason, allow_module_level=False)


def in_ci() -> bool:
    """Whether ``$CI`` is set to something other than empty, ``0``, ``false`` or ``no``."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "gpu: needs a CUDA device (or its absence); the only skips CI allows"
    )


def _reason(longrepr: object) -> str:
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def _failure(what: str, reason: str) -> str:
    return (
        f"{what} skipped in CI (CI={os.environ.get('CI')!r}): {reason}\n"
        "In CI a skip fails unless the test is marked gpu or the kit calls not_applicable(): "
        "install what it needs in the package's tests/requirements.txt (system tools in "
        ".ci/run), or see tiffin.testing.skips."
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    outcome = yield
    report = outcome.get_result()
    if not report.skipped or hasattr(report, "wasxfail"):
        return
    if call.excinfo is not None and call.excinfo.errisinstance(NotApplicable):
        # reported at the test, like pytest.skip(), not at the line in this module
        path, line, _ = item.reportinfo()
        report.longrepr = (
            str(path),
            (line or 0) + 1,
            f"Skipped: {getattr(call.excinfo.value, 'msg', '')}",
        )
        return
    if not in_ci() or any(item.get_closest_marker(name) for name in ALLOWED_MARKERS):
        return
    report.outcome = "failed"
    report.longrepr = _failure(item.nodeid, _reason(report.longrepr))


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Generator[None, Any, None]:
    outcome = yield
    report = outcome.get_result()
    if report.skipped and in_ci():
        report.outcome = "failed"
        report.longrepr = _failure(collector.nodeid, _reason(report.longrepr))
