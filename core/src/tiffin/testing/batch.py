"""The batch engine kit: a plugin's test subclasses :class:`BatchEngineContract`.

::

    from tiffin.testing import BatchEngineContract

    class TestSparkEngine(BatchEngineContract):
        engine = "spark"

        def job_options(self):          # extra BatchJob arguments for this engine (optional)
            return {"address": "local[2]"}

Every test runs the same job on the built-in ``local`` engine and on the engine under test, on a
small numpy service built into a bento, and expects the same rows in the same order: plain
scoring, and each ``on_error`` mode (``fail``, ``skip``, ``null``) with poisoned rows. Needs
pyarrow (``tiffin batch`` does too).
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any, ClassVar

import pytest

__all__ = ["BatchEngineContract"]

SERVICE = textwrap.dedent(
    """
    import numpy as np
    import tiffin
    from tiffin.io import JSON, NumpyNdarray

    WEIGHTS = np.array([[0.5, -1.0, 0.2], [0.25, 2.0, -0.3], [-0.75, 0.5, 1.1], [1.0, 0.125, 0.9]])
    FEATURES = ["f0", "f1", "f2", "f3"]


    class Linear(tiffin.Runnable):
        SUPPORTED_RESOURCES = ("cpu",)
        SUPPORTS_CPU_MULTI_THREADING = True

        @tiffin.Runnable.method(batchable=True, batch_dim=0)
        def predict(self, x):
            x = np.asarray(x, dtype=np.float64)
            if (x[:, 0] < 0).any():  # a poisoned row: a negative first feature
                raise ValueError("negative first feature")
            return np.argmax(x @ WEIGHTS, axis=1)


    runner = tiffin.Runner(Linear, name="linear", max_batch_size=64)
    svc = tiffin.Service("engine_contract", runners=[runner])


    @svc.api(input=NumpyNdarray(), output=NumpyNdarray())
    def classify(x):
        return runner.predict.run(x)


    @svc.api(input=JSON(), output=JSON())
    async def classify_json(row):
        features = np.array([[row[name] for name in FEATURES]])
        label = await runner.predict.async_run(features)
        return {"label": int(label[0])}
    """
)
FEATURES = ["f0", "f1", "f2", "f3"]
POISONED = (17, 600, 601)  # ids, so rows must stay above 601


class BatchEngineContract:
    """Conformance tests for a batch engine; subclass and set :attr:`engine`."""

    #: the engine's name, as ``tiffin batch --engine NAME`` takes it
    engine: ClassVar[str] = ""
    #: rows in each test's input
    rows: ClassVar[int] = 1_000

    def job_options(self) -> dict[str, Any]:
        """Extra :class:`tiffin.batch.BatchJob` arguments for the engine under test
        (``address``, ``workers``); the local engine gets none of them."""
        return {}

    # -- helpers -------------------------------------------------------------------------------

    def _name(self) -> str:
        if not self.engine:
            pytest.fail(f"{type(self).__name__} must set engine = '<name>' (its registered name)")
        return self.engine

    @pytest.fixture
    def bento_tag(self, tmp_path: Path) -> str:
        import tiffin

        project = tmp_path / "engine-contract"
        project.mkdir()
        (project / "service.py").write_text(SERVICE)
        (project / "bentofile.yaml").write_text('service: "service.py:svc"\ninclude: ["*.py"]\n')
        return str(tiffin.build(build_ctx=project).tag)

    def _input(self, folder: Path, poison: tuple[int, ...] = ()) -> str:
        import numpy as np
        import pyarrow as pa
        import pyarrow.parquet as pq

        values = np.random.default_rng(7).uniform(0.1, 8.0, size=(self.rows, 4))
        for row in poison:
            values[row, 0] = -1.0
        columns: dict[str, Any] = {"id": np.arange(self.rows, dtype=np.int64)}
        columns.update({name: values[:, i] for i, name in enumerate(FEATURES)})
        path = folder / ("poisoned.parquet" if poison else "input.parquet")
        pq.write_table(pa.table(columns), path)
        return str(path)

    def _run(self, engine: str, bento: str, api: str, source: str, out: Path, **kw: Any) -> Any:
        from tiffin.batch import BatchJob, run

        options = {"columns": FEATURES} if api == "classify" else {}
        if engine != "local":
            options.update(self.job_options())
        options.update(kw)
        return run(
            BatchJob(
                bento, api, input=source, output=str(out), engine=engine, batch_size=100,
                keep_columns=("id",), progress=False, **options,
            )
        )  # fmt: skip

    def _both(self, bento: str, api: str, source: str, folder: Path, **kw: Any) -> Any:
        import pyarrow.parquet as pq

        local = self._run("local", bento, api, source, folder / "local.parquet", **kw)
        mine = self._run(self._name(), bento, api, source, folder / "engine.parquet", **kw)
        expected = pq.read_table(folder / "local.parquet").to_pylist()
        got = pq.read_table(folder / "engine.parquet").to_pylist()
        return local, mine, expected, got

    # -- the contract --------------------------------------------------------------------------

    def test_engine_is_registered_and_typed(self) -> None:
        from tiffin import _plugins
        from tiffin.hookspecs import BatchEngine

        engines = _plugins.batch_engines()
        assert self._name() in engines, (
            f"no batch engine {self.engine!r} is registered (registered: {sorted(engines)}). "
            f"Fix: register an instance in register_batch_engines and check the entry point"
        )
        assert isinstance(engines[self.engine], BatchEngine), (
            f"{engines[self.engine]!r} is no tiffin.hookspecs.BatchEngine: it needs name and run(job)"
        )

    def test_same_answers_as_the_local_engine_in_order(self, bento_tag: str, tmp_path) -> None:
        source = self._input(tmp_path)
        local, mine, expected, got = self._both(bento_tag, "classify", source, tmp_path)
        assert [r["id"] for r in got] == list(range(self.rows)), (
            "the output rows are not in input order (or some are missing or doubled). Fix: write "
            "each batch's result to job.open_sink() in the order of job.sources()"
        )
        assert got == expected, (
            "the engine's predictions differ from the local engine's. Fix: score each Arrow batch "
            "with job.scorer().score(batch), as the local engine does"
        )
        assert (
            (mine.rows_in, mine.rows_out)
            == (local.rows_in, local.rows_out)
            == (self.rows, self.rows)
        ), f"BatchResult counts {mine.rows_in}/{mine.rows_out} should be {self.rows}/{self.rows}"
        assert mine.engine == self.engine, "BatchResult.engine must name the engine"

    def test_on_error_fail_names_the_row_and_writes_nothing(self, bento_tag, tmp_path) -> None:
        from tiffin.exceptions import TiffinError

        source = self._input(tmp_path, POISONED)
        out = tmp_path / "engine.parquet"
        with pytest.raises(TiffinError) as caught:
            self._run(self._name(), bento_tag, "classify", source, out, on_error="fail")
        message = str(caught.value)
        assert "negative first feature" in message and "\n" not in message.strip(), (
            f"on_error='fail' must raise one TiffinError line with the row's error; got "
            f"{message!r}. Fix: let the scorer's RowFailed reach the user as a TiffinError"
        )
        assert not out.exists(), (
            "on_error='fail' left an output behind. Fix: write through job.open_sink(), which "
            "commits only when the job succeeds"
        )

    def test_on_error_skip_leaves_the_same_rows_out(self, bento_tag, tmp_path) -> None:
        source = self._input(tmp_path, POISONED)
        local, mine, expected, got = self._both(
            bento_tag, "classify", source, tmp_path, on_error="skip"
        )
        assert got == expected, (
            "with on_error='skip' the engine's rows differ from the local engine's. Fix: drop "
            "exactly the rows the scorer reports as failed, keeping the others in order"
        )
        assert mine.skipped == local.skipped == len(POISONED), (
            f"BatchResult.skipped is {mine.skipped}, expected {len(POISONED)}"
        )

    def test_on_error_null_keeps_every_row_with_its_error(self, bento_tag, tmp_path) -> None:
        source = self._input(tmp_path, POISONED)
        local, mine, expected, got = self._both(
            bento_tag, "classify_json", source, tmp_path, on_error="null"
        )
        assert [r["id"] for r in got] == list(range(self.rows)), (
            "with on_error='null' every row must be written, in input order"
        )
        failed = [r["id"] for r in got if r.get("error") is not None]
        assert failed == list(POISONED), (
            f"rows {failed} carry an error; expected {list(POISONED)}. Fix: write the scorer's "
            f"null rows with their error column, as the local engine does"
        )
        strip = [{k: v for k, v in r.items() if k != "error"} for r in got]
        assert strip == [{k: v for k, v in r.items() if k != "error"} for r in expected]
        assert mine.failed == local.failed == len(POISONED)
