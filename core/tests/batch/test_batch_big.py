"""The local engine on 8 million rows: bounded memory, order kept, answers as the API's; and a
job killed mid-run leaves no output behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import orjson
import pyarrow.parquet as pq
import pytest

ROWS = 8_000_000
PEAK_RSS_LIMIT = 600 * 1024 * 1024

#: Runs one command and prints its peak RSS (bytes): this wrapper's only child is the job.
MEASURE = (
    "import resource, subprocess, sys\n"
    "code = subprocess.call(sys.argv[1:])\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


@pytest.fixture(scope="module")
def big_parquet(tmp_path_factory: pytest.TempPathFactory, iris) -> Path:
    """8M iris-shaped rows (an id and four float64 features: 320 MB of values)."""
    return iris.write_parquet(tmp_path_factory.mktemp("big") / "iris-8m.parquet", ROWS)


def _command(service_dir: Path, source: Path, out: Path, columns: str) -> list[str]:
    return [
        sys.executable, "-m", "tiffin", "batch", "service.py:svc", "classify",
        "--input", str(source), "--output", str(out),
        "--columns", columns, "--keep-columns", "id", "--batch-size", "8192",
    ]  # fmt: skip


@pytest.mark.slow
def test_eight_million_rows_in_bounded_memory(iris, big_parquet, service_dir, tmp_path) -> None:
    out = tmp_path / "scored.parquet"
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, *_command(service_dir, big_parquet, out, iris.COLUMNS)],
        cwd=service_dir,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr
    peak = int(done.stderr.strip().splitlines()[-1])
    assert peak < PEAK_RSS_LIMIT, f"peak RSS {peak / 2**20:.0f} MiB"
    assert "scored 8,000,000 rows" in done.stdout

    scored = pq.ParquetFile(out)
    assert scored.metadata.num_rows == ROWS
    ids = pq.read_table(out, columns=["id"]).column("id").to_numpy()
    assert np.array_equal(ids, np.arange(ROWS))  # input order kept, no row lost or doubled

    from tiffin._service._oneshot import call_api
    from tiffin._target import resolve_target

    svc = resolve_target("service.py:svc", service_dir)
    sample = np.random.default_rng(7).choice(ROWS, size=40, replace=False)
    rows = pq.read_table(big_parquet).take(sample).to_pylist()
    labels = pq.read_table(out, columns=["classify"]).column("classify").take(sample).to_pylist()
    for row, label in zip(rows, labels, strict=True):
        body = orjson.dumps([[row[name] for name in iris.FEATURES]])
        assert orjson.loads(call_api(svc, "classify", body)) == [label], row["id"]


def _writing(pid: int, folder: Path) -> bool:
    """Whether process ``pid`` holds a file open in ``folder`` (its unnamed output)."""
    try:
        links = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
    except OSError:
        return False
    return any(link.startswith(str(folder)) for link in links)


@pytest.mark.slow
@pytest.mark.parametrize("output", ["scored.parquet", "scored"])
def test_a_killed_job_leaves_no_half_written_output(
    iris, big_parquet, service_dir, tmp_path, output
) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / output
    job = subprocess.Popen(
        _command(service_dir, big_parquet, out, iris.COLUMNS),
        cwd=service_dir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 300
        # a single file: until it is being written (unnamed); a folder: until a part is published
        while not (
            (out / "part-00000.parquet").exists()
            if output == "scored"
            else _writing(job.pid, out_dir)
        ):
            assert job.poll() is None, "the job ended before it was killed"
            assert time.monotonic() < deadline, "the job never started writing"
            time.sleep(0.05)
        time.sleep(0.5)
        assert job.poll() is None
        job.send_signal(signal.SIGKILL)
        job.wait(timeout=30)
    finally:
        if job.poll() is None:
            job.kill()
            job.wait()
    files = sorted(p.relative_to(out_dir).as_posix() for p in out_dir.rglob("*"))
    if output.endswith(".parquet"):
        assert files == []
    else:  # published parts are whole; no _SUCCESS marker, no temporary file
        assert "scored/_SUCCESS" not in files
        for name in files:
            if name == "scored":
                continue
            assert name.startswith("scored/part-") and name.endswith(".parquet"), files
            assert pq.ParquetFile(out_dir / name).metadata.num_rows == 1_000_000
