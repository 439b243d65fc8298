"""A versioned local store: ``$TIFFIN_HOME/<folder>/<name>/<version>/`` plus a manifest.

Generic on purpose: models and bentos are both stores of this kind, differing only in the
manifest's file name, the info class it (de)serializes and the object handed to users.

Crash safety comes from the file system, not from care: a version is written into a staging
folder under ``$TIFFIN_HOME/.staging/`` (same file system), its manifest is written last, and
one ``os.rename`` moves the finished folder into place. Readers only ever see folders that hold
a manifest, so an exception or a ``kill -9`` mid-save leaves nothing listed; the staging folder
of a dead process is removed by the next save (its name carries the pid and a host hash).
Durability against power loss (fsync) is an option: ``TIFFIN_FSYNC=1`` or ``fsync=True``.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
import socket
import warnings
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, Generic, TypeVar

import attrs

from tiffin._converter import dump_yaml, load_yaml
from tiffin.exceptions import Conflict, InvalidArgument, NotFound, NotStored, TiffinError
from tiffin.store.home import tiffin_home
from tiffin.store.manifest import scan
from tiffin.store.stored import StoredInfo
from tiffin.store.tag import Tag, new_version, validate_name, version_time_ms

__all__ = ["STAGING_DIR", "Store", "fsync_enabled"]

STAGING_DIR = ".staging"
_COMMIT_ATTEMPTS = 20


InfoT = TypeVar("InfoT", bound=StoredInfo)
ItemT = TypeVar("ItemT")


def fsync_enabled(fsync: bool | None = None) -> bool:
    """``fsync`` if given, else whether ``$TIFFIN_FSYNC`` asks for durable writes."""
    if fsync is not None:
        return fsync
    return os.environ.get("TIFFIN_FSYNC", "").lower() in {"1", "true", "yes", "on"}


def _host_id() -> str:
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return True
    return True


def _fsync_path(path: Path, directory: bool = False) -> None:
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if directory else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _rmtree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def _sort_key(version: str, info: Any) -> tuple[int, str]:
    """Newest first by creation time, whatever the version's spelling."""
    ms = version_time_ms(version)
    if ms is None:
        created = getattr(info, "created_at", None)
        ms = int(created.timestamp() * 1000) if isinstance(created, datetime) else 0
    return ms, version


