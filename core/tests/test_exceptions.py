"""Every user error lives in ``tiffin.exceptions``; the old import places still work."""

from __future__ import annotations

import pytest

import tiffin
import tiffin.exceptions as exceptions
from tiffin.exceptions import (
    BadInput,
    RunnerMethodNotFound,
    RunnerNotStarted,
    TiffinError,
    UnsupportedMediaType,
)

EXPECTED = [
    "AlreadyStored",
    "BadInput",
    "Conflict",
    "DigestMismatch",
    "Forbidden",
    "InvalidArchive",
    "InvalidArgument",
    "MissingPlugin",
    "NotFound",
    "NotStored",
    "PluginError",
    "RegistryError",
    "RegistryUnreachable",
    "RunnerMethodNotFound",
    "RunnerNotStarted",
    "ServiceUnavailable",
    "TiffinError",
    "TransferUnavailable",
    "Unauthorized",
    "UnsupportedMediaType",
]


def test_all_is_exact_and_every_error_is_a_tiffin_error() -> None:
    assert exceptions.__all__ == EXPECTED
    defined = sorted(
        name
        for name, value in vars(exceptions).items()
        if isinstance(value, type) and issubclass(value, BaseException)
    )
    assert defined == EXPECTED
    for name in EXPECTED:
        assert issubclass(getattr(exceptions, name), TiffinError)


def test_moved_errors_keep_their_bases_and_status() -> None:
    assert issubclass(UnsupportedMediaType, BadInput)
    assert UnsupportedMediaType.status_code == 415
    assert UnsupportedMediaType.error_kind == "unsupported_media_type"
    assert issubclass(RunnerMethodNotFound, AttributeError)  # getattr(runner, "x", None) works
    assert RunnerNotStarted.status_code == 500


def test_old_import_places_are_the_same_classes() -> None:
    from tiffin._runner import RunnerMethodNotFound as from_runner_package
    from tiffin._runner._runner import RunnerNotStarted as from_runner_module
    from tiffin.io._base import UnsupportedMediaType as from_io_base

    assert from_io_base is UnsupportedMediaType
    assert from_runner_module is RunnerNotStarted
    assert from_runner_package is RunnerMethodNotFound


def test_runner_raises_them() -> None:
    class Echo(tiffin.Runnable):
        @tiffin.Runnable.method()
        def echo(self, x: object) -> object:
            return x

    runner = tiffin.Runner(Echo, name="echo")
    with pytest.raises(RunnerNotStarted):
        runner.echo.run(1)
    with pytest.raises(RunnerMethodNotFound, match="nope"):
        runner.nope  # noqa: B018
    assert getattr(runner, "nope", None) is None
