"""One small local Ray cluster for the session, and an sklearn iris bento to score with."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest_plugins = ["tiffin.testing.fixtures", "tiffin.testing.skips"]

FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]

SERVICE = textwrap.dedent(
    '''
    import os
    import time

    import numpy as np

    import tiffin
    from tiffin.io import NumpyNdarray

    runner = tiffin.sklearn.get("iris_clf:latest").to_runner()
    svc = tiffin.Service("iris_batch", runners=[runner])


    def _mark():
        """Tests watch the processes that score (to kill one) and may slow them down."""
        folder = os.environ.get("TIFFIN_TEST_MARKS")
        if folder and os.path.isdir(folder):
            open(os.path.join(folder, f"pid-{os.getpid()}"), "a").close()
            delay = os.path.join(folder, "delay")
            if os.path.exists(delay):
                time.sleep(float(open(delay).read()))


    @svc.api(input=NumpyNdarray(), output=NumpyNdarray())
    def classify(x):
        _mark()
        return runner.predict.run(x)


    @svc.api(input=NumpyNdarray(), output=NumpyNdarray())
    def proba(x):
        return runner.predict_proba.run(x)
    '''
)


@pytest.fixture(scope="session")
def marks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder the service drops ``pid-N`` files into (and reads ``delay`` from)."""
    return tmp_path_factory.mktemp("marks")


@pytest.fixture(scope="session")
def ray_cluster(marks: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    ray = pytest.importorskip("ray")
    # a local cluster's workers inherit the driver's environment (no runtime_env agent needed)
    saved = {k: os.environ.get(k) for k in ("TIFFIN_TEST_MARKS", "TIFFIN_RAY_CACHE")}
    os.environ["TIFFIN_TEST_MARKS"] = str(marks)
    os.environ["TIFFIN_RAY_CACHE"] = str(tmp_path_factory.mktemp("ray-cache"))
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture
def iris_bento(tmp_path: Path) -> Any:
    """An iris classifier bento (sklearn) in this test's store: ``iris_batch:latest``."""
    from sklearn import datasets, linear_model

    import tiffin

    iris = datasets.load_iris()
    clf = linear_model.LogisticRegression(max_iter=500).fit(iris.data, iris.target)
    tiffin.sklearn.save_model(
        "iris_clf",
        clf,
        signatures={"predict": {"batchable": True}, "predict_proba": {"batchable": True}},
    )
    project = tmp_path / "project"
    project.mkdir()
    (project / "service.py").write_text(SERVICE)
    (project / "bentofile.yaml").write_text('service: "service.py:svc"\ninclude: ["*.py"]\n')
    return tiffin.build(build_ctx=project)


def iris_rows(rows: int, seed: int = 0) -> Any:
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    values = rng.uniform([4.3, 2.0, 1.0, 0.1], [7.9, 4.4, 6.9, 2.5], size=(rows, 4))
    columns = {"id": np.arange(rows, dtype=np.int64)}
    columns.update({name: values[:, i] for i, name in enumerate(FEATURES)})
    return pa.table(columns)


@pytest.fixture(scope="session")
def iris_table() -> Any:
    """``iris_table(rows)``: an ``id`` column and the four iris measurements."""
    return iris_rows
