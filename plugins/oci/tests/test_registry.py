"""Models through a real Distribution server: byte for byte, dedup, force, conflicts, listing,
resumed uploads and downloads, digests, and an independent client (oras) reading them."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

import tiffin
from tiffin.exceptions import (
    Conflict,
    DigestMismatch,
    InvalidArgument,
    NotFound,
    RegistryError,
    RegistryUnreachable,
)
from tiffin_oci import OCIRemoteStore
from tiffin_oci.testing import make_model, pull, push, same_files

pytestmark = pytest.mark.slow


def test_a_model_goes_up_and_comes_back_byte_for_byte(registry, tmp_path):
    model = make_model(labels={"stage": "prod", "team": "ml"})
    with OCIRemoteStore(registry.url()) as store:
        summary = push(store, model)
        assert summary.tags == [str(model.tag)]
        assert summary.files == 4 and summary.files_sent == 3  # copy.bin is weights.bin's blob
        assert summary.bytes_sent == sum(f.size for f in model.info.files) - 4096

        version = store.get_version("model", "iris:latest")
        assert (version.name, version.version) == (model.tag.name, model.tag.version)
        assert version.manifest == (model.path / "model.yaml").read_bytes()
        assert version.labels == {"stage": "prod", "team": "ml"}
        assert version.size == sum(f.size for f in model.info.files)

        got = pull(store, "model", str(model.tag), tmp_path / "pulled")
        assert got.files_sent == 4 and got.bytes_resumed == 0
    same_files(model.path, tmp_path / "pulled")


def test_an_unchanged_push_sends_no_blob_bytes_even_with_force(registry):
    model = make_model()
    with OCIRemoteStore(registry.url()) as store:
        push(store, model)
        before = registry.requests("POST", "blobs/uploads") + registry.requests("PATCH")

        again = push(store, model)
        assert again.unchanged == [str(model.tag)] and again.bytes_sent == 0

        forced = push(store, model, force=True)
        assert forced.bytes_sent == 0 and forced.files_sent == 0
        assert forced.bytes_skipped == sum(f.size for f in model.info.files)
        assert forced.unchanged == [str(model.tag)]  # same manifest: nothing to re-commit
    # no upload was even opened
    assert registry.requests("POST", "blobs/uploads") + registry.requests("PATCH") == before


def test_force_recommits_a_changed_manifest_without_resending_held_blobs(registry):
    model = make_model()
    with OCIRemoteStore(registry.url()) as store:
        push(store, model)
        # the same version with one more label: a different manifest, the same files
        text = (model.path / "model.yaml").read_bytes().replace(b"stage: dev", b"stage: prod")
        (model.path / "model.yaml").write_bytes(text)
        with pytest.raises(Conflict, match="force"):
            push(store, model)
        uploads = registry.requests("POST", "blobs/uploads")
        forced = push(store, model, force=True)
        assert forced.bytes_sent == 0 and forced.files_skipped == 4
        assert store.get_version("model", str(model.tag)).labels == {"stage": "prod"}
    # only the new config blob (the changed model.yaml) was uploaded
    assert registry.requests("POST", "blobs/uploads") == uploads + 1


def test_listing_uses_the_catalog_and_resolves_versions(registry):
    first = make_model("iris")
    second = make_model("iris")
    other = make_model("wine", labels={"stage": "prod"})
    with OCIRemoteStore(registry.url()) as store:
        for m in (first, second, other):
            push(store, m)
        assert [str(v.version) for v in store.list_versions("model", "iris")] == [
            second.tag.version,
            first.tag.version,
        ]
        assert {v.name for v in store.list_versions("model")} == {"iris", "wine"}
        assert [v.name for v in store.list_versions("model", labels={"stage": "prod"})] == ["wine"]
        assert store.get_version("model", "iris").version == second.tag.version
        assert (
            store.get_version("model", f"iris:{first.tag.version[:12]}").version
            == first.tag.version
        )
        with pytest.raises(NotFound, match="holds no model"):
            store.get_version("model", "nope")
        with pytest.raises(NotFound, match="holds no model iris:zzz"):
            store.get_version("model", "iris:zzz")
        store.delete_version("model", str(first.tag))
        assert [v.version for v in store.list_versions("model", "iris")] == [second.tag.version]


def test_a_wrong_digest_is_refused_and_nothing_lands(registry, tmp_path, tiffin_home):
    model = make_model()
    with OCIRemoteStore(registry.url()) as store:
        push(store, model)
        entry = next(f for f in model.info.files if f.path == "nested/deeper/vocab.txt")
        blob = registry.blob_file(entry.sha256)
        blob.write_bytes(b"x\ny\nz\n")  # same size, other bytes: the registry serves them
        with pytest.raises(DigestMismatch, match="refused, nothing was kept") as info:
            pull(store, "model", str(model.tag), tmp_path / "pulled")
        assert "\n" not in str(info.value)
    assert not (tmp_path / "pulled" / "nested" / "deeper" / "vocab.txt").exists()
    partial = tiffin_home / ".staging" / "oci-downloads" / f"sha256-{entry.sha256}"
    assert not partial.exists()  # the bad bytes are not kept for a "resume" either


def test_an_interrupted_download_resumes_where_it_stopped(registry, tmp_path, tiffin_home):
    model = make_model(big=3 << 20)
    big = next(f for f in model.info.files if f.path == "big.bin")
    with OCIRemoteStore(registry.url()) as store:
        push(store, model)
        partial = tiffin_home / ".staging" / "oci-downloads" / f"sha256-{big.sha256}"
        partial.parent.mkdir(parents=True, exist_ok=True)
        partial.write_bytes((model.path / "big.bin").read_bytes()[: 1 << 20])  # a killed pull
        got = pull(store, "model", str(model.tag), tmp_path / "pulled")
    assert got.bytes_resumed == 1 << 20
    assert "Range" in registry.access_log() or got.bytes_sent < sum(
        f.size for f in model.info.files
    )
    same_files(model.path, tmp_path / "pulled")
    assert not partial.exists()


PUSH_AND_DIE = """
import os
import tiffin
from tiffin_oci.testing import push
from tiffin_oci import OCIRemoteStore