class Store(Generic[InfoT, ItemT]):
    """Versions of named things on local disk, each committed atomically with its manifest.

    :param folder: the folder under ``$TIFFIN_HOME`` (``"models"``, ``"bentos"``).
    :param manifest_name: the manifest's file name in each version folder (``"model.yaml"``).
    :param load_info: builds the info object from the manifest's plain data.
    :param dump_info: turns the info object into plain data for the manifest.
    :param make_item: ``make_item(info, path)``: the object users get (``Model``, ``Bento``).
    :param what: the word for one item in messages and errors (``"model"``).
    :param sibling: ``(folder, what)`` of the other store under the same home, so that asking
        one store for a name only the other holds says so (a model tag given to ``tiffin get``):
        :attr:`NotStored.other_kind <tiffin.exceptions.NotStored>`.
    :param root: a fixed folder holding the versions (a bento's ``models/``) instead of
        ``$TIFFIN_HOME/<folder>``; such a store is read, never written.

    Errors are structured (:class:`~tiffin.exceptions.NotStored`,
    :class:`~tiffin.exceptions.AlreadyStored`) and name no command: front ends add their advice.

    Info objects are attrs instances with at least ``name``, ``version``, ``labels`` and
    ``files`` fields; items have ``.info`` and ``.path``.
    """

    def __init__(
        self,
        folder: str,
        manifest_name: str,
        *,
        load_info: Callable[[dict[str, Any]], InfoT],
        dump_info: Callable[[InfoT], dict[str, Any]],
        make_item: Callable[[InfoT, Path], ItemT],
        what: str,
        sibling: tuple[str, str] | None = None,
        root: Path | None = None,
    ) -> None:
        self.folder = folder
        self.sibling = sibling
        self.manifest_name = manifest_name
        self.load_info = load_info
        self.dump_info = dump_info
        self.make_item = make_item
        self.what = what
        self._fixed_root = root

    # -- locations (read at every use: $TIFFIN_HOME may change at any time) -------------------

    @property
    def root(self) -> Path:
        return self._fixed_root if self._fixed_root is not None else tiffin_home() / self.folder

    @property
    def staging_root(self) -> Path:
        return tiffin_home() / STAGING_DIR

    # -- staging and commit -------------------------------------------------------------------

    def _staging_name(self, purpose: str) -> str:
        token = os.urandom(6).hex()
        return f"{os.getpid()}-{_host_id()}-{token}-{self.folder}-{purpose}"

    def clean_stale(self) -> list[Path]:
        """Remove staging folders left by dead processes on this host; return what was removed."""
        removed: list[Path] = []
        root = self.staging_root
        try:
            entries = list(os.scandir(root))
        except FileNotFoundError:
            return removed
        host = _host_id()
        me = os.getpid()
        for entry in entries:
            parts = entry.name.split("-", 3)
            if len(parts) < 4 or parts[1] != host or not parts[0].isdigit():
                continue
            pid = int(parts[0])
            if pid == me or _pid_alive(pid):
                continue
            path = Path(entry.path)
            if entry.is_dir(follow_symlinks=False):
                _rmtree(path)
            else:
                with contextlib.suppress(OSError):
                    path.unlink()
            removed.append(path)
        return removed

    @contextlib.contextmanager
    def staging(self, name: str) -> Iterator[Path]:
        """A fresh, empty staging folder for a new version of ``name``; removed on any failure.

        After a successful :meth:`commit` the folder has moved into the store and nothing is
        left to remove.
        """
        validate_name(name, what=f"{self.what} name")
        self.clean_stale()
        self.staging_root.mkdir(parents=True, exist_ok=True)
        path = self.staging_root / self._staging_name(name)
        path.mkdir()
        try:
            yield path
        finally:
            if path.exists():
                _rmtree(path)

    def write_manifest(self, folder: Path, info: InfoT, text: bytes | None = None) -> None:
        """Write the manifest into ``folder`` (``text`` as given, else dumped from ``info``)."""
        data = text if text is not None else dump_yaml(self.dump_info(info)).encode("utf-8")
        with open(folder / self.manifest_name, "wb") as f:
            f.write(data)

    def commit(
        self,
        staging_dir: Path,
        info: InfoT,
        *,
        rescan: bool = True,
        manifest_text: bytes | None = None,
        keep_version: bool = False,
        fsync: bool | None = None,
    ) -> ItemT:
        """Move a finished staging folder into the store as a new version; return the item.

        :param rescan: hash the folder's files into ``info.files`` (off when the caller has
            verified them already, as import does).
        :param manifest_text: exact manifest bytes to write (import keeps the sender's bytes).
        :param keep_version: the version must stay as given; if it exists already,
            :class:`Conflict`. Otherwise a colliding version is replaced by a fresh one.
        :param fsync: flush files and folders to disk before and after the rename.
        """
        name = info.name
        validate_name(name, what=f"{self.what} name")
        if rescan:
            files = scan(staging_dir, exclude={self.manifest_name})
            info = attrs.evolve(info, files=files)  # type: ignore[misc]
            manifest_text = None
        durable = fsync_enabled(fsync)
        if durable:
            for entry in info.files:
                _fsync_path(staging_dir / entry.path)
        for _ in range(_COMMIT_ATTEMPTS):
            self.write_manifest(staging_dir, info, manifest_text)
            if durable:
                _fsync_path(staging_dir / self.manifest_name)
                _fsync_path(staging_dir, directory=True)
            name_dir = self.root / name
            final = name_dir / info.version
            try:
                name_dir.mkdir(parents=True, exist_ok=True)
                if final.exists():
                    raise FileExistsError(errno.EEXIST, "exists", str(final))
                os.rename(staging_dir, final)
            except FileNotFoundError:
                # the name folder was removed by a concurrent delete between mkdir and rename
                if not staging_dir.exists():
                    raise
                continue
            except OSError as exc:
                if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY, errno.EISDIR):
                    raise
                if keep_version:
                    raise Conflict(
                        f"{self.what} {name}:{info.version} already exists in {self.root}"
                    ) from None
                info = attrs.evolve(info, version=new_version())  # type: ignore[misc]
                continue
            if durable:
                _fsync_path(name_dir, directory=True)
                _fsync_path(self.root, directory=True)
            return self.make_item(info, final)
        raise TiffinError(
            f"could not commit {self.what} {name} after {_COMMIT_ATTEMPTS} attempts; "
            f"is something else writing to {self.root}?"
        )

    # -- reading ------------------------------------------------------------------------------

    def read_info(self, folder: Path) -> InfoT:
        """The info of the committed version in ``folder``."""
        manifest = folder / self.manifest_name
        try:
            text = manifest.read_bytes()
        except FileNotFoundError:
            raise NotFound(
                f"{folder} holds no {self.manifest_name}: not a committed {self.what}"
            ) from None
        try:
            data = load_yaml(text)
            if not isinstance(data, dict):
                raise InvalidArgument("the manifest is not a mapping")
            return self.load_info(data)
        except Exception as exc:
            raise TiffinError(
                f"{manifest} is damaged and cannot be read ({type(exc).__name__}: {exc}); "
                f"delete that folder or restore it from an export"
            ) from None

    def _versions(self, name: str) -> list[str]:
        """Committed versions of ``name``, newest first."""
        try:
            entries = list(os.scandir(self.root / name))
        except (FileNotFoundError, NotADirectoryError):
            return []
        found = [
            e.name
            for e in entries
            if not e.name.startswith(".")
            and os.path.isfile(os.path.join(e.path, self.manifest_name))
        ]
        times = {v: version_time_ms(v) for v in found}
        if all(t is not None for t in times.values()):
            return sorted(found, reverse=True)  # generated versions sort as strings
        for version, ms in times.items():
            if ms is None:  # a chosen version: its manifest says when it was created
                times[version] = self._created_ms(self.root / name / version)
        return sorted(found, key=lambda v: (times[v], v), reverse=True)

    def _created_ms(self, folder: Path) -> int:
        """When the version in ``folder`` was created: its manifest's ``created_at``, else the
        manifest file's modification time."""
        try:
            created = getattr(self.read_info(folder), "created_at", None)
        except TiffinError:
            created = None
        if isinstance(created, datetime):
            return int(created.timestamp() * 1000)
        try:
            return int((folder / self.manifest_name).stat().st_mtime * 1000)
        except OSError:
            return 0

    def names(self) -> list[str]:
        """Names with at least one committed version, sorted."""
        try:
            entries = list(os.scandir(self.root))
        except FileNotFoundError:
            return []
        return sorted(
            e.name for e in entries if not e.name.startswith(".") and self._versions(e.name)
        )

    def exists(self, name: str, version: str) -> bool:
        return (self.root / name / version / self.manifest_name).is_file()

    def resolve(self, tag: str | Tag) -> tuple[Tag, Path]:
        """The exact tag and folder that ``tag`` names: ``name``, ``name:latest``, a version or a
        unique version prefix."""
        parsed = Tag.parse(tag)
        versions = self._versions(parsed.name)
        if not versions:
            known = self.names()
            hint = (
                f"known {self.what}s: {', '.join(known[:20])}"
                if known
                else f"no {self.what}s are stored yet"
            )
            other = self._sibling_holding(parsed.name)
            raise NotStored(
                f"no {self.what} named {parsed.name!r} in {self.root} ({hint})"
                + (f"; {parsed.name!r} is a {other}" if other else ""),
                kind=self.what,
                name=parsed.name,
                other_kind=other,
            )
        if parsed.version is None:
            version = versions[0]
        elif parsed.version in versions:
            version = parsed.version
        else:
            matches = [v for v in versions if v.startswith(parsed.version)]
            if not matches:
                shown = ", ".join(versions[:10]) + (" ..." if len(versions) > 10 else "")
                raise NotStored(
                    f"{self.what} {parsed.name!r} has no version {parsed.version!r}; "
                    f"its versions (newest first): {shown}",
                    kind=self.what,
                    name=parsed.name,
                    version=parsed.version,
                )
            if len(matches) > 1:
                raise InvalidArgument(
                    f"version prefix {parsed.version!r} of {self.what} {parsed.name!r} is ambiguous: "
                    f"it matches {', '.join(matches[:10])}; give more characters"
                )
            version = matches[0]
        return Tag(parsed.name, version), self.root / parsed.name / version

    def _sibling_holding(self, name: str) -> str | None:
        """The other store's word for one item when it holds ``name``, else None."""
        if self.sibling is None:
            return None
        folder, what = self.sibling
        return what if (tiffin_home() / folder / name).is_dir() else None

    def get(self, tag: str | Tag) -> ItemT:
        _, folder = self.resolve(tag)
        return self.make_item(self.read_info(folder), folder)

    def list(self, name: str | None = None, labels: dict[str, str] | None = None) -> list[ItemT]:
        """Committed versions, newest first; only ``name``'s if given, only those carrying every
        ``labels`` pair if given."""
        if name is not None:
            names: Iterable[str] = [validate_name(name, what=f"{self.what} name")]
        else:
            names = self.names()
        wanted = dict(labels or {})
        found: list[tuple[tuple[int, str], str, ItemT]] = []
        for n in names:
            for version in self._versions(n):
                folder = self.root / n / version
                try:
                    info = self.read_info(folder)
                except NotFound:
                    continue  # deleted meanwhile
                except TiffinError as exc:
                    warnings.warn(str(exc), stacklevel=2)
                    continue
                have = getattr(info, "labels", {}) or {}
                if any(have.get(k) != v for k, v in wanted.items()):
                    continue
                found.append((_sort_key(version, info), n, self.make_item(info, folder)))
        found.sort(key=lambda item: (item[0], item[1]), reverse=True)
        return [item for _, _, item in found]

    # -- deleting -----------------------------------------------------------------------------

    def delete(self, tag: str | Tag) -> Tag:
        """Remove one version atomically (moved out of the tree first); return its exact tag."""
        exact, folder = self.resolve(tag)
        self.staging_root.mkdir(parents=True, exist_ok=True)
        trash = self.staging_root / self._staging_name(f"deleting-{exact.name}")
        try:
            os.rename(folder, trash)
        except FileNotFoundError:
            raise NotStored(
                f"{self.what} {exact} was deleted meanwhile",
                kind=self.what,
                name=exact.name,
                version=exact.version,
            ) from None
        _rmtree(trash)
        with contextlib.suppress(OSError):
            folder.parent.rmdir()  # only succeeds when no version is left
        return exact
