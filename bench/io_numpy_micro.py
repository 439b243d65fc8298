"""Micro-benchmark: NumpyNdarray.from_http/to_http against a bare ``np.asarray(json.loads(...))``.

Runs the descriptor on real Starlette ``Request`` objects built from an ASGI scope (no server,
no network), so the figures are the descriptor's own per-request cost.

    .venv/bin/python bench/io_numpy_micro.py [--n 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

import numpy as np
from starlette.requests import Request
from starlette.responses import Response

from tiffin.io import NumpyNdarray

BODY = b"[[5.9, 3.0, 5.1, 1.8]]"
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]


def make_request() -> Request:
    async def receive() -> dict:
        return {"type": "http.request", "body": BODY, "more_body": False}

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/classify",
        "headers": HEADERS,
        "query_string": b"",
    }
    return Request(scope, receive)


async def bare(n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        arr = np.asarray(json.loads(await make_request().body()))
        Response(json.dumps(arr.tolist()).encode(), media_type="application/json")
    return (time.perf_counter() - start) / n


async def bare_request_only(n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        await make_request().body()
    return (time.perf_counter() - start) / n


async def descriptor(n: int, d: NumpyNdarray) -> tuple[float, float]:
    t_in = t_out = 0.0
    for _ in range(n):
        request = make_request()
        t0 = time.perf_counter()
        arr = await d.from_http(request)
        t1 = time.perf_counter()
        await d.to_http(arr)
        t_in += t1 - t0
        t_out += time.perf_counter() - t1
    return t_in / n, t_out / n


async def main(n: int) -> None:
    d = NumpyNdarray()
    d32 = NumpyNdarray(dtype=np.float32, shape=(-1, 4), enforce_dtype=True, enforce_shape=True)
    for _ in range(2):  # warm up, then measure
        base_req = await bare_request_only(n)
        base = await bare(n)
        fi, fo = await descriptor(n, d)
        gi, go = await descriptor(n, d32)
    us = 1e6
    print(f"1x4 float array, {n} iterations, per request (microseconds):")
    print(f"  Request + body() alone:                       {base_req * us:6.2f}")
    print(f"  bare np.asarray(json.loads) + json.dumps(tolist) + Response: {base * us:6.2f}")
    print(
        f"  NumpyNdarray() from_http + to_http:           {(fi + fo) * us:6.2f}  (in {fi * us:.2f}, out {fo * us:.2f}; incl. body())"
    )
    print(
        f"  NumpyNdarray(float32, (-1,4), enforced) both: {(gi + go) * us:6.2f}  (in {gi * us:.2f}, out {go * us:.2f})"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20000)
    asyncio.run(main(parser.parse_args().n))
