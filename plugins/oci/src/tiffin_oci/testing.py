"""Test helpers for tiffin-oci and its users: a real Distribution server on loopback, and
push/pull of local models and bentos through :class:`~tiffin_oci.OCIRemoteStore`.

``running(folder, auth=None)`` starts Debian's ``docker-registry`` (Distribution 2.8;
``apt-get install docker-registry``) on a free 127.0.0.1 port with its storage in ``folder``;
``auth`` is Distribution's ``auth:`` section (``htpasswd`` or ``token``). Used by this
package's tests and by ``bench/transfer.py``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

import tiffin
from tiffin.hookspecs import TransferOptions, TransferSummary
from tiffin_oci._mapping import parse_tiffin_manifest

__all__ = ["Registry", "make_model", "pull", "push", "running", "same_files"]


class Registry:
    """A running ``docker-registry serve``: ``url`` (oci://...), ``host``, ``root`` (its files)."""

    def __init__(self, workdir: Path, auth: dict | None) -> None:
        self.workdir = workdir
        self.root = workdir / "storage"
        self.auth = auth
        self.log = workdir / "registry.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def url(self, namespace: str = "team") -> str:
        return f"oci://{self.host}/{namespace}"

    def start(self) -> None:
        # imported here: under pytest, tiffin.testing.fixtures is a plugin that must be
        # registered (and assertion-rewritten) before anything imports it
        from tiffin.testing.fixtures import free_port

        binary = shutil.which("docker-registry")
        if binary is None:
            raise RuntimeError(
                "docker-registry is not installed: apt-get install -y docker-registry"
            )
        for _attempt in range(2):  # a port taken between choosing and binding: once more
            self.port = free_port()
            config = {
                "version": 0.1,
                "log": {"level": "info", "accesslog": {"disabled": False}},
                "storage": {
                    "filesystem": {"rootdirectory": str(self.root)},
                    "delete": {"enabled": True},
                    "maintenance": {"uploadpurging": {"enabled": False}},
                },
                "http": {"addr": self.host, "secret": "tiffin-test-secret"},
            }
            if self.auth:
                config["auth"] = self.auth
            path = self.workdir / "config.yml"
            path.write_text(json.dumps(config))  # JSON is YAML
            with open(self.log, "ab") as log:
                self.proc = subprocess.Popen(
                    [binary, "serve", str(path)], stdout=log, stderr=subprocess.STDOUT
                )
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"http://{self.host}/v2/", timeout=1).status_code in (200, 401):
                        return
                time.sleep(0.05)
            self.stop()
            if "address already in use" not in self.log.read_text(errors="replace"):
                break
        raise RuntimeError(
            f"docker-registry did not start; its log:\n{self.log.read_text()[-3000:]}"
        )

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def access_log(self) -> str:
        return self.log.read_text(errors="replace")

    def requests(self, method: str, contains: str = "") -> int:
        """How many ``method`` requests whose path holds ``contains`` the access log shows."""
        needle = f'"{method} /v2/'
        return sum(
            1
            for line in self.access_log().splitlines()
            if needle in line and contains in line.split(needle, 1)[1].split(" ", 1)[0]
        )

    def blob_file(self, digest: str) -> Path:
        hexd = digest.removeprefix("sha256:")
        return self.root / "docker/registry/v2/blobs/sha256" / hexd[:2] / hexd / "data"


@contextlib.contextmanager
def running(workdir: Path, auth: dict[str, Any] | None = None) -> Iterator[Registry]:
    """A Distribution server for the duration of the block (stopped after it)."""
    workdir.mkdir(parents=True, exist_ok=True)
    registry = Registry(workdir, auth)
    registry.start()
    try:
        yield registry
    finally:
        registry.stop()


def make_model(name: str = "iris", *, big: int = 0, labels: dict[str, str] | None = None) -> Any:
    """A model with nested folders, an empty file, two files with the same bytes, and
    optionally one ``big`` random file."""
    with tiffin.models.create(name, labels=labels or {"stage": "dev"}) as m:
        root = Path(m.path)
        (root / "weights.bin").write_bytes(os.urandom(4096))
        (root / "nested" / "deeper").mkdir(parents=True)
        (root / "nested" / "deeper" / "vocab.txt").write_text("a\nb\nc\n")
        (root / "nested" / "copy.bin").write_bytes((root / "weights.bin").read_bytes())
        (root / "empty").write_bytes(b"")
        if big:
            (root / "big.bin").write_bytes(os.urandom(big))
    return tiffin.models.get(f"{name}:latest")


def push(store: Any, item: Any, kind: str = "model", **options: Any) -> TransferSummary:
    summary = TransferSummary("push", tags=[str(item.tag)], files=len(item.info.files))
    manifest = (item.path / ("model.yaml" if kind == "model" else "bento.yaml")).read_bytes()
    store.push_version(
        kind, item.path, manifest, item.info.files, TransferOptions(**options), summary
    )
    return summary


def pull(store: Any, kind: str, tag: str, folder: Path, **options: Any) -> TransferSummary:
    """Pull into ``folder`` (made here), manifest written last, as core does."""
    version = store.get_version(kind, tag)
    summary = TransferSummary("pull")
    files = [_Entry(**f) for f in parse_tiffin_manifest(version.manifest)["files"]]
    summary.tags.append(f"{version.name}:{version.version}")
    summary.files += len(files)
    folder.mkdir(parents=True, exist_ok=True)
    store.pull_version(version, folder, files, TransferOptions(**options), summary)
    (folder / ("model.yaml" if kind == "model" else "bento.yaml")).write_bytes(version.manifest)
    return summary


class _Entry:
    def __init__(self, path: str, size: int, sha256: str) -> None:
        self.path, self.size, self.sha256 = path, size, sha256


def same_files(a: Path, b: Path) -> None:
    """Both folders hold the same files with the same bytes."""
    names_a = sorted(str(p.relative_to(a)) for p in a.rglob("*") if p.is_file())
    names_b = sorted(str(p.relative_to(b)) for p in b.rglob("*") if p.is_file())
    assert names_a == names_b
    for name in names_a:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
