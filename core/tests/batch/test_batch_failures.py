"""Failing rows a user could lose without noticing: a text cell in a numeric CSV column, a job
where most rows fail, and a model sent every column because ``--columns`` was left out."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest


def _csv(path: Path, iris, rows: int, bad: tuple[int, ...]) -> Path:
    """An iris CSV with ``id``; the rows in ``bad`` hold the text ``5.1cm`` as sepal length."""
    table = iris.table(rows)
    lines = ["id," + iris.COLUMNS]
    for row in table.to_pylist():
        cells = [str(row["id"])] + [repr(row[name]) for name in iris.FEATURES]
        if row["id"] in bad:
            cells[1] = "5.1cm"
        lines.append(",".join(cells))
    path.write_text("\n".join(lines) + "\n")
    return path


def _batch(cli, service_dir: Path, source: Path, out: Path, *args: str):
    return cli(
        "batch", "service.py:svc", "classify", "-i", str(source), "-o", str(out),
        "--columns", "sepal_length,sepal_width,petal_length,petal_width", "--keep-columns", "id",
        *args, cwd=service_dir,
    )  # fmt: skip


def test_a_text_cell_in_a_numeric_csv_column_fails_its_row_only(
    cli, iris, service_dir, tmp_path
) -> None:
    source = _csv(tmp_path / "in.csv", iris, 10, bad=(3,))
    out = tmp_path / "out.parquet"
    done = _batch(cli, service_dir, source, out, "--on-error", "skip")
    assert done.returncode == 0, done.stderr
    assert "1 skipped" in done.stdout and "wrote 9 rows" in done.stdout
    table = pq.read_table(out)
    assert table.column("id").to_pylist() == [i for i in range(10) if i != 3]
    good = iris.table(10).filter([i != 3 for i in range(10)])
    assert table.column("classify").to_pylist() == iris.expected_labels(good)


def test_on_error_fail_blames_the_row_with_the_text_cell(cli, iris, service_dir, tmp_path) -> None:
    source = _csv(tmp_path / "in.csv", iris, 10, bad=(6,))
    done = _batch(cli, service_dir, source, tmp_path / "out.parquet")
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "input row 6 (id=6) failed" in lines[0]
    assert "column 'sepal_length' holds '5.1cm', where a number was expected" in lines[0]
    assert not (tmp_path / "out.parquet").exists()


def test_on_error_null_keeps_the_bad_row_with_its_error(cli, iris, service_dir, tmp_path) -> None:
    source = _csv(tmp_path / "in.csv", iris, 10, bad=(0,))
    out = tmp_path / "out.parquet"
    done = _batch(cli, service_dir, source, out, "--on-error", "null")
    assert done.returncode == 0, done.stderr
    rows = pq.read_table(out).to_pylist()
    assert [r["error"] is not None for r in rows] == [True] + [False] * 9
    assert rows[0]["classify"] is None and "'5.1cm'" in rows[0]["error"]


@pytest.mark.parametrize("on_error", ["skip", "null"])
def test_every_row_failing_is_a_failed_job_and_writes_nothing(
    cli, iris, service_dir, tmp_path, on_error
) -> None:
    source = _csv(tmp_path / "in.csv", iris, 3, bad=(0, 1, 2))
    out = tmp_path / "out.parquet"
    done = _batch(cli, service_dir, source, out, "--on-error", on_error)
    assert done.returncode == 1, done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "every row failed (3 of 3): nothing was written" in lines[0]
    assert "first: input row 0: column 'sepal_length' holds '5.1cm'" in lines[0]
    assert not out.exists()


def test_more_than_max_failed_fraction_fails_the_job(cli, iris, service_dir, tmp_path) -> None:
    source = _csv(tmp_path / "in.csv", iris, 10, bad=(1, 2, 4, 5, 7, 8))
    out = tmp_path / "out.parquet"
    done = _batch(cli, service_dir, source, out, "--on-error", "skip")
    assert done.returncode == 1
    assert "6 of 10 rows failed, more than --max-failed-fraction 0.5" in done.stderr
    assert "first: input row 1:" in done.stderr
    assert not out.exists()
    done = _batch(
        cli, service_dir, source, out, "--on-error", "skip", "--max-failed-fraction", "0.6"
    )
    assert done.returncode == 0, done.stderr
    assert pq.read_table(out).column("id").to_pylist() == [0, 3, 6, 9]


def test_max_failed_fraction_out_of_range_is_one_line(cli, iris, service_dir, tmp_path) -> None:
    source = _csv(tmp_path / "in.csv", iris, 3, bad=())
    done = _batch(cli, service_dir, source, tmp_path / "o.parquet", "--max-failed-fraction", "2")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "error: --max-failed-fraction must be a number from 0 to 1, got 2.0"
    ]


def test_without_columns_the_error_names_the_columns_sent(cli, iris, service_dir, tmp_path) -> None:
    pq.write_table(iris.table(5), tmp_path / "in.parquet")
    done = cli(
        "batch", "service.py:svc", "classify", "-i", str(tmp_path / "in.parquet"),
        "-o", str(tmp_path / "out.parquet"), cwd=service_dir,
    )  # fmt: skip
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "input row 0 failed" in lines[0]
    assert (
        "without --columns the API was sent every input column: id, sepal_length, sepal_width, "
        "petal_length, petal_width; choose the ones it takes with --columns a,b,c"
    ) in lines[0]


def test_a_dataframe_api_fails_only_the_row_with_the_text_cell(
    cli, iris, service_dir, tmp_path
) -> None:
    source = _csv(tmp_path / "in.csv", iris, 10, bad=(4,))
    out = tmp_path / "out.parquet"
    done = cli(
        "batch", "service.py:svc", "classify_frame", "-i", str(source), "-o", str(out),
        "--keep-columns", "id", "--on-error", "skip", cwd=service_dir,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    table = pq.read_table(out)
    assert table.column("id").to_pylist() == [i for i in range(10) if i != 4]
    good = iris.table(10).filter([i != 4 for i in range(10)])
    assert table.column("classify_frame").to_pylist() == iris.expected_labels(good)
