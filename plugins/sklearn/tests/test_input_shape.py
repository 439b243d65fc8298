"""A model that knows its input width turns a wrong-width request into a 400, not a 500."""

from __future__ import annotations

import textwrap
from pathlib import Path

import httpx
import numpy as np
import pytest
import yaml
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

import tiffin
from tiffin.exceptions import BadInput

SERVICE = """
import tiffin
from tiffin.io import NumpyNdarray

runner = tiffin.sklearn.get("iris_clf:latest").to_runner()
svc = tiffin.Service("iris", runners=[runner])


@svc.api(input=NumpyNdarray(), output=NumpyNdarray())
def classify(x):
    return runner.predict.run(x)
"""


@pytest.fixture(scope="module")
def clf() -> LogisticRegression:
    x, y = load_iris(return_X_y=True)
    return LogisticRegression(max_iter=500).fit(x, y)


def test_the_width_is_recorded_in_the_manifest_and_checked_by_the_runner(clf) -> None:
    model = tiffin.sklearn.save_model("iris_clf", clf)
    manifest = yaml.safe_load((Path(model.path) / "model.yaml").read_text())
    assert manifest["signatures"]["predict"]["input_shape"] == [-1, 4]
    assert tiffin.sklearn.get("iris_clf:latest").info.signatures["predict"].input_shape == (-1, 4)

    runner = tiffin.sklearn.get("iris_clf:latest").to_runner()
    runner.init_local()
    try:
        with pytest.raises(BadInput, match=r"expected input of shape \(-1, 4\), got \(2, 3\)"):
            runner.predict.run(np.zeros((2, 3)))
        with pytest.raises(BadInput, match=r"got \(4,\)"):
            runner.predict.run(np.zeros(4))
        assert runner.predict.run(np.zeros((2, 4))).shape == (2,)
    finally:
        runner.destroy()


def test_a_signature_naming_its_own_shape_keeps_it(clf) -> None:
    model = tiffin.sklearn.save_model(
        "iris_clf", clf, signatures={"predict": {"batchable": True, "input_shape": [-1, -1]}}
    )
    assert model.info.signatures["predict"].input_shape == (-1, -1)


@pytest.mark.slow
def test_serve_answers_a_wrong_width_request_with_400(tmp_path: Path, serve, clf) -> None:
    tiffin.sklearn.save_model("iris_clf", clf)
    (tmp_path / "service.py").write_text(textwrap.dedent(SERVICE))
    server = serve("service.py:svc", cwd=tmp_path)

    wrong = httpx.post(f"{server.url}/classify", json=[[5.1, 3.5, 1.4]], timeout=30)
    assert wrong.status_code == 400, wrong.text
    assert "expected input of shape (-1, 4), got (1, 3)" in wrong.text

    rows = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]
    right = httpx.post(f"{server.url}/classify", json=rows, timeout=30)
    assert right.status_code == 200, right.text
    assert right.json() == clf.predict(np.array(rows)).tolist()
