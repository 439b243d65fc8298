"""Bentos through a real Distribution server: their own files as layers, each carried model as a
model manifest referring to the bento (OCI 1.1 referrers, tag-schema fallback), and a pulled
bento that serves."""

from __future__ import annotations

import json

import httpx
import pytest

import tiffin
from tiffin_oci import OCIRemoteStore
from tiffin_oci._mapping import INDEX_TYPE, MANIFEST_TYPE, referrers_tag
from tiffin_oci.testing import pull, push, same_files

pytestmark = pytest.mark.slow

SERVICE = """
import tiffin
from tiffin.io import JSON

MODEL = tiffin.models.get("scaler:latest")


class Scale(tiffin.Runnable):
    SUPPORTED_RESOURCES = ("cpu",)
    SUPPORTS_CPU_MULTI_THREADING = True

    def __init__(self):
        self.factor = float((tiffin.models.get(str(MODEL.tag)).path / "factor.txt").read_text())

    @tiffin.Runnable.method(batchable=False)
    def scale(self, values):
        return [v * self.factor for v in values]


runner = tiffin.Runner(Scale, name="scale", models=[MODEL])
svc = tiffin.Service("scaler-svc", runners=[runner])


@svc.api(input=JSON(), output=JSON())
async def predict(values):
    return await runner.scale.async_run(values)
"""


@pytest.fixture()
def bento(tmp_path):
    with tiffin.models.create("scaler", labels={"stage": "prod"}) as model:
        (model.path / "factor.txt").write_text("3.0")
        (model.path / "weights").mkdir()
        (model.path / "weights" / "w.bin").write_bytes(bytes(range(256)) * 64)
    project = tmp_path / "project"
    project.mkdir()
    (project / "service.py").write_text(SERVICE)
    (project / "bentofile.yaml").write_text("service: service.py:svc\n")
    return tiffin.build(build_ctx=str(project))


def _get(registry, path, accept):
    response = httpx.get(f"http://{registry.host}/v2/{path}", headers={"Accept": accept})
    assert response.status_code == 200, response.text
    return response.json()


def test_a_bento_and_its_models_go_up_and_come_back(registry, bento, tmp_path):
    model = tiffin.models.get(bento.info.models[0].tag)
    with OCIRemoteStore(registry.url()) as store:
        push(store, model)  # as push --with-models does: the models first
        summary = push(store, bento, kind="bento")
        # the model's blobs were mounted from team/models/scaler, not sent again
        assert summary.strategies.get("oci-mount", 0) >= 2
        model_bytes = sum(f.size for f in bento.info.files if f.path.startswith("models/"))
        assert summary.bytes_skipped >= model_bytes

        version = store.get_version("bento", "scaler-svc")
        assert version.manifest == (bento.path / "bento.yaml").read_bytes()
        got = pull(store, "bento", str(bento.tag), tmp_path / "pulled")
        assert got.files == len(bento.info.files)
        again = push(store, bento, kind="bento", force=True)
        assert again.bytes_sent == 0 and again.unchanged == [str(bento.tag)]
    same_files(bento.path, tmp_path / "pulled")

    # the layout: the bento's manifest holds its own files; its model refers to it
    manifest = _get(
        registry, f"team/bentos/scaler-svc/manifests/{bento.tag.version}", MANIFEST_TYPE
    )
    assert manifest["artifactType"] == "application/vnd.tiffin.bento.v1"
    titles = {
        layer["annotations"]["org.opencontainers.image.title"] for layer in manifest["layers"]
    }
    assert titles and not any(t.startswith("models/") for t in titles)
    assert manifest["annotations"]["dev.tiffin.models"] == str(model.tag)
    digest = httpx.head(
        f"http://{registry.host}/v2/team/bentos/scaler-svc/manifests/{bento.tag.version}",
        headers={"Accept": MANIFEST_TYPE},
    ).headers["docker-content-digest"]
    index = _get(registry, f"team/bentos/scaler-svc/manifests/{referrers_tag(digest)}", INDEX_TYPE)
    (ref,) = index["manifests"]
    assert ref["artifactType"] == "application/vnd.tiffin.model.v1"
    referrer = _get(registry, f"team/bentos/scaler-svc/manifests/{ref['digest']}", MANIFEST_TYPE)
    assert referrer["subject"]["digest"] == digest
    assert {x["annotations"]["org.opencontainers.image.title"] for x in referrer["layers"]} == {
        "factor.txt",
        "weights/w.bin",
    }
    assert json.loads(json.dumps(referrer["annotations"]))["dev.tiffin.label.stage"] == "prod"


def test_a_bento_pulled_into_an_empty_home_serves(registry, bento, tmp_path, serve):
    with OCIRemoteStore(registry.url()) as store:
        push(store, bento, kind="bento")  # without pushing the model first: uploaded here
        store_dir = tmp_path / "elsewhere" / "scaler-svc"
        pull(store, "bento", str(bento.tag), store_dir)
    empty_home = tmp_path / "empty-home"
    empty_home.mkdir()
    server = serve(str(store_dir), cwd=tmp_path, env={"TIFFIN_HOME": str(empty_home)})
    response = httpx.post(server.url + "/predict", json=[1, 2], timeout=30)
    assert response.status_code == 200, response.text
    assert response.json() == [3.0, 6.0]


