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


def _port_range_from_env() -> range | None:
    """``TIFFIN_TEST_PORTS=20000-20999``: the ports a CI host lets tests use."""
    value = os.environ.get("TIFFIN_TEST_PORTS", "").strip()
    if not value:
        return None
    low, _, high = value.partition("-")
    try:
        return range(int(low), int(high or low) + 1)
    except ValueError:
        raise ValueError(
            f"TIFFIN_TEST_PORTS={value!r} is not a port range; write it as LOW-HIGH (20000-20999)"
        ) from None


#: Ports :func:`free_port` gave out in this process: not handed out again while others are free.
_HANDED_OUT: set[int] = set()


def free_port(port_range: range | tuple[int, int] | None = None) -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago.

    :param port_range: take the port from this range (``range(20000, 21000)`` or the
        inclusive pair ``(20000, 20999)``) for hosts that allow only some ports; default:
        ``$TIFFIN_TEST_PORTS`` (``LOW-HIGH``) when set, else any port the system picks.
    """
    import random

    if isinstance(port_range, tuple):
        port_range = range(port_range[0], port_range[1] + 1)
    port_range = port_range or _port_range_from_env()
    if port_range is None:
        for _ in range(100):  # the system may hand out the same free port twice in a row
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
            if port not in _HANDED_OUT:
                break
        _HANDED_OUT.add(port)
        return port
    ports = list(port_range)
    random.shuffle(ports)
    ports.sort(key=lambda p: p in _HANDED_OUT)  # ports not given out yet first
    for port in ports:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            _HANDED_OUT.add(port)
            return port
    raise RuntimeError(f"no free port in {port_range.start}-{port_range.stop - 1}")


def run_cli(
    *args: str,
    cwd: str | Path | None = None,
    env: dict[str, str] | None = None,
    input: str | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run ``tiffin ARGS...`` as a subprocess of this interpreter; never raises on exit codes."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "tiffin", *args],
        cwd=cwd,
        env=full_env,
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
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
            raise AssertionError(
                f"server exited with {process.returncode} before it was ready:\n{out}"
            )
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError as exc:
            last = exc
        time.sleep(0.05)
    raise AssertionError(f"{url} did not answer 200 within {timeout}s (last error: {last})")


class ServerProcess:
    """A real ``tiffin serve`` process on a free port; ``.url`` is its base URL.

    ``ServerProcess("service.py:svc", "--workers", "2", cwd=project, env={...})`` starts
    ``tiffin serve TARGET ARGS...`` with this interpreter (or ``python=``) on 127.0.0.1 and returns once
    ``ready_path`` answers 200 (or raises with everything the server printed). ``port_range``
    limits the port to a range, as :func:`free_port` does.

    Its stdout and stderr are drained by a thread as they come (a full pipe would block the
    server); ``.output()`` is everything printed so far, ``.stop()`` returns all of it.
    """

    def __init__(
        self,
        target: str,
        *args: str,
        cwd: str | Path | None = None,
        env: dict[str, str] | None = None,
        ready_path: str = "/readyz",
        timeout: float = 30,
        port_range: range | tuple[int, int] | None = None,
        python: str | None = None,
    ) -> None:
        import threading

        for attempt in (1, 2):
            self.port = free_port(port_range)
            self.url = f"http://127.0.0.1:{self.port}"
            self.process = subprocess.Popen(
                [
                    python or sys.executable,
                    "-m",
                    "tiffin",
                    "serve",
                    target,
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    *args,
                ],
                cwd=cwd,
                env={**os.environ, **(env or {})},
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            self._lines: list[str] = []
            self._reader = threading.Thread(target=self._drain, daemon=True)
            self._reader.start()
            try:
                self._wait_ready(self.url + ready_path, timeout)
                return
            except BaseException:
                output = self.stop()
                # the port was free when picked, then taken before the server bound it: once more
                if attempt == 1 and "already in use" in output.lower():
                    continue
                raise

    def _drain(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.append(line)

    def _wait_ready(self, url: str, timeout: float) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self._reader.join(5)
                raise AssertionError(
                    f"server exited with {self.process.returncode} before it was ready:\n{self.output()}"
                )
            try:
                if httpx.get(url, timeout=1).status_code == 200:
                    return
            except httpx.HTTPError as exc:
                last = exc
            time.sleep(0.05)
        raise AssertionError(
            f"{url} did not answer 200 within {timeout}s (last error: {last})\n{self.output()}"
        )

    def output(self) -> str:
        """Everything the server printed so far (stdout and stderr together)."""
        return "".join(self._lines)

    def stop(self, timeout: float = 15) -> str:
        """Stop with SIGTERM (graceful), then SIGKILL; return everything the server printed."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(5)
        if self.process.stdout is not None:
            self.process.stdout.close()
        return self.output()


@pytest.fixture
def serve() -> Iterator[object]:
    """``serve("service.py:svc", cwd=...)`` starts a real server; all are stopped after the test.

    Takes :class:`ServerProcess`'s arguments, ``port_range=(20000, 20999)`` included.
    """
    started: list[ServerProcess] = []

    def start(target: str, *args: str, **kwargs: object) -> ServerProcess:
        server = ServerProcess(target, *args, **kwargs)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


class PluginSite:
    """A folder of tiny installed distributions (``*.dist-info``) for subprocesses to find.

    ``site.add("hello", code)`` writes the module ``tiffin_hello`` with ``code`` and a
    distribution ``tiffin-hello`` whose entry point ``hello`` in group ``tiffin`` names it;
    ``site.env`` puts the folder on ``PYTHONPATH`` (give it to :func:`run_cli`).
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def add(
        self,
        name: str,
        code: str,
        *,
        distribution: str | None = None,
        module: str | None = None,
        version: str = "0.1.0",
    ) -> Path:
        import textwrap

        distribution = distribution or f"tiffin-{name}"
        module = module or distribution.replace("-", "_")
        package = self.root / module
        package.mkdir(parents=True, exist_ok=True)
        (package / "__init__.py").write_text(textwrap.dedent(code))
        info = self.root / f"{distribution.replace('-', '_')}-{version}.dist-info"
        info.mkdir(exist_ok=True)
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {distribution}\nVersion: {version}\n"
        )
        (info / "entry_points.txt").write_text(f"[tiffin]\n{name} = {module}\n")
        return package

    @property
    def env(self) -> dict[str, str]:
        path = os.environ.get("PYTHONPATH")
        return {
            "PYTHONPATH": os.pathsep.join([str(self.root), *([path] if path else [])]),
            "TIFFIN_STRICT_PLUGINS": "",
        }


@pytest.fixture
def plugin_site(tmp_path: Path) -> PluginSite:
    """A :class:`PluginSite` in a temporary folder: fake installed plugins for subprocesses."""
    return PluginSite(tmp_path / "site")
