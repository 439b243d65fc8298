"""A bento reproduces without Docker: its env/python/install.sh sets up a fresh virtual environment
that serves it.

One bento each for scikit-learn, XGBoost (its scikit-learn API), PyTorch and ONNX (the iris
model converted with skl2onnx, served by ONNX Runtime) models; each is
written out with ``tiffin containerize --no-build`` (which adds wheels of tiffin and its plugins,
not yet on a package index, to env/python/wheels/), installed by its own install.sh into one
fresh venv from another working directory, then served from that venv by a real
``tiffin serve`` process that answers a real prediction.

pip finds everything else the usual way (on these machines, pip's configuration serves CPU
torch from a local wheel).
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import httpx
import numpy
import pytest

import tiffin
from tiffin.testing.fixtures import ServerProcess, run_cli

pytestmark = [pytest.mark.slow, pytest.mark.timeout(3600)]  # four installs; slow on a busy host

SAMPLE = [[5.9, 3.0, 5.1, 1.8], [5.1, 3.5, 1.4, 0.2]]

SERVICE = """
import tiffin
from tiffin.io import NumpyNdarray

runner = tiffin.{fw}.get("{model}:latest").to_runner()
svc = tiffin.Service("{model}_svc", runners=[runner])


@svc.api(input=NumpyNdarray(dtype="float32"), output=NumpyNdarray())
def predict(x):
    return {call}(x)
"""


def _iris():
    from sklearn import datasets

    iris = datasets.load_iris()
    return iris.data.astype("float32"), iris.target


def _save_sklearn():
    from sklearn.linear_model import LogisticRegression

    x, y = _iris()
    model = LogisticRegression(max_iter=500).fit(x, y)
    tiffin.sklearn.save_model("iris_sk", model)
    return "sklearn", "iris_sk", model.predict(SAMPLE).tolist()


def _save_xgboost():
    import xgboost

    x, y = _iris()
    model = xgboost.XGBClassifier(n_estimators=5, max_depth=2).fit(x, y)
    tiffin.xgboost.save_model("iris_xgb", model)
    return "xgboost", "iris_xgb", model.predict(SAMPLE).tolist()


def _save_torch():
    import torch

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, 3))
    tiffin.torch.save_model("iris_net", net, signatures={"__call__": {"batchable": True}})
    with torch.no_grad():
        return "torch", "iris_net", net(torch.tensor(SAMPLE)).tolist()


def _save_onnx():
    from skl2onnx import to_onnx
    from sklearn.linear_model import LogisticRegression

    x, y = _iris()
    model = LogisticRegression(max_iter=500).fit(x, y)
    graph = to_onnx(model, x[:1], options={id(model): {"zipmap": False}})
    del graph.graph.output[1:]  # the label only: the API answers one array
    tiffin.onnx.save_model("iris_onnx", graph)
    return "onnx", "iris_onnx", model.predict(SAMPLE).tolist()


def _build_context(tmp_path: Path, save) -> tuple[Path, str, list]:
    fw, model, expected = save()
    project = tmp_path / f"project_{fw}"
    project.mkdir()
    # XGBClassifier's runner has predict and predict_proba; the torch module's has one method
    call = "runner.run" if fw in ("torch", "onnx") else "runner.predict.run"
    (project / "service.py").write_text(SERVICE.format(fw=fw, model=model, call=call))
    bento = tiffin.build("service.py:svc", build_ctx=project)
    context = tmp_path / f"context_{fw}"
    done = run_cli(
        "containerize", str(bento.tag), "--output", str(context), "--no-build", timeout=900
    )
    assert done.returncode == 0, done.stderr
    assert (context / "env" / "python" / "install.sh").is_file()
    return context, f"{model}_svc", expected


def test_bentos_install_into_a_fresh_venv_and_serve(tmp_path: Path) -> None:
    pytest.importorskip("tiffin_sklearn")
    pytest.importorskip("tiffin_xgboost")
    pytest.importorskip("tiffin_torch")
    pytest.importorskip("tiffin_onnx")
    savers = (_save_sklearn, _save_xgboost, _save_torch, _save_onnx)
    contexts = [_build_context(tmp_path, save) for save in savers]

    xgb_reqs = (contexts[1][0] / "env/python/requirements.txt").read_text().splitlines()
    assert any(line.startswith("scikit-learn==") for line in xgb_reqs)  # XGBClassifier needs it
    torch_reqs = (contexts[2][0] / "env/python/requirements.txt").read_text()
    assert "torch==" in torch_reqs and "+cpu" not in torch_reqs
    onnx_reqs = (contexts[3][0] / "env/python/requirements.txt").read_text()
    assert "tiffin-onnx==" in onnx_reqs and "scikit-learn" not in onnx_reqs  # a graph needs no sklearn

    env_dir = tmp_path / "fresh venv"
    venv.create(env_dir, with_pip=True)
    bin_dir = env_dir / "bin"
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")},
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "TIFFIN_HOME": str(tmp_path / "served_home"),
    }
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for context, _, _ in contexts:
        done = subprocess.run(
            # --no-compile: the server compiles what it imports; byte-compiling all of torch,
            # xgboost and scikit-learn up front costs the suite tens of seconds for nothing
            ["sh", str(context / "env" / "python" / "install.sh"), "--quiet", "--no-compile"],
            cwd=elsewhere,
            env=env,
            capture_output=True,
            text=True,
            timeout=2400,
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    probe = subprocess.run(
        [str(bin_dir / "python"), "-c", "import tiffin, sys; print(tiffin.__file__)"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert probe.returncode == 0 and str(env_dir) in probe.stdout, probe.stderr  # not our checkout

    for context, _name, expected in contexts:
        server = ServerProcess(str(context), cwd=elsewhere, env=env, timeout=120, python=str(bin_dir / "python"))
        try:
            answer = httpx.post(server.url + "/predict", json=SAMPLE, timeout=60)
            assert answer.status_code == 200, answer.text + server.output()
            got = answer.json()
            if isinstance(expected[0], list):
                numpy.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
            else:
                assert got == expected
        finally:
            server.stop()
    assert sys.executable != str(bin_dir / "python")