def test_deleting_a_bento_removes_its_referrers(registry, bento):
    with OCIRemoteStore(registry.url()) as store:
        push(store, bento, kind="bento")
        store.delete_version("bento", str(bento.tag))
        assert store.list_versions("bento", "scaler-svc") == []
        tags = httpx.get(f"http://{registry.host}/v2/team/bentos/scaler-svc/tags/list").json()
    assert not tags.get("tags")


def test_a_bare_bento_is_listed_but_its_pull_says_what_is_missing(registry, bento, tmp_path):
    with OCIRemoteStore(registry.url()) as store:
        summary = push(store, bento, kind="bento", bare=True)
        assert summary.bare == [str(bento.tag)] and summary.bytes_sent == 0
        version = store.get_version("bento", "scaler-svc")
        assert version.bare
        with pytest.raises(tiffin.exceptions.NotFound, match="pushed bare"):
            pull(store, "bento", str(bento.tag), tmp_path / "pulled")


def test_a_forced_push_over_another_bento_manifest_replaces_its_referrers(registry, bento):
    with OCIRemoteStore(registry.url()) as store:
        push(store, bento, kind="bento")
        old = httpx.head(
            f"http://{registry.host}/v2/team/bentos/scaler-svc/manifests/{bento.tag.version}",
            headers={"Accept": MANIFEST_TYPE},
        ).headers["docker-content-digest"]
        text = (bento.path / "bento.yaml").read_bytes()
        (bento.path / "bento.yaml").write_bytes(text.replace(b"labels: {}", b"labels: {a: b}"))
        assert (bento.path / "bento.yaml").read_bytes() != text
        summary = push(store, bento, kind="bento", force=True)
        assert summary.bytes_sent == 0
        tags = httpx.get(f"http://{registry.host}/v2/team/bentos/scaler-svc/tags/list").json()
    assert referrers_tag(old) not in tags["tags"]
    assert bento.tag.version in tags["tags"] and len(tags["tags"]) == 2  # version + its index


def test_a_registry_with_the_referrers_api_gets_no_fallback_tag(referrers_registry, bento):
    registry, proxy = referrers_registry
    with OCIRemoteStore(proxy.url()) as store:
        push(store, bento, kind="bento")
        tags = httpx.get(f"http://{registry.host}/v2/team/bentos/scaler-svc/tags/list").json()
        assert tags["tags"] == [bento.tag.version]  # no sha256-... index: the registry keeps them
        (refs,) = proxy.referrers.values()
        assert [r["artifactType"] for r in refs] == ["application/vnd.tiffin.model.v1"]
        store.delete_version("bento", str(bento.tag))
    gone = httpx.get(
        f"http://{registry.host}/v2/team/bentos/scaler-svc/manifests/{refs[0]['digest']}",
        headers={"Accept": MANIFEST_TYPE},
    )
    assert gone.status_code == 404  # the model manifest referring to it went with the bento


def test_a_model_file_missing_from_the_bento_repository_comes_from_the_models(
    registry, bento, tmp_path
):
    model = tiffin.models.get(bento.info.models[0].tag)
    with OCIRemoteStore(registry.url()) as store:
        push(store, model)
        push(store, bento, kind="bento")
        # the bento's repository loses its link to the model's weights (a registry's GC or
        # replication could do this); the models' repository still has them
        weights = next(f for f in model.info.files if f.path == "weights/w.bin")
        link = (
            registry.root
            / "docker/registry/v2/repositories/team/bentos/scaler-svc/_layers"
            / "sha256"
            / weights.sha256
            / "link"
        )
        assert link.is_file()
        link.unlink()
        assert store.client.blob_size("team/bentos/scaler-svc", weights.sha256) is None
        pull(store, "bento", str(bento.tag), tmp_path / "pulled")
    same_files(bento.path, tmp_path / "pulled")


def test_labels_change_after_a_push_and_a_bentos_referrers_follow(registry, bento, tmp_path):
    with OCIRemoteStore(registry.url()) as store:
        push(store, bento, kind="bento")
        old = store.client.head_manifest("team/bentos/scaler-svc", bento.tag.version)
        changed = store.set_labels("bento", str(bento.tag), {"stage": "prod"}, [])
        assert changed.labels == {"stage": "prod"}
        assert store.get_version("bento", "scaler-svc").labels == {"stage": "prod"}
        assert [v.version for v in store.list_versions("bento", labels={"stage": "prod"})] == [
            bento.tag.version
        ]
        new = store.client.head_manifest("team/bentos/scaler-svc", bento.tag.version)
        assert new != old
        tags = store.client.tags("team/bentos/scaler-svc")
        assert referrers_tag(new) in tags and referrers_tag(old) not in tags
        index = _get(registry, f"team/bentos/scaler-svc/manifests/{referrers_tag(new)}", INDEX_TYPE)
        (ref,) = index["manifests"]
        moved = _get(registry, f"team/bentos/scaler-svc/manifests/{ref['digest']}", MANIFEST_TYPE)
        assert moved["subject"]["digest"] == new
        assert store.set_labels("bento", str(bento.tag), {}, ["stage"]).labels == {}
        pull(store, "bento", str(bento.tag), tmp_path / "pulled")
    same_files(bento.path, tmp_path / "pulled")  # the files and bento.yaml never change
