"""Sync API functions over HTTP: the same answers whether they run in threads or, once they
have proven cheap, on the event loop (``tiffin._server._sync``), including when a cheap function
later takes a path that needs a thread (a batchable runner, a blocking call). A user's function
runs exactly once per request, and an ``except Exception:`` in it never sees tiffin's own
control flow."""

from __future__ import annotations

import textwrap
import threading
from pathlib import Path

import httpx
import pytest

SERVICE = textwrap.dedent(
    """
    import asyncio
    import time

    import numpy as np

    import tiffin
    from tiffin.io import JSON, NumpyNdarray

    class Model(tiffin.Runnable):
        SUPPORTS_CPU_MULTI_THREADING = True

        @tiffin.Runnable.method(batchable=True, batch_dim=0)
        def batched(self, x):
            return x * 2

        @tiffin.Runnable.method
        def plain(self, x):
            return x + 1

    runner = tiffin.Runner(Model, name="model")
    svc = tiffin.Service("sync_svc", runners=[runner])

    @svc.api(input=NumpyNdarray(), output=NumpyNdarray())
    def plain(x):
        return runner.plain.run(x)

    @svc.api(input=JSON(), output=JSON())
    def sometimes_batched(body):
        # cheap and runner-free for a while, then a batchable runner call: must still answer
        if body["batched"]:
            return runner.batched.run(np.asarray(body["x"])).tolist()
        return body["x"]

    async def double(x):
        return 2 * x

    @svc.api(input=JSON(), output=JSON())
    def sometimes_asyncio(body):
        # sync code that runs its own event loop now and then: fine in a thread only
        if body["run"]:
            return asyncio.run(double(body["x"]))
        return body["x"]

    CALLS = {"n": 0}

    @svc.api(input=JSON(), output=JSON())
    def counted(body):
        # a side effect before a runner call that the learning calls never made
        CALLS["n"] += 1
        if body["batched"]:
            try:
                return runner.batched.run(np.asarray(body["x"])).tolist()
            except Exception as exc:  # user code that catches everything must see nothing of ours
                return {"swallowed": type(exc).__name__}
        return body["x"]

    @svc.api(input=JSON(), output=JSON())
    def calls(body):
        return CALLS["n"]

    @svc.api(input=JSON(), output=JSON())
    def sometimes_blocks(body):
        if body["sleep"]:
            time.sleep(body["sleep"])
        return {"x": body["x"]}
    """
)


@pytest.fixture
def server(tmp_path: Path, serve: object) -> object:
    (tmp_path / "service.py").write_text(SERVICE)
    return serve("service.py:svc", cwd=tmp_path)  # type: ignore[operator]


def test_cheap_sync_api_keeps_answering_correctly(server: object) -> None:
    url = server.url  # type: ignore[attr-defined]
    with httpx.Client(timeout=30) as client:
        for i in range(60):  # past the learning calls, so later ones run on the loop
            r = client.post(f"{url}/plain", json=[[i, i + 0.5]])
            assert r.status_code == 200, r.text
            assert r.json() == [[i + 1, i + 1.5]]


def test_batchable_runner_call_after_cheap_calls_is_served(server: object) -> None:
    url = server.url  # type: ignore[attr-defined]
    with httpx.Client(timeout=30) as client:
        for i in range(60):
            r = client.post(f"{url}/sometimes_batched", json={"batched": False, "x": [i]})
            assert r.json() == [i]
        for i in range(5):  # the first of these may start on the loop, and must move to a thread
            r = client.post(f"{url}/sometimes_batched", json={"batched": True, "x": [[i, 1]]})
            assert r.status_code == 200, r.text
            assert r.json() == [[2 * i, 2]]


