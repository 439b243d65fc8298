"""``tiffin registry gc``: unreferenced blobs and abandoned uploads go; anything in use stays."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from tiffin_registry.testing import RegistryServer, make_model

pytestmark = pytest.mark.slow


def _age_everything(server: RegistryServer, days: int = 2) -> None:
    """Move every timestamp into the past, as if ``days`` had gone by (the test's clock)."""
    from tiffin_registry._db import connect
    from tiffin_registry._tables import blobs, upload_sessions

    engine = connect(server.db or f"sqlite:///{Path(server.storage) / 'registry.db'}")
    delta = timedelta(days=days)
    with engine.begin() as c:
        c.execute(
            blobs.update().values(
                created_at=blobs.c.created_at - delta, last_seen_at=blobs.c.last_seen_at - delta
            )
        )
        c.execute(
            upload_sessions.update().values(
                created_at=upload_sessions.c.created_at - delta,
                updated_at=upload_sessions.c.updated_at - delta,
            )
        )
    engine.dispose()


def _blob(server: RegistryServer, sha: str) -> Path:
    return Path(server.storage) / "blobs" / "sha256" / sha[:2] / sha


def _gc(cli, server: RegistryServer, *args: str) -> dict:
    db = ["--db", server.db] if server.db else []
    result = cli("registry", "gc", "--storage", server.storage, *db, "-o", "json", *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_gc_deletes_only_what_nothing_uses(registry: RegistryServer, cli, other_home) -> None:
    old = make_model("scaler", factor=1.0, extra_bytes=10_000)
    new = make_model("scaler", factor=2.0, extra_bytes=10_000)
    for model in (old, new):
        assert cli("models", "push", str(model.tag)).returncode == 0
    assert httpx.delete(
        f"{registry.url}/api/v1/models/scaler/versions/{old.tag.version}"
    ).is_success
    only_old = {f.sha256 for f in old.info.files} - {f.sha256 for f in new.info.files}
    assert only_old and all(_blob(registry, sha).exists() for sha in only_old)

    assert _gc(cli, registry, "--grace", "1h")["blobs_deleted"] == 0  # all too young

    # an upload left half-way, and a push that has just been told a blob exists
    abandoned = httpx.post(
        f"{registry.url}/api/v1/blobs/{'d' * 64}/upload", json={"size": 5, "strategies": ["proxy"]}
    ).json()
    staged = Path(registry.storage) / "uploads" / abandoned["session"]
    staged.write_bytes(b"12")
    _age_everything(registry)
    kept_by_push = sorted(only_old)[0]
    size = next(f.size for f in old.info.files if f.sha256 == kept_by_push)
    check = httpx.post(
        f"{registry.url}/api/v1/blobs/check",
        json={"blobs": [{"sha256": kept_by_push, "size": size}]},
    )
    assert check.json()["missing"] == []

    dry = _gc(cli, registry, "--grace", "1h", "--dry-run")
    assert dry["dry_run"] and all(_blob(registry, sha).exists() for sha in only_old)

    report = _gc(cli, registry, "--grace", "1h")
    assert report["blobs_deleted"] == len(only_old) - 1
    assert report["uploads_deleted"] == 1 and not staged.exists()
    assert _blob(registry, kept_by_push).exists()
    for sha in only_old - {kept_by_push}:
        assert not _blob(registry, sha).exists()
    for entry in new.info.files:
        assert _blob(registry, entry.sha256).exists()
    pulled = cli("models", "pull", "scaler", env={"TIFFIN_HOME": str(other_home)})
    assert pulled.returncode == 0, pulled.stderr


def test_gc_spares_a_blob_whose_upload_is_running(registry: RegistryServer, cli) -> None:
    data = b"abc"
    import hashlib

    sha = hashlib.sha256(data).hexdigest()
    offer = httpx.post(
        f"{registry.url}/api/v1/blobs/{sha}/upload", json={"size": 3, "strategies": ["proxy"]}
    ).json()
    report = _gc(cli, registry, "--grace", "1h")
    assert report["uploads_deleted"] == 0
    assert httpx.put(offer["offer"]["url"], content=data).status_code == 201
    assert _blob(registry, sha).exists()


def test_bad_grace_is_one_line(registry: RegistryServer, cli) -> None:
    result = cli("registry", "gc", "--storage", registry.storage, "--grace", "soon")
    assert result.returncode == 1 and "--grace" in result.stderr
    assert "Traceback" not in result.stderr
