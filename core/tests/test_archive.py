"""Export and import: round trips, and every kind of bad archive refused with nothing written."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import stat
import subprocess
import sys
import tarfile
import threading
from collections.abc import Iterable
from pathlib import Path

import pytest
import yaml

import tiffin
from tiffin.exceptions import AlreadyStored, Conflict, InvalidArchive, InvalidArgument, NotFound
from tiffin.testing.fixtures import run_cli

WEIGHTS = os.urandom(300_000)


@pytest.fixture
def model() -> tiffin.Model:
    with tiffin.models.create("iris", labels={"stage": "prod"}, metadata={"acc": 0.9}) as m:
        (m.path / "weights.bin").write_bytes(WEIGHTS)
        (m.path / "conf").mkdir()
        (m.path / "conf" / "params.json").write_text('{"c": 1}')
        (m.path / "empty.txt").write_bytes(b"")
    return m


def assert_same_model(a: tiffin.Model, b: tiffin.Model) -> None:
    assert a.tag == b.tag
    assert a.info == b.info
    for entry in a.info.files:
        assert (a.path / entry.path).read_bytes() == (b.path / entry.path).read_bytes()
    assert (a.path / "model.yaml").read_bytes() == (b.path / "model.yaml").read_bytes()


def store_is_empty(home: Path) -> bool:
    staging = home / ".staging"
    models = home / "models"
    return (not staging.exists() or not any(staging.iterdir())) and (
        not models.exists() or not any(models.iterdir())
    )


# -- round trips ------------------------------------------------------------------------------


@pytest.mark.parametrize("compression", [None, "gz", "xz"])
def test_round_trip_through_a_local_file(
    model: tiffin.Model, tmp_path: Path, compression: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "iris.tiffin"
    seen: list[tuple[int, int]] = []
    assert tiffin.models.export_model(
        "iris:latest",
        str(target),
        compression=compression,
        progress=lambda d, t: seen.append((d, t)),
    ) == str(target)
    assert seen and seen[-1][0] == seen[-1][1] == sum(f.size for f in model.info.files) + len(
        (model.path / "model.yaml").read_bytes()
    )
    assert [p.name for p in tmp_path.iterdir()] == ["iris.tiffin"]  # no temporary left behind

    # a real tar that tar tools read, manifest first, files in manifest order
    with tarfile.open(target) as tar:
        assert tar.getnames() == ["model.yaml", "conf/params.json", "empty.txt", "weights.bin"]
    if compression == "gz":
        assert target.read_bytes()[:2] == b"\x1f\x8b"

    monkeypatch.setenv("TIFFIN_HOME", str(tmp_path / "other_home"))
    progress: list[tuple[int, int]] = []
    imported = tiffin.models.import_model(
        str(target), progress=lambda d, t: progress.append((d, t))
    )
    assert_same_model(model, imported)
    assert imported.path.is_relative_to(tmp_path / "other_home")
    assert progress[-1][0] == progress[-1][1]
    assert tiffin.models.list() == [imported]


def test_round_trip_through_memory_and_file_urls(model: tiffin.Model, tmp_path: Path) -> None:
    tiffin.models.export_model(model.tag, "memory://exports/iris.tiffin")
    tiffin.models.export_model(model.tag, f"file://{tmp_path}/iris.tar")
    original = (model.path / "model.yaml").read_bytes()
    tiffin.models.delete(model.tag)
    assert tiffin.models.list() == []
    imported = tiffin.models.import_model("memory://exports/iris.tiffin")
    assert imported.tag == model.tag
    assert (imported.path / "weights.bin").read_bytes() == WEIGHTS
    assert (imported.path / "model.yaml").read_bytes() == original
    tiffin.models.delete(model.tag)
    assert tiffin.models.import_model(f"file://{tmp_path}/iris.tar").info == model.info


def test_paths_may_be_pathlib_paths(model: tiffin.Model, tmp_path: Path) -> None:
    target = tmp_path / "iris.tiffin"
    tiffin.models.export_model(model.tag, target)  # a Path, as data scientists write them
    tiffin.models.delete(model.tag)
    assert tiffin.models.import_model(target).info == model.info


def test_export_is_deterministic(model: tiffin.Model, tmp_path: Path) -> None:
    tiffin.models.export_model(model.tag, str(tmp_path / "a.tar"))
    tiffin.models.export_model(model.tag, str(tmp_path / "b.tar"))
    assert (tmp_path / "a.tar").read_bytes() == (tmp_path / "b.tar").read_bytes()


def test_importing_an_identical_version_returns_the_stored_one(
    model: tiffin.Model, tmp_path: Path
) -> None:
    tiffin.models.export_model(model.tag, str(tmp_path / "a.tar"))
    assert tiffin.models.import_model(str(tmp_path / "a.tar")) == model
    assert tiffin.models.list() == [model]


def test_importing_a_different_version_with_the_same_tag_is_a_conflict(
    model: tiffin.Model, tmp_path: Path
) -> None:
    manifest = yaml.safe_load((model.path / "model.yaml").read_text())
    manifest["labels"] = {"stage": "evil"}
    path = tmp_path / "other.tar"
    build(
        path,
        manifest,
        [
            (m, (model.path / m).read_bytes())
            for m in ("conf/params.json", "empty.txt", "weights.bin")
        ],
    )
    with pytest.raises(AlreadyStored, match="already stored with different contents") as caught:
        tiffin.models.import_model(str(path))
    assert isinstance(caught.value, Conflict)
    assert (caught.value.kind, caught.value.tag) == ("model", str(model.tag))
    assert tiffin.models.get(model.tag).info.labels == {"stage": "prod"}
    done = run_cli("models", "import", str(path))  # the CLI adds the command that fixes it
    assert done.returncode == 1 and done.stderr.count("\n") == 1
    assert f"(`tiffin models delete {model.tag}`)" in done.stderr


def test_export_errors_are_clear(model: tiffin.Model, tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument, match="compression must be one of"):
        tiffin.models.export_model(model.tag, str(tmp_path / "x"), compression="zip")
    with pytest.raises(NotFound):
        tiffin.models.export_model("nope", str(tmp_path / "x"))
    with pytest.raises(InvalidArgument, match="cannot write"):
        tiffin.models.export_model(model.tag, str(tmp_path / "missing_dir" / "x.tar"))
    with pytest.raises(InvalidArgument, match="directory"):
        tiffin.models.export_model(model.tag, str(tmp_path))
    assert list(tmp_path.iterdir()) == []


def test_import_of_a_missing_archive_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="no archive"):
        tiffin.models.import_model(str(tmp_path / "nothing.tar"))


def _drain_fifo(path: Path, limit: int | None = None) -> tuple[threading.Thread, list[bytes]]:
    """A reader for the FIFO at ``path``: reads it all (or ``limit`` bytes, then hangs up)."""
    got: list[bytes] = []

    def read() -> None:
        with open(path, "rb") as f:
            got.append(f.read() if limit is None else f.read(limit))

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread, got


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_export_into_a_special_file_writes_into_it_and_keeps_it(
    model: tiffin.Model, tmp_path: Path
) -> None:
    # a device or a FIFO (/dev/full, /dev/stdout, a pipe) is written into, never renamed over
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    thread, got = _drain_fifo(fifo)
    tiffin.models.export_model(model.tag, str(fifo))
    thread.join(10)
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    with tarfile.open(fileobj=io.BytesIO(got[0])) as tar:
        assert tar.getnames()[0] == "model.yaml"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]


def test_export_through_a_symlink_writes_the_linked_file_and_keeps_the_link(
    model: tiffin.Model, tmp_path: Path
) -> None:
    # renaming over a link replaced it; /dev/stdout is such a link (to /proc/self/fd/1)
    target = tmp_path / "real.tar"
    link = tmp_path / "link.tar"
    link.symlink_to(target)
    tiffin.models.export_model(model.tag, str(link))
    assert link.is_symlink() and target.is_file()
    with tarfile.open(target) as tar:
        assert tar.getnames()[0] == "model.yaml"


@pytest.mark.skipif(not Path("/proc/self/fd/1").exists(), reason="needs /proc/self/fd")
def test_export_to_stdout_pipes_into_import(model: tiffin.Model, tmp_path: Path) -> None:
    stdout = tmp_path / "stdout"  # what /dev/stdout is, without risking the real one
    stdout.symlink_to("/proc/self/fd/1")
    exported = subprocess.run(
        [sys.executable, "-m", "tiffin", "models", "export", str(model.tag), str(stdout)],
        capture_output=True,
        timeout=60,
    )
    assert exported.returncode == 0, exported.stderr
    assert b"Exported model" in exported.stderr  # the message stays out of the archive
    assert stdout.is_symlink()
    imported = subprocess.run(
        [sys.executable, "-m", "tiffin", "models", "import", "/dev/stdin"],
        input=exported.stdout,
        capture_output=True,
        env={**os.environ, "TIFFIN_HOME": str(tmp_path / "other_home")},
        timeout=60,
    )
    assert imported.returncode == 0, imported.stderr
    assert f"Imported model {model.tag}".encode() in imported.stdout


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_closed_pipe_is_one_line(model: tiffin.Model, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    thread, _ = _drain_fifo(fifo, limit=1)  # the reader hangs up after one byte
    result = run_cli("models", "export", str(model.tag), str(fifo))
    thread.join(10)
    assert result.returncode == 1
    assert result.stderr == f"error: cannot write {str(fifo)!r}: its reader closed the pipe\n"


@pytest.mark.skipif(sys.platform == "win32", reason="needs RLIMIT_FSIZE")
def test_a_full_disk_is_one_line_and_leaves_nothing(model: tiffin.Model, tmp_path: Path) -> None:
    import resource

    def small_files() -> None:  # every write past 64 KiB fails, as on a full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (65536, 65536))

    target = tmp_path / "out" / "iris.tiffin"
    target.parent.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "tiffin", "models", "export", str(model.tag), str(target)],
        capture_output=True,
        text=True,
        preexec_fn=small_files,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("error: ") and len(result.stderr.splitlines()) == 1
    assert str(target) in result.stderr and "Traceback" not in result.stderr
    assert list(target.parent.iterdir()) == []  # no partial archive
    assert tiffin.models.list() == [model]


@pytest.mark.skipif(sys.platform == "win32", reason="needs RLIMIT_FSIZE")
def test_a_full_disk_during_import_is_one_line_and_keeps_nothing(
    model: tiffin.Model, tmp_path: Path
) -> None:
    import resource

    def small_files() -> None:  # every write past 64 KiB fails, as on a full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (65536, 65536))

    archive = tmp_path / "iris.tiffin"
    tiffin.models.export_model(model.tag, str(archive))
    home = tmp_path / "other_home"
    result = subprocess.run(
        [sys.executable, "-m", "tiffin", "models", "import", str(archive)],
        capture_output=True,
        text=True,
        preexec_fn=small_files,
        env={**os.environ, "TIFFIN_HOME": str(home)},
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("error: ") and len(result.stderr.splitlines()) == 1
    assert str(home) in result.stderr and "Traceback" not in result.stderr
    assert not (home / "models").exists() or not any((home / "models").iterdir())
    assert list((home / ".staging").iterdir()) == []


def test_url_mistakes_are_clear_errors(model: tiffin.Model, tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument, match="it is a directory; give a file name"):
        tiffin.models.export_model(model.tag, "memory://")
    tiffin.models.export_model(model.tag, str(tmp_path / "x.tar"))  # a tar, not a zip
    with pytest.raises(InvalidArgument, match=r"cannot open 'zip://.*BadZipFile"):
        tiffin.models.import_model(f"zip://x::{tmp_path / 'x.tar'}")
    with pytest.raises(InvalidArgument) as caught:
        tiffin.models.export_model(model.tag, "nosuchscheme://x.tiffin")
    assert "pip install tiffin-s3" not in str(caught.value)  # only for s3:// itself
    result = run_cli("models", "import", f"zip://x::{tmp_path / 'x.tar'}")
    assert result.returncode == 1 and result.stderr.count("\n") == 1, result.stderr
    assert tiffin.models.list() == [model]


@pytest.mark.parametrize("damage", ["truncated", "flipped"])
def test_a_damaged_archive_of_a_stored_version_is_refused(
    model: tiffin.Model, tmp_path: Path, damage: str
) -> None:
    # the version is already stored, but the archive must still be verified, not trusted
    good = tmp_path / "good.tar"
    tiffin.models.export_model(model.tag, str(good))
    data = bytearray(good.read_bytes())
    weights_at = data.index(WEIGHTS[:64])
    if damage == "truncated":
        data = data[: weights_at + 100]
    else:
        data[weights_at + 10] ^= 0xFF
    bad = tmp_path / "bad.tar"
    bad.write_bytes(bytes(data))
    with pytest.raises(InvalidArchive, match="nothing was imported"):
        tiffin.models.import_model(str(bad))
    assert_same_model(tiffin.models.get(model.tag), model)


# -- bad archives, built by hand ----------------------------------------------------------------


def manifest_for(
    files: dict[str, bytes], name: str = "evil", version: str = "01m80000000000aa"
) -> dict:
    return {
        "name": name,
        "version": version,
        "framework": "custom",
        "framework_version": "",
        "python_version": "3.11.0",
        "tiffin_version": "0.1.0",
        "created_at": "2026-01-01T00:00:00+00:00",
        "labels": {},
        "metadata": {},
        "options": {},
        "signatures": {},
        "files": [
            {"path": p, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            for p, data in sorted(files.items())
        ],
    }


def _file_member(name: str, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def build(
    path: Path,
    manifest: dict | bytes | None,
    members: Iterable[tuple[str, bytes] | tuple[tarfile.TarInfo, bytes | None]],
    *,
    mode: str = "w",
) -> Path:
    """A tar archive: the manifest (unless None) then ``members``, exactly as given."""
    with tarfile.open(path, mode) as tar:
        if manifest is not None:
            text = manifest if isinstance(manifest, bytes) else yaml.safe_dump(manifest).encode()
            tar.addfile(*_pack(_file_member("model.yaml", text)))
        for member in members:
            tar.addfile(*_pack(member))
    return path


def _pack(member: tuple) -> tuple[tarfile.TarInfo, io.BytesIO | None]:
    head, data = member
    if isinstance(head, str):
        head, data = _file_member(head, data)
    return head, (io.BytesIO(data) if data is not None else None)


def _special(name: str, kind: bytes, linkname: str = "") -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    return info, None


GOOD = {"weights.bin": b"w" * 1000, "sub/conf.json": b"{}"}


def bad_archives(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """name -> (archive, a fragment of the expected error)."""
    ok = manifest_for(GOOD)
    outside = str(tmp_path / "outside" / "pwned")
    escape = {"../pwned": b"x"}
    absolute = {outside.lstrip("/"): b"x"}
    cases: dict[str, tuple[object, list, str]] = {
        "absolute path": (ok, [*GOOD.items(), (outside, b"x")], "absolute path"),
        "dot-dot path": (ok, [*GOOD.items(), ("../pwned", b"x")], "'..'"),
        "dot-dot in the middle": (ok, [*GOOD.items(), ("sub/../../pwned", b"x")], "'..'"),
        "dot-dot listed in the manifest": (manifest_for(escape), [("../pwned", b"x")], "'..'"),
        "absolute listed in the manifest": (
            {**manifest_for(absolute), "files": [{"path": outside, "size": 1, "sha256": "0" * 64}]},
            [(outside, b"x")],
            "absolute path",
        ),
        "symlink": (
            ok,
            [*GOOD.items(), _special("link", tarfile.SYMTYPE, "/etc/passwd")],
            "symbolic link",
        ),
        "symlink named like a listed file": (
            ok,
            [_special("weights.bin", tarfile.SYMTYPE, "/etc/passwd"), ("sub/conf.json", b"{}")],
            "symbolic link",
        ),
        "hardlink": (
            ok,
            [*GOOD.items(), _special("hard", tarfile.LNKTYPE, "/etc/passwd")],
            "hard link",
        ),
        "char device": (ok, [*GOOD.items(), _special("dev", tarfile.CHRTYPE)], "device"),
        "block device": (ok, [*GOOD.items(), _special("blk", tarfile.BLKTYPE)], "device"),
        "fifo": (ok, [*GOOD.items(), _special("fifo", tarfile.FIFOTYPE)], "fifo"),
        "member not in the manifest": (ok, [*GOOD.items(), ("stray.bin", b"s")], "does not list"),
        "missing member": (ok, [("weights.bin", GOOD["weights.bin"])], "lacks 1 file"),
        "duplicate member": (
            ok,
            [*GOOD.items(), ("weights.bin", GOOD["weights.bin"])],
            "more than once",
        ),
        "second manifest": (ok, [*GOOD.items(), ("model.yaml", b"name: x")], "more than once"),
        "size mismatch": (
            ok,
            [("weights.bin", b"w" * 999), ("sub/conf.json", b"{}")],
            "but its manifest says 1000",
        ),
        "tampered content": (
            ok,
            [("weights.bin", b"v" + b"w" * 999), ("sub/conf.json", b"{}")],
            "sha256",
        ),
        "manifest not first": (
            None,
            [*GOOD.items(), ("model.yaml", yaml.safe_dump(ok).encode())],
            "does not start",
        ),
        "manifest is not yaml": (b"name: [unclosed\n  : :", list(GOOD.items()), "cannot be read"),
        "manifest is not a mapping": (b"- a\n- b\n", list(GOOD.items()), "cannot be read"),
        "manifest lacks fields": (b"name: evil\n", list(GOOD.items()), "cannot be read"),
        "manifest with a bad name": (
            manifest_for(GOOD, name="../../etc"),
            list(GOOD.items()),
            "cannot be read",
        ),
        "file inside a file": (
            manifest_for({"a": b"1", "a/b": b"2"}),
            [("a", b"1"), ("a/b", b"2")],
            "inside a file",
        ),
    }
    out = {}
    for i, (label, (manifest, members, fragment)) in enumerate(cases.items()):
        out[label] = (build(tmp_path / f"case{i}.tar", manifest, members), fragment)
    good = build(tmp_path / "good.tar", ok, list(GOOD.items()))
    data = good.read_bytes()
    (tmp_path / "truncated.tar").write_bytes(data[: 512 * 3 + 100])
    out["truncated inside a file"] = (tmp_path / "truncated.tar", "truncated")
    (tmp_path / "truncated_header.tar").write_bytes(data[: 512 * 2 + 200])
    out["truncated inside a header"] = (tmp_path / "truncated_header.tar", "truncated")
    (tmp_path / "random.bin").write_bytes(os.urandom(4096))
    out["random bytes"] = (tmp_path / "random.bin", "not a valid tar archive")
    (tmp_path / "text.txt").write_text("hello, I am not an archive\n" * 50)
    out["a text file"] = (tmp_path / "text.txt", "not a valid tar archive")
    (tmp_path / "empty.tar").write_bytes(b"")
    out["an empty file"] = (tmp_path / "empty.tar", "empty")
    gz = gzip.compress(data)
    (tmp_path / "truncated.tar.gz").write_bytes(gz[: len(gz) // 2])
    out["truncated gzip"] = (tmp_path / "truncated.tar.gz", "damaged")
    (tmp_path / "corrupt.tar.gz").write_bytes(gz[:20] + bytes(len(gz) - 20))
    out["corrupt gzip"] = (tmp_path / "corrupt.tar.gz", "damaged")
    return out


CASES = [
    "absolute path",
    "dot-dot path",
    "dot-dot in the middle",
    "dot-dot listed in the manifest",
    "absolute listed in the manifest",
    "symlink",
    "symlink named like a listed file",
    "hardlink",
    "char device",
    "block device",
    "fifo",
    "member not in the manifest",
    "missing member",
    "duplicate member",
    "second manifest",
    "size mismatch",
    "tampered content",
    "manifest not first",
    "manifest is not yaml",
    "manifest is not a mapping",
    "manifest lacks fields",
    "manifest with a bad name",
    "file inside a file",
    "truncated inside a file",
    "truncated inside a header",
    "random bytes",
    "a text file",
    "an empty file",
    "truncated gzip",
    "corrupt gzip",
]


def test_the_good_archive_built_by_hand_imports(tmp_path: Path) -> None:
    good = build(tmp_path / "good.tar", manifest_for(GOOD), list(GOOD.items()))
    m = tiffin.models.import_model(str(good))
    assert str(m.tag) == "evil:01m80000000000aa"
    assert (m.path / "sub" / "conf.json").read_bytes() == b"{}"


@pytest.mark.parametrize("case", CASES)
def test_bad_archives_are_refused_and_nothing_is_written(
    case: str, tmp_path: Path, tiffin_home: Path
) -> None:
    archive, fragment = bad_archives(tmp_path)[case]
    before = sorted(p for p in tmp_path.rglob("*"))
    with pytest.raises(InvalidArchive) as info:
        tiffin.models.import_model(str(archive))
    message = str(info.value)
    assert fragment in message, message
    assert "nothing was imported" in message
    assert store_is_empty(tiffin_home)
    assert tiffin.models.list() == []
    assert sorted(p for p in tmp_path.rglob("*")) == before  # nothing written next to the archive
    assert not (tmp_path / "outside").exists()
    assert not (tiffin_home / "pwned").exists() and not (tiffin_home.parent / "pwned").exists()


def test_every_case_is_covered(tmp_path: Path) -> None:
    assert sorted(bad_archives(tmp_path)) == sorted(CASES)


def test_pax_long_names_import(tmp_path: Path) -> None:
    long_name = "d" * 80 + "/" + "f" * 120 + ".bin"
    files = {long_name: b"long"}
    archive = build(tmp_path / "long.tar", manifest_for(files), list(files.items()), mode="w")
    m = tiffin.models.import_model(str(archive))
    assert (m.path / long_name).read_bytes() == b"long"


def test_gnu_format_archives_import(tmp_path: Path) -> None:
    long_name = "g" * 150 + ".bin"
    files = {long_name: b"gnu", "sub/x": b"x"}
    path = tmp_path / "gnu.tar"
    with tarfile.open(path, "w", format=tarfile.GNU_FORMAT) as tar:
        text = yaml.safe_dump(manifest_for(files)).encode()
        tar.addfile(*_pack(("model.yaml", text)))
        d = tarfile.TarInfo("sub")
        d.type = tarfile.DIRTYPE
        tar.addfile(d)  # directory entries are allowed and ignored
        for name, data in files.items():
            tar.addfile(*_pack((name, data)))
    m = tiffin.models.import_model(str(path))
    assert (m.path / long_name).read_bytes() == b"gnu"
