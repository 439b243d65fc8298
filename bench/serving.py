"""Serving benchmark: tiffin vs a bare Starlette handler vs BentoML 1.4, measured in one run.

    python bench/serving.py                 # everything (installs wrk and BentoML where missing)
    python bench/serving.py --no-bentoml    # skip BentoML
    python bench/serving.py --duration 10 --concurrency 1,8,32,128 --rounds 3

It trains the iris LogisticRegression once, then serves the same model from

  (a) tiffin at its default settings, the guide's 1.0-style service (runners from
      ``tiffin.sklearn.get(...).to_runner()``, ``NumpyNdarray`` in and out), ``tiffin serve``,
      with four APIs measured as four systems: a sync and an async API function, each with a
      plain runner and with a batchable one (``signatures={"predict": {"batchable": True}}``);
  (b) a bare Starlette handler (``np.asarray(await request.json())``, ``model.predict``,
      ``JSONResponse``) run by uvicorn from the same venv (same uvicorn extras), one worker, no
      access log: the floor of this stack;
  (c) BentoML 1.4 (installed into its own venv under ``bench/.venv-bentoml``, never a dependency
      of tiffin), 1.0-style service, with and without batching;

and loads each with ``wrk`` on loopback at every concurrency, interleaving the systems so that
machine drift hits them alike (each round starting with another system). Then (d) runner
scaling: a runnable without ``SUPPORTS_CPU_MULTI_THREADING`` (the iris model, and a
GIL-holding pure-Python one) served in-process (``TIFFIN_RUNNER_WORKERS=0``) vs tiffin's
default (one worker per CPU), at c=32; (e) a batching-bound model (one call at a time, 10 ms
per call whatever the batch size) at c=64, batched vs unbatched; and (f) the time from
``tiffin serve`` (and bare uvicorn, and ``bentoml serve``) to the first 200, each loading the
same one model. It prints tables and the ratios.

With ``tiffin-onnx`` and ``skl2onnx`` installed (``--no-onnx`` skips it), the same server also
serves the same iris model converted to ONNX (skl2onnx, float32 graph), through
``tiffin.onnx.get(...).to_runner()``, as two more systems beside the scikit-learn adapter's:
``tiffin onnx sync`` (plain runner) and ``tiffin onnx batch sync`` (batchable), each compared
with the scikit-learn API of the same shape.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import httpx
from _common import IRIS_SERVICE, ensure_wrk, free_port, wrk_figures

HERE = Path(__file__).resolve().parent
BODY = "[[5.9, 3, 5.1, 1.8]]"
BENTOML_VERSION = "1.4.40"  # the version the serving targets name
BENTOML_SPEC = f"bentoml=={BENTOML_VERSION}"


def ensure_bentoml(venv: Path) -> Path | None:
    python = venv / "bin" / "python"
    ok = (
        python.exists()
        and subprocess.run(
            [
                str(python),
                "-c",
                f"import bentoml, sklearn; assert bentoml.__version__ == {BENTOML_VERSION!r}",
            ],
            capture_output=True,
        ).returncode
        == 0
    )
    if not ok:
        print(f"installing {BENTOML_SPEC} into {venv} (its own venv) ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        result = subprocess.run(
            [str(python), "-m", "pip", "install", "-q", BENTOML_SPEC, "scikit-learn"],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            print(
                f"BentoML could not be installed; skipping it:\n{result.stderr[-2000:]}",
                file=sys.stderr,
            )
            return None
    return python


class Server:
    """A server process started by a shell-free command, ready once ``probe`` answers 200."""

    def __init__(
        self,
        label: str,
        cmd: list[str],
        cwd: Path,
        env: dict[str, str],
        port: int,
        route: str = "/classify",
        body: str = BODY,
    ) -> None:
        self.label, self.port, self.route, self.body = label, port, route, body
        self.url = f"http://127.0.0.1:{port}"
        started = time.perf_counter()
        self.log = open(cwd / f"{label.replace(' ', '_').replace('/', '_')}.log", "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            cmd, cwd=cwd, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.first_200_s = self._wait(started)

    def _wait(self, started: float, timeout: float = 120) -> float:
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=5) as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{self.label} exited early; see {self.log.name}")
                try:
                    r = client.post(
                        self.url + self.route,
                        content=self.body,
                        headers={"content-type": "application/json"},
                    )
                    if r.status_code == 200:
                        return time.perf_counter() - started
                except httpx.HTTPError:
                    pass
                time.sleep(0.01)
        raise RuntimeError(
            f"{self.label} did not answer 200 within {timeout}s; see {self.log.name}"
        )

    def stop(self) -> None:
        """Stop the server and every process it started (BentoML's runners outlive its main
        process for a while): a straggler still shutting down would slow the next measurement."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        deadline = time.monotonic() + 20
        while _group_alive(self.proc.pid):
            if time.monotonic() > deadline:
                os.killpg(self.proc.pid, signal.SIGKILL)
                deadline = time.monotonic() + 5
            time.sleep(0.05)
        self.log.close()


