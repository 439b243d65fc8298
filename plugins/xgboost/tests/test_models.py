"""Boosters and scikit-learn wrappers: stored as UBJSON, loaded back as the same kind of object."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xgboost as xgb

import tiffin
from tiffin.exceptions import InvalidArgument


def data(rows: int = 80) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.random((rows, 4))
    return x, (x[:, 0] + x[:, 2] > 1).astype(int)


def frame(x: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(x, columns=["age", "income", "tenure", "visits"])


def booster() -> xgb.Booster:
    x, y = data()
    params = {"max_depth": 2, "objective": "binary:logistic", "nthread": 1}
    return xgb.train(params, xgb.DMatrix(frame(x), label=y), num_boost_round=4)


def test_booster_round_trip_keeps_feature_names() -> None:
    model = booster()
    saved = tiffin.xgboost.save_model("churn", model)
    assert saved.info.options["model_class"] == "xgboost.core.Booster"
    assert saved.info.options["format"] == "ubj"
    assert list(saved.info.signatures) == ["predict"]
    loaded = tiffin.xgboost.load_model("churn")
    assert isinstance(loaded, xgb.Booster)
    assert loaded.feature_names == ["age", "income", "tenure", "visits"]
    x = frame(data()[0][:10])
    np.testing.assert_array_equal(loaded.predict(xgb.DMatrix(x)), model.predict(xgb.DMatrix(x)))


@pytest.mark.parametrize(
    ("cls", "methods"),
    [
        (xgb.XGBClassifier, ["predict", "predict_proba"]),
        (xgb.XGBRegressor, ["predict"]),
        (xgb.XGBRFClassifier, ["predict", "predict_proba"]),
    ],
)
def test_wrappers_come_back_as_the_same_class(cls: type, methods: list[str]) -> None:
    x, y = data()
    model = cls(n_estimators=3, max_depth=2, n_jobs=1).fit(x, y)
    saved = tiffin.xgboost.save_model("wrapped", model)
    assert sorted(saved.info.signatures) == sorted(methods)
    loaded = tiffin.xgboost.load_model(saved.tag)
    assert type(loaded) is cls
    for method in methods:
        np.testing.assert_array_equal(getattr(loaded, method)(x), getattr(model, method)(x))


def test_stored_as_ubjson_never_pickle() -> None:
    x, y = data()
    saved = tiffin.xgboost.save_model("clf", xgb.XGBClassifier(n_estimators=2).fit(x, y))
    assert [f.path for f in saved.info.files] == ["model.ubj"]
    raw = (Path(saved.path) / "model.ubj").read_bytes()
    assert raw[:1] == b"{" and not raw.startswith(b"\x80")  # a UBJSON object, not a pickle
    # XGBoost itself reads the file: nothing tiffin-specific in it
    assert xgb.Booster(model_file=str(Path(saved.path) / "model.ubj")).num_boosted_rounds() == 2


def test_a_subclass_loads_as_its_xgboost_base_without_importing_user_code() -> None:
    class MyClassifier(xgb.XGBClassifier):
        pass

    x, y = data()
    model = MyClassifier(n_estimators=2, max_depth=2).fit(x, y)
    saved = tiffin.xgboost.save_model("mine", model)
    assert saved.info.options["model_class"].endswith("MyClassifier")
    assert saved.info.options["xgboost_class"] == "xgboost.sklearn.XGBClassifier"
    loaded = tiffin.xgboost.load_model("mine")
    assert type(loaded) is xgb.XGBClassifier
    np.testing.assert_array_equal(loaded.predict_proba(x), model.predict_proba(x))


def test_a_manifest_naming_other_code_is_refused() -> None:
    import attrs

    saved = tiffin.xgboost.save_model("b", booster())
    forged = attrs.evolve(saved.info, options={**saved.info.options, "xgboost_class": "os.system"})
    with pytest.raises(InvalidArgument, match="not an XGBoost model class"):
        tiffin.xgboost.load(tiffin.Model(forged, saved.path))


def test_nthread_is_set_on_load() -> None:
    x, y = data()
    tiffin.xgboost.save_model("clf", xgb.XGBClassifier(n_estimators=2).fit(x, y))
    tiffin.xgboost.save_model("b", booster())
    assert tiffin.xgboost.load_model("clf", nthread=2).get_params()["n_jobs"] == 2
    config = tiffin.xgboost.load_model("b", nthread=3).save_config()
    assert '"nthread":"3"' in config.replace(" ", "")
    with pytest.raises(InvalidArgument, match="positive int"):
        tiffin.xgboost.load_model("b", nthread=0)
    with pytest.raises(InvalidArgument, match="nthread="):
        tiffin.xgboost.load_model("b", device="cuda")


def test_unfitted_and_foreign_models_are_clear_errors_and_store_nothing() -> None:
    with pytest.raises(InvalidArgument, match="Fit it"):
        tiffin.xgboost.save_model("raw", xgb.XGBRegressor())
    assert tiffin.models.list("raw") == []
    with pytest.raises(InvalidArgument, match="cannot save"):
        tiffin.xgboost.save_model("raw", {"not": "a model"})
    assert tiffin.models.list("raw") == []
