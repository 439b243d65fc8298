"""End to end: save a torch model, serve it with `tiffin serve`, compare HTTP answers."""

from __future__ import annotations

import concurrent.futures
import textwrap
from pathlib import Path

import httpx
import numpy as np
import pytest
import torch

import tiffin

SERVICE = """
import tiffin
from tiffin.io import NumpyNdarray

runner = tiffin.torch.get("{tag}").to_runner()
svc = tiffin.Service("torch-demo", runners=[runner])


@svc.api(input=NumpyNdarray(), output=NumpyNdarray())
async def predict(x):
    return await runner.async_run(x)


@svc.api(input=NumpyNdarray(), output=NumpyNdarray())
def predict_sync(x):
    return runner.run(x)
"""


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["pickle", "export"])
def test_serve_answers_what_the_model_predicts(fmt: str, tmp_path: Path, serve) -> None:
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.ReLU(), torch.nn.Linear(5, 3))
    saved = tiffin.torch.save_model(
        "net",
        module,
        signatures={"__call__": {"batchable": True}},
        format=fmt,
        example_input=torch.ones(2, 4) if fmt == "export" else None,
    )
    (tmp_path / "service.py").write_text(textwrap.dedent(SERVICE.format(tag=saved.tag)))
    server = serve("service.py:svc", cwd=tmp_path)

    rows = [[0.1 * i, -0.2 * i, 0.3, 1.0 - i] for i in range(6)]
    with torch.no_grad():
        expected = module.eval()(torch.tensor(rows)).numpy()

    answer = httpx.post(f"{server.url}/predict", json=rows, timeout=30)
    assert answer.status_code == 200, answer.text
    np.testing.assert_allclose(np.array(answer.json()), expected, rtol=1e-5, atol=1e-6)

    # concurrent single rows go through the batching dispatcher and come back to their callers
    def one(i: int) -> list[float]:
        r = httpx.post(f"{server.url}/predict_sync", json=[rows[i]], timeout=30)
        assert r.status_code == 200, r.text
        return r.json()[0]

    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        got = np.array(list(pool.map(one, range(len(rows)))))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)

    bad = httpx.post(f"{server.url}/predict", json=[[1.0, 2.0]], timeout=30)
    assert bad.status_code >= 400  # the wrong width fails that request only
    again = httpx.post(f"{server.url}/predict", json=rows[:1], timeout=30)
    assert again.status_code == 200
