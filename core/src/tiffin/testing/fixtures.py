"""Pytest fixtures shared by every tiffin package's tests (and usable by plugin authors).

Enable with ``pytest_plugins = ["tiffin.testing.fixtures"]`` in a ``conftest.py``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def tiffin_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty ``$TIFFIN_HOME`` for every test (never the user's own store)."""
    home = tmp_path_factory.mktemp("tiffin_home")
    monkeypatch.setenv("TIFFIN_HOME", str(home))
    return home


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_cli(*args: str, cwd: str | Path | None = None, env: dict[str, str] | None = None,
            input: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``tiffin ARGS...`` as a subprocess of this interpreter; never raises on exit codes."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "tiffin", *args],
        cwd=cwd, env=full_env, input=input, capture_output=True, text=True, timeout=timeout,
    )


@pytest.fixture
def cli() -> object:
    """``cli("models", "list")`` runs the CLI in a subprocess and returns the CompletedProcess."""
    return run_cli


def wait_for_http(url: str, process: subprocess.Popen | None = None, timeout: float = 30) -> None:
    """Poll ``url`` until it answers 200; fail early if ``process`` exits first."""
    import httpx

    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            out = process.stdout.read() if process.stdout else ""
            raise AssertionError(f"server exited with {process.returncode} before it was ready:\n{out}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError as exc:
            last = exc
        time.sleep(0.05)
    raise AssertionError(f"{url} did not answer 200 within {timeout}s (last error: {last})")


class ServerProcess:
    """A real ``tiffin serve`` process on a free port; ``.url`` is its base URL."""

    def __init__(self, target: str, *args: str, cwd: str | Path | None = None,
                 env: dict[str, str] | None = None, ready_path: str = "/readyz") -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tiffin", "serve", target, "--host", "127.0.0.1",
             "--port", str(self.port), *args],
            cwd=cwd, env={**os.environ, **(env or {})},
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        try:
            wait_for_http(self.url + ready_path, self.process)
        except BaseException:
            self.stop()
            raise

    def stop(self, timeout: float = 15) -> str:
        """Stop with SIGTERM (graceful), then SIGKILL; return everything the server printed."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.stdout.read() if self.process.stdout else ""


@pytest.fixture
def serve() -> Iterator[object]:
    """``serve("service.py:svc", cwd=...)`` starts a real server; all are stopped after the test."""
    started: list[ServerProcess] = []

    def start(target: str, *args: str, **kwargs: object) -> ServerProcess:
        server = ServerProcess(target, *args, **kwargs)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
