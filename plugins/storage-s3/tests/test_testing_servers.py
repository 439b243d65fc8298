"""The test servers themselves: SeaweedFS gets every port it binds free, and survives a race."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tiffin_s3 import testing
from tiffin_s3.testing import GRPC_OFFSET, seaweedfs_server


def test_seaweedfs_ports_and_their_grpc_ports_are_free_and_distinct() -> None:
    for _ in range(20):
        ports = testing._free_ports(("s3", "master", "volume", "filer", "admin"))
        every = [p for port in ports.values() for p in (port, port + GRPC_OFFSET)]
        assert len(set(every)) == 10, ports
        for port in every:
            with socket.socket() as s:
                s.bind(("127.0.0.1", port))  # free: raises if not


@pytest.mark.slow
def test_seaweedfs_starts_again_when_a_port_is_taken_before_it_binds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    thief = socket.socket()
    thief.bind(("127.0.0.1", 0))
    thief.listen()
    stolen = thief.getsockname()[1]
    real = testing._free_ports
    calls = []

    def racy(names: tuple[str, ...]) -> dict[str, int]:
        ports = real(names)
        if not calls:  # the first pick loses a race: another process binds the filer's port
            ports["filer"] = stolen
        calls.append(ports)
        return ports

    monkeypatch.setattr(testing, "_free_ports", racy)
    try:
        with seaweedfs_server(tmp_path) as server:
            bucket = server.create_bucket()
            server.client().put_object(Bucket=bucket, Key="k", Body=b"v")
            assert server.client().get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"
    finally:
        thief.close()
    assert len(calls) == 2
    assert str(stolen) in (tmp_path / "weed-1.log").read_text()
