"""A torch model saved with an ``input_shape`` refuses a wrong shape with a 400, like any other.

The torch runnable is its own class (devices, dtypes, inference mode), built with core's
``tiffin.frameworks.add_signature_methods``: every field of a saved signature reaches it.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import httpx
import numpy as np
import pytest
import torch

import tiffin
from tiffin.exceptions import BadInput

SERVICE = """
import tiffin
from tiffin.io import NumpyNdarray

runner = tiffin.torch.get("lin:latest").to_runner()
svc = tiffin.Service("lin", runners=[runner])


@svc.api(input=NumpyNdarray(), output=NumpyNdarray())
async def predict(x):
    return await runner.async_run(x)
"""


def save() -> tiffin.Model:
    torch.manual_seed(0)
    return tiffin.torch.save_model(
        "lin",
        torch.nn.Linear(4, 2),
        signatures={"__call__": {"batchable": True, "batch_dim": 0, "input_shape": [-1, 4]}},
    )


def test_every_signature_field_reaches_the_torch_runner() -> None:
    save()
    runner = tiffin.torch.get("lin:latest").to_runner()
    config = vars(runner.runnable_class)["__call__"].config
    assert (config.batchable, config.input_batch_dim, config.input_shape) == (True, 0, (-1, 4))


def test_a_wrong_shape_is_bad_input_for_numpy_and_tensors() -> None:
    save()
    runner = tiffin.torch.get("lin:latest").to_runner()
    runner.init_local()
    try:
        with pytest.raises(BadInput, match=r"expected input of shape \(-1, 4\), got \(2, 3\)"):
            runner.run(np.zeros((2, 3), dtype=np.float32))
        with pytest.raises(BadInput, match=r"got \(4,\)"):
            runner.run(torch.zeros(4))
        assert runner.run(np.zeros((2, 4), dtype=np.float32)).shape == (2, 2)
        assert runner.run(torch.zeros(3, 4)).shape == (3, 2)
    finally:
        runner.destroy()


@pytest.mark.slow
def test_serve_answers_a_wrong_shape_with_400(tmp_path: Path, serve) -> None:
    save()
    (tmp_path / "service.py").write_text(textwrap.dedent(SERVICE))
    server = serve("service.py:svc", cwd=tmp_path)

    wrong = httpx.post(f"{server.url}/predict", json=[[1.0, 2.0, 3.0]], timeout=30)
    assert wrong.status_code == 400, wrong.text
    assert "expected input of shape (-1, 4), got (1, 3)" in wrong.text
    right = httpx.post(f"{server.url}/predict", json=[[1.0, 2.0, 3.0, 4.0]], timeout=30)
    assert right.status_code == 200, right.text
    assert np.asarray(right.json()).shape == (1, 2)
