"""Class-style services across packages: a service ported from BentoML's documentation, the
registry workflow (a model pushed from one store, named with ``BentoModel`` and pulled on
start in another), and BentoML's own HTTP clients calling tiffin servers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import tiffin

pytestmark = pytest.mark.slow

IRIS_ROW = [[5.9, 3.0, 5.1, 1.8]]


def _train() -> Any:
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    X, y = load_iris(return_X_y=True)
    return LogisticRegression(max_iter=1000).fit(X, y)


# BentoML's documented class service (its "iris classifier" example, with Annotated validators),
# with `bentoml` replaced by `tiffin` and nothing else changed.
BENTOML_DOC_SERVICE = """
from __future__ import annotations

import numpy as np
from typing import Annotated

import bentoml
from bentoml.validators import DType, Shape


@bentoml.service(resources={"cpu": "1"}, traffic={"timeout": 10})
class IrisClassifier:
    bento_model = bentoml.models.BentoModel("iris_clf:latest")

    def __init__(self):
        self.model = bentoml.sklearn.load_model(self.bento_model)

    @bentoml.api
    def classify(
        self, input_series: Annotated[np.ndarray, Shape((-1, 4)), DType("float32")]
    ) -> np.ndarray:
        return self.model.predict(input_series)
"""


def test_a_service_from_bentomls_docs_serves_builds_and_answers(
    tmp_path: Path, serve: Any, cli: Any
) -> None:
    saved = tiffin.sklearn.save_model("iris_clf", _train())
    # every framework's load_model takes a BentoModel, as well as a Model or a tag
    loaded = tiffin.sklearn.load_model(tiffin.models.BentoModel("iris_clf:latest"))
    assert (
        loaded.predict(IRIS_ROW).tolist()
        == tiffin.sklearn.load_model(saved).predict(IRIS_ROW).tolist()
    )
    project = tmp_path / "project"
    project.mkdir()
    (project / "service.py").write_text(BENTOML_DOC_SERVICE.replace("bentoml", "tiffin"))
    server = serve("service:IrisClassifier", cwd=project)
    r = httpx.post(f"{server.url}/classify", json={"input_series": IRIS_ROW})
    assert (r.status_code, r.json()) == (200, [2])  # what BentoML answers for this row
    r = httpx.post(f"{server.url}/classify", json={"input_series": [[1, 2, 3]]})
    assert r.status_code == 400 and "input_series" in r.json()["error"]
    server.stop()
    done = cli("build", "--service", "service:IrisClassifier", "-o", "json", cwd=project)
    assert done.returncode == 0, done.stderr
    bento = tiffin.get("irisclassifier:latest")
    assert [m.tag.split(":")[0] for m in bento.info.models] == ["iris_clf"]
    server = serve(str(bento.path), cwd=tmp_path)
    r = httpx.post(f"{server.url}/classify", json={"input_series": IRIS_ROW})
    assert (r.status_code, r.json()) == (200, [2])


REGISTRY_SERVICE = """
import numpy as np
import tiffin


@tiffin.service(resources={{"cpu": "1"}}, traffic={{"timeout": 10, "max_concurrency": 64}}, workers=1)
class IrisClassifier:
    bento_model = tiffin.models.BentoModel("{tag}")

    def __init__(self) -> None:
        self.model = tiffin.sklearn.load_model(self.bento_model)

    @tiffin.api
    def classify(self, input_series: np.ndarray) -> np.ndarray:
        return self.model.predict(input_series)

    @tiffin.api(batchable=True, batch_dim=0, max_batch_size=64, max_latency_ms=20)
    def classify_batch(self, input_series: np.ndarray) -> np.ndarray:
        return self.model.predict(input_series)
"""


def test_a_pushed_model_is_pulled_on_start_and_its_bento_needs_no_registry(
    tmp_path: Path,
    start_registry_factory: Any,
    serve: Any,
    cli: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    registry = start_registry_factory()
    monkeypatch.setenv("TIFFIN_REGISTRY_URL", registry.url)
    # the data scientist's store: save, label, push (chosen versions such as v1_approved come
    # with their own issue; the generated version is used until then)
    model = tiffin.sklearn.save_model("sentiment_model", _train(), labels={"stage": "candidate"})
    done = cli("models", "push", str(model.tag))
    assert done.returncode == 0, done.stderr

    # a notebook with an empty store: BentoModel pulls too, not only under `tiffin serve`
    monkeypatch.setenv("TIFFIN_HOME", str(tmp_path / "notebook-home"))
    pulled = tiffin.models.BentoModel(str(model.tag)).resolve()
    assert pulled.tag == model.tag and pulled.path.is_relative_to(tmp_path / "notebook-home")

    # the deployment: an empty store, the registry configured
    deploy_home = tmp_path / "deploy-home"
    project = tmp_path / "project"
    project.mkdir()
    (project / "service.py").write_text(REGISTRY_SERVICE.format(tag=model.tag))
    env = {"TIFFIN_HOME": str(deploy_home), "TIFFIN_REGISTRY_URL": registry.url}
    server = serve("service.py:IrisClassifier", cwd=project, env=env)
    r = httpx.post(f"{server.url}/classify", json={"input_series": IRIS_ROW})
    assert (r.status_code, r.json()) == (200, [2])
    r = httpx.post(f"{server.url}/classify_batch", json={"input_series": IRIS_ROW})
    assert (r.status_code, r.json()) == (200, [2])
    assert "pulling it from" in server.stop()
    assert (deploy_home / "models" / "sentiment_model" / model.tag.version).is_dir()

    done = cli(
        "build", "--service", "service.py:IrisClassifier", "-o", "json", cwd=project, env=env
    )
    assert done.returncode == 0, done.stderr
    bento_dir = next((deploy_home / "bentos" / "irisclassifier").iterdir())
    spec = (bento_dir / "bento.yaml").read_text()
    assert str(model.tag) in spec

    # anywhere else: no registry, an empty store; the bento carries its model
    bare = {"TIFFIN_HOME": str(tmp_path / "bare-home"), "TIFFIN_REGISTRY_URL": ""}
    monkeypatch.delenv("TIFFIN_REGISTRY_URL")
    server = serve(str(bento_dir), cwd=tmp_path, env=bare)
    r = httpx.post(f"{server.url}/classify", json={"input_series": IRIS_ROW})
    assert (r.status_code, r.json()) == (200, [2])


# -- BentoML's own clients ------------------------------------------------------------------------

BENTOML_SPEC = "bentoml==1.4.39"  # 1.4.40 asks for a certifi newer than this registry holds


@pytest.fixture(scope="session")
def bentoml_python() -> Path:
    """A venv of its own with the real ``bentoml`` (its pins clash with ours): reused from
    ``$TIFFIN_BENTOML_VENV`` when it already holds bentoml, else created there (bounded)."""
    default = Path.home() / ".cache" / "tiffin-tests" / "bentoml-venv"
    venv = Path(os.environ.get("TIFFIN_BENTOML_VENV") or default)
    python = venv / "bin" / "python"
    check = [str(python), "-c", "import bentoml, numpy, PIL"]
    if python.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return python
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    done = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", BENTOML_SPEC, "pillow"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, f"installing {BENTOML_SPEC} failed:\n{done.stderr[-3000:]}"
    return python


CLASS_SERVICE = """
from pathlib import Path