class Target:
    """One route of a running server, measured as its own system (several APIs share a server)."""

    def __init__(self, label: str, server: Server, route: str) -> None:
        self.label, self.server, self.route = label, server, route
        self.url, self.body, self.log = server.url, server.body, server.log
        self.port = f"{server.port}{route.replace('/', '_')}"


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def run_wrk(
    wrk: str, server: Server | Target, concurrency: int, duration: float, workdir: Path
) -> dict:
    """One wrk run; a run that yields no figures is reported on stderr and tried once more."""
    try:
        return _run_wrk(wrk, server, concurrency, duration, workdir)
    except RuntimeError as exc:
        print(f"warning: {exc}\ntrying once more", file=sys.stderr, flush=True)
        return _run_wrk(wrk, server, concurrency, duration, workdir)


def _run_wrk(
    wrk: str, server: Server | Target, concurrency: int, duration: float, workdir: Path
) -> dict:
    script = workdir / f"post_{server.port}.lua"
    script.write_text(
        f'wrk.method = "POST"\nwrk.body = {server.body!r}\n'.replace("'", '"')
        + 'wrk.headers["Content-Type"] = "application/json"\n'
    )
    threads = str(min(2, concurrency))
    cmd = [
        wrk,
        "-t",
        threads,
        "-c",
        str(concurrency),
        "-d",
        f"{max(1, round(duration))}s",
        "--latency",
        "--timeout",
        "10s",
        "-s",
        str(script),
        server.url + server.route,
    ]
    done = subprocess.run(cmd, capture_output=True, text=True)
    out = done.stdout
    figures = wrk_figures(out)
    if done.returncode != 0 or figures is None:
        # no answer at all within the run (a stalled server) leaves wrk without percentiles
        raise RuntimeError(
            f"wrk against {server.label} ({server.url + server.route}, c={concurrency}) gave no "
            f"latency figures; its output:\n{out}{done.stderr}\nserver log: {server.log.name}"
        )
    errors = re.search(r"Socket errors:.*", out)
    return {**figures, "socket_errors": errors.group(0) if errors else ""}


TIFFIN_SERVICE = """
import tiffin
from tiffin.io import NumpyNdarray

iris_clf_runner = tiffin.sklearn.get("iris_clf:latest").to_runner()
batch_runner = tiffin.sklearn.get("iris_clf_batch:latest").to_runner()
svc = tiffin.Service("iris_classifier", runners=[iris_clf_runner, batch_runner])

@svc.api(input=NumpyNdarray(), output=NumpyNdarray())
def classify(input_series):
    return iris_clf_runner.predict.run(input_series)

@svc.api(input=NumpyNdarray(), output=NumpyNdarray())
async def classify_async(input_series):
    return await iris_clf_runner.predict.async_run(input_series)

@svc.api(input=NumpyNdarray(), output=NumpyNdarray())
def classify_batch(input_series):
    return batch_runner.predict.run(input_series)

@svc.api(input=NumpyNdarray(), output=NumpyNdarray())
async def classify_batch_async(input_series):
    return await batch_runner.predict.async_run(input_series)
"""

