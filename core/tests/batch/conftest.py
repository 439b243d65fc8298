"""A plain numpy service (no framework plugin), and Parquet/CSV/JSON Lines inputs for it."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]

SERVICE = textwrap.dedent(
    """
    import numpy as np
    import tiffin
    from tiffin.io import JSON, NumpyNdarray, PandasDataFrame

    WEIGHTS = np.array([[0.5, -1.0, 0.2], [0.25, 2.0, -0.3], [-0.75, 0.5, 1.1], [1.0, 0.125, 0.9]])
    FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


    class Linear(tiffin.Runnable):
        SUPPORTED_RESOURCES = ("cpu",)
        SUPPORTS_CPU_MULTI_THREADING = True

        @tiffin.Runnable.method(batchable=True, batch_dim=0)
        def predict(self, x):
            x = np.asarray(x, dtype=np.float64)
            if (x[:, 0] < 0).any():  # a poisoned row: its sepal length is negative
                raise ValueError("negative sepal length")
            return np.argmax(x @ WEIGHTS, axis=1)

        @tiffin.Runnable.method(batchable=True, batch_dim=0)
        def scores(self, x):
            return np.asarray(x, dtype=np.float64) @ WEIGHTS


    runner = tiffin.Runner(Linear, name="linear", max_batch_size=64)
    svc = tiffin.Service("iris_like", runners=[runner])


    @svc.api(input=NumpyNdarray(), output=NumpyNdarray())
    def classify(x):
        return runner.predict.run(x)


    @svc.api(input=NumpyNdarray(), output=NumpyNdarray())
    def scores(x):
        return runner.scores.run(x)


    @svc.api(input=PandasDataFrame(), output=NumpyNdarray())
    def classify_frame(df):
        return runner.predict.run(df[FEATURES].to_numpy())


    @svc.api(input=JSON(), output=JSON())
    async def classify_json(row):
        features = np.array([[row[name] for name in FEATURES]])
        label = await runner.predict.async_run(features)
        return {"label": int(label[0]), "petals": row["petal_length"] + row["petal_width"]}
    """
)


@pytest.fixture
def service_dir(tmp_path: Path) -> Path:
    """A folder holding service.py (``svc``, four APIs over one numpy runner)."""
    folder = tmp_path / "svc"
    folder.mkdir()
    (folder / "service.py").write_text(SERVICE)
    return folder


class Iris:
    """Iris-shaped data for batch tests (a fixture: test modules here cannot import conftest)."""

    FEATURES = FEATURES
    COLUMNS = ",".join(FEATURES)
    WEIGHTS = np.array([[0.5, -1.0, 0.2], [0.25, 2.0, -0.3], [-0.75, 0.5, 1.1], [1.0, 0.125, 0.9]])

    @staticmethod
    def table(rows: int, start: int = 0, seed: int = 0, poison: tuple[int, ...] = ()) -> Any:
        """``id`` and four float features; ``poison`` rows (by id) fail to predict."""
        rng = np.random.default_rng(seed + start)
        values = rng.uniform(0.1, 8.0, size=(rows, 4))
        for row in poison:
            values[row - start, 0] = -1.0
        columns = {"id": np.arange(start, start + rows, dtype=np.int64)}
        columns.update({name: values[:, i] for i, name in enumerate(FEATURES)})
        return pa.table(columns)

    @classmethod
    def write_parquet(cls, path: Path, rows: int, chunk: int = 1_000_000) -> Path:
        """``rows`` rows written in chunks, so a big file never sits in memory whole."""
        with pq.ParquetWriter(path, cls.table(1).schema) as writer:
            for start in range(0, rows, chunk):
                writer.write_table(cls.table(min(chunk, rows - start), start=start))
        return path

    @classmethod
    def expected_labels(cls, table: Any) -> list[int]:
        """What the service's ``classify`` answers, computed here with the same weights."""
        x = np.column_stack([table.column(n).to_numpy() for n in FEATURES])
        return np.argmax(x @ cls.WEIGHTS, axis=1).tolist()


@pytest.fixture(scope="session")
def iris() -> type[Iris]:
    return Iris
