"""``tiffin batch`` as users run it: the CLI in a subprocess, real files in, real files out."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest


def _api_row_by_row(service_dir: Path, api: str, rows: list[dict], features: list[str]) -> list:
    """The answers of ``api`` for each row, sent one at a time as an HTTP body would be."""
    from tiffin._service._oneshot import call_api
    from tiffin._target import resolve_target

    svc = resolve_target("service.py:svc", service_dir)
    answers = []
    for row in rows:
        if api == "classify_json":
            body = orjson.dumps(row)
        elif api == "classify_frame":
            body = orjson.dumps([row])
        else:
            body = orjson.dumps([[row[name] for name in features]])
        answers.append(orjson.loads(call_api(svc, api, body)))
    return answers


def _batch(cli, service_dir: Path, *args: str):
    return cli("batch", "service.py:svc", *args, cwd=service_dir)


def test_parquet_to_parquet_keeps_order_and_matches_the_api(
    cli, iris, service_dir, tmp_path
) -> None:
    source = iris.write_parquet(tmp_path / "in.parquet", 5_000, chunk=1_200)
    out = tmp_path / "out.parquet"
    done = _batch(
        cli, service_dir, "classify", "-i", str(source), "-o", str(out),
        "--columns", iris.COLUMNS, "--keep-columns", "id", "--batch-size", "700", "--workers", "3",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "scored 5,000 rows" in done.stdout and str(out) in done.stdout
    table = pq.read_table(out)
    assert table.column_names == ["id", "classify"]
    assert table.column("id").to_pylist() == list(range(5_000))
    inputs = pq.read_table(source)
    assert table.column("classify").to_pylist() == iris.expected_labels(inputs)
    sample = inputs.take([0, 1, 699, 700, 2_500, 4_999]).to_pylist()
    online = _api_row_by_row(service_dir, "classify", sample, iris.FEATURES)
    assert [answer[0] for answer in online] == [
        table.column("classify")[row["id"]].as_py() for row in sample
    ]


def test_several_values_per_prediction_get_numbered_columns(
    cli, iris, service_dir, tmp_path
) -> None:
    source = iris.write_parquet(tmp_path / "in.parquet", 300)
    out = tmp_path / "scores.parquet"
    done = _batch(
        cli, service_dir, "scores", "-i", str(source), "-o", str(out), "--columns", iris.COLUMNS
    )
    assert done.returncode == 0, done.stderr
    table = pq.read_table(out)
    assert table.column_names == ["scores_0", "scores_1", "scores_2"]
    sample = pq.read_table(source).take([7]).to_pylist()
    online = _api_row_by_row(service_dir, "scores", sample, iris.FEATURES)[0][0]
    assert [table.column(f"scores_{i}")[7].as_py() for i in range(3)] == pytest.approx(online)


def test_a_dataframe_api_gets_the_frame(cli, iris, service_dir, tmp_path) -> None:
    source = iris.write_parquet(tmp_path / "in.parquet", 1_000)
    out = tmp_path / "out.parquet"
    done = _batch(
        cli, service_dir, "classify_frame", "-i", str(source), "-o", str(out),
        "--keep-columns", "id", "--batch-size", "128",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    table = pq.read_table(out)
    assert table.column("classify_frame").to_pylist() == iris.expected_labels(pq.read_table(source))


def test_csv_in_jsonl_out_through_a_json_api(cli, iris, service_dir, tmp_path) -> None:
    inputs = iris.table(400)
    source = tmp_path / "in.csv"
    pacsv.write_csv(inputs, source)
    out = tmp_path / "out.jsonl"
    done = _batch(
        cli, service_dir, "classify_json", "-i", str(source), "-o", str(out),
        "--keep-columns", "id", "--batch-size", "150",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["id"] for line in lines] == list(range(400))
    assert set(lines[0]) == {"id", "classify_json_label", "classify_json_petals"}
    assert [line["classify_json_label"] for line in lines] == iris.expected_labels(inputs)
    sample = inputs.take([3, 399]).to_pylist()
    online = _api_row_by_row(service_dir, "classify_json", sample, iris.FEATURES)
    assert [lines[3]["classify_json_label"], lines[399]["classify_json_label"]] == [
        answer["label"] for answer in online
    ]


def test_jsonl_folder_in_csv_out(cli, iris, service_dir, tmp_path) -> None:
    folder = tmp_path / "days"
    folder.mkdir()
    for day, start in (("2026-12-01", 0), ("2026-12-02", 250)):
        rows = iris.table(250, start=start).to_pylist()
        (folder / f"{day}.jsonl").write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    (folder / "_SUCCESS").write_text("")  # markers and hidden files are not input
    out = tmp_path / "out.csv"
    done = _batch(
        cli, service_dir, "classify", "-i", str(folder), "-o", str(out),
        "--columns", iris.COLUMNS, "--keep-columns", "id",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    table = pacsv.read_csv(out)
    assert table.column("id").to_pylist() == list(range(500))


def test_a_glob_in_and_a_folder_of_parts_out(cli, iris, service_dir, tmp_path) -> None:
    for i in range(3):
        pq.write_table(iris.table(100, start=100 * i), tmp_path / f"in-{i}.parquet")
    out = tmp_path / "scored"
    done = _batch(
        cli, service_dir, "classify", "-i", str(tmp_path / "in-*.parquet"), "-o", str(out),
        "--columns", iris.COLUMNS, "--keep-columns", "id",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == ["_SUCCESS", "part-00000.parquet"]
    assert pq.read_table(out / "part-00000.parquet").column("id").to_pylist() == list(range(300))


# -- failing rows ---------------------------------------------------------------------------------


@pytest.fixture
def poisoned(tmp_path: Path, iris) -> Path:
    path = tmp_path / "poisoned.parquet"
    pq.write_table(iris.table(1_000, poison=(17, 600, 601)), path)
    return path


def test_on_error_fail_names_the_row_and_writes_nothing(
    cli, iris, service_dir, tmp_path, poisoned
) -> None:
    out = tmp_path / "out.parquet"
    done = _batch(
        cli, service_dir, "classify", "-i", str(poisoned), "-o", str(out),
        "--columns", iris.COLUMNS, "--keep-columns", "id", "--batch-size", "100",
    )  # fmt: skip
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "input row 17 (id=17)" in lines[0] and "negative sepal length" in lines[0]
    assert "Traceback" not in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["poisoned.parquet", "svc"]


def test_on_error_skip_leaves_failing_rows_out(cli, iris, service_dir, tmp_path, poisoned) -> None:
    out = tmp_path / "out.parquet"
    done = _batch(
        cli, service_dir, "classify", "-i", str(poisoned), "-o", str(out),
        "--columns", iris.COLUMNS, "--keep-columns", "id", "--on-error", "skip", "--batch-size", "100",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "3 skipped" in done.stdout
    table = pq.read_table(out)
    assert table.column("id").to_pylist() == [i for i in range(1_000) if i not in (17, 600, 601)]
    good = pq.read_table(poisoned).filter(pa.compute.greater(pa.compute.field("sepal_length"), 0))
    assert table.column("classify").to_pylist() == iris.expected_labels(good)


def test_on_error_null_keeps_rows_with_their_error(
    cli, iris, service_dir, tmp_path, poisoned
) -> None:
    out = tmp_path / "out.parquet"
    done = _batch(
        cli, service_dir, "classify_json", "-i", str(poisoned), "-o", str(out),
        "--keep-columns", "id", "--on-error", "null",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "3 with errors" in done.stdout
    rows = pq.read_table(out).to_pylist()
    assert [r["id"] for r in rows] == list(range(1_000))
    bad = [r for r in rows if r["error"] is not None]
    assert [r["id"] for r in bad] == [17, 600, 601]
    assert all(r["classify_json_label"] is None for r in bad)
    assert "negative sepal length" in bad[0]["error"]
    assert all(r["classify_json_label"] is not None for r in rows if r["error"] is None)


# -- user mistakes: one line, nothing written -----------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["classify", "-i", "{tmp}/missing.parquet"], "missing.parquet: no such file or folder"),
        (["nope", "-i", "{tmp}/in.parquet"], "has no API 'nope' (its APIs: classify"),
        (["classify", "-i", "{tmp}/in.parquet", "--columns", "a,b"], "--columns names 'a', 'b'"),
        (
            ["classify", "-i", "{tmp}/in.parquet", "--engine", "spark"],
            "no batch engine named 'spark' is installed (installed: local",
        ),
        (["classify", "-i", "{tmp}/in.parquet", "--engine", "locale"], "did you mean 'local'?"),
        (
            ["classify", "-i", "{tmp}/in.parquet", "--on-error", "ignore"],
            "--on-error must be one of",
        ),
        (["classify", "-i", "{tmp}/in.parquet", "--address", "x:1"], "--engine ray"),
        (["classify", "-i", "{tmp}/in.txt"], "cannot tell the format"),
        (["classify", "-i", "{tmp}/bad.parquet"], "bad.parquet is not readable as parquet"),
    ],
)
def test_mistakes_are_one_line_and_create_no_output(
    cli, iris, service_dir, tmp_path, args, message
) -> None:
    pq.write_table(iris.table(10), tmp_path / "in.parquet")
    (tmp_path / "in.txt").write_text("1,2\n")
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 this is not parquet")
    before = sorted(p.name for p in tmp_path.iterdir())
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    done = _batch(cli, service_dir, *args, "-o", str(tmp_path / "out.parquet"))
    assert done.returncode == 1, done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_an_existing_output_is_kept_unless_overwrite(cli, iris, service_dir, tmp_path) -> None:
    pq.write_table(iris.table(10), tmp_path / "in.parquet")
    out = tmp_path / "out.parquet"
    out.write_bytes(b"precious")
    args = [
        "classify",
        "-i",
        str(tmp_path / "in.parquet"),
        "-o",
        str(out),
        "--columns",
        iris.COLUMNS,
    ]
    done = _batch(cli, service_dir, *args)
    assert done.returncode == 1 and "--overwrite" in done.stderr
    assert out.read_bytes() == b"precious"
    done = _batch(cli, service_dir, *args, "--overwrite")
    assert done.returncode == 0, done.stderr
    assert pq.read_table(out).num_rows == 10


def test_without_pyarrow_one_line_says_what_to_install(service_dir, tmp_path) -> None:
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['pyarrow'] = None; from tiffin.cli import main; "
        "main(['batch', 'service.py:svc', 'classify', '-i', 'x.parquet', '-o', 'y.parquet'])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=service_dir, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert done.stderr.strip().count("\n") == 0
    assert "pip install 'tiffin[batch]'" in done.stderr


def test_engine_ray_without_tiffin_ray_names_the_package(cli, iris, service_dir, tmp_path) -> None:
    from importlib.metadata import entry_points

    pq.write_table(iris.table(10), tmp_path / "in.parquet")
    # with tiffin-ray installed, disable it; without it, naming it would warn of a typo
    installed = any(ep.name == "ray" for ep in entry_points(group="tiffin"))
    done = cli(
        "batch", "service.py:svc", "classify", "--engine", "ray",
        "-i", str(tmp_path / "in.parquet"), "-o", str(tmp_path / "out.parquet"),
        cwd=service_dir, env={"TIFFIN_DISABLE_PLUGINS": "ray" if installed else ""},
    )  # fmt: skip
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    if installed:
        assert len(lines) == 1 and lines[0].startswith("error: the batch engine 'ray' (tiffin-ray")
        assert "is installed but disabled by TIFFIN_DISABLE_PLUGINS" in lines[0]
    else:
        assert lines == [
            "error: no batch engine named 'ray' is installed (installed: local); install it "
            "with: pip install tiffin-ray"
        ]
    assert not (tmp_path / "out.parquet").exists()