SKLEARN_SVC = 'svc = tiffin.Service("iris_classifier", runners=[iris_clf_runner, batch_runner])'
ONNX_SVC = """onnx_runner = tiffin.onnx.get("iris_onnx:latest").to_runner()
onnx_batch_runner = tiffin.onnx.get("iris_onnx_batch:latest").to_runner()
svc = tiffin.Service(
    "iris_classifier", runners=[iris_clf_runner, batch_runner, onnx_runner, onnx_batch_runner]
)"""
ONNX_APIS = """

@svc.api(input=NumpyNdarray(), output=NumpyNdarray())
def classify_onnx(input_series):
    return onnx_runner.run(input_series)[0]   # outputs: (label, probabilities)

@svc.api(input=NumpyNdarray(), output=NumpyNdarray())
def classify_onnx_batch(input_series):
    return onnx_batch_runner.run(input_series)[0]
"""

#: the ONNX systems and the scikit-learn API each is compared with
ONNX_ROUTES = {
    "tiffin onnx sync": ("/classify_onnx", "tiffin sync"),
    "tiffin onnx batch sync": ("/classify_onnx_batch", "tiffin batch sync"),
}

SAVE_ONNX = """
import pickle, numpy as np, tiffin
from skl2onnx import to_onnx
m = pickle.load(open("model.pkl", "rb"))
graph = to_onnx(m, np.zeros((1, 4), dtype=np.float32), options={id(m): {"zipmap": False}})
tiffin.onnx.save_model("iris_onnx", graph, signatures={"run": {"batchable": False}})
tiffin.onnx.save_model("iris_onnx_batch", graph, signatures={"run": {"batchable": True}})
"""


def onnx_available() -> bool:
    probe = "import importlib.util as u, sys; sys.exit(not (u.find_spec('tiffin_onnx') and u.find_spec('skl2onnx')))"
    return subprocess.run([sys.executable, "-c", probe]).returncode == 0


SCALING_SERVICE = """
import pickle
import tiffin
from tiffin.io import NumpyNdarray

class IrisModel(tiffin.Runnable):
    # no SUPPORTS_CPU_MULTI_THREADING: runner scaling decides how many instances serve it
    SUPPORTED_RESOURCES = ("cpu",)

    def __init__(self):
        with open("model.pkl", "rb") as f:
            self.model = pickle.load(f)

    @tiffin.Runnable.method
    def predict(self, x):
        return self.model.predict(x)

class GilBound(tiffin.Runnable):
    # pure Python, holds the GIL for ~2 ms per call: threads cannot overlap it, processes can
    SUPPORTED_RESOURCES = ("cpu",)

    @tiffin.Runnable.method
    def predict(self, x):
        total = 0
        for i in range(60_000):
            total += i % 7
        return x.sum(axis=1) + (total % 2)

iris = tiffin.Runner(IrisModel, name="iris")
gil = tiffin.Runner(GilBound, name="gil")
svc = tiffin.Service("scaling", runners=[iris, gil])

@svc.api(input=NumpyNdarray(), output=NumpyNdarray())
async def classify(x):
    return await iris.predict.async_run(x)

@svc.api(input=NumpyNdarray(), output=NumpyNdarray())
async def gil_bound(x):
    return await gil.predict.async_run(x)
"""

COLD_SERVICE = IRIS_SERVICE

STARLETTE_APP = """
import pickle
import numpy as np
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

with open("model.pkl", "rb") as f:
    model = pickle.load(f)

async def classify(request):
    x = np.asarray(await request.json())
    return JSONResponse(model.predict(x).tolist())

app = Starlette(routes=[Route("/classify", classify, methods=["POST"])])
"""

BENTOML_SERVICE = """
import bentoml
from bentoml.io import NumpyNdarray

runner = bentoml.sklearn.get("{model}:latest").to_runner()
svc = bentoml.legacy.Service("iris_classifier", runners=[runner])

@svc.api(input=NumpyNdarray(), output=NumpyNdarray())
def classify(input_series):
    return runner.predict.run(input_series)
"""

