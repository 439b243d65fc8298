"""Runners over XGBoost models: DMatrix building, wrapper methods, threads, batching."""

from __future__ import annotations

import concurrent.futures

import numpy as np
import pandas as pd
import pytest
import xgboost as xgb

import tiffin
from tiffin.exceptions import InvalidArgument


def data(rows: int = 60) -> np.ndarray:
    return np.random.default_rng(1).random((rows, 3))


def labels(x: np.ndarray) -> np.ndarray:
    return (x[:, 0] > 0.5).astype(int)


def frame(x: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(x, columns=["a", "b", "c"])


def started(model, signatures=None, **init) -> tiffin.Runner:
    saved = tiffin.xgboost.save_model("m", model, signatures=signatures)
    runner = saved.to_runner(runnable_init_params=init)
    runner.init_local()
    return runner


def test_booster_predict_builds_a_dmatrix_from_numpy_and_pandas() -> None:
    x = data()
    model = xgb.train({"max_depth": 2, "nthread": 1}, xgb.DMatrix(frame(x), label=labels(x)), 3)
    runner = started(model, {"predict": {"batchable": True}})
    expected = model.predict(xgb.DMatrix(frame(x)))
    np.testing.assert_array_equal(runner.predict.run(frame(x)), expected)
    np.testing.assert_array_equal(runner.predict.run(xgb.DMatrix(frame(x))), expected)
    unnamed = xgb.train({"max_depth": 2, "nthread": 1}, xgb.DMatrix(x, label=labels(x)), 3)
    runner2 = started(unnamed)
    np.testing.assert_array_equal(runner2.predict.run(x), unnamed.predict(xgb.DMatrix(x)))
    np.testing.assert_array_equal(runner2.predict.run(x.tolist()), unnamed.predict(xgb.DMatrix(x)))
    with pytest.raises(InvalidArgument, match="never built from a file"):
        runner2.predict.run("/etc/passwd")
    with pytest.raises(InvalidArgument, match="not a dict"):
        runner2.predict.run({"a": [1.0]})


def test_wrapper_methods_and_concurrent_batched_calls() -> None:
    x = data()
    model = xgb.XGBClassifier(n_estimators=3, max_depth=2, n_jobs=1).fit(x, labels(x))
    runner = started(model, {"predict": {"batchable": True}, "predict_proba": {"batchable": True}})
    assert runner.runnable_class.SUPPORTS_CPU_MULTI_THREADING is True
    np.testing.assert_array_equal(runner.predict.run(x), model.predict(x))
    parts = [x[:5], x[5:6], x[6:20], x[20:]]
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        results = list(pool.map(runner.predict_proba.run, parts))
    for part, got in zip(parts, results, strict=True):
        np.testing.assert_array_equal(got, model.predict_proba(part))


def test_nthread_from_init_params_or_cpu_resources() -> None:
    x = data()
    model = xgb.XGBRegressor(n_estimators=2, max_depth=2).fit(x, x[:, 1])
    runner = started(model, nthread=1)
    assert runner.predict.run(x[:4]).shape == (4,)
    saved = tiffin.xgboost.get("m")
    for init, expected in [({"nthread": 1}, 1), ({"resources": {"cpu": 1.5}}, 2), ({}, None)]:
        r = saved.to_runner(runnable_init_params=init)
        r.init_local()
        instance = r._executor.instance
        assert instance.nthread == expected
        if expected is not None:
            assert instance.model.get_params()["n_jobs"] == expected
