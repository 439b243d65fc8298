"""What one iris request costs on tiffin's hot path, piece by piece, measured in-process.

    python bench/hot_path.py            # prints a table of microseconds per request

The same service as ``bench/serving.py`` (the guide's: a sync API calling
``runner.predict.run``, ``NumpyNdarray`` in and out). Each piece is timed alone over many calls
on one thread (best of several repeats, so the noise of a shared machine is left out):

- the sklearn ``predict`` by itself, and through the runner (``runner.predict.run``);
- the input descriptor (JSON body -> ndarray) and the output descriptor (ndarray -> response);
- the whole ASGI app of tiffin and of the bare Starlette handler, called in-process with a
  fake ``receive``/``send`` (routing, Request, metrics, the API function; no sockets);

then, under ``wrk`` load (c=32), each real server's CPU seconds per request (from
``/proc/<pid>/stat``), which adds what the app calls cannot see: uvicorn, httptools, the loop.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import serving  # noqa: E402  (bench/serving.py: the same services and helpers)

BODY = serving.BODY.encode()
REPEATS = 7


def best_us(func, n: int) -> float:
    """Best of REPEATS runs of ``n`` calls, microseconds per call."""
    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter()
        for _ in range(n):
            func()
        best = min(best, (time.perf_counter() - start) / n)
    return best * 1e6


def best_us_async(loop: asyncio.AbstractEventLoop, factory, n: int) -> float:
    async def many() -> None:
        for _ in range(n):
            await factory()

    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter()
        loop.run_until_complete(many())
        best = min(best, (time.perf_counter() - start) / n)
    return best * 1e6


def asgi_call(app, path: str):
    """A coroutine factory: one POST of BODY through ``app`` with a fake transport."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(BODY)).encode()),
        ],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    message = {"type": "http.request", "body": BODY, "more_body": False}
    status: list[int] = []

    async def receive():
        return message

    async def send(msg):
        if msg["type"] == "http.response.start":
            status.append(msg["status"])

    async def call():
        await app(dict(scope), receive, send)
        if status.pop() != 200:
            raise RuntimeError(f"{path} did not answer 200")

    return call


def in_process(workdir: Path) -> list[tuple[str, float]]:
    os.chdir(workdir)
    sys.path.insert(0, str(workdir))
    import pickle

    import numpy as np
    from starlette.requests import Request

    from tiffin._server._app import build_app
    from tiffin._target import resolve_target

    svc = resolve_target("tiffin_service.py:svc", str(workdir))
    api = svc.apis["classify"]
    runner = svc.runners[0]
    model = pickle.loads((workdir / "model.pkl").read_bytes())
    x = np.asarray([[5.9, 3, 5.1, 1.8]])
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    rows: list[tuple[str, float]] = []
    rows.append(("sklearn predict alone (model.predict)", best_us(lambda: model.predict(x), 3000)))
    loop.run_until_complete(runner.astart())
    rows.append(
        (
            "runner call (runner.predict.run, in the loop's thread)",
            best_us(lambda: runner.predict.run(x), 3000),
        )
    )
    loop.run_until_complete(runner.astop())

    def request() -> Request:
        scope = {
            "type": "http",
            "method": "POST",
            "path": "/classify",
            "headers": [(b"content-type", b"application/json")],
        }
        sent = {"type": "http.request", "body": BODY, "more_body": False}

        async def receive():
            return sent

        return Request(scope, receive)

    rows.append(
        (
            "input descriptor: JSON body -> ndarray (from_http)",
            best_us_async(loop, lambda: api.input.from_http(request()), 5000),
        )
    )
    result = model.predict(x)
    rows.append(
        (
            "output descriptor: ndarray -> JSON response (to_http)",
            best_us_async(loop, lambda: api.output.to_http(result), 5000),
        )
    )

    app = build_app(svc)
    starlette_mod = {}
    exec((workdir / "starlette_app.py").read_text(), starlette_mod)

    async def lifespan_and_measure() -> dict[str, float]:
        async with app.router.lifespan_context(app):
            calls = {
                f"whole tiffin ASGI app, {label[len('tiffin ') :]} API": asgi_call(app, route)
                for label, route in serving.TIFFIN_ROUTES.items()
            }
            calls["whole bare Starlette ASGI app"] = asgi_call(starlette_mod["app"], "/classify")
            for call in calls.values():
                for _ in range(200):  # past the sync API's learning calls
                    await call()
            best = dict.fromkeys(calls, float("inf"))
            for _ in range(REPEATS):  # interleaved, so that drift hits every app alike
                for label, call in calls.items():
                    start = time.perf_counter()
                    for _ in range(3000):
                        await call()
                    best[label] = min(best[label], (time.perf_counter() - start) / 3000)
            return {label: seconds * 1e6 for label, seconds in best.items()}

    for label, us in loop.run_until_complete(lifespan_and_measure()).items():
        rows.append((f"{label}, in-process (no sockets)", us))
    loop.close()
    return rows


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def under_load(workdir: Path, envs: dict, duration: int = 5) -> list[tuple[str, float]]:
    wrk = serving.ensure_wrk()
    servers, targets = serving.start_all(workdir, envs, None)
    rows = []
    try:
        for t in targets:
            serving.run_wrk(wrk, t, 32, 2, workdir)
        for t in targets:
            proc = t.server.proc
            pids = [proc.pid, *map(int, _children(proc.pid))]
            before = sum(cpu_seconds(p) for p in pids)
            result = serving.run_wrk(wrk, t, 32, duration, workdir)
            spent = sum(cpu_seconds(p) for p in pids) - before
            requests = result["rps"] * duration
            rows.append(
                (f"{t.label} server under wrk c=32: CPU per request", spent / requests * 1e6)
            )
    finally:
        for s in servers:
            s.stop()
    return rows


def _children(pid: int) -> list[str]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return out.split()


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="tiffin-hotpath-"))
    try:
        envs = serving.prepare(workdir, None)
        os.environ.update(envs["tiffin"])
        load = under_load(workdir, envs)
        rows = in_process(workdir)
        print("| piece (one iris request) | µs |")
        print("|---|---:|")
        for label, us in rows + load:
            print(f"| {label} | {us:,.1f} |")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
