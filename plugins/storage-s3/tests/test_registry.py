"""``tiffin registry serve --storage s3://bucket/prefix``: blobs live in the bucket, whole or not at all."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tiffin_s3.testing import S3Bucket, S3Server, s3_environment

pytest.importorskip("tiffin_registry", reason="the registry parts need tiffin-registry")
from tiffin_registry.testing import RegistryServer, cli_json, make_model, start_registry

pytestmark = pytest.mark.slow


@pytest.fixture
def s3_registry(
    moto_s3: S3Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[tuple[RegistryServer, S3Bucket]]:
    s3_environment(monkeypatch, moto_s3, tmp_path)
    bucket = S3Bucket(moto_s3, moto_s3.create_bucket())
    server = start_registry(
        f"{bucket.url}/registry",
        db=f"sqlite:///{tmp_path / 'registry.db'}",
        log=tmp_path / "registry.log",
    )
    try:
        monkeypatch.setenv("TIFFIN_REGISTRY_URL", server.url)
        yield server, bucket
    finally:
        server.stop()



def test_proxy_push_and_pull_keep_blobs_in_the_bucket(s3_registry, cli, tmp_path):
    _server, bucket = s3_registry
    model = make_model("scaler", extra_bytes=3 << 20)
    total = sum(f.size for f in model.info.files)

    pushed = cli_json(cli("models", "push", "scaler", "--strategy", "proxy", "-o", "json"))
    assert pushed["bytes_sent"] == total

    blobs = bucket.keys("registry/blobs/sha256/")
    expected = {f.sha256 for f in model.info.files}
    assert {key.rsplit("/", 1)[1] for key in blobs} >= expected
    for entry in model.info.files:  # every blob whole, under its own digest
        key = f"registry/blobs/sha256/{entry.sha256[:2]}/{entry.sha256}"
        assert bucket.read(key) == (model.path / entry.path).read_bytes()
    assert bucket.keys("registry/uploads/") == []  # no staged leftovers
    uploads = bucket.client().list_multipart_uploads(Bucket=bucket.name)
    assert uploads.get("Uploads", []) == []

    other = tmp_path / "colleague"
    pulled = cli_json(
        cli(
            "models",
            "pull",
            "scaler:latest",
            "--strategy",
            "proxy",
            "-o",
            "json",
            env={"TIFFIN_HOME": str(other)},
        )
    )
    assert pulled["tags"] == [str(model.tag)]
    copy = other / "models" / "scaler" / model.tag.version
    for entry in model.info.files:
        assert (copy / entry.path).read_bytes() == (model.path / entry.path).read_bytes()


@pytest.mark.parametrize("server", ["moto", "seaweedfs"])
def test_registry_on_a_bucket_it_cannot_use_stops_with_one_line(
    server, request, monkeypatch, tmp_path, cli
):
    s3 = request.getfixturevalue(f"{server}_s3")
    s3_environment(monkeypatch, s3, tmp_path)
    db = f"sqlite:///{tmp_path / 'registry.db'}"
    if server == "moto":
        storage, words, env = "s3://no-such-bucket-for-registry/reg", "does not exist", {}
    else:
        storage = f"s3://{s3.create_bucket()}/reg"
        words, env = "AWS_SECRET_ACCESS_KEY", {"AWS_SECRET_ACCESS_KEY": "wrong"}

    done = cli("registry", "serve", "--storage", storage, "--db", db, env=env, timeout=120)

    assert done.returncode == 1, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert storage.split("/")[2] in lines[0] and words in lines[0]
