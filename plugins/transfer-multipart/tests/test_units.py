"""The pieces that need no server: part plans, sizes, what is retried, the entry point."""

from __future__ import annotations

import itertools
import subprocess
import sys

import httpx
import pytest

from tiffin.exceptions import InvalidArgument
from tiffin_multipart import _config
from tiffin_multipart._parts import plan_parts
from tiffin_multipart._retry import is_retryable, with_retries


def test_parts_cover_the_blob_exactly_once() -> None:
    for size, part in [(0, 5), (1, 5), (5, 5), (6, 5), (10, 5), (10_000_001, 1 << 20)]:
        parts = plan_parts(size, part)
        assert [p.number for p in parts] == list(range(1, len(parts) + 1))
        assert sum(p.size for p in parts) == size
        assert all(a.end == b.start for a, b in itertools.pairwise(parts))
        assert all(0 < p.size <= part for p in parts) or size == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [("16777216", 16 << 20), ("16MiB", 16 << 20), ("16M", 16 << 20), ("1g", 1 << 30), ("64 KiB", 64 << 10)],
)
def test_sizes_read_like_people_write_them(text: str, expected: int) -> None:
    assert _config.parse_size(text, what="X") == expected


@pytest.mark.parametrize("text", ["", "0", "-1", "lots", "1.5G"])
def test_a_bad_size_is_one_clear_error(text: str) -> None:
    with pytest.raises(InvalidArgument, match="X must be a positive size"):
        _config.parse_size(text, what="X")


def test_part_size_grows_so_a_blob_never_needs_more_than_10000_parts(monkeypatch) -> None:
    monkeypatch.setenv("TIFFIN_MULTIPART_PART_SIZE", "1MiB")
    assert _config.part_size(5 << 20) == 1 << 20
    huge = 50 << 30
    assert len(plan_parts(huge, _config.part_size(huge))) <= _config.MAX_PARTS


def test_bad_settings_name_the_variable(monkeypatch) -> None:
    monkeypatch.setenv("TIFFIN_MULTIPART_THREADS", "zero")
    with pytest.raises(InvalidArgument, match="TIFFIN_MULTIPART_THREADS"):
        _config.threads()


def _status_error(status: int) -> httpx.HTTPStatusError:
    request = httpx.Request("PUT", "http://registry/part")
    return httpx.HTTPStatusError("x", request=request, response=httpx.Response(status, request=request))


def test_what_is_retried() -> None:
    request = httpx.Request("PUT", "http://registry/part")
    assert is_retryable(httpx.ConnectError("refused", request=request))
    assert is_retryable(httpx.ReadTimeout("slow", request=request))
    assert is_retryable(httpx.RemoteProtocolError("reset", request=request))
    assert is_retryable(_status_error(503)) and is_retryable(_status_error(500))
    assert is_retryable(_status_error(429))
    assert not is_retryable(_status_error(400)) and not is_retryable(_status_error(403))
    assert not is_retryable(ValueError("a bug"))


def test_retries_until_success_and_gives_up_on_a_final_answer(monkeypatch) -> None:
    monkeypatch.setenv("TIFFIN_MULTIPART_RETRY_DELAY", "0")
    calls = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise _status_error(503)
        return "ok"

    assert with_retries(flaky) == "ok" and len(calls) == 3

    refused = []

    def forbidden() -> None:
        refused.append(1)
        raise _status_error(403)

    with pytest.raises(httpx.HTTPStatusError):
        with_retries(forbidden)
    assert len(refused) == 1

    monkeypatch.setenv("TIFFIN_MULTIPART_RETRIES", "4")
    down = []

    def always_down() -> None:
        down.append(1)
        raise httpx.ConnectError("refused")

    with pytest.raises(httpx.ConnectError):
        with_retries(always_down)
    assert len(down) == 4


def test_the_entry_point_module_is_light() -> None:
    code = (
        "import sys, tiffin_multipart; "
        "heavy = [m for m in ('httpx', 'tenacity', 'starlette', 'tiffin_registry') if m in sys.modules]; "
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
