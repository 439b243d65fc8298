"""Batching, load shedding and worker supervision seen over HTTP, against a real `tiffin serve`."""

from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path

import httpx
import pytest

SERVICE = textwrap.dedent(
    """
    import os
    import threading
    import time

    import numpy as np

    import tiffin
    from tiffin.io import JSON, NumpyNdarray

    class Accelerator(tiffin.Runnable):
        \"\"\"One call at a time, 40 ms per call whatever the batch: batching is what helps.\"\"\"

        SUPPORTS_CPU_MULTI_THREADING = os.environ.get("SAFE", "1") == "1"

        def __init__(self):
            self.lock = threading.Lock()

        @tiffin.Runnable.method(batchable=True, batch_dim=0)
        def predict(self, x):
            with self.lock:
                time.sleep(0.04)
            return x * 2

        @tiffin.Runnable.method
        def die(self, x):
            os._exit(7)

        @tiffin.Runnable.method
        def pid(self, x):
            return os.getpid()

    runner = tiffin.Runner(
        Accelerator,
        name="accel",
        max_latency_ms=float(os.environ.get("MAX_LATENCY_MS", "10000")),
        max_batch_size=int(os.environ.get("MAX_BATCH_SIZE", "100")),
    )
    svc = tiffin.Service("accel_svc", runners=[runner])

    @svc.api(input=NumpyNdarray(), output=NumpyNdarray())
    async def double(x):
        return await runner.predict.async_run(x)

    @svc.api(input=NumpyNdarray(), output=NumpyNdarray())
    def double_sync(x):
        return runner.predict.run(x)

    @svc.api(input=JSON(), output=JSON())
    async def die(x):
        return await runner.die.async_run(x)

    @svc.api(input=JSON(), output=JSON())
    async def pid(x):
        return await runner.pid.async_run(x)
    """
)


@pytest.fixture
def service_dir(tmp_path: Path) -> Path:
    (tmp_path / "service.py").write_text(SERVICE)
    return tmp_path


def metric_value(text: str, prefix: str) -> float:
    return sum(
        float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(prefix)
    )


async def burst(url: str, n: int) -> list[httpx.Response]:
    async with httpx.AsyncClient(timeout=60) as client:
        return await asyncio.gather(
            *[
                client.post(f"{url}/{'double' if i % 2 else 'double_sync'}", json=[[i, i + 0.5]])
                for i in range(n)
            ]
        )


@pytest.mark.slow
def test_concurrent_requests_are_batched_and_each_gets_its_rows(serve, service_dir: Path) -> None:
    server = serve("service.py:svc", cwd=service_dir)
    responses = asyncio.run(burst(server.url, 48))
    for i, response in enumerate(responses):
        assert response.status_code == 200, response.text
        assert response.json() == [[2 * i, 2 * i + 1]]
    metrics = httpx.get(server.url + "/metrics").text
    batches = metric_value(
        metrics, 'tiffin_runner_batch_size_count{method="predict",runner="accel"}'
    )
    rows = metric_value(metrics, 'tiffin_runner_batch_size_sum{method="predict",runner="accel"}')
    assert rows == 48
    assert batches <= 24  # 48 calls on a one-at-a-time model: served in far fewer calls


@pytest.mark.slow
def test_requests_beyond_max_latency_get_503_with_a_clear_body(serve, service_dir: Path) -> None:
    server = serve(
        "service.py:svc", cwd=service_dir, env={"MAX_LATENCY_MS": "100", "MAX_BATCH_SIZE": "1"}
    )
    with httpx.Client(timeout=30) as client:
        for _ in range(3):  # let the runner learn that a call costs ~40 ms, one row at a time
            assert client.post(server.url + "/double", json=[[1.0]]).status_code == 200
    responses = asyncio.run(burst(server.url, 24))
    codes = [r.status_code for r in responses]
    assert set(codes) <= {200, 503}
    assert 503 in codes and 200 in codes
    body = next(r for r in responses if r.status_code == 503).json()
    assert "max_latency_ms=100" in str(body)
    metrics = httpx.get(server.url + "/metrics").text
    assert metric_value(metrics, "tiffin_runner_rejections_total") == codes.count(503)
    # and the server goes on serving
    assert httpx.post(server.url + "/double", json=[[2.0]], timeout=30).json() == [[4.0]]


@pytest.mark.slow
def test_a_worker_dying_mid_request_is_a_503_and_the_server_stays_up(
    serve, service_dir: Path
) -> None:
    server = serve(
        "service.py:svc", cwd=service_dir, env={"SAFE": "0", "TIFFIN_RUNNER_WORKERS": "accel=1"}
    )
    with httpx.Client(timeout=30) as client:
        first = client.post(server.url + "/pid", json=1).json()
        died = client.post(server.url + "/die", json=1)
        assert died.status_code == 503
        assert "died" in died.text
        for _ in range(100):  # a replacement worker is forked in the background
            response = client.post(server.url + "/pid", json=1)
            if response.status_code == 200:
                break
        assert response.status_code == 200
        assert response.json() != first
        assert client.post(server.url + "/double", json=[[3.0]]).json() == [[6.0]]
    assert "worker 0" in server.output()
