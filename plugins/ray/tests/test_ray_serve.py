"""``tiffin serve --engine ray`` against a real two-node Ray cluster on this machine.

The cluster is two ``ray start --block`` processes (a head and a second node), each in its own
process group, stopped by that group (never ``ray stop``, which would stop every Ray here).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tiffin.testing.fixtures import free_port

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

ROWS = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3], [5.9, 3.0, 4.2, 1.5]]
V2 = {
    "inputs": [
        {"name": "x", "shape": [3, 4], "datatype": "FP64", "data": [v for r in ROWS for v in r]}
    ]
}


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    ray = str(Path(sys.executable).parent / "ray")
    with open(log, "ab") as out:
        return subprocess.Popen(
            [ray, "start", *args, "--block", "--disable-usage-stats"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped by it, nothing else
        )


def _stop(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(20)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(10)


def _nodes(address: str, env: dict[str, str]) -> int:
    code = (
        f"import ray; ray.init(address={address!r}, log_to_driver=False); "
        "print(sum(1 for n in ray.nodes() if n['Alive']))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    return int(out.stdout.strip().splitlines()[-1]) if out.returncode == 0 else 0


@pytest.fixture(scope="module")
def two_nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``HOST:PORT`` of a head node and a second node (2 logical CPUs each)."""
    temp = tempfile.mkdtemp(prefix="rt", dir="/tmp")  # Ray's socket paths must stay short
    logs = tmp_path_factory.mktemp("ray-logs")
    port = free_port()
    env = {
        **os.environ,
        "RAY_AUTH_MODE": "disabled",
        "TIFFIN_HOME": str(tmp_path_factory.mktemp("node-home")),
        "TIFFIN_RAY_CACHE": str(tmp_path_factory.mktemp("node-cache")),
    }
    head = _start(
        [
            "--head",
            f"--port={port}",
            "--num-cpus=2",
            "--include-dashboard=false",
            f"--temp-dir={temp}",
        ],
        env,
        logs / "head.log",
    )
    nodes = [head]
    address = f"127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            assert head.poll() is None, (logs / "head.log").read_text()
            time.sleep(0.5)
        nodes.append(
            _start(
                [f"--address={address}", "--num-cpus=2"],
                env,
                logs / "node.log",
            )
        )
        deadline = time.monotonic() + 120
        while _nodes(address, env) < 2:
            assert time.monotonic() < deadline, (logs / "node.log").read_text()
            time.sleep(1)
        yield address
    finally:
        for node in reversed(nodes):
            _stop(node)
        shutil.rmtree(temp, ignore_errors=True)


def _ray_env() -> dict[str, str]:
    return {"RAY_AUTH_MODE": "disabled"}


def _replica_pids(deployment: str) -> set[int]:
    """Processes whose title names the deployment's replica (Ray sets ``ray::ServeReplica:...``)."""
    pids = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if "ServeReplica" in title and deployment in title:
                pids.add(int(entry.name))
    return pids


def test_same_answers_as_tiffin_serve_and_a_killed_replica_is_replaced(
    iris_bento: Any, two_nodes: str, serve: Any
) -> None:
    """One application (a cluster has one Serve HTTP port, and each start costs ~15 s)."""
    tag = str(iris_bento.tag)
    local = serve(tag)
    on_ray = serve(
        tag,
        "--engine",
        "ray",
        "--address",
        two_nodes,
        "--replicas",
        "1",
        env=_ray_env(),
        timeout=300,
    )
    with httpx.Client(timeout=60) as client:
        for method, path, body in [
            ("POST", "/classify", {"json": ROWS}),
            ("POST", "/proba", {"json": ROWS}),
            ("POST", "/classify", {"content": b"not json"}),
            ("POST", "/classify", {"json": [[1.0, 2.0]]}),
            ("GET", "/v2/models/classify", {}),
            ("POST", "/v2/models/classify/infer", {"json": V2}),
            ("POST", "/v2/models/proba/infer", {"json": V2}),
            ("GET", "/docs.json", {}),
            ("GET", "/readyz", {}),
        ]:
            want = client.request(method, local.url + path, **body)
            got = client.request(method, on_ray.url + path, **body)
            assert (got.status_code, got.content) == (want.status_code, want.content), path
        assert client.post(on_ray.url + "/classify", json=ROWS).json() == [0, 2, 1]
        metrics = client.get(on_ray.url + "/metrics")
        assert metrics.status_code == 200 and "tiffin_" in metrics.text

        assert len(_replica_pids("runner-iris_clf")) == 1
    _kill_under_load(on_ray.url)


def _kill_under_load(url: str) -> None:
    """``kill -9`` the runner's replica under a small bounded load (3 clients): every call gets
    200 or 503 (never a hang), Ray replaces it, and the calls after that are answered."""
    (victim,) = _replica_pids("runner-iris_clf")
    statuses: list[int] = []
    errors: list[str] = []
    stop = threading.Event()

    def load() -> None:
        with httpx.Client(timeout=60) as client:
            while not stop.is_set():
                try:
                    statuses.append(client.post(url + "/classify", json=ROWS).status_code)
                except httpx.HTTPError as exc:  # a hang shows up here as a timeout
                    errors.append(repr(exc))
                time.sleep(0.02)

    threads = [threading.Thread(target=load) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(2)
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 180
        while not (_replica_pids("runner-iris_clf") - {victim}):
            assert time.monotonic() < deadline, "no replica replaced the killed one"
            time.sleep(0.5)
        time.sleep(2)
    finally:
        stop.set()
        for thread in threads:
            thread.join(90)
    assert not errors, errors[:3]
    assert set(statuses) <= {200, 503}, sorted(set(statuses))
    with httpx.Client(timeout=60) as client:
        after = [client.post(url + "/classify", json=ROWS) for _ in range(10)]
    assert [r.status_code for r in after] == [200] * 10
    assert after[-1].json() == [0, 2, 1]
