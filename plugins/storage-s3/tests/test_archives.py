"""Models and bentos exported to a real S3 server and imported back, through the API and the CLI."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

import tiffin
from tiffin.exceptions import InvalidArchive

pytestmark = pytest.mark.slow

SERVICE = """
import tiffin
from tiffin.io import JSON

MODEL = tiffin.models.get("scaler:latest")
svc = tiffin.Service("scaler-svc")


@svc.api(input=JSON(), output=JSON())
def predict(values):
    factor = float((tiffin.models.get(str(MODEL.tag)).path / "factor.txt").read_text())
    return [v * factor for v in values]
"""


def save_model(name: str = "weights", size: int = 6 << 20) -> tiffin.Model:
    with tiffin.models.create(name, labels={"stage": "test"}) as model:
        (model.path / "weights.bin").write_bytes(os.urandom(size))
        (model.path / "conf").mkdir()
        (model.path / "conf" / "params.json").write_text('{"alpha": 1}')
    return tiffin.models.get(f"{name}:latest")


def digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_model_round_trip_streams_through_the_bucket(s3_bucket, tmp_path, monkeypatch):
    model = save_model()
    url = s3_bucket.key_url("models/weights.tiffin")
    seen: list[tuple[int, int]] = []

    assert tiffin.models.export_model(model.tag, url, progress=lambda d, t: seen.append((d, t)))

    assert s3_bucket.keys() == ["models/weights.tiffin"]
    assert seen and seen[-1][0] == seen[-1][1] > 6 << 20  # progress reached the total
    assert s3_bucket.read("models/weights.tiffin")[:512].find(b"model.yaml") >= 0  # manifest first

    monkeypatch.setenv("TIFFIN_HOME", str(tmp_path / "elsewhere"))
    imported = tiffin.models.import_model(url.replace("s3://", "s3a://"))
    assert imported.tag == model.tag
    assert imported.info.labels == {"stage": "test"}
    assert digests(imported.path) == digests(model.path)


def test_bento_round_trip_with_its_model(s3_bucket, tmp_path, monkeypatch):
    with tiffin.models.create("scaler") as model:
        (model.path / "factor.txt").write_text("3.0")
    project = tmp_path / "project"
    project.mkdir()
    (project / "service.py").write_text(SERVICE)
    (project / "bentofile.yaml").write_text("service: service.py:svc\n")
    bento = tiffin.build(build_ctx=project)
    url = s3_bucket.key_url("bentos/scaler.bento")

    tiffin.export_bento(str(bento.tag), url)

    monkeypatch.setenv("TIFFIN_HOME", str(tmp_path / "elsewhere"))
    imported = tiffin.import_bento(url)
    assert imported.tag == bento.tag
    assert imported.info.files == bento.info.files
    assert tiffin.import_bento(url) == imported  # importing again is a no-op


def test_cli_export_and_import_of_models_and_bentos(s3_bucket, cli, tmp_path):
    model = save_model("cli_model", 1 << 20)
    url = s3_bucket.key_url("cli/model.tiffin")

    done = cli("models", "export", str(model.tag), url)
    assert done.returncode == 0, done.stderr
    assert s3_bucket.keys("cli/") == ["cli/model.tiffin"]

    other = {"TIFFIN_HOME": str(tmp_path / "other")}
    done = cli("models", "import", url, env=other)
    assert done.returncode == 0, done.stderr
    assert str(model.tag) in done.stdout
    done = cli("models", "get", str(model.tag), "--output", "json", env=other)
    assert done.returncode == 0, done.stderr


def test_a_failed_export_leaves_no_object_and_no_upload(s3_bucket, monkeypatch):
    model = save_model("big", 12 << 20)
    url = s3_bucket.key_url("failed.tiffin")

    def fail_half_way(done: int, total: int) -> None:
        if done > total // 2:
            raise KeyboardInterrupt  # the user pressed Ctrl-C

    # small blocks so parts went up before the failure (multipart, not one PUT)
    fs = tiffin.plugins.storage_backends()["s3"].filesystem(url)[0]
    monkeypatch.setattr(fs, "default_block_size", 5 << 20)
    with pytest.raises(KeyboardInterrupt):
        tiffin.models.export_model(model.tag, url, progress=fail_half_way)
    assert s3_bucket.keys() == []
    uploads = s3_bucket.client().list_multipart_uploads(Bucket=s3_bucket.name)
    assert uploads.get("Uploads", []) == []


def test_a_tampered_archive_in_the_bucket_is_refused_and_nothing_imported(
    s3_bucket, tmp_path, monkeypatch
):
    model = save_model("victim", 1 << 20)
    url = s3_bucket.key_url("victim.tiffin")
    tiffin.models.export_model(model.tag, url)
    data = bytearray(s3_bucket.read("victim.tiffin"))
    data[len(data) // 2] ^= 0xFF  # one flipped byte inside weights.bin
    s3_bucket.client().put_object(Bucket=s3_bucket.name, Key="victim.tiffin", Body=bytes(data))

    monkeypatch.setenv("TIFFIN_HOME", str(tmp_path / "elsewhere"))
    with pytest.raises(InvalidArchive, match="sha256"):
        tiffin.models.import_model(url)
    assert tiffin.models.list() == []
