"""End to end: save XGBoost models, serve them with `tiffin serve`, compare HTTP answers."""

from __future__ import annotations

import concurrent.futures
import textwrap
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest
import xgboost as xgb

import tiffin

SERVICE = """
import tiffin
from tiffin.io import NumpyNdarray, PandasDataFrame

clf = tiffin.xgboost.get("clf:latest").to_runner()
booster = tiffin.xgboost.get("booster:latest").to_runner(runnable_init_params={"nthread": 1})
svc = tiffin.Service("xgb-demo", runners=[clf, booster])


@svc.api(input=NumpyNdarray(), output=NumpyNdarray())
async def proba(x):
    return await clf.predict_proba.async_run(x)


@svc.api(input=NumpyNdarray(), output=NumpyNdarray())
def label(x):
    return clf.predict.run(x)


@svc.api(input=PandasDataFrame(), output=NumpyNdarray())
async def score(df):
    return await booster.predict.async_run(df)
"""


@pytest.mark.slow
def test_serve_answers_what_the_models_predict(tmp_path: Path, serve) -> None:
    rng = np.random.default_rng(2)
    x = rng.random((50, 3))
    y = (x[:, 0] + x[:, 1] > 1).astype(int)
    clf = xgb.XGBClassifier(n_estimators=4, max_depth=2, n_jobs=1).fit(x, y)
    tiffin.xgboost.save_model(
        "clf",
        clf,
        signatures={"predict": {"batchable": True}, "predict_proba": {"batchable": True}},
    )
    df = pd.DataFrame(x, columns=["a", "b", "c"])
    booster = xgb.train({"max_depth": 2, "nthread": 1}, xgb.DMatrix(df, label=y), 4)
    tiffin.xgboost.save_model("booster", booster, signatures={"predict": {"batchable": True}})
    (tmp_path / "service.py").write_text(textwrap.dedent(SERVICE))
    server = serve("service.py:svc", cwd=tmp_path)

    rows = x[:6]
    answer = httpx.post(f"{server.url}/proba", json=rows.tolist(), timeout=30)
    assert answer.status_code == 200, answer.text
    np.testing.assert_allclose(np.array(answer.json()), clf.predict_proba(rows), rtol=1e-6)

    def one(i: int) -> int:
        r = httpx.post(f"{server.url}/label", json=[x[i].tolist()], timeout=30)
        assert r.status_code == 200, r.text
        return r.json()[0]

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        labels = list(pool.map(one, range(16)))
    assert labels == clf.predict(x[:16]).tolist()

    records = df.iloc[:5].to_dict(orient="records")
    scored = httpx.post(f"{server.url}/score", json=records, timeout=30)
    assert scored.status_code == 200, scored.text
    expected = booster.predict(xgb.DMatrix(df.iloc[:5]))
    np.testing.assert_allclose(np.array(scored.json()), expected, rtol=1e-6)


WIDTH_SERVICE = """
import tiffin
from tiffin.io import NumpyNdarray

clf = tiffin.xgboost.get("clf:latest").to_runner()
booster = tiffin.xgboost.get("booster:latest").to_runner()
svc = tiffin.Service("xgb-width", runners=[clf, booster])


@svc.api(input=NumpyNdarray(), output=NumpyNdarray())
async def label(x):
    return await clf.predict.async_run(x)


@svc.api(input=NumpyNdarray(), output=NumpyNdarray())
def score(x):
    return booster.predict.run(x)
"""


@pytest.mark.slow
def test_a_wrong_width_request_is_a_400_naming_the_expected_shape(tmp_path: Path, serve) -> None:
    rng = np.random.default_rng(3)
    x = rng.random((40, 3))
    y = (x[:, 0] > 0.5).astype(int)
    clf = xgb.XGBClassifier(n_estimators=2, max_depth=2, n_jobs=1).fit(x, y)
    tiffin.xgboost.save_model("clf", clf, signatures={"predict": {"batchable": True}})
    booster = xgb.train({"max_depth": 2, "nthread": 1}, xgb.DMatrix(x, label=y), 2)
    tiffin.xgboost.save_model("booster", booster)
    assert tiffin.xgboost.get("booster:latest").info.signatures["predict"].input_shape == (-1, 3)
    (tmp_path / "service.py").write_text(textwrap.dedent(WIDTH_SERVICE))
    server = serve("service.py:svc", cwd=tmp_path)

    for route in ("label", "score"):
        wrong = httpx.post(f"{server.url}/{route}", json=[[0.1, 0.2]], timeout=30)
        assert wrong.status_code == 400, wrong.text
        assert "expected input of shape (-1, 3), got (1, 2)" in wrong.text
        right = httpx.post(f"{server.url}/{route}", json=x[:2].tolist(), timeout=30)
        assert right.status_code == 200, right.text
    assert httpx.post(f"{server.url}/label", json=x[:4].tolist(), timeout=30).json() == (
        clf.predict(x[:4]).tolist()
    )
