"""Races: two pushes of one version, two registry replicas over one storage and one database."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tiffin_registry.testing import RegistryServer, make_model

pytestmark = pytest.mark.slow


def _push_process(env: dict[str, str], tag: str) -> subprocess.Popen:
    import os

    return subprocess.Popen(
        [sys.executable, "-m", "tiffin", "models", "push", tag, "-o", "json"],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_clients_pushing_the_same_version_both_succeed_once(registry: RegistryServer) -> None:
    model = make_model("scaler", extra_bytes=2_000_000)
    pushes = [_push_process(registry.env(), str(model.tag)) for _ in range(2)]
    results = [(p.wait(timeout=300), *p.communicate()) for p in pushes]
    for code, out, err in results:
        assert code == 0, err
        assert json.loads(out)["tags"] == [str(model.tag)]
    listed = httpx.get(f"{registry.url}/api/v1/models/scaler/versions").json()["items"]
    assert [item["version"] for item in listed] == [model.tag.version]


def test_two_different_manifests_for_one_version_one_wins(registry: RegistryServer) -> None:
    def manifest(label: str) -> bytes:
        return f"name: m\nversion: v1\nlabels: {{who: {label}}}\nfiles: []\n".encode()

    def commit(label: str) -> int:
        return httpx.put(
            f"{registry.url}/api/v1/models/m/versions/v1", content=manifest(label), timeout=60
        ).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(commit, [f"client{i}" for i in range(8)]))
    assert statuses.count(201) == 1 and statuses.count(409) == 7, statuses
    stored = httpx.get(f"{registry.url}/api/v1/models/m/versions/v1").json()
    winner = f"client{statuses.index(201)}"
    assert stored["labels"] == {"who": winner}
    # an identical re-push is a no-op; a forced one replaces
    assert (
        httpx.put(
            f"{registry.url}/api/v1/models/m/versions/v1", content=manifest(winner)
        ).status_code
        == 200
    )
    forced = httpx.put(
        f"{registry.url}/api/v1/models/m/versions/v1?force=true", content=manifest("boss")
    )
    assert forced.status_code == 201
    assert httpx.get(f"{registry.url}/api/v1/models/m/versions/v1").json()["labels"] == {
        "who": "boss"
    }


def test_two_replicas_over_one_storage_and_one_postgres_act_as_one(
    postgres_server, start_registry_factory, tmp_path, cli, other_home
) -> None:
    from tiffin_registry.testing import start_registry

    db = postgres_server.create_database()
    storage = tmp_path / "shared-storage"
    # both start at once: migrations run under a lock, exactly once
    with ThreadPoolExecutor(2) as pool:
        replicas = list(
            pool.map(
                lambda i: start_registry(storage, db=db, log=tmp_path / f"replica{i}.log"),
                range(2),
            )
        )
    try:
        a, b = replicas
        model = make_model("scaler", extra_bytes=500_000)
        assert cli("models", "push", "scaler", env=a.env()).returncode == 0
        pulled = cli(
            "models",
            "pull",
            "scaler",
            "-o",
            "json",
            env={**b.env(), "TIFFIN_HOME": str(other_home)},
        )
        assert pulled.returncode == 0, pulled.stderr
        assert json.loads(pulled.stdout)["tags"] == [str(model.tag)]
        again = cli("models", "push", "scaler", "-o", "json", env=b.env())
        assert json.loads(again.stdout)["unchanged"] == [str(model.tag)]
        deleted = httpx.delete(f"{b.url}/api/v1/models/scaler/versions/{model.tag.version}")
        assert deleted.status_code == 200
        assert httpx.get(f"{a.url}/api/v1/models").json()["items"] == []
    finally:
        for replica in replicas:
            replica.stop()
