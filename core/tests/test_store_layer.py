"""The store layer as users and plugin authors meet it: one copy operation between places, a
remote registered through the ``register_remotes`` hook, chosen versions, local-first pulls,
auto-pull at the end of the chain, and the summaries people read."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import tiffin
from tiffin import _plugins, hookspecs
from tiffin.exceptions import AlreadyStored, InvalidArgument, NotFound, RegistryError
from tiffin.store import (
    LOCAL,
    Archive,
    Remote,
    RemoteVersion,
    TransferOptions,
    TransferSummary,
    copy,
    summary_dict,
    summary_line,
)
from tiffin.store.tag import Tag


class MemoryStore:
    """A whole remote in a dict: what a third-party ``register_remotes`` plugin provides."""

    def __init__(self, url: str, blobs: dict[str, bytes], versions: dict[Any, Any]) -> None:
        self.url = url
        self.blobs = blobs
        self.versions = versions
        self.corrupt = False
        self.closed = False

    def _find(self, kind: str, tag: str) -> RemoteVersion:
        parsed = Tag.parse(tag)
        mine = sorted(
            (v for (k, n, _), v in self.versions.items() if k == kind and n == parsed.name),
            key=lambda v: v.version,
            reverse=True,
        )
        for version in mine:
            if parsed.version is None or version.version == parsed.version:
                return version
        raise NotFound(f"{self.url} has no {kind} {tag}")

    def list_versions(self, kind, name=None, labels=None):
        found = [v for (k, n, _), v in self.versions.items() if k == kind and name in (None, n)]
        return sorted(found, key=lambda v: v.version, reverse=True)

    def get_version(self, kind, tag):
        return self._find(kind, tag)

    def push_version(self, kind, folder, manifest, files, options, summary):
        tag = next(f for f in manifest.decode().splitlines() if f.startswith("version:"))
        name = next(f for f in manifest.decode().splitlines() if f.startswith("name:"))
        key = (kind, name.split(":", 1)[1].strip(), tag.split(":", 1)[1].strip())
        for entry in () if options.bare else files:
            if entry.sha256 not in self.blobs:
                self.blobs[entry.sha256] = (Path(folder) / entry.path).read_bytes()
                summary.files_sent += 1
                summary.bytes_sent += entry.size
        self.versions[key] = RemoteVersion(
            kind=kind, name=key[1], version=key[2], manifest=manifest, bare=options.bare
        )

    def pull_version(self, version, folder, files, options, summary):
        for entry in files:
            data = self.blobs[entry.sha256]
            if self.corrupt:
                data = b"x" + data[1:]
            target = Path(folder) / entry.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            summary.files_sent += 1
            summary.bytes_sent += len(data)

    def delete_version(self, kind, tag):
        version = self._find(kind, tag)
        del self.versions[(kind, version.name, version.version)]

    def close(self):
        self.closed = True


class MemoryRemote:
    schemes = ("mem",)

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}
        self.versions: dict[Any, Any] = {}
        self.opened: list[MemoryStore] = []

    def open(self, url: str, token: str | None) -> MemoryStore:
        store = MemoryStore(url, self.blobs, self.versions)
        self.opened.append(store)
        return store


@pytest.fixture
def remote(monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryRemote]:
    """A ``mem://`` remote installed as a plugin and configured as the registry."""
    memory = MemoryRemote()

    class Plugin:
        @hookspecs.hookimpl
        def register_remotes(self, register):
            register(memory)

    _plugins.reset()
    _plugins.plugin_manager().register(Plugin(), name="memory-remote")
    monkeypatch.setenv("TIFFIN_REGISTRY_URL", "mem://team")
    monkeypatch.delenv("TIFFIN_REGISTRY_TOKEN", raising=False)
    yield memory
    _plugins.reset()


def _model(name: str = "clf", content: bytes = b"weights") -> tiffin.Model:
    with tiffin.models.create(name, labels={"stage": "dev"}) as m:
        (m.path / "w.bin").write_bytes(content)
        (m.path / "sub").mkdir()
        (m.path / "sub" / "same.bin").write_bytes(content)
    return m


def test_the_remotes_hook_protocols_are_runtime_checkable() -> None:
    memory = MemoryRemote()
    assert isinstance(memory, hookspecs.Remote)
    assert isinstance(memory.open("mem://x", None), hookspecs.RemoteStore)
    assert "http" in _plugins.remotes() and "https" in _plugins.remotes()


def test_push_and_pull_through_a_plugin_remote(remote: MemoryRemote, tmp_path, monkeypatch) -> None:
    model = _model()
    summary = tiffin.models.push(model.tag)
    assert isinstance(summary, TransferSummary)
    assert summary.tags == [str(model.tag)] and summary.files == 2
    assert summary.bytes_sent == len(b"weights")  # the same content once
    assert all(store.closed for store in remote.opened)
    listed = tiffin.models.list_remote()
    assert [v.tag for v in listed] == [str(model.tag)]
    assert tiffin.models.get_remote("clf").manifest == (model.path / "model.yaml").read_bytes()

    monkeypatch.setenv("TIFFIN_HOME", str(tmp_path / "elsewhere"))
    pulled = tiffin.models.pull("clf:latest")
    assert pulled.tag == model.tag
    assert (pulled.path / "sub" / "same.bin").read_bytes() == b"weights"