model = tiffin.models.get({tag!r})
seen = 0
def progress(done, total):
    if done > {kill_after}:
        os._exit(3)   # killed half-way: no cleanup runs
store = OCIRemoteStore({url!r}, chunk_size=1 << 20, monolithic_limit=1 << 20)
push(store, model, progress=progress, threads=1)
"""


def test_a_push_killed_half_way_resumes_without_resending_what_arrived(registry, tmp_path):
    model = make_model(big=6 << 20)
    script = PUSH_AND_DIE.format(tag=str(model.tag), url=registry.url(), kill_after=3 << 20)
    died = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert died.returncode == 3, died.stderr

    with OCIRemoteStore(registry.url(), chunk_size=1 << 20, monolithic_limit=1 << 20) as store:
        with pytest.raises(NotFound):
            store.get_version("model", str(model.tag))  # nothing visible after the kill
        summary = push(store, model, threads=1)
        total = sum(f.size for f in model.info.files)
        assert summary.bytes_resumed >= 2 << 20, summary
        assert summary.bytes_sent <= total - (2 << 20)
        assert summary.bytes_sent + summary.bytes_resumed + summary.bytes_skipped == total
        pull(store, "model", str(model.tag), tmp_path / "pulled")
    same_files(model.path, tmp_path / "pulled")
    assert registry.requests("GET", "team/models/iris/blobs/uploads/") >= 1  # asked where to go on


def test_large_blobs_go_up_in_chunks_and_small_ones_in_one_put(registry, tmp_path):
    model = make_model(big=(5 << 20) + 123)
    with OCIRemoteStore(registry.url(), chunk_size=2 << 20, monolithic_limit=1 << 20) as store:
        push(store, model, threads=4)
        pull(store, "model", str(model.tag), tmp_path / "pulled", threads=4)
    assert registry.requests("PATCH", "team/models/iris/blobs/uploads/") == 3
    same_files(model.path, tmp_path / "pulled")


def test_oras_pulls_the_same_files(registry, tmp_path):
    import oras.client as oras_client

    model = make_model()
    with OCIRemoteStore(registry.url()) as store:
        push(store, model)
    client = oras_client.OrasClient(hostname=registry.host, insecure=True)
    out = tmp_path / "oras"
    client.pull(target=f"{registry.host}/team/models/iris:{model.tag.version}", outdir=str(out))
    expected = tmp_path / "expected"
    expected.mkdir()
    for f in model.info.files:
        (expected / f.path).parent.mkdir(parents=True, exist_ok=True)
        (expected / f.path).write_bytes((model.path / f.path).read_bytes())
    same_files(expected, out)


def test_nothing_listening_is_one_clear_line(tmp_path):
    from tiffin.testing.fixtures import free_port

    store = OCIRemoteStore(f"oci://127.0.0.1:{free_port()}/team")
    with store, pytest.raises(RegistryUnreachable, match="no OCI registry answered") as info:
        store.list_versions("model", "iris")
    assert "\n" not in str(info.value)


def test_a_bad_kind_or_tag_is_refused(registry):
    with OCIRemoteStore(registry.url()) as store:
        with pytest.raises(InvalidArgument, match="kind must be"):
            store.list_versions("dataset", "x")
        with pytest.raises(InvalidArgument, match="cannot be an OCI tag"):
            store.get_version("model", "iris:-bad")


def test_a_download_cut_off_mid_blob_goes_on_from_where_it_was(registry, breaking_proxy, tmp_path):
    model = make_model(big=6 << 20)
    with OCIRemoteStore(registry.url()) as store:
        push(store, model)
    proxy = breaking_proxy("down", after=2 << 20)
    with OCIRemoteStore(proxy.url()) as store:
        pull(store, "model", str(model.tag), tmp_path / "pulled", threads=1)
    assert proxy.broken == 1
    same_files(model.path, tmp_path / "pulled")


def test_an_upload_cut_off_mid_chunk_asks_where_to_go_on(registry, breaking_proxy, tmp_path):
    model = make_model(big=6 << 20)
    proxy = breaking_proxy("up", after=(2 << 20) + (300 << 10))
    with OCIRemoteStore(proxy.url(), chunk_size=1 << 20, monolithic_limit=1 << 20) as store:
        summary = push(store, model, threads=1)
        assert proxy.broken == 1
        assert summary.bytes_sent >= 6 << 20
        pull(store, "model", str(model.tag), tmp_path / "pulled")
    same_files(model.path, tmp_path / "pulled")


def test_a_server_that_is_no_oci_registry_is_one_clear_line(tmp_path):
    import http.server
    import threading

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"oci://127.0.0.1:{server.server_address[1]}/team"
        with OCIRemoteStore(url) as store, pytest.raises(RegistryError) as info:
            store.list_versions("model", "iris")
    finally:
        server.shutdown()
        server.server_close()
    assert "is not an OCI registry" in str(info.value) and "\n" not in str(info.value)


def test_threads_sharing_a_store_share_one_connection_pool(registry):
    from concurrent.futures import ThreadPoolExecutor

    before = registry.requests("GET", "")
    with OCIRemoteStore(registry.url()) as store, ThreadPoolExecutor(8) as pool:
        clients = set(pool.map(lambda _: id(store.client), range(8)))
    assert len(clients) == 1
    assert registry.requests("GET", "") == before + 1  # one GET /v2/ check, not eight


def test_other_tags_and_artifacts_in_a_repository_are_left_out_of_listings(
    registry, tmp_path, monkeypatch
):
    import oras.client as oras_client

    model = make_model()
    with OCIRemoteStore(registry.url()) as store:
        push(store, model)
        # an alias tag for the same manifest, and a foreign artifact, in the same repository
        manifest = httpx.get(
            f"http://{registry.host}/v2/team/models/iris/manifests/{model.tag.version}",
            headers={"Accept": "application/vnd.oci.image.manifest.v1+json"},
        )
        httpx.put(
            f"http://{registry.host}/v2/team/models/iris/manifests/prod",
            content=manifest.content,
            headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"},
        ).raise_for_status()
        note = tmp_path / "note.txt"
        note.write_text("not a model")
        client = oras_client.OrasClient(hostname=registry.host, insecure=True)
        monkeypatch.chdir(tmp_path)  # oras pushes files from the working folder only
        client.push(target=f"{registry.host}/team/models/iris:notes", files=["note.txt"])

        assert [v.version for v in store.list_versions("model", "iris")] == [model.tag.version]
        assert store.get_version("model", "iris").version == model.tag.version
        assert store.get_version("model", "iris:prod").version == model.tag.version  # an alias


def test_a_small_blob_cut_off_mid_upload_is_sent_again(registry, breaking_proxy, tmp_path):
    model = make_model(big=3 << 20)  # under the monolithic limit: one POST + PUT
    proxy = breaking_proxy("up", after=1 << 20)
    with OCIRemoteStore(proxy.url()) as store:
        push(store, model, threads=1)
        assert proxy.broken == 1
        pull(store, "model", str(model.tag), tmp_path / "pulled")
    same_files(model.path, tmp_path / "pulled")


def test_an_empty_model_and_odd_file_names_round_trip(registry, tmp_path):
    with tiffin.models.create("empty"):
        pass
    with tiffin.models.create("odd") as m:
        (m.path / "with space.txt").write_text("a")
        (m.path / "naïve — ünïcode.bin").write_bytes(b"\x00\x01")
    with OCIRemoteStore(registry.url()) as store:
        for name in ("empty", "odd"):
            model = tiffin.models.get(name)
            push(store, model)
            pull(store, "model", str(model.tag), tmp_path / name)
            same_files(model.path, tmp_path / name)
