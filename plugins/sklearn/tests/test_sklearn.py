"""tiffin.sklearn as a user calls it: save, load, get, and the errors on the way."""

from __future__ import annotations

import json

import numpy as np
import pytest
import sklearn
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import tiffin
from tiffin import _plugins
from tiffin.exceptions import InvalidArgument, MissingPlugin, NotFound
from tiffin.frameworks import FrameworkAdapter
from tiffin.testing.fixtures import run_cli


@pytest.fixture(scope="module")
def iris() -> tuple[np.ndarray, np.ndarray]:
    return load_iris(return_X_y=True)


@pytest.fixture(scope="module")
def clf(iris) -> LogisticRegression:
    x, y = iris
    return LogisticRegression(max_iter=500).fit(x, y)


def test_tiffin_sklearn_is_the_adapter() -> None:
    adapter = tiffin.sklearn
    assert isinstance(adapter, FrameworkAdapter)
    assert (adapter.name, adapter.distribution) == ("sklearn", "tiffin-sklearn")
    assert adapter.supports_cpu_multi_threading is True
    assert tiffin.sklearn is adapter is _plugins.framework("sklearn")


def test_tiffin_plugins_lists_it() -> None:
    done = run_cli("plugins", "--output", "json")
    assert done.returncode == 0, done.stderr
    records = {r["name"]: r for r in json.loads(done.stdout)}
    assert records["sklearn"] == {
        "name": "sklearn",
        "distribution": "tiffin-sklearn",
        "version": tiffin.__version__,
        "module": "tiffin_sklearn",
        "status": "loaded",
        "hooks": ["register_frameworks"],
        "error": None,
        "builtin": False,
        "registered": ["framework:sklearn"],
        "disabled_by": None,
    }


def test_save_load_predict_equal(clf, iris) -> None:
    x, _ = iris
    saved = tiffin.sklearn.save_model("iris_clf", clf)
    assert isinstance(saved, tiffin.Model)
    assert saved.info.framework == "sklearn"
    assert saved.info.framework_version == sklearn.__version__
    assert set(saved.info.signatures) == {"predict"}
    assert saved.info.signatures["predict"].batchable is False
    assert saved.info.options["model_class"] == "sklearn.linear_model._logistic.LogisticRegression"
    assert (saved.path / "model.joblib").is_file()

    loaded = tiffin.sklearn.load_model("iris_clf:latest")
    assert isinstance(loaded, LogisticRegression)
    np.testing.assert_array_equal(loaded.predict(x), clf.predict(x))
    np.testing.assert_array_equal(saved.load_model().predict_proba(x), clf.predict_proba(x))


def test_pipeline_with_signatures(iris, clf) -> None:
    x, y = iris
    pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(x, y)
    saved = tiffin.sklearn.save_model(
        "iris_pipe",
        pipe,
        signatures={
            "predict": {"batchable": True},
            "predict_proba": {"batchable": True, "batch_dim": 0},
        },
        labels={"stage": "candidate"},
        metadata={"accuracy": 0.97},
    )
    got = tiffin.sklearn.get(f"iris_pipe:{saved.tag.version}")
    assert got.info.signatures["predict_proba"].batchable is True
    assert got.info.labels == {"stage": "candidate"}
    np.testing.assert_allclose(
        tiffin.sklearn.load_model(got).predict_proba(x), pipe.predict_proba(x)
    )
    assert tiffin.sklearn.accepts(pipe) and tiffin.sklearn.accepts(clf)
    assert not tiffin.sklearn.accepts(object())


def test_bad_signature_names_the_method_and_stores_nothing(clf) -> None:
    with pytest.raises(InvalidArgument, match="no method 'predcit'") as info:
        tiffin.sklearn.save_model("iris_clf", clf, signatures={"predcit": {"batchable": True}})
    assert "predict_proba" in str(info.value)  # lists what the model does have
    with pytest.raises(InvalidArgument, match="unknown keys"):
        tiffin.sklearn.save_model("iris_clf", clf, signatures={"predict": {"batchabel": True}})
    with pytest.raises(InvalidArgument, match="not valid"):
        tiffin.sklearn.save_model("Iris CLF", clf)
    assert tiffin.models.list() == []


def test_refuses_objects_that_are_not_estimators() -> None:
    with pytest.raises(InvalidArgument, match=r"cannot save a builtins\.dict"):
        tiffin.sklearn.save_model("not_a_model", {"predict": 1})
    assert tiffin.models.list() == []


def test_get_of_another_frameworks_model_names_it() -> None:
    with tiffin.models.create("other", framework="lightgbm", framework_version="4.0") as m:
        (m.path / "model.txt").write_text("trees")
    with pytest.raises(InvalidArgument, match=r"'lightgbm' framework.*tiffin\.lightgbm"):
        tiffin.sklearn.get("other:latest")
    with pytest.raises(InvalidArgument, match="'lightgbm'"):
        tiffin.sklearn.load_model("other")
    # not one of the project's packages: no pip advice (a typosquatting invitation), the facts
    with pytest.raises(MissingPlugin, match="no attribute or framework adapter named 'lightgbm'"):
        tiffin.models.get("other").load_model()


def test_unknown_tag_is_not_found() -> None:
    with pytest.raises(NotFound):
        tiffin.sklearn.load_model("never_saved:latest")


def test_load_model_takes_no_unknown_arguments(clf) -> None:
    tiffin.sklearn.save_model("iris_clf", clf)
    with pytest.raises(InvalidArgument, match="no extra arguments"):
        tiffin.sklearn.load_model("iris_clf", device_id="cuda:0")


def test_save_model_refuses_unknown_keyword_arguments(clf) -> None:
    with pytest.raises(InvalidArgument, match=r"unexpected keyword arguments \['compress'\]"):
        tiffin.sklearn.save_model("iris_clf", clf, compress=3)
    assert tiffin.models.list("iris_clf") == []


def test_an_unpicklable_pipeline_is_a_clear_error_and_stores_nothing(iris) -> None:
    from sklearn.preprocessing import FunctionTransformer

    x, y = iris
    pipeline = make_pipeline(FunctionTransformer(lambda a: a), LogisticRegression(max_iter=500))
    pipeline.fit(x, y)
    with pytest.raises(InvalidArgument, match=r"cannot be pickled.*module level"):
        tiffin.sklearn.save_model("lambda_pipe", pipeline)
    assert tiffin.models.list() == []


def test_a_created_model_asked_of_an_adapter_names_the_right_call() -> None:
    with tiffin.models.create("custom_thing") as created:
        (created.path / "weights.bin").write_bytes(b"\0")
    model = created
    with pytest.raises(InvalidArgument) as caught:
        tiffin.sklearn.get(model.tag)
    assert "tiffin.models.get" in str(caught.value)
    assert "tiffin.custom" not in str(caught.value)
