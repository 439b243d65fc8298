"""Lifecycle hooks and graceful shutdown, observed through files the hooks write."""

from __future__ import annotations

import shutil
import textwrap
import threading
import time
from pathlib import Path

import httpx

from tiffin.testing.fixtures import ServerProcess

STANDIN = Path(__file__).parent.parent / "service" / "standin_io.py"

SERVICE = """
import asyncio
import os
from pathlib import Path

import tiffin
from standin_io import Echo

LOG = Path(os.environ["HOOK_LOG"])
svc = tiffin.Service("hooks")


def log(line):
    with LOG.open("a") as f:
        f.write(f"{line} {os.getpid()}\\n")


@svc.on_deployment
def deploy():
    log("deployment")


@svc.on_deployment
async def deploy_again():
    log("deployment2")


@svc.on_startup
def start_one(ctx: tiffin.Context):
    ctx.state["order"] = ["one"]
    log("startup1")


@svc.on_startup
async def start_two(ctx: tiffin.Context):
    ctx.state["order"].append("two")
    log("startup2")


@svc.on_shutdown
async def stop_one(ctx):
    log("shutdown1 " + "+".join(ctx.state["order"]))


@svc.on_shutdown
def stop_two(ctx):
    log("shutdown2")


@svc.api(input=Echo(), output=Echo())
def order(x, ctx):
    return ctx.state["order"]


@svc.api(input=Echo(), output=Echo())
async def slow(x):
    log("slow-started")
    await asyncio.sleep(x)
    log("slow-finished")
    return "done"
"""


def _setup(tmp_path: Path) -> Path:
    shutil.copy(STANDIN, tmp_path / "standin_io.py")
    (tmp_path / "service.py").write_text(textwrap.dedent(SERVICE))
    return tmp_path / "hooks.log"


def _lines(log: Path) -> list[list[str]]:
    return [line.split(" ") for line in log.read_text().splitlines()]


def test_hooks_run_in_order_once_per_serve_and_per_worker(tmp_path: Path) -> None:
    log = _setup(tmp_path)
    server = ServerProcess("service.py:svc", cwd=tmp_path, env={"HOOK_LOG": str(log)})
    try:
        assert httpx.post(server.url + "/order", json=0).json() == ["one", "two"]
    finally:
        server.stop()
    events = [line[0] for line in _lines(log)]
    assert events == ["deployment", "deployment2", "startup1", "startup2", "shutdown1", "shutdown2"]
    assert _lines(log)[4] == ["shutdown1", "one+two", _lines(log)[4][2]]


def test_two_workers_each_run_startup_and_shutdown_deployment_once(tmp_path: Path) -> None:
    log = _setup(tmp_path)
    server = ServerProcess(
        "service.py:svc", "--workers", "2", cwd=tmp_path, env={"HOOK_LOG": str(log)}
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # the second worker may come up a moment later
            if sum(line[0] == "startup2" for line in _lines(log)) == 2:
                break
            time.sleep(0.1)
        assert httpx.post(server.url + "/order", json=0).json() == ["one", "two"]
        metrics = httpx.get(server.url + "/metrics").text
        assert 'tiffin_http_requests_total{api="order",status="200"} 1.0' in metrics
    finally:
        server.stop()
    lines = _lines(log)
    deployments = [pid for event, *_, pid in lines if event == "deployment"]
    startups = {pid for event, *_, pid in lines if event == "startup1"}
    shutdowns = {pid for event, *_, pid in lines if event == "shutdown2"}
    assert len(deployments) == 1
    assert len(startups) == 2 and deployments[0] not in startups
    assert shutdowns == startups


def test_sigterm_lets_the_request_in_flight_finish_then_runs_shutdown_hooks(tmp_path: Path) -> None:
    log = _setup(tmp_path)
    server = ServerProcess("service.py:svc", cwd=tmp_path, env={"HOOK_LOG": str(log)})
    result: dict[str, object] = {}

    def call() -> None:
        response = httpx.post(server.url + "/slow", json=1.5, timeout=30)
        result["status"], result["body"] = response.status_code, response.json()

    thread = threading.Thread(target=call)
    thread.start()
    deadline = time.monotonic() + 10
    while not (log.exists() and "slow-started" in log.read_text()) and time.monotonic() < deadline:
        time.sleep(0.02)
    server.process.terminate()  # SIGTERM while the request runs
    thread.join(30)
    output = server.stop()
    assert result == {"status": 200, "body": "done"}, output
    assert server.process.returncode in (0, -15)  # uvicorn re-raises SIGTERM after a clean shutdown
    events = [line[0] for line in _lines(log)]
    assert events.index("slow-finished") < events.index("shutdown1") < events.index("shutdown2")