import numpy as np
import PIL.Image
import tiffin


@tiffin.service
class Summer:
    @tiffin.api
    def total(self, input_series: np.ndarray) -> np.ndarray:
        return input_series.sum(axis=1)

    @tiffin.api(batchable=True)
    def doubled(self, input_series: np.ndarray) -> np.ndarray:
        return input_series * 2

    @tiffin.api
    async def greet(self, name: str, times: int = 1) -> str:
        return " ".join(["hi " + name] * times)

    @tiffin.api
    def count(self, n: int):
        for i in range(n):
            yield f"{i};"

    @tiffin.api
    def size(self, upload: Path, note: str = "") -> dict:
        return {"size": upload.stat().st_size, "note": note}

    @tiffin.api
    def flip(self, image: PIL.Image.Image) -> PIL.Image.Image:
        return image.transpose(PIL.Image.Transpose.FLIP_LEFT_RIGHT)
"""

LEGACY_SERVICE = """
import tiffin
from tiffin.io import JSON, NumpyNdarray, Text

svc = tiffin.Service("legacy")


@svc.api(input=NumpyNdarray(), output=NumpyNdarray())
def total(x):
    return x.sum(axis=1)


@svc.api(input=Text(), output=JSON())
def words(text):
    return {"words": len(text.split())}
"""

BENTOML_CALLS = """
import json, pathlib, sys
import numpy as np
import PIL.Image
import bentoml

out = {}
with bentoml.SyncHTTPClient(sys.argv[1]) as client:
    out["total"] = client.total(input_series=np.array([[1.0, 2.0], [3.0, 4.0]])).tolist()
    out["doubled"] = client.doubled(input_series=np.array([[1.0, 2.0]])).tolist()
    out["greet"] = client.greet(name="ann", times=2)
    out["count"] = list(client.count(n=3))
    blob = pathlib.Path("blob.bin")
    blob.write_bytes(b"12345")
    out["size"] = client.size(upload=blob, note="hello")
    PIL.Image.new("RGB", (3, 2), (1, 2, 3)).save("in.png")
    out["flip"] = list(client.flip(image=PIL.Image.open("in.png")).size)


async def use_async():
    async with bentoml.AsyncHTTPClient(sys.argv[1]) as client:
        return (await client.total(input_series=np.array([[5.0, 5.0]]))).tolist()

import asyncio
out["async_total"] = asyncio.run(use_async())
legacy = bentoml.client.HTTPClient.from_url(sys.argv[2])
out["legacy_total"] = legacy.total(np.array([[1.0, 2.0]])).tolist()
out["legacy_words"] = legacy.words("a b c")
print(json.dumps(out))
"""


def test_bentomls_clients_call_tiffin_services(
    tmp_path: Path, serve: Any, bentoml_python: Path
) -> None:
    (tmp_path / "class_service.py").write_text(CLASS_SERVICE)
    (tmp_path / "legacy_service.py").write_text(LEGACY_SERVICE)
    (tmp_path / "calls.py").write_text(BENTOML_CALLS)
    modern = serve("class_service.py:Summer", cwd=tmp_path)
    legacy = serve("legacy_service.py:svc", cwd=tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["BENTOML_HOME"] = str(tmp_path / "bentoml-home")
    env["BENTOML_DO_NOT_TRACK"] = "True"
    done = subprocess.run(
        [str(bentoml_python), "calls.py", modern.url, legacy.url],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got == {
        "total": [3.0, 7.0],
        "doubled": [[2.0, 4.0]],
        "greet": "hi ann hi ann",
        "count": ["0;", "1;", "2;"],
        "size": {"size": 5, "note": "hello"},
        "flip": [3, 2],
        "async_total": [10.0],
        "legacy_total": [3.0],
        "legacy_words": {"words": 3},
    }


@pytest.fixture(autouse=True)
def _forget_user_modules() -> Iterator[None]:
    yield
    for name in ("service", "class_service", "legacy_service"):
        sys.modules.pop(name, None)
