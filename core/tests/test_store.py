"""The model store through ``tiffin.models``: create, get, list, delete, resolution, concurrency."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from datetime import UTC
from pathlib import Path

import attrs
import pytest
import yaml

import tiffin
from tiffin.exceptions import Conflict, InvalidArgument, NotFound, NotStored
from tiffin.testing.fixtures import run_cli


def save(name: str, content: bytes = b"weights", **kwargs: object) -> tiffin.Model:
    with tiffin.models.create(name, **kwargs) as m:
        (m.path / "weights.bin").write_bytes(content)
    return m


def test_create_commits_a_complete_version(tiffin_home: Path) -> None:
    with tiffin.models.create(
        "iris_clf",
        labels={"stage": "candidate"},
        metadata={
            "accuracy": 0.97,
            "classes": ["a", "b"],
            "extra": {"n": 3, "ok": True, "none": None},
        },
        signatures={"predict": {"batchable": True, "batch_dim": 0}},
        options={"method": "predict"},
        framework="custom",
        framework_version="1.2",
    ) as m:
        staging = m.path
        assert staging.is_dir()
        assert not staging.is_relative_to(tiffin_home / "models")
        assert tiffin.models.list() == []  # not visible while being written
        (m.path / "weights.bin").write_bytes(b"0123456789")
        (m.path / "nested" / "deeper").mkdir(parents=True)
        (m.path / "nested" / "deeper" / "config.json").write_text("{}")

    assert not staging.exists()
    assert m.path == tiffin_home / "models" / "iris_clf" / m.tag.version
    assert (m.path / "weights.bin").read_bytes() == b"0123456789"
    info = m.info
    assert info.name == "iris_clf"
    assert info.labels == {"stage": "candidate"}
    assert info.metadata["classes"] == ["a", "b"]
    assert info.signatures["predict"].batchable is True
    assert info.options == {"method": "predict"}
    assert (info.framework, info.framework_version) == ("custom", "1.2")
    assert info.python_version.count(".") == 2
    assert info.tiffin_version == tiffin.__version__
    assert info.created_at.tzinfo is not None and info.created_at.utcoffset() == UTC.utcoffset(None)
    assert [f.path for f in info.files] == ["nested/deeper/config.json", "weights.bin"]
    weights = info.files[1]
    assert weights.size == 10
    assert weights.sha256 == hashlib.sha256(b"0123456789").hexdigest()

    manifest = yaml.safe_load((m.path / "model.yaml").read_text())
    assert manifest["name"] == "iris_clf"
    assert manifest["version"] == m.tag.version
    assert manifest["files"][1] == {"path": "weights.bin", "size": 10, "sha256": weights.sha256}

    got = tiffin.models.get("iris_clf:latest")
    assert got == m
    assert got.info == m.info


def test_info_replaced_inside_the_block_is_what_gets_written() -> None:
    with tiffin.models.create("adapter", options={"a": 1}) as m:
        m.info = attrs.evolve(
            m.info, options={"a": 2, "method": "predict_proba"}, framework="thing"
        )
        (m.path / "model.bin").write_bytes(b"x")
    assert tiffin.models.get("adapter").info.options == {"a": 2, "method": "predict_proba"}
    assert tiffin.models.get("adapter").info.framework == "thing"


def test_custom_objects_are_pickled_and_loaded_back() -> None:
    m = save("with_objects", custom_objects={"vocab": ["a", "b"], "scale": 2.5})
    assert (m.path / "custom_objects.pkl").is_file()
    assert "custom_objects.pkl" in [f.path for f in m.info.files]
    assert tiffin.models.get("with_objects").custom_objects == {"vocab": ["a", "b"], "scale": 2.5}
    assert save("plain").custom_objects == {}


def test_numpy_scalars_in_metadata_become_plain_numbers() -> None:
    np = pytest.importorskip("numpy")
    m = save(
        "np_meta",
        metadata={"acc": np.float64(0.5), "n": np.int64(3), "flag": np.bool_(True), "t": (1, 2)},
    )
    assert m.info.metadata == {"acc": 0.5, "n": 3, "flag": True, "t": [1, 2]}
    assert yaml.safe_load((m.path / "model.yaml").read_text())["metadata"]["acc"] == 0.5


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"labels": {"stage": 1}}, "label 'stage' must have a string value"),
        ({"labels": {1: "x"}}, "label keys must be non-empty strings"),
        ({"labels": ["stage"]}, "labels must be a dict"),
        ({"metadata": {"f": object()}}, "only plain data can be stored"),
        ({"metadata": {1: "x"}}, "keys must be strings"),
        ({"metadata": "text"}, "metadata must be a dict"),
        ({"options": {"fn": print}}, "only plain data"),
        (
            {"signatures": {"predict": {"batchable": "yes"}}},
            "signature for 'predict': 'batchable' must be True or False, got 'yes'",
        ),
        ({"framework": "My Framework"}, "framework name 'My Framework' is not valid"),
        ({"signatures": {"predict": {"batchabel": True}}}, "unknown keys"),
        ({"custom_objects": ["x"]}, "custom_objects must be a dict"),
    ],
)
def test_invalid_arguments_are_clear_errors(kwargs: dict, fragment: str, tiffin_home: Path) -> None:
    with pytest.raises(InvalidArgument) as info, tiffin.models.create("bad_args", **kwargs) as m:
        (m.path / "w").write_bytes(b"x")
    assert fragment in str(info.value)
    assert tiffin.models.list() == []
    assert (
        list((tiffin_home / ".staging").glob("*")) == []
        if (tiffin_home / ".staging").exists()
        else True
    )


def test_bad_name_is_a_clear_error() -> None:
    with pytest.raises(InvalidArgument, match="try 'iris'"), tiffin.models.create("Iris"):
        pass


def test_exception_in_the_block_keeps_nothing(tiffin_home: Path) -> None:
    with pytest.raises(RuntimeError, match="boom"), tiffin.models.create("broken") as m:
        (m.path / "half.bin").write_bytes(b"x" * 1000)
        raise RuntimeError("boom")
    assert not m.path.exists()
    assert tiffin.models.list() == []
    assert not (tiffin_home / "models" / "broken").exists()
    assert list((tiffin_home / ".staging").iterdir()) == []
    # and the next save works
    assert save("broken").tag.name == "broken"


def test_symlinks_inside_a_model_are_refused(tmp_path: Path) -> None:
    outside = tmp_path / "secret"
    outside.write_text("secret")
    with pytest.raises(InvalidArgument, match="symbolic link"), tiffin.models.create("linked") as m:
        os.symlink(outside, m.path / "link")
    assert tiffin.models.list() == []


def test_a_file_named_like_the_manifest_is_refused_not_overwritten(tiffin_home: Path) -> None:
    # it used to be replaced by the manifest without a word: the user's file was lost
    with (
        pytest.raises(InvalidArgument, match=r"model\.yaml .*reserved"),
        tiffin.models.create("clash") as m,
    ):
        (m.path / "model.yaml").write_text("my own config")
    assert tiffin.models.list() == []
    assert list((tiffin_home / ".staging").iterdir()) == []
    with tiffin.models.create("nested") as m:  # deeper down, the name is free
        (m.path / "conf").mkdir()
        (m.path / "conf" / "model.yaml").write_text("my own config")
    assert (m.path / "conf" / "model.yaml").read_text() == "my own config"


@pytest.mark.skipif(sys.platform != "linux", reason="needs byte file names")
@pytest.mark.parametrize(
    ("name", "fragment"),
    [(os.fsdecode(b"w\xffeights.bin"), "not valid UTF-8"), ("conf\\a.json", "backslash")],
)
def test_a_file_name_an_archive_cannot_carry_is_refused_at_save(
    tmp_path: Path, name: str, fragment: str
) -> None:
    # saved, such a version had an unreadable manifest or could be exported but not imported
    with pytest.raises(InvalidArgument, match=fragment), tiffin.models.create("odd") as m:
        (m.path / name).write_bytes(b"x")
    assert tiffin.models.list() == []


def test_get_resolves_latest_exact_and_unique_prefix() -> None:
    first = save("clf", b"1")
    second = save("clf", b"2")
    assert first.tag.version < second.tag.version
    assert tiffin.models.get("clf") == second
    assert tiffin.models.get("clf:latest") == second
    assert tiffin.models.get(f"clf:{first.tag.version}") == first
    assert tiffin.models.get(tiffin.Tag("clf", first.tag.version)) == first
    # the shortest prefix telling them apart resolves; a shared one is ambiguous
    a, b = first.tag.version, second.tag.version
    common = a[: next((i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y), len(a))]
    assert tiffin.models.get(f"clf:{first.tag.version[: len(common) + 1]}") == first
    with pytest.raises(InvalidArgument, match="ambiguous") as info:
        tiffin.models.get(f"clf:{common}" if common else "clf:0")
    assert first.tag.version in str(info.value) and second.tag.version in str(info.value)


def test_unknown_name_and_version_are_helpful_not_found_errors() -> None:
    with pytest.raises(NotFound, match="no models are stored yet"):
        tiffin.models.get("nothing")
    m = save("known")
    with pytest.raises(NotFound) as info:
        tiffin.models.get("unknown")
    assert "known models: known" in str(info.value)
    assert "tiffin models" not in str(info.value)  # no CLI wording in the library's errors
    assert isinstance(info.value, NotStored)
    assert (info.value.kind, info.value.name, info.value.version) == ("model", "unknown", None)
    with pytest.raises(NotStored) as info:
        tiffin.models.get("known:zzzz")
    assert m.tag.version in str(info.value)
    assert (info.value.name, info.value.version) == ("known", "zzzz")


def test_list_is_newest_first_and_filters_by_name_and_labels() -> None:
    a1 = save("alpha", labels={"stage": "dev", "team": "x"})
    b1 = save("beta", labels={"stage": "prod", "team": "x"})
    a2 = save("alpha", labels={"stage": "prod", "team": "y"})
    assert tiffin.models.list() == [a2, b1, a1]
    assert tiffin.models.list("alpha") == [a2, a1]
    assert tiffin.models.list("gamma") == []
    assert tiffin.models.list(labels={"stage": "prod"}) == [a2, b1]
    assert tiffin.models.list("alpha", labels={"stage": "prod"}) == [a2]
    assert tiffin.models.list(labels={"stage": "prod", "team": "x"}) == [b1]
    assert tiffin.models.list(labels={"missing": "x"}) == []
    with pytest.raises(InvalidArgument):
        tiffin.models.list("Not Valid")


def test_folders_without_a_committed_manifest_are_ignored(tiffin_home: Path) -> None:
    m = save("real")
    (tiffin_home / "models" / "real" / "01aaaaaaaaaaaaaa").mkdir()  # half-written, no manifest
    (tiffin_home / "models" / "ghost" / "01bbbbbbbbbbbbbb").mkdir(parents=True)
    assert tiffin.models.list() == [m]
    assert tiffin.models.get("real") == m
    with pytest.raises(NotFound):
        tiffin.models.get("ghost")


def test_delete_removes_the_version_and_the_empty_name(tiffin_home: Path) -> None:
    first = save("gone")
    second = save("gone")
    tiffin.models.delete("gone:latest")
    assert not second.path.exists()
    assert tiffin.models.list() == [first]
    tiffin.models.delete(f"gone:{first.tag.version}")
    assert tiffin.models.list() == []
    assert not (tiffin_home / "models" / "gone").exists()
    assert list((tiffin_home / ".staging").iterdir()) == []
    with pytest.raises(NotFound):
        tiffin.models.delete("gone")


def test_home_is_read_at_every_use(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a = save("where")
    monkeypatch.setenv("TIFFIN_HOME", str(tmp_path / "elsewhere"))
    assert tiffin.models.list() == []
    b = save("where")
    assert b.path.is_relative_to(tmp_path / "elsewhere")
    assert a.path.exists() and not a.path.is_relative_to(tmp_path / "elsewhere")


def test_a_relative_home_gives_absolute_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TIFFIN_HOME", "relative_home")
    model = save("here")
    assert model.path.is_absolute() and model.path.is_relative_to(tmp_path / "relative_home")
    monkeypatch.chdir("/")  # the path still names the model after a change of directory
    assert (model.path / "model.yaml").is_file()


def test_a_home_that_is_a_file_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "afile").write_text("not a folder")
    monkeypatch.setenv("TIFFIN_HOME", str(tmp_path / "afile"))
    with pytest.raises(InvalidArgument, match=r"TIFFIN_HOME is .* not a folder"):
        tiffin.models.list()
    done = run_cli("models", "list")
    assert done.returncode == 1
    assert done.stderr.startswith("error: TIFFIN_HOME is ") and done.stderr.count("\n") == 1
    assert (tmp_path / "afile").read_text() == "not a folder"


def test_fsync_option_still_commits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIFFIN_FSYNC", "1")
    m = save("durable", b"d" * 4096)
    assert tiffin.models.get("durable").info.files == m.info.files


_SAVE_MANY = """
import os, sys, tiffin
tags = []
for i in range(int(sys.argv[2])):
    with tiffin.models.create(sys.argv[1], metadata={"pid": os.getpid(), "i": i}) as m:
        (m.path / "data.bin").write_bytes(os.urandom(2048))
    tags.append(str(m.tag))