SLOW_SERVICE = """
import threading, time
import numpy as np
import tiffin
from tiffin.io import NumpyNdarray

class OneAtATime(tiffin.Runnable):
    # stands in for an accelerator: one call at a time, 10 ms per call whatever the batch size
    SUPPORTED_RESOURCES = ("cpu",)
    SUPPORTS_CPU_MULTI_THREADING = True

    def __init__(self):
        self.lock = threading.Lock()

    @tiffin.Runnable.method(batchable=True, batch_dim=0)
    def batched(self, x):
        with self.lock:
            time.sleep(0.010)
        return x.sum(axis=1)

    @tiffin.Runnable.method(batchable=False)
    def unbatched(self, x):
        with self.lock:
            time.sleep(0.010)
        return x.sum(axis=1)

MAX_LATENCY_MS = 100
runner = tiffin.Runner(OneAtATime, name="one_at_a_time", max_batch_size=64, max_latency_ms=MAX_LATENCY_MS)
svc = tiffin.Service("batching_bound", runners=[runner])

@svc.api(input=NumpyNdarray(), output=NumpyNdarray())
async def batched(x):
    return await runner.batched.async_run(x)

@svc.api(input=NumpyNdarray(), output=NumpyNdarray())
async def unbatched(x):
    return await runner.unbatched.async_run(x)
"""


def prepare(
    workdir: Path, bentoml_python: Path | None, with_onnx: bool = False
) -> dict[str, dict[str, str]]:
    """Train once; save into tiffin's store, a pickle for Starlette, and BentoML's store."""
    envs: dict[str, dict[str, str]] = {}
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TIFFIN_", "BENTOML_"))}
    train = textwrap.dedent("""
        import pickle
        from sklearn.datasets import load_iris
        from sklearn.linear_model import LogisticRegression
        X, y = load_iris(return_X_y=True)
        clf = LogisticRegression(max_iter=1000).fit(X, y)
        with open("model.pkl", "wb") as f:
            pickle.dump(clf, f)
    """)
    subprocess.run([sys.executable, "-c", train], cwd=workdir, check=True)
    envs["tiffin"] = {**base, "TIFFIN_HOME": str(workdir / "tiffin_home")}
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import pickle, tiffin; m = pickle.load(open('model.pkl','rb')); "
            "tiffin.sklearn.save_model('iris_clf', m); "
            "tiffin.sklearn.save_model('iris_clf_batch', m, signatures={'predict': {'batchable': True}})",
        ],
        cwd=workdir,
        env=envs["tiffin"],
        check=True,
    )
    if with_onnx:
        subprocess.run(
            [sys.executable, "-c", SAVE_ONNX], cwd=workdir, env=envs["tiffin"], check=True
        )
    service = TIFFIN_SERVICE
    if with_onnx:  # the same server, two more runners and APIs
        service = service.replace(SKLEARN_SVC, ONNX_SVC) + ONNX_APIS
    (workdir / "tiffin_service.py").write_text(service)
    (workdir / "slow_service.py").write_text(SLOW_SERVICE)
    (workdir / "scaling_service.py").write_text(SCALING_SERVICE)
    (workdir / "cold_service.py").write_text(COLD_SERVICE)
    (workdir / "starlette_app.py").write_text(STARLETTE_APP)
    if bentoml_python is not None:
        envs["bentoml"] = {
            **base,
            "BENTOML_HOME": str(workdir / "bentoml_home"),
            "BENTOML_DO_NOT_TRACK": "true",
        }
        save = textwrap.dedent("""
            import pickle, bentoml
            clf = pickle.load(open("model.pkl", "rb"))
            bentoml.sklearn.save_model("iris_clf", clf)
            bentoml.sklearn.save_model("iris_clf_batch", clf, signatures={"predict": {"batchable": True}})
        """)
        subprocess.run(
            [str(bentoml_python), "-c", save],
            cwd=workdir,
            env=envs["bentoml"],
            check=True,
            capture_output=True,
        )
        for name, model in (
            ("bentoml_service.py", "iris_clf"),
            ("bentoml_batch_service.py", "iris_clf_batch"),
        ):
            (workdir / name).write_text(BENTOML_SERVICE.format(model=model))
    return envs


