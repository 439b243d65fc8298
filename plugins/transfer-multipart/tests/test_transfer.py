"""Multipart push and pull through a real registry process and real client processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tiffin_multipart.testing import FlakyProxy, is_part_request
from tiffin_registry.testing import assert_same_files, cli_json, make_model, wait_until

pytestmark = pytest.mark.slow

MiB = 1024 * 1024




def test_round_trip_in_parts(multipart_registry, cli, other_home: Path) -> None:
    model = make_model("big", extra_bytes=5 * MiB + 12345)
    pushed = cli_json(cli("models", "push", "big", "-o", "json"))
    # the large file in parts; the small one (under the threshold) by another strategy
    assert pushed["strategies"]["multipart"] == 1 and sum(pushed["strategies"].values()) == 2
    pulled = cli_json(
        cli("models", "pull", "big:latest", "-o", "json", env={"TIFFIN_HOME": str(other_home)})
    )
    assert pulled["strategies"]["multipart"] == 1 and sum(pulled["strategies"].values()) == 2
    assert_same_files(model, other_home)
    # nothing of the upload is left behind in the registry's staging area, nor the client's notes
    storage = Path(multipart_registry.storage)
    assert list((storage / "uploads").iterdir()) == []
    assert not list(Path(os.environ["TIFFIN_HOME"]).glob(".uploads/multipart/*"))


def test_forced_multipart_sends_small_blobs_as_one_part(multipart_registry, cli, other_home) -> None:
    model = make_model("small", extra_bytes=1000)
    pushed = cli_json(cli("models", "push", "small", "--strategy", "multipart", "-o", "json"))
    assert pushed["strategies"] == {"multipart": 2}
    pulled = cli_json(cli("models", "pull", "small:latest", "--strategy", "multipart", "-o", "json",
                       env={"TIFFIN_HOME": str(other_home)}))
    assert pulled["strategies"] == {"multipart": 2}
    assert_same_files(model, other_home)


def test_a_client_without_the_plugin_falls_back_to_proxy(multipart_registry, cli) -> None:
    make_model("big", extra_bytes=3 * MiB)
    without = {"TIFFIN_DISABLE_PLUGINS": "multipart"}
    listed = httpx.get(f"{multipart_registry.url}/api/v1/transfer").json()
    assert "multipart" in [s["name"] for s in listed["strategies"]]  # the registry offers it

    forced = cli("models", "push", "big", "--strategy", "multipart", env=without)
    assert forced.returncode == 1
    lines = forced.stderr.strip().splitlines()
    # disabled here, not uninstalled: the one line says so and how to undo it
    assert len(lines) == 1 and "'multipart'" in lines[0] and "disabled by" in lines[0], forced.stderr

    pushed = cli_json(cli("models", "push", "big", "-o", "json", env=without))
    assert set(pushed["strategies"]) <= {"proxy", "presigned"} and pushed["files_sent"] == 2


def test_a_flaky_path_still_ends_in_a_correct_push_and_pull(
    multipart_registry, cli, other_home
) -> None:
    model = make_model("big", extra_bytes=12 * MiB + 7)
    with FlakyProxy(multipart_registry.url, failure_rate=0.2) as proxy:
        env = {"TIFFIN_REGISTRY_URL": proxy.url}
        pushed = cli_json(cli("models", "push", "big", "--strategy", "multipart", "-o", "json", env=env))
        assert pushed["strategies"] == {"multipart": 2}
        failed_on_push = proxy.failures
        pulled = cli_json(cli("models", "pull", "big:latest", "--strategy", "multipart", "-o", "json",
                           env={**env, "TIFFIN_HOME": str(other_home)}))
        assert pulled["strategies"] == {"multipart": 2}
    assert failed_on_push > 0 and proxy.failures > failed_on_push  # both ways met failures
    assert proxy.failed_503 > 0 and proxy.failed_reset > 0
    assert_same_files(model, other_home)


def _held_parts(storage: Path) -> int:
    return sum(len(list(d.iterdir())) for d in (storage / "uploads").glob("*.parts"))


def test_a_killed_push_resumes_sending_only_the_missing_parts(
    multipart_registry, cli, other_home
) -> None:
    size = 40 * MiB
    model = make_model("big", extra_bytes=size)
    storage = Path(multipart_registry.storage)
    with FlakyProxy(multipart_registry.url, failure_rate=0.0) as counter:
        env = {
            **os.environ,
            "TIFFIN_REGISTRY_URL": counter.url,
            "TIFFIN_MULTIPART_THREADS": "2",
        }
        push = subprocess.Popen(
            [sys.executable, "-m", "tiffin", "models", "push", "big", "--quiet"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            wait_until(lambda: _held_parts(storage) >= 12 or push.poll() is not None,
                       timeout=120, what="a dozen parts arriving")
        finally:
            push.send_signal(signal.SIGKILL)
            push.wait()
        assert push.returncode == -signal.SIGKILL, "the push finished before it could be killed"

        # the version is not visible
        assert cli_json(cli("models", "list", "--remote", "-o", "json")) == []
        assert cli("models", "get", "big:latest", "--remote").returncode == 1

        # let parts already on the wire settle, then see what the registry holds
        settled: list[int] = []
        wait_until(lambda: settled.append(_held_parts(storage)) or (settled[-2:] == [settled[-1]] * 2
                   and len(settled) > 1), timeout=30, what="the registry settling")
        held = settled[-1]
        assert 12 <= held < 40

        counter.reset_counters()
        part_bytes: list[int] = []
        counter.select = lambda method, path: (
            is_part_request(method, path) and method == "PUT" and not part_bytes.append(1)
        )
        counter.failure_rate = 0.0
        again = cli_json(cli("models", "push", "big", "-o", "json", env={"TIFFIN_REGISTRY_URL": counter.url}))
        assert again["strategies"].get("multipart") == 1
        missing = size - held * MiB
        # the parts the registry kept are reported as resumed, not as sent again
        assert again["bytes_resumed"] >= (held - 1) * MiB, again
        # part bodies sent on the second try: the missing parts, plus at most one part
        assert missing <= counter.bytes_forwarded <= missing + MiB + 64 * 1024
        assert len(part_bytes) == 40 - held

    pulled = cli_json(
        cli("models", "pull", "big:latest", "-o", "json", env={"TIFFIN_HOME": str(other_home)})
    )
    assert pulled["tags"] == [str(model.tag)]
    assert_same_files(model, other_home)


def test_gc_aborts_an_abandoned_upload_and_its_parts(multipart_registry, cli) -> None:
    make_model("big", extra_bytes=24 * MiB)
    storage = Path(multipart_registry.storage)
    push = subprocess.Popen(
        [sys.executable, "-m", "tiffin", "models", "push", "big", "--quiet"],
        env={**os.environ, "TIFFIN_MULTIPART_THREADS": "1"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: _held_parts(storage) >= 3 or push.poll() is not None,
                   timeout=120, what="parts arriving")
    finally:
        push.send_signal(signal.SIGKILL)
        push.wait()
    assert push.returncode == -signal.SIGKILL
    assert list((storage / "uploads").iterdir())  # the staged file and its part markers

    young = cli_json(cli("registry", "gc", "--storage", str(storage), "--grace", "1h", "-o", "json"))
    assert young["uploads_deleted"] == 0 and list((storage / "uploads").iterdir())
    report = cli_json(cli("registry", "gc", "--storage", str(storage), "--grace", "0s", "-o", "json"))
    assert report["uploads_deleted"] >= 1
    assert list((storage / "uploads").iterdir()) == []