print("\\n".join(tags))
"""


def test_concurrent_saves_of_one_name_never_collide(tiffin_home: Path) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _SAVE_MANY, "shared", "15"], stdout=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    outputs = [p.communicate(timeout=120)[0].split() for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0]
    tags = [t for out in outputs for t in out]
    assert len(tags) == len(set(tags)) == 60
    stored = tiffin.models.list("shared")
    assert sorted(str(m.tag) for m in stored) == sorted(tags)
    for m in stored:
        assert m.info.files[0].size == 2048
        assert m.info.metadata["i"] in range(15)
    assert list((tiffin_home / ".staging").iterdir()) == []


def test_a_version_collision_at_commit_gets_a_fresh_version(tiffin_home: Path) -> None:
    existing = save("collide", b"first")
    store = tiffin.models.store()
    with store.staging("collide") as staging:
        (staging / "weights.bin").write_bytes(b"second")
        with pytest.raises(Conflict, match="already exists"):
            store.commit(staging, existing.info, keep_version=True)
        committed = store.commit(staging, existing.info)
    assert committed.tag.version != existing.tag.version
    assert (committed.path / "weights.bin").read_bytes() == b"second"
    assert (existing.path / "weights.bin").read_bytes() == b"first"
    assert tiffin.models.list("collide") == [committed, existing]


def test_only_staging_folders_of_dead_processes_on_this_host_are_cleaned(tiffin_home: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead_pid = int(dead.stdout)
    staging_root = tiffin_home / ".staging"
    with tiffin.models.create("probe") as m:
        own = m.path.name  # "<pid>-<host>-<token>-models-probe"
    pid, host = own.split("-")[:2]
    assert pid == str(os.getpid())
    leftovers = {
        "dead_here": staging_root / f"{dead_pid}-{host}-aaaa-models-x",
        "alive_here": staging_root / f"{os.getppid()}-{host}-bbbb-models-x",
        "dead_elsewhere": staging_root / f"{dead_pid}-0000beef-cccc-models-x",
        "foreign": staging_root / "not-ours",
    }
    for path in leftovers.values():
        (path / "sub").mkdir(parents=True)
    save("probe")
    assert {k for k, p in leftovers.items() if p.exists()} == {
        "alive_here",
        "dead_elsewhere",
        "foreign",
    }


def test_the_chain_of_stores_searches_a_folder_put_in_front_then_home(tmp_path: Path) -> None:
    import pickle
    import shutil

    from tiffin.models import stores

    home_model = save("shared", b"home")
    elsewhere = tmp_path / "carried" / "models"
    shutil.copytree(home_model.path, elsewhere / "shared" / home_model.tag.version)
    tiffin.models.delete(home_model.tag)
    newer = save("shared", b"newer")  # a newer version at home must not shadow the carried one
    only_home = save("only_home")
    carried = type(tiffin.models.store())(
        "models",
        "model.yaml",
        load_info=tiffin.models.ModelInfo.from_dict,
        dump_info=tiffin.models.ModelInfo.to_dict,
        make_item=tiffin.models.Model,
        what="model",
        root=elsewhere,
    )
    chain = stores()
    try:
        chain.put_in_front(carried)
        chain.put_in_front(carried)  # once only
        assert len(chain.stores) == 2 and chain.stores[-1] is tiffin.models.store()
        found = tiffin.models.get("shared:latest")
        assert found.tag == home_model.tag and found.path.is_relative_to(elsewhere)
        assert tiffin.models.get("only_home") == only_home  # a miss in front falls through
        with pytest.raises(NotStored) as caught:
            tiffin.models.get("nowhere")
        assert caught.value.name == "nowhere"
        again = pickle.loads(pickle.dumps(caught.value))  # crosses process boundaries intact
        assert (type(again), str(again), again.name) == (NotStored, str(caught.value), "nowhere")
    finally:
        chain.clear_front()
    assert tiffin.models.get("shared:latest") == newer
