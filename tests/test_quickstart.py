"""The README's quick start, on a port the user chooses (``--port`` or ``$PORT``)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tiffin.testing.fixtures import free_port, wait_for_http

QUICKSTART = Path(__file__).resolve().parents[1] / "examples" / "iris" / "quickstart.py"


def _run(args: list[str], env: dict[str, str], tmp_path: Path) -> tuple[int, str]:
    """Start the quick start, wait for its server, classify one flower, stop it."""
    process = subprocess.Popen(
        [sys.executable, str(QUICKSTART), *args],
        env={**os.environ, **env},
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        port = int(args[args.index("--port") + 1]) if "--port" in args else int(env["PORT"])
        wait_for_http(f"http://127.0.0.1:{port}/readyz", process, timeout=180)
        answer = httpx.post(
            f"http://127.0.0.1:{port}/classify", json=[[5.9, 3, 5.1, 1.8]], timeout=30
        )
        assert answer.status_code == 200, answer.text
        assert answer.json() == [2]
    finally:
        process.send_signal(signal.SIGINT)
        try:
            out, _ = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            out, _ = process.communicate()
    return port, out


@pytest.mark.slow
def test_quickstart_serves_on_the_port_given(tmp_path) -> None:
    port = free_port()
    _, out = _run(["--port", str(port)], {}, tmp_path)
    assert f"serving it on http://127.0.0.1:{port} (Ctrl-C stops)" in out


@pytest.mark.slow
def test_quickstart_serves_on_port_from_the_environment(tmp_path) -> None:
    port = free_port()
    _, out = _run([], {"PORT": str(port)}, tmp_path)
    assert f"serving it on http://127.0.0.1:{port}" in out


@pytest.mark.parametrize("port", ["http", "70000"])
def test_quickstart_refuses_a_bad_port_before_training(port, tmp_path) -> None:
    done = subprocess.run(
        [sys.executable, str(QUICKSTART), "--port", port],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert done.returncode == 2
    assert "argument --port" in done.stderr and "saved model" not in done.stdout
