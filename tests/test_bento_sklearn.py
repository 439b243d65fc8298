"""The iris example end to end as a bento: build, serve by tag, move to an empty store, serve again,
and a Docker context that installs tiffin and tiffin-sklearn from wheels."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import httpx
import pytest

import tiffin

pytest.importorskip("sklearn")
pytest.importorskip("tiffin_sklearn")

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "iris"
SAMPLE = [[5.9, 3.0, 5.1, 1.8], [5.1, 3.5, 1.4, 0.2]]


@pytest.fixture
def iris_bento(tmp_path):
    from sklearn import datasets, svm

    iris = datasets.load_iris()
    clf = svm.SVC(gamma="scale").fit(iris.data, iris.target)
    tiffin.sklearn.save_model("iris_clf", clf, signatures={"predict": {"batchable": True}})
    project = tmp_path / "iris"
    shutil.copytree(EXAMPLE, project)
    return tiffin.build(build_ctx=project)


def classify(server) -> list:
    response = httpx.post(server.url + "/classify", json=SAMPLE, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def test_iris_bento_carries_the_sklearn_plugin_and_model(iris_bento):
    assert iris_bento.tag.name == "iris_classifier"
    assert [m.framework for m in iris_bento.info.models] == ["sklearn"]
    reqs = (iris_bento.path / "env/python/requirements.txt").read_text().splitlines()
    assert any(r.startswith("tiffin-sklearn==") for r in reqs)
    assert any(r.startswith("scikit-learn==") for r in reqs)
    files = {f.path for f in iris_bento.info.files}
    assert "src/service.py" in files and "src/quickstart.py" not in files


def test_iris_bento_serves_from_anywhere_and_after_import_into_an_empty_store(
    iris_bento, serve, tmp_path
):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    first = classify(serve("iris_classifier:latest", cwd=elsewhere))
    assert first == [2, 0]

    archive = tmp_path / "iris.bento"
    tiffin.export_bento("iris_classifier:latest", str(archive))
    empty = tmp_path / "empty_home"
    done = subprocess_import(archive, empty)
    assert done.returncode == 0, done.stderr
    assert (
        classify(serve(str(iris_bento.tag), cwd=elsewhere, env={"TIFFIN_HOME": str(empty)}))
        == first
    )


def subprocess_import(archive: Path, home: Path):
    from tiffin.testing.fixtures import run_cli

    return run_cli("import", str(archive), env={"TIFFIN_HOME": str(home)})


def test_iris_docker_context_has_wheels_of_tiffin_and_the_plugin(iris_bento, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent) + os.pathsep + str(tmp_path))
    from tiffin._bento._containerize import containerize

    result = containerize(str(iris_bento.tag), output=tmp_path / "ctx")

    names = sorted(result.wheels)
    assert any(n.startswith("tiffin-") for n in names)
    assert any(n.startswith("tiffin_sklearn-") for n in names), names
    assert (result.context / "env/python/requirements.txt").is_file()
