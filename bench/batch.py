"""Rows/s of ``tiffin batch`` (local engine, and Ray on 2 CPUs) against a bare loop.

The floor is what a data scientist would write by hand over the same file: pyarrow reads the
Parquet file in its default batches, pandas makes a frame, ``model.predict`` scores it, and a
``ParquetWriter`` writes ``id`` and the prediction. Each system runs as its own process and is
timed end to end (start-up, model load, read, score, write), the systems interleaved, medians
of ``--rounds``. Prints rows/s and the ratio to the floor (target: local >= 0.7x)::

    .venv/bin/python bench/batch.py --rows 4000000 --rounds 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]

SERVICE = textwrap.dedent(
    """
    import tiffin
    from tiffin.io import NumpyNdarray

    runner = tiffin.sklearn.get("iris_clf:latest").to_runner()
    svc = tiffin.Service("iris_batch", runners=[runner])


    @svc.api(input=NumpyNdarray(), output=NumpyNdarray())
    def classify(x):
        return runner.predict.run(x)
    """
)

FLOOR = textwrap.dedent(
    """
    import sys

    import joblib
    import pyarrow as pa
    import pyarrow.parquet as pq

    source, model_path, out = sys.argv[1:4]
    features = sys.argv[4].split(",")
    model = joblib.load(model_path)
    writer = None
    for batch in pq.ParquetFile(source).iter_batches():
        frame = batch.to_pandas()
        labels = model.predict(frame[features].to_numpy())
        table = pa.table({"id": frame["id"].to_numpy(), "classify": labels})
        if writer is None:
            writer = pq.ParquetWriter(out, table.schema)
        writer.write_table(table)
    writer.close()
    """
)


def prepare(work: Path, rows: int) -> tuple[Path, Path]:
    import joblib
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq
    from sklearn import datasets, linear_model

    import tiffin

    iris = datasets.load_iris()
    clf = linear_model.LogisticRegression(max_iter=500).fit(iris.data, iris.target)
    tiffin.sklearn.save_model("iris_clf", clf, signatures={"predict": {"batchable": True}})
    joblib.dump(clf, work / "model.joblib")
    (work / "service.py").write_text(SERVICE)
    source = work / "iris.parquet"
    rng = np.random.default_rng(0)
    chunk = 1_000_000
    schema = None
    writer = None
    for start in range(0, rows, chunk):
        n = min(chunk, rows - start)
        values = rng.uniform([4.3, 2.0, 1.0, 0.1], [7.9, 4.4, 6.9, 2.5], size=(n, 4))
        table = pa.table(
            {"id": np.arange(start, start + n), **{f: values[:, i] for i, f in enumerate(FEATURES)}}
        )
        if writer is None:
            schema = table.schema
            writer = pq.ParquetWriter(source, schema)
        writer.write_table(table)
    writer.close()
    return source, work / "model.joblib"


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{command[:4]} failed:\n{done.stdout}\n{done.stderr}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=4_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1, help="tiffin batch --workers")
    parser.add_argument("--no-ray", action="store_true", help="skip the Ray engine")
    parser.add_argument("--ray-rows", type=int, default=200_000, help="rows for the Ray run")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="tiffin-bench-batch-") as tmp:
        work = Path(tmp)
        env = {**os.environ, "TIFFIN_HOME": str(work / "home"), "TIFFIN_PROGRESS": "0"}
        os.environ["TIFFIN_HOME"] = env["TIFFIN_HOME"]
        source, model = prepare(work, args.rows)
        floor_script = work / "floor.py"
        floor_script.write_text(FLOOR)
        python = sys.executable
        columns = ",".join(FEATURES)
        systems = {
            "bare pyarrow + pandas + model.predict (floor)": [
                python, str(floor_script), str(source), str(model), str(work / "floor.parquet"), columns,
            ],
            f"tiffin batch (local, --workers {args.workers})": [
                python, "-m", "tiffin", "batch", "service.py:svc", "classify", "-i", str(source),
                "-o", str(work / "tiffin.parquet"), "--columns", columns, "--keep-columns", "id",
                "--workers", str(args.workers), "--overwrite",
            ],
        }  # fmt: skip
        times: dict[str, list[float]] = {name: [] for name in systems}
        for _ in range(args.rounds):
            for name, command in systems.items():
                times[name].append(timed(command, work, env))
        floor_name = next(iter(systems))
        floor_rate = args.rows / statistics.median(times[floor_name])
        print(
            f"{args.rows:,} iris rows, {args.rounds} rounds, medians (whole process: start-up included)"
        )
        print("| system | rows | seconds | rows/s | vs floor |\n|---|---:|---:|---:|---:|")
        for name, seconds in times.items():
            rate = args.rows / statistics.median(seconds)
            print(
                f"| {name} | {args.rows:,} | {statistics.median(seconds):.2f} | {rate:,.0f} | {rate / floor_rate:.2f}x |"
            )
        if not args.no_ray:
            import pyarrow.parquet as pq

            small = work / "small.parquet"
            pq.write_table(pq.read_table(source).slice(0, args.ray_rows), small)
            command = [
                python, "-m", "tiffin", "batch", "service.py:svc", "classify", "--engine", "ray",
                "--workers", "2", "-i", str(small), "-o", str(work / "ray.parquet"),
                "--columns", columns, "--keep-columns", "id", "--overwrite",
            ]  # fmt: skip
            seconds = timed(command, work, {**env, "RAY_ADDRESS": ""})
            rate = args.ray_rows / seconds
            print(
                f"| tiffin batch --engine ray (local cluster, 2 CPUs, 2 actors) | {args.ray_rows:,} | "
                f"{seconds:.2f} | {rate:,.0f} | {rate / floor_rate:.2f}x |"
            )


if __name__ == "__main__":
    main()
