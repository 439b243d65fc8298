"""The input side: which files a URL names, and their rows as Arrow batches, in order.

A URL names one file, a folder (every file in it, sorted by path, hidden and ``_`` files left
out) or a glob. Rows stream: Parquet by row group, CSV and JSON Lines by blocks, so memory
stays bounded whatever the input's size.
"""

from __future__ import annotations

import io
import itertools
import posixpath
from collections.abc import Iterator
from typing import Any

import attrs

from tiffin._batch._arrow import pyarrow
from tiffin._batch._formats import format_of
from tiffin.exceptions import InvalidArgument, NotFound, TiffinError

__all__ = ["Sources", "find_sources"]

_GLOB_CHARS = "*?["


class UnreadableInput(TiffinError):
    """An input file exists but cannot be read in its format."""


@attrs.frozen
class Sources:
    """The input files of a job, in order, and their format."""

    url: str
    fs: Any
    paths: tuple[str, ...]
    format: str
    local: bool

    def urls(self) -> list[str]:
        """The files as URLs another library (Ray Data) can open."""
        protocol = self.fs.protocol[0] if isinstance(self.fs.protocol, tuple) else self.fs.protocol
        if self.local:
            return list(self.paths)
        return [f"{protocol}://{p}" for p in self.paths]

    def total_rows(self) -> int | None:
        """Rows in all files when the format records it (Parquet), else ``None``."""
        if self.format != "parquet":
            return None
        pq = _parquet()
        total = 0
        for path in self.paths:
            with self._open(path) as f:
                total += pq.ParquetFile(f).metadata.num_rows
        return total

    def _open(self, path: str) -> Any:
        try:
            return self.fs.open(path, "rb")
        except FileNotFoundError:
            raise NotFound(f"--input {self.url}: {path} disappeared while the job ran") from None
        except OSError as exc:
            raise UnreadableInput(f"--input {self.url}: cannot open {path}: {exc}") from None

    def batches(self, batch_size: int, columns: list[str] | None = None) -> Iterator[Any]:
        """Every row of every file, as ``pyarrow.RecordBatch`` of at most ``batch_size`` rows."""
        read = {"parquet": _read_parquet, "csv": _read_csv, "jsonl": _read_jsonl}[self.format]
        for path in self.paths:
            with self._open(path) as f:
                try:
                    yield from read(f, batch_size, columns)
                except TiffinError:
                    raise
                except (OSError, ValueError, pyarrow().ArrowException) as exc:
                    raise UnreadableInput(
                        f"--input {self.url}: {path} is not readable as {self.format}: "
                        f"{' '.join(str(exc).split())}"
                    ) from None

    def check_readable(self) -> Any:
        """The first file's schema, read now: an unreadable input fails before any output."""
        first = self.paths[0]
        with self._open(first) as f:
            try:
                if self.format == "parquet":
                    return _parquet().ParquetFile(f).schema_arrow
                for batch in self.batches(64):
                    return batch.schema
                return pyarrow().schema([])
            except (OSError, ValueError, pyarrow().ArrowException) as exc:
                raise UnreadableInput(
                    f"--input {self.url}: {first} is not readable as {self.format}: "
                    f"{' '.join(str(exc).split())}"
                ) from None


def _parquet() -> Any:
    pyarrow()
    import pyarrow.parquet as pq

    return pq


def _read_parquet(f: Any, batch_size: int, columns: list[str] | None) -> Iterator[Any]:
    pf = _parquet().ParquetFile(f)
    yield from pf.iter_batches(batch_size=batch_size, columns=columns, use_threads=True)


def _rebatch(batches: Iterator[Any], batch_size: int) -> Iterator[Any]:
    """Batches of exactly ``batch_size`` rows (the last one fewer), whatever the reader gives."""
    pa = pyarrow()
    pending: list[Any] = []
    rows = 0
    for batch in batches:
        while batch.num_rows:
            take = min(batch_size - rows, batch.num_rows)
            pending.append(batch.slice(0, take))
            rows += take
            batch = batch.slice(take)
            if rows == batch_size:
                yield _combine(pa, pending)
                pending, rows = [], 0
    if rows:
        yield _combine(pa, pending)


def _combine(pa: Any, parts: list[Any]) -> Any:
    if len(parts) == 1:
        return parts[0]
    return pa.Table.from_batches(parts).combine_chunks().to_batches()[0]


def _read_csv(f: Any, batch_size: int, columns: list[str] | None) -> Iterator[Any]:
    pyarrow()
    import pyarrow.csv as pacsv

    reader = pacsv.open_csv(f, read_options=pacsv.ReadOptions(block_size=4 << 20))
    yield from _rebatch(iter(reader), batch_size)


def _read_jsonl(f: Any, batch_size: int, columns: list[str] | None) -> Iterator[Any]:
    """JSON Lines in blocks of ``batch_size`` lines; the first block fixes the schema."""
    pyarrow()
    import pyarrow.json as pajson

    schema = None
    lines = (line for line in f if line.strip())
    while True:
        block = list(itertools.islice(lines, batch_size))
        if not block:
            return
        options = pajson.ParseOptions(explicit_schema=schema) if schema is not None else None
        table = pajson.read_json(io.BytesIO(b"".join(block)), parse_options=options)
        if schema is None:
            schema = table.schema
        yield from table.combine_chunks().to_batches()


def _has_glob(path: str) -> bool:
    return any(c in path for c in _GLOB_CHARS)


def _visible(path: str) -> bool:
    return not posixpath.basename(path).startswith((".", "_"))


def find_sources(url: str, fmt: str | None) -> Sources:
    """The files ``url`` names, or one line naming the input when there are none."""
    from tiffin.store.urls import resolve as _resolve

    if not url:
        raise InvalidArgument("--input is required: a file, a folder or a glob, at any fsspec URL")
    pyarrow()
    fs, path, local = _resolve(url)
    try:
        if _has_glob(path):
            paths = sorted(p for p in fs.glob(path) if fs.isfile(p) and _visible(p))
        elif fs.isdir(path):
            paths = sorted(p for p in fs.find(path) if _visible(posixpath.relpath(p, path)))
            if fmt is None:
                paths = [p for p in paths if format_of(p) is not None]
        elif fs.isfile(path):
            paths = [path]
        else:
            raise NotFound(f"--input {url}: no such file or folder")
    except TiffinError:
        raise
    except (OSError, ValueError) as exc:
        raise UnreadableInput(f"--input {url}: cannot list it: {exc}") from None
    if not paths:
        raise NotFound(f"--input {url} names no Parquet, CSV or JSON Lines files")
    if fmt is None:
        formats = {format_of(p) for p in paths}
        if None in formats:
            unknown = next(p for p in paths if format_of(p) is None)
            raise InvalidArgument(
                f"--input {url}: cannot tell the format of {unknown} from its name; pass "
                f"--format parquet, csv or jsonl"
            )
        if len(formats) > 1:
            raise InvalidArgument(
                f"--input {url} mixes formats ({', '.join(sorted(formats))}); point it at files "
                f"of one format, or pass --format"
            )
        fmt = formats.pop()
    return Sources(url, fs, tuple(paths), fmt, local is not None)