def test_concurrent_batchable_calls_from_a_sync_api(server: object) -> None:
    url = server.url  # type: ignore[attr-defined]
    results: dict[int, object] = {}

    def call(i: int) -> None:
        with httpx.Client(timeout=30) as client:
            for _ in range(10):
                r = client.post(f"{url}/sometimes_batched", json={"batched": True, "x": [[i]]})
                results[i] = (r.status_code, r.json())

    workers = [threading.Thread(target=call, args=(i,)) for i in range(8)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    assert results == {i: (200, [[2 * i]]) for i in range(8)}


def test_a_sync_api_that_starts_blocking_goes_back_to_threads(server: object) -> None:
    url = server.url  # type: ignore[attr-defined]
    with httpx.Client(timeout=30) as client:
        for i in range(40):
            r = client.post(f"{url}/sometimes_blocks", json={"sleep": 0, "x": i})
            assert r.json()["x"] == i
        # it now blocks: slow calls send it back to threads, and every answer is still right
        for i in range(12):
            r = client.post(f"{url}/sometimes_blocks", json={"sleep": 0.2, "x": i})
            assert r.status_code == 200 and r.json()["x"] == i
        # while one call sleeps in a thread, the loop still answers the probes at once
        slow: dict[str, int] = {}

        def slow_call() -> None:
            with httpx.Client(timeout=30) as c:
                slow["status"] = c.post(
                    f"{url}/sometimes_blocks", json={"sleep": 1.0, "x": -1}
                ).status_code

        t = threading.Thread(target=slow_call)
        t.start()
        probe = client.get(f"{url}/healthz", timeout=0.9)
        t.join()
        assert probe.status_code == 200
        assert slow["status"] == 200


def test_sync_api_running_its_own_event_loop_is_served(server: object) -> None:
    url = server.url  # type: ignore[attr-defined]
    with httpx.Client(timeout=30) as client:
        for i in range(40):
            assert client.post(f"{url}/sometimes_asyncio", json={"run": False, "x": i}).json() == i
        for i in range(3):
            r = client.post(f"{url}/sometimes_asyncio", json={"run": True, "x": i})
            assert r.status_code == 200, r.text
            assert r.json() == 2 * i


@pytest.mark.slow
def test_a_sync_api_runs_once_per_request_even_when_it_leaves_the_loop(server: object) -> None:
    url = server.url  # type: ignore[attr-defined]
    with httpx.Client(timeout=30) as client:
        for i in range(60):  # cheap and runner-free: it moves onto the event loop
            assert client.post(f"{url}/counted", json={"batched": False, "x": [i]}).json() == [i]
        for i in range(5):  # now a batchable runner call, behind a catch-all except
            r = client.post(f"{url}/counted", json={"batched": True, "x": [[i, 1]]})
            assert r.status_code == 200, r.text
            assert r.json() == [[2 * i, 2]]  # served, not swallowed
        assert client.post(f"{url}/calls", json={}).json() == 65  # each request ran it once


WORKER_SERVICE = textwrap.dedent(
    """
    import os

    import tiffin
    from tiffin.io import JSON

    class Unsafe(tiffin.Runnable):
        @tiffin.Runnable.method
        def pid(self):
            return os.getpid()

    runner = tiffin.Runner(Unsafe, name="unsafe", workers=1)
    svc = tiffin.Service("workers_svc", runners=[runner])
    CALLS = {"n": 0}

    @svc.api(input=JSON(), output=JSON())
    def maybe_pid(body):
        CALLS["n"] += 1
        if body["ask"]:
            try:
                return {"pid": runner.pid.run(), "server": os.getpid()}
            except Exception as exc:
                return {"swallowed": type(exc).__name__}
        return {"calls": CALLS["n"]}
    """
)


@pytest.mark.slow
def test_a_sync_api_of_a_service_with_runner_workers_reaches_them_once(
    tmp_path: Path, serve: object
) -> None:
    (tmp_path / "service.py").write_text(WORKER_SERVICE)
    url = serve("service.py:svc", cwd=tmp_path).url  # type: ignore[operator]
    with httpx.Client(timeout=30) as client:
        for i in range(60):
            r = client.post(f"{url}/maybe_pid", json={"ask": False})
            assert r.json() == {"calls": i + 1}
        r = client.post(f"{url}/maybe_pid", json={"ask": True})
        assert r.status_code == 200, r.text
        body = r.json()
        assert "swallowed" not in body and body["pid"] != body["server"]
        assert client.post(f"{url}/maybe_pid", json={"ask": False}).json() == {"calls": 62}


def test_inline_control_flow_is_not_an_exception() -> None:
    from tiffin._runner._inline import InlineRefused

    assert issubclass(InlineRefused, BaseException)
    assert not issubclass(InlineRefused, Exception)
