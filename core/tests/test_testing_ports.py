"""The kit's ports: never the same one twice, and a server started again when it loses a race."""

from __future__ import annotations

import socket
import textwrap
from pathlib import Path

import pytest

from tiffin.testing import fixtures
from tiffin.testing.fixtures import ServerProcess, free_port


def test_free_port_does_not_hand_out_a_port_twice() -> None:
    ports = [free_port() for _ in range(50)]
    assert len(set(ports)) == 50


@pytest.mark.slow
def test_server_starts_again_on_another_port_when_its_port_was_taken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "service.py").write_text(
        textwrap.dedent(
            """
            import tiffin
            from tiffin.io import JSON

            svc = tiffin.Service("echo")

            @svc.api(input=JSON(), output=JSON())
            def echo(value):
                return value
            """
        )
    )
    thief = socket.socket()
    thief.bind(("127.0.0.1", 0))
    thief.listen()
    stolen = thief.getsockname()[1]
    picks = iter([stolen])
    real = fixtures.free_port
    monkeypatch.setattr(fixtures, "free_port", lambda port_range=None: next(picks, None) or real())
    try:
        server = ServerProcess("service.py:svc", cwd=tmp_path)
    finally:
        thief.close()
    try:
        assert server.port != stolen
        import httpx

        assert httpx.post(server.url + "/echo", json={"a": 1}).json() == {"a": 1}
    finally:
        server.stop()