def test_a_remote_that_sends_wrong_bytes_stores_nothing(remote, tmp_path, monkeypatch) -> None:
    model = _model()
    tiffin.models.push(model.tag)
    monkeypatch.setenv("TIFFIN_HOME", str(tmp_path / "elsewhere"))
    remote.opened.clear()
    original = MemoryRemote.open

    def corrupting(self, url, token):
        store = original(self, url, token)
        store.corrupt = True
        return store

    monkeypatch.setattr(MemoryRemote, "open", corrupting)
    with pytest.raises(RegistryError, match="does not match its manifest"):
        tiffin.models.pull(str(model.tag))
    assert tiffin.models.list() == []


def test_an_exact_tag_already_stored_is_pulled_without_any_network(monkeypatch) -> None:
    model = _model()
    monkeypatch.setenv("TIFFIN_REGISTRY_URL", "http://127.0.0.1:9")  # nothing answers there
    assert tiffin.models.pull(str(model.tag)) == model
    done = copy("model", model.tag, Remote(), LOCAL)
    assert done.summary.unchanged == [str(model.tag)]
    assert summary_line(done.summary).startswith(f"already there: {model.tag}")
    from tiffin.exceptions import RegistryUnreachable

    with pytest.raises(RegistryUnreachable):
        tiffin.models.pull("clf:latest")  # latest asks the registry
    with pytest.raises(RegistryUnreachable):
        tiffin.models.pull(str(model.tag), force=True)  # force downloads again


def test_export_and_import_are_the_same_copy(tmp_path) -> None:
    model = _model()
    archive = str(tmp_path / "clf.tar")
    exported = copy("model", model.tag, LOCAL, Archive(archive))
    assert exported.url == archive and exported.summary.action == "export"
    again = copy("model", None, Archive(archive), LOCAL)
    assert again.item == model and again.summary.unchanged == [str(model.tag)]
    assert summary_dict(again.summary)["seconds"] == round(again.summary.seconds, 3)
    with pytest.raises(InvalidArgument, match="cannot copy a model from Archive to Remote"):
        copy("model", model.tag, Archive(archive), Remote())
    with pytest.raises(InvalidArgument, match="threads must be a positive integer"):
        copy("model", model.tag, LOCAL, Archive(archive), TransferOptions(threads=0))


def test_chosen_versions_are_kept_and_latest_is_the_newest_created() -> None:
    first = _model("sentiment")
    with tiffin.models.create("sentiment:v1_approved") as chosen:
        (chosen.path / "w.bin").write_bytes(b"1")
    assert chosen.tag == Tag("sentiment", "v1_approved")
    last = _model("sentiment", b"later")
    assert [m.tag for m in tiffin.models.list("sentiment")] == [last.tag, chosen.tag, first.tag]
    assert tiffin.models.get("sentiment:latest") == last
    already = pytest.raises(AlreadyStored, match="sentiment:v1_approved is already stored")
    with already, tiffin.models.create("sentiment:v1_approved"):
        pass
    with pytest.raises(InvalidArgument, match="Bad"), tiffin.models.create("sentiment:Bad"):
        pass


def test_auto_pull_is_the_last_store_of_the_chain(remote, tmp_path, monkeypatch, capfd) -> None:
    model = _model()
    tiffin.models.push(model.tag)
    monkeypatch.setenv("TIFFIN_HOME", str(tmp_path / "fresh"))
    with pytest.raises(NotFound):
        tiffin.models.get(str(model.tag))  # not in serve/batch: no pulling behind one's back
    monkeypatch.setenv("TIFFIN_AUTO_PULL_ACTIVE", "1")  # what `tiffin serve` sets
    monkeypatch.setenv("TIFFIN_AUTO_PULL", "0")
    with pytest.raises(NotFound, match=r"auto-pull is off .*tiffin models pull"):
        tiffin.models.get(str(model.tag))
    monkeypatch.setenv("TIFFIN_AUTO_PULL", "1")
    with pytest.raises(NotFound, match="the registry at mem://team was asked too"):
        tiffin.models.get("nosuch:v1")
    assert tiffin.models.get(str(model.tag)).tag == model.tag
    tiffin.models.delete(str(model.tag))
    assert tiffin.models.get(str(model.tag)).tag == model.tag
    notices = capfd.readouterr().err
    assert notices.count(f"model {model.tag} is not stored here: pulling it from mem://team") == 1


