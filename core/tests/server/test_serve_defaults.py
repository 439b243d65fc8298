"""What a BentoML user expects of ``tiffin serve`` and runners, tried from the outside:
``runner.run(x)`` on a one-method runner, one runner worker per CPU for a runnable that cannot
share an instance between threads, ``--production`` and ``--api-workers``."""

from __future__ import annotations

import os
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tiffin.testing.fixtures import run_cli

SERVICE = textwrap.dedent(
    """
    import os
    import time

    import tiffin
    from tiffin.io import JSON

    class OneMethod(tiffin.Runnable):
        # no SUPPORTS_CPU_MULTI_THREADING: served by worker processes, one per CPU by default
        @tiffin.Runnable.method
        def predict(self, x):
            time.sleep(0.2)  # long enough that concurrent calls need several workers
            return {"x": x, "pid": os.getpid()}

    runner = tiffin.Runner(OneMethod, name="one_method")
    svc = tiffin.Service("defaults", runners=[runner])

    @svc.api(input=JSON(), output=JSON())
    def sync_call(x):
        return runner.run(x)  # BentoML's spelling for a runner with one method

    @svc.api(input=JSON(), output=JSON())
    async def async_call(x):
        return await runner.async_run(x)

    @svc.api(input=JSON(), output=JSON())
    def server_pid(x):
        return os.getpid()
    """
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "service.py").write_text(SERVICE)
    return tmp_path


def _cpus() -> int:
    return len(os.sched_getaffinity(0))


@pytest.mark.slow
def test_one_method_runner_runs_and_scales_to_one_worker_per_cpu(
    project: Path, serve: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TIFFIN_RUNNER_WORKERS", raising=False)
    url = serve("service.py:svc", cwd=project).url  # type: ignore[operator]
    server_pid = httpx.post(f"{url}/server_pid", json=0).json()
    assert httpx.post(f"{url}/sync_call", json=1, timeout=30).json()["x"] == 1

    def call(i: int) -> dict:
        route = "sync_call" if i % 2 else "async_call"
        r = httpx.post(f"{url}/{route}", json=i, timeout=30)
        assert r.status_code == 200, r.text
        return r.json()

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(call, range(16)))
    assert [a["x"] for a in answers] == list(range(16))
    pids = {a["pid"] for a in answers}
    assert server_pid not in pids
    expected = min(_cpus(), 8) if _cpus() > 1 else 1
    assert len(pids) == expected


@pytest.mark.slow
def test_workers_zero_in_the_environment_keeps_the_runnable_in_process(
    project: Path, serve: object
) -> None:
    url = serve("service.py:svc", cwd=project, env={"TIFFIN_RUNNER_WORKERS": "0"}).url  # type: ignore[operator]
    server_pid = httpx.post(f"{url}/server_pid", json=0).json()
    assert httpx.post(f"{url}/async_call", json=5, timeout=30).json() == {"x": 5, "pid": server_pid}


@pytest.mark.slow
def test_production_with_api_workers_serves_from_that_many_processes(
    project: Path, serve: object
) -> None:
    server = serve(  # type: ignore[operator]
        "service.py:svc",
        "--production",
        "--api-workers",
        "2",
        cwd=project,
        env={"TIFFIN_RUNNER_WORKERS": "0"},
    )
    pids = set()
    with httpx.Client(timeout=30) as client:
        for _ in range(200):
            pids.add(
                client.post(
                    f"{server.url}/server_pid", json=0, headers={"connection": "close"}
                ).json()
            )
            if len(pids) == 2:
                break
    assert len(pids) == 2


def test_production_and_reload_is_one_line(project: Path) -> None:
    done = run_cli(
        "serve", "service.py:svc", "--production", "--reload", "--port", "0", cwd=project
    )
    assert done.returncode == 1, done.stderr
    assert "--production and --reload" in done.stderr
    assert "Traceback" not in done.stderr


def test_serve_help_names_bentoml_spellings() -> None:
    done = run_cli("serve", "--help")
    assert done.returncode == 0
    for option in ("--api-workers", "--workers", "--production", "--loop"):
        assert option in done.stdout


def test_typer_command_and_fast_path_share_serve_options(monkeypatch: pytest.MonkeyPatch) -> None:
    import inspect
    import warnings

    from tiffin._server import _launch
    from tiffin._server._options import ServeOptions
    from tiffin.cli import _fast_serve, serving

    monkeypatch.setattr(warnings, "showwarning", warnings.showwarning)  # the guard sets it
    seen: list[ServeOptions] = []
    monkeypatch.setattr(_launch, "serve", lambda target, options: seen.append(options))
    assert _fast_serve.fast_serve(["svc.py:svc"]) == 0
    assert seen == [ServeOptions()]
    args = ["svc.py:svc", "--production", "--api-workers", "3", "--loop", "asyncio", "-p", "0"]
    assert _fast_serve.fast_serve(args) == 0
    assert seen[-1] == ServeOptions(production=True, workers=3, loop="asyncio", port=0)
    # the Typer command's defaults are ServeOptions' defaults
    defaults = ServeOptions()
    for name, param in inspect.signature(serving.serve).parameters.items():
        if hasattr(defaults, name) and name not in ("working_dir", "max_body_size"):
            assert param.default.default == getattr(defaults, name), name
