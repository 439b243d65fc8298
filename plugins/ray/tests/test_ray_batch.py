"""The Ray engine on a small local cluster: the local engine's answers, a killed actor retried."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

import tiffin
from tiffin.batch import BatchJob, run

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
pytest.importorskip("ray")
pytest.importorskip("tiffin_sklearn")

# Ray starts worker processes by the dozen: on a loaded 2-core machine a job takes minutes
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

COLUMNS = ("sepal_length", "sepal_width", "petal_length", "petal_width")


def _job(source: Path, output: Path, **options) -> BatchJob:
    defaults = dict(columns=COLUMNS, keep_columns=("id",), batch_size=500, workers=2)
    return BatchJob("iris_batch:latest", "classify", input=str(source), output=str(output), **{**defaults, **options})  # fmt: skip


def test_ray_gives_the_local_engines_answers(ray_cluster, iris_bento, iris_table, tmp_path) -> None:
    source = tmp_path / "in.parquet"
    pq.write_table(iris_table(6_000), source, row_group_size=1_000)
    local = run(_job(source, tmp_path / "local.parquet"))
    on_ray = run(_job(source, tmp_path / "ray.parquet", engine="ray"))
    assert on_ray.engine == "ray" and on_ray.rows_out == local.rows_out == 6_000
    expected = pq.read_table(tmp_path / "local.parquet")
    assert expected.column("id").to_pylist() == list(range(6_000))
    assert pq.read_table(tmp_path / "ray.parquet").equals(expected)

    folder = tmp_path / "ray-parts"
    run(_job(source, folder, engine="ray"))
    names = sorted(p.name for p in folder.iterdir())
    assert names[0] == "_SUCCESS" and all(n.startswith("part-") for n in names[1:])
    parts = [pq.read_table(folder / n) for n in names[1:]]
    assert pa.concat_tables(parts).equals(expected)  # parts in input order, nothing else left


def test_the_python_api_scores_a_dataset(ray_cluster, iris_bento, iris_table) -> None:
    import numpy as np

    import tiffin_ray

    table = iris_table(1_000)
    dataset = ray_cluster.data.from_arrow(table).repartition(4)  # a block per actor and more
    scored = tiffin_ray.batch(
        "iris_batch:latest", "proba", dataset, columns=list(COLUMNS), keep_columns=["id"]
    ).to_arrow_refs()
    result = pa.concat_tables(ray_cluster.get(scored))
    assert result.column_names == ["id", "proba_0", "proba_1", "proba_2"]
    svc = tiffin.load("iris_batch:latest")
    for runner in svc.runners:
        runner.init_local()
    x = np.column_stack([table.column(c).to_numpy() for c in COLUMNS])
    expected = svc.apis["proba"].func(x)
    got = np.column_stack([result.column(f"proba_{i}").to_numpy() for i in range(3)])
    assert result.column("id").to_pylist() == list(range(1_000))
    np.testing.assert_allclose(got, expected)


def test_a_killed_actor_is_restarted_and_no_row_is_lost_or_doubled(
    ray_cluster, iris_bento, iris_table, marks, tmp_path
) -> None:
    for old in marks.iterdir():
        old.unlink()
    (marks / "delay").write_text("0.2")
    source = tmp_path / "in.parquet"
    rows = 12_000
    pq.write_table(iris_table(rows), source, row_group_size=500)
    killed: list[int] = []

    def kill_one() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            pids = [int(p.name[4:]) for p in marks.glob("pid-*")]
            if pids:
                time.sleep(0.5)  # mid-job: it has scored a batch and is scoring more
                os.kill(pids[0], signal.SIGKILL)
                killed.append(pids[0])
                return
            time.sleep(0.05)

    killer = threading.Thread(target=kill_one)
    killer.start()
    try:
        result = run(_job(source, tmp_path / "out.parquet", engine="ray"))
    finally:
        killer.join()
        (marks / "delay").unlink()
    assert killed, "no actor started scoring"
    pids = {int(p.name[4:]) for p in marks.glob("pid-*")}
    assert len(pids) > 2, f"the killed actor was not replaced: {pids}"  # 2 actors + a restart
    assert result.rows_out == rows
    out = pq.read_table(tmp_path / "out.parquet")
    assert out.column("id").to_pylist() == list(range(rows))  # complete, in order, no duplicate


def test_the_cli_starts_a_local_cluster(cli, iris_bento, iris_table, tmp_path) -> None:
    source = tmp_path / "in.csv"
    import pyarrow.csv as pacsv

    pacsv.write_csv(iris_table(300), source)
    out = tmp_path / "out.jsonl"
    done = cli(
        "batch", "iris_batch:latest", "classify", "--engine", "ray", "--workers", "1",
        "-i", str(source), "-o", str(out), "--columns", ",".join(COLUMNS), "--keep-columns", "id",
        env={"RAY_ADDRESS": ""}, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "scored 300 rows" in done.stdout and "ray engine" in done.stdout
    import json

    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["id"] for line in lines] == list(range(300))
    assert {line["classify"] for line in lines} <= {0, 1, 2}
