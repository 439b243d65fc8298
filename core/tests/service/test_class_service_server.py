"""A class-style service as a user runs it: ``tiffin serve service.py:Cls`` (and ``module:Cls``,
a bento folder), ``tiffin run``, ``tiffin batch``, ``tiffin build``, and the Python client with
keyword arguments, against real servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import textwrap
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

import tiffin
from tiffin.client import AsyncClient, Client

pytestmark = pytest.mark.slow

SERVICE = textwrap.dedent(
    """
    import numpy as np
    import tiffin

    @tiffin.service(resources={"cpu": "1"}, traffic={"timeout": 10, "max_concurrency": 64})
    class Summer:
        def __init__(self) -> None:
            self.weights = np.array([1.0, 10.0])

        @tiffin.api
        def classify(self, input_series: np.ndarray) -> np.ndarray:
            return input_series @ self.weights

        @tiffin.api(batchable=True, batch_dim=0, max_batch_size=64, max_latency_ms=2000)
        def classify_batch(self, input_series: np.ndarray) -> np.ndarray:
            return input_series @ self.weights

        @tiffin.api
        def label(self, text: str, upper: bool = False) -> dict:
            return {"label": text.upper() if upper else text}
    """
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "service.py").write_text(SERVICE)
    return tmp_path


@pytest.mark.parametrize("target", ["service.py:Summer", "service:Summer", "service.py"])
def test_serve_a_class_service(project: Path, serve: Any, target: str) -> None:
    server = serve(target, cwd=project)
    r = httpx.post(f"{server.url}/classify", json={"input_series": [[1, 2], [3, 4]]})
    assert (r.status_code, r.json()) == (200, [21.0, 43.0])
    r = httpx.post(f"{server.url}/classify_batch", json={"input_series": [[1, 1]]})
    assert (r.status_code, r.json()) == (200, [11.0])
    r = httpx.post(f"{server.url}/classify", json={"input_series": "x"})
    assert r.status_code == 400 and "input_series" in r.json()["error"]
    metrics = httpx.get(f"{server.url}/metrics").text
    assert 'runner="summer.classify_batch"' in metrics  # the runners' own batching metrics


def test_python_client_takes_keyword_arguments(project: Path, serve: Any) -> None:
    server = serve("service.py:Summer", cwd=project)
    with Client(server.url) as client:
        got = client.classify(input_series=np.array([[1.0, 2.0]]))
        assert isinstance(got, np.ndarray) and got.tolist() == [21.0]
        assert client.classify_batch(np.array([[0.0, 1.0]])).tolist() == [10.0]
        assert client.label(text="ab", upper=True) == {"label": "AB"}
        with pytest.raises(tiffin.exceptions.InvalidArgument, match="needs the argument"):
            client.label(upper=True)

    async def use_async() -> Any:
        async with AsyncClient(server.url) as client:
            return await client.label(text="xy", upper=True)

    assert asyncio.run(use_async()) == {"label": "XY"}


def test_run_batch_and_build_then_serve_the_bento(
    project: Path, serve: Any, cli: Any, tmp_path: Path
) -> None:
    body = '{"input_series": [[1, 0]]}'
    done = cli("run", "service.py:Summer", "classify", "--input", body, cwd=project)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [1.0]

    rows = tmp_path / "rows.csv"
    rows.write_text("a,b\n1,2\n0,1\n")
    out = tmp_path / "out.csv"
    done = cli(
        "batch",
        "service.py:Summer",
        "classify_batch",
        "--input",
        str(rows),
        "--output",
        str(out),
        cwd=project,
    )
    assert done.returncode == 0, done.stderr
    assert [float(v) for v in out.read_text().splitlines()[1:]] == [21.0, 10.0]

    # an API of several parameters: each row's columns are its arguments
    rows = tmp_path / "texts.jsonl"
    rows.write_text('{"text": "ab", "upper": true}\n{"text": "cd", "upper": false}\n')
    out = tmp_path / "labels.jsonl"
    done = cli(
        "batch",
        "service.py:Summer",
        "label",
        "--input",
        str(rows),
        "--output",
        str(out),
        cwd=project,
    )
    assert done.returncode == 0, done.stderr
    assert [json.loads(line)["label_label"] for line in out.read_text().splitlines()] == [
        "AB",
        "cd",
    ]

    done = cli("build", "--service", "service.py:Summer", "-o", "json", cwd=project)
    assert done.returncode == 0, done.stderr
    bento = tiffin.get("summer:latest")
    assert bento.info.service == "service.py:Summer"
    server = serve(str(bento.path), cwd=tmp_path)
    r = httpx.post(f"{server.url}/classify", json={"input_series": [[2, 2]]})
    assert r.json() == [22.0]


def test_the_decorators_workers_are_the_servers_api_workers(tmp_path: Path, serve: Any) -> None:
    (tmp_path / "pids.py").write_text(
        textwrap.dedent(
            """
            import os
            import tiffin

            @tiffin.service(workers=2)
            class Pids:
                @tiffin.api
                def pid(self) -> int:
                    return os.getpid()
            """
        )
    )
    server = serve("pids.py:Pids", cwd=tmp_path)
    r = httpx.post(f"{server.url}/pid", json={}, timeout=10)
    assert r.status_code == 200 and isinstance(r.json(), int)
    # the first worker can answer before the second has said it started: wait for both
    deadline = time.monotonic() + 60
    while server.output().count("Started server process") < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert server.output().count("Started server process") == 2, server.output()