TIFFIN_ROUTES = {
    "tiffin sync": "/classify",
    "tiffin async": "/classify_async",
    "tiffin batch sync": "/classify_batch",
    "tiffin batch async": "/classify_batch_async",
}


def start_all(
    workdir: Path, envs: dict, bentoml_python: Path | None, with_onnx: bool = False
) -> tuple[list[Server], list[Target]]:
    servers: list[Server] = []
    targets: list[Target] = []
    tiffin_cmd = [sys.executable, "-m", "tiffin", "serve"]
    port = free_port()
    tiffin = Server(
        "tiffin",
        [*tiffin_cmd, "tiffin_service.py:svc", "--port", str(port)],
        workdir,
        envs["tiffin"],
        port,
    )
    servers.append(tiffin)
    targets += [Target(label, tiffin, route) for label, route in TIFFIN_ROUTES.items()]
    if with_onnx:
        targets += [Target(label, tiffin, route) for label, (route, _) in ONNX_ROUTES.items()]
    port = free_port()
    servers.append(
        Server(
            "starlette",
            [
                sys.executable,
                "-m",
                "uvicorn",
                "starlette_app:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                "1",
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            workdir,
            envs["tiffin"],
            port,
        )
    )
    targets.append(Target("starlette", servers[-1], "/classify"))
    if bentoml_python is not None:
        bentoml = str(bentoml_python.parent / "bentoml")
        for label, module in (
            ("bentoml", "bentoml_service"),
            ("bentoml batch", "bentoml_batch_service"),
        ):
            port = free_port()
            servers.append(
                Server(
                    label,
                    [bentoml, "serve", f"{module}:svc", "--host", "127.0.0.1", "--port", str(port)],
                    workdir,
                    envs["bentoml"],
                    port,
                )
            )
            targets.append(Target(label, servers[-1], "/classify"))
    return servers, targets


def runner_scaling(wrk: str, workdir: Path, envs: dict, duration: int, rounds: int) -> None:
    """Runnables without SUPPORTS_CPU_MULTI_THREADING: in-process (one instance behind a lock,
    ``TIFFIN_RUNNER_WORKERS=0``) vs tiffin's default, at c=32; prints a table."""
    setups = {"in-process (TIFFIN_RUNNER_WORKERS=0)": {"TIFFIN_RUNNER_WORKERS": "0"}, "default": {}}
    results: dict[tuple[str, str], list[dict]] = {}
    for _ in range(rounds):
        for setup, extra in setups.items():
            port = free_port()
            server = Server(
                "scaling " + setup.split()[0],
                [
                    sys.executable,
                    "-m",
                    "tiffin",
                    "serve",
                    "scaling_service.py:svc",
                    "--port",
                    str(port),
                ],
                workdir,
                {**envs["tiffin"], **extra},
                port,
            )
            try:
                for route in ("/classify", "/gil_bound"):
                    target = Target(setup, server, route)
                    run_wrk(wrk, target, 8, 1, workdir)
                    results.setdefault((setup, route), []).append(
                        run_wrk(wrk, target, 32, duration, workdir)
                    )
            finally:
                server.stop()
    print("\n| runner scaling, c=32 | runnable | req/s | p50 ms | p99 ms | non-2xx |")
    print("|---|---|---:|---:|---:|---:|")
    for (setup, route), rs in results.items():
        name = {"/classify": "iris (sklearn predict)", "/gil_bound": "GIL-holding Python, ~2 ms"}[
            route
        ]
        print(
            f"| {setup} | {name} | {statistics.median(r['rps'] for r in rs):,.0f} | "
            f"{statistics.median(r['p50'] for r in rs):.1f} | {statistics.median(r['p99'] for r in rs):.1f} | "
            f"{sum(r['non2xx'] for r in rs)} |"
        )
    for route in ("/classify", "/gil_bound"):
        base = statistics.median(r["rps"] for r in results[(next(iter(setups)), route)])
        new = statistics.median(r["rps"] for r in results[("default", route)])
        print(f"default / in-process req/s, {route}: {new / base:.2f}x")


def cold_starts(
    workdir: Path, envs: dict, bentoml_python: Path | None, runs: int
) -> dict[str, float]:
    """Median seconds from spawning the server to its first 200 on /classify."""
    commands = {
        "tiffin serve": (
            [sys.executable, "-m", "tiffin", "serve", "cold_service.py:svc", "--port"],
            "tiffin",
        ),
        "bare uvicorn": (
            [
                sys.executable,
                "-m",
                "uvicorn",
                "starlette_app:app",
                "--host",
                "127.0.0.1",
                "--no-access-log",
                "--port",
            ],
            "tiffin",
        ),
    }
    if bentoml_python is not None:
        commands["bentoml serve"] = (
            [
                str(bentoml_python.parent / "bentoml"),
                "serve",
                "bentoml_service:svc",
                "--host",
                "127.0.0.1",
                "--port",
            ],
            "bentoml",
        )
    samples: dict[str, list[float]] = {k: [] for k in commands}
    labels = list(commands)
    for run in range(runs):
        # interleaved, and each system goes first as often as the others (the machine's state
        # after the previous server's exit must not always favour the same one)
        order = labels[run % len(labels) :] + labels[: run % len(labels)]
        for label in order:
            cmd, env = commands[label]
            time.sleep(1)  # let the previous server's exit settle
            port = free_port()
            server = Server(label, [*cmd, str(port)], workdir, envs[env], port)
            samples[label].append(server.first_200_s)
            server.stop()
    return {k: statistics.median(v) for k, v in samples.items()}


def batching_bound(wrk: str, workdir: Path, envs: dict, duration: int, rounds: int) -> None:
    """(d): the one-call-at-a-time 10 ms model at c=64, batched vs unbatched; prints a table."""
    port = free_port()
    slow = Server(
        "batching-bound",
        [sys.executable, "-m", "tiffin", "serve", "slow_service.py:svc", "--port", str(port)],
        workdir,
        envs["tiffin"],
        port,
        route="/batched",
    )
    try:
        run_wrk(wrk, slow, 64, 2, workdir)
        batched, unbatched = [], []
        for _ in range(rounds):
            for route, results in (("/batched", batched), ("/unbatched", unbatched)):
                # when wrk stops, up to 64 unbatched calls are still queued behind the model's
                # lock (~0.7 s of work): let them drain, or the next batched run starts behind
                # them and its dispatcher rightly refuses calls it predicts to wait > 100 ms
                time.sleep(2)
                slow.route = route
                results.append(run_wrk(wrk, slow, 64, duration, workdir))
    finally:
        slow.stop()
    b_rps = statistics.median(r["rps"] for r in batched)
    u_rps = statistics.median(r["rps"] for r in unbatched)
    print("\n| batching-bound model, c=64 | req/s | p50 ms | p99 ms | non-2xx |")
    print("|---|---:|---:|---:|---:|")
    for label, rs in (("batched (max_latency_ms=100)", batched), ("unbatched", unbatched)):
        print(
            f"| {label} | {statistics.median(r['rps'] for r in rs):,.0f} | "
            f"{statistics.median(r['p50'] for r in rs):.1f} | {statistics.median(r['p99'] for r in rs):.1f} | "
            f"{sum(r['non2xx'] for r in rs)} |"
        )
    print(
        f"\nbatched/unbatched req/s: {b_rps / u_rps:.1f}x "
        f"(target >= 5x; p99 target <= max_latency_ms + one call = 110 ms)",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=8, help="seconds of load per measurement")
    parser.add_argument("--concurrency", default="1,32")
    parser.add_argument(
        "--rounds", type=int, default=2, help="interleaved rounds; medians are reported"
    )
    parser.add_argument("--cold-start-runs", type=int, default=5, help="0 skips (f)")
    parser.add_argument("--no-bentoml", action="store_true")
    parser.add_argument("--no-onnx", action="store_true", help="skip the ONNX systems")
    parser.add_argument("--no-scaling", action="store_true", help="skip the runner-scaling part")
    parser.add_argument("--no-batching-bound", action="store_true")
    parser.add_argument("--bentoml-venv", type=Path, default=HERE / ".venv-bentoml")
    args = parser.parse_args()
    levels = [int(c) for c in args.concurrency.split(",")]

    wrk = ensure_wrk()
    bentoml_python = None if args.no_bentoml else ensure_bentoml(args.bentoml_venv)
    workdir = Path(tempfile.mkdtemp(prefix="tiffin-bench-"))
    with_onnx = not args.no_onnx and onnx_available()
    if not args.no_onnx and not with_onnx:
        print("tiffin-onnx or skl2onnx is not installed: no ONNX systems", file=sys.stderr)
    envs = prepare(workdir, bentoml_python, with_onnx)

    print(
        f"# serving benchmark ({os.cpu_count()} cores, wrk, {args.duration:.0f}s per point, "
        f"{args.rounds} interleaved rounds, medians"
        f"{'' if bentoml_python is None else ', BentoML ' + BENTOML_VERSION})\n",
        flush=True,
    )
    servers, targets = start_all(workdir, envs, bentoml_python, with_onnx)
    results: dict[tuple[str, int], list[dict]] = {}
    try:
        for t in targets:  # warm every system the same way
            run_wrk(wrk, t, 8, 2, workdir)
        for round_ in range(args.rounds):
            # each round starts with another system, so that no system always follows the
            # same one (its after-effects, or the machine's drift within a round)
            shift = round_ % len(targets)
            for c in levels:
                for t in targets[shift:] + targets[:shift]:
                    results.setdefault((t.label, c), []).append(
                        run_wrk(wrk, t, c, args.duration, workdir)
                    )
    finally:
        for s in servers:
            s.stop()

    def med(label: str, c: int, key: str) -> float:
        return statistics.median(r[key] for r in results[(label, c)])

    print("| system | c | req/s | p50 ms | p99 ms | non-2xx |")
    print("|---|---:|---:|---:|---:|---:|")
    for c in levels:
        for t in targets:
            non2xx = sum(r["non2xx"] for r in results[(t.label, c)])
            print(
                f"| {t.label} | {c} | {med(t.label, c, 'rps'):,.0f} | {med(t.label, c, 'p50'):.1f} | "
                f"{med(t.label, c, 'p99'):.1f} | {non2xx} |"
            )
    print(
        "\n| tiffin API | c | req/s / starlette | p99 / starlette | req/s / bentoml (same batching) |"
    )
    print("|---|---:|---:|---:|---:|")
    for c in levels:
        for label in TIFFIN_ROUTES:
            t = med(label, c, "rps")
            row = f"| {label} | {c} | {t / med('starlette', c, 'rps'):.2f}x | {med(label, c, 'p99') / med('starlette', c, 'p99'):.2f}x |"
            peer = "bentoml batch" if "batch" in label else "bentoml"
            row += f" {t / med(peer, c, 'rps'):.2f}x |" if bentoml_python is not None else " - |"
            print(row)

    if with_onnx:
        print(
            "\n| ONNX API (the same iris model) | c | req/s / scikit-learn | p99 / scikit-learn |"
        )
        print("|---|---:|---:|---:|")
        for c in levels:
            for label, (_, peer) in ONNX_ROUTES.items():
                print(
                    f"| {label} vs {peer} | {c} | {med(label, c, 'rps') / med(peer, c, 'rps'):.2f}x | "
                    f"{med(label, c, 'p99') / med(peer, c, 'p99'):.2f}x |"
                )

    if not args.no_scaling:
        runner_scaling(wrk, workdir, envs, args.duration, args.rounds)
    if not args.no_batching_bound:
        batching_bound(wrk, workdir, envs, args.duration, args.rounds)

    if args.cold_start_runs > 0:
        starts = cold_starts(workdir, envs, bentoml_python, args.cold_start_runs)
        print("\n| start to first 200 (median) | seconds |")
        print("|---|---:|")
        for label, seconds in starts.items():
            print(f"| {label} | {seconds:.2f} |")
        ratio = starts["tiffin serve"] / starts["bare uvicorn"]
        print(f"\ntiffin serve / bare uvicorn: {ratio:.2f}x")
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