def test_a_url_whose_scheme_no_remote_serves_says_so(monkeypatch) -> None:
    model = _model()
    monkeypatch.setenv("TIFFIN_REGISTRY_URL", "oci://registry.example/team")
    with pytest.raises(InvalidArgument, match=r"http://host.*oci:// needs tiffin-oci"):
        tiffin.models.push(model.tag)


def test_the_summary_line_says_what_moved() -> None:
    summary = TransferSummary("push", tags=["a:1"], files=3, files_sent=1, bytes_sent=2048)
    summary.bytes_resumed = 1024
    line = summary_line(summary)
    assert line.startswith("pushed a:1: 3 files, 2.0 KiB sent") and "1.0 KiB resumed" in line


def test_importing_a_stored_model_again_says_it_was_there(cli, tmp_path) -> None:
    model = _model()
    archive = str(tmp_path / "clf.tar")
    tiffin.models.export_model(model.tag, archive)
    again = cli("models", "import", archive)
    assert again.returncode == 0, again.stderr
    assert f"Model {model.tag} was already stored" in again.stdout
    assert "Imported" not in again.stdout


def test_an_address_that_is_no_tiffin_registry_says_so(cli) -> None:
    import http.server
    import threading

    class NotARegistry(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # what a model server answers for an unknown path
            self.send_response(404)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"no route /api/v1/models/versions")

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NotARegistry)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        done = cli("models", "list", "--remote", env={"TIFFIN_REGISTRY_URL": url})
    finally:
        server.shutdown()
        server.server_close()
    assert done.returncode == 1
    assert f"{url} does not answer as a tiffin registry" in done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


def test_save_model_keeps_a_chosen_version() -> None:
    from tiffin.frameworks import FrameworkAdapter

    class Doubler:
        def predict(self, x: Any) -> Any:
            return x * 2

    class PickleAdapter(FrameworkAdapter):
        name = "picklefw"

        def framework_version(self) -> str:
            return "1"

        def accepts(self, model: Any) -> bool:
            return isinstance(model, Doubler)

        def save(self, model: Any, path: Path, options: dict[str, Any]) -> None:
            (path / "model.txt").write_text("2")

        def load(self, model: Any, **kwargs: Any) -> Any:
            return Doubler()

    class Plugin:
        @hookspecs.hookimpl
        def register_frameworks(self, register):
            register(PickleAdapter())

    _plugins.reset()
    _plugins.plugin_manager().register(Plugin(), name="builtin.test-picklefw")
    try:
        adapter = _plugins.framework("picklefw")
        saved = adapter.save_model("doubler:v1_approved", Doubler(), signatures={"predict": {}})
        assert saved.tag == Tag("doubler", "v1_approved")
        assert tiffin.models.get("doubler:latest").tag == saved.tag
        with pytest.raises(AlreadyStored):
            adapter.save_model("doubler:v1_approved", Doubler(), signatures={"predict": {}})
    finally:
        _plugins.reset()


def test_the_store_package_is_light_and_its_names_resolve() -> None:
    import subprocess
    import sys

    code = (
        "import sys, tiffin.store as s\n"
        "heavy = [m for m in ('httpx', 'fsspec', 'rich', 'cattrs') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "missing = [n for n in s.__all__ if getattr(s, n, None) is None]\n"
        "assert not missing, missing\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_serve_of_a_missing_tag_says_what_auto_pull_did(cli) -> None:
    from tiffin.testing.fixtures import free_port

    env = {"TIFFIN_REGISTRY_URL": "http://127.0.0.1:9", "TIFFIN_AUTO_PULL": "0"}
    port = str(free_port())
    off = cli("serve", "iris_clasifier:latest", "--port", port, env=env)
    assert off.returncode == 1 and off.stderr.count("\n") == 1
    assert "auto-pull is off (TIFFIN_AUTO_PULL=0)" in off.stderr
    assert "run `tiffin pull iris_clasifier:latest` first" in off.stderr
    on = cli("serve", "iris_clasifier:latest", "--port", port, env={**env, "TIFFIN_AUTO_PULL": "1"})
    assert on.returncode == 1
    assert on.stderr.count("pulling it from http://127.0.0.1:9\n") == 1  # the notice, once
    assert "pulling it from the registry at http://127.0.0.1:9 failed" in on.stderr


def test_a_bare_push_sends_the_manifest_only(remote, tmp_path, monkeypatch) -> None:
    model = _model()
    summary = tiffin.models.push(model.tag, bare=True)
    assert summary.bare == [str(model.tag)] and summary.bytes_sent == 0 and not remote.blobs
    assert "bare (manifest only)" in summary_line(summary)
    assert tiffin.models.list_remote()[0].bare
    monkeypatch.setenv("TIFFIN_HOME", str(tmp_path / "elsewhere"))
    with pytest.raises(NotFound, match=r"was pushed bare: .* none of its 2 files"):
        tiffin.models.pull(str(model.tag))
    assert tiffin.models.list() == []
