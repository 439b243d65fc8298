"""The output side: one file, or a folder of Parquet parts, written so a killed job leaves no
half-written file behind and a failed one leaves nothing of its own.

A single file (``.parquet``, ``.csv``, ``.jsonl``) is written unnamed and published when the
job ends. A folder (an output without a suffix) gets ``part-00000.parquet``, ``part-00001...``,
each published when full, in input order, and a ``_SUCCESS`` marker when the job ends.
"""

from __future__ import annotations

import contextlib
import posixpath
from typing import Any

from tiffin._batch._arrow import pyarrow
from tiffin._batch._atomic import AtomicFile
from tiffin._batch._formats import format_of
from tiffin.exceptions import Conflict, InvalidArgument, TiffinError

__all__ = ["ROWS_PER_PART", "Sink", "open_sink"]

#: Rows per Parquet part of a folder output.
ROWS_PER_PART = 1_000_000
#: Rows gathered before they go to the file (one Parquet row group; bounded memory).
ROWS_PER_FLUSH = 131_072
SUCCESS = "_SUCCESS"


class OutputError(TiffinError):
    """The output cannot be written."""


class _Schema:
    """The output schema: fixed by the first rows whose columns all have a type, then kept."""

    def __init__(self) -> None:
        self.schema: Any = None

    def fit(self, tables: list[Any]) -> Any:
        pa = pyarrow()
        if self.schema is None:
            self.schema = pa.unify_schemas([t.schema for t in tables], promote_options="permissive")
        try:
            return [t if t.schema == self.schema else t.cast(self.schema) for t in tables]
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError) as exc:
            raise OutputError(
                f"the API's predictions changed type between batches ({exc}); make it return "
                f"one type, e.g. always floats"
            ) from None


def _concat(tables: list[Any]) -> Any:
    pa = pyarrow()
    return tables[0] if len(tables) == 1 else pa.concat_tables(tables)


class _FileWriter:
    """One output file in one format, on an :class:`AtomicFile`."""

    def __init__(self, target: AtomicFile, fmt: str, schema: Any) -> None:
        self.target = target
        self.format = fmt
        self.schema = schema
        pyarrow()
        if fmt == "parquet":
            import pyarrow.parquet as pq

            self._writer: Any = pq.ParquetWriter(target.file, schema)
        elif fmt == "csv":
            import pyarrow.csv as pacsv

            self._writer = pacsv.CSVWriter(target.file, _csv_schema(schema))
        else:
            self._writer = None

    def write(self, table: Any) -> None:
        if self.format == "parquet":
            self._writer.write_table(table)
        elif self.format == "csv":
            self._writer.write_table(_csv_table(table))
        else:
            import orjson

            dumps, option = orjson.dumps, orjson.OPT_APPEND_NEWLINE | orjson.OPT_SERIALIZE_NUMPY
            self.target.file.write(b"".join(dumps(row, option=option) for row in table.to_pylist()))

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()


def _nested(field: Any) -> bool:
    pa = pyarrow()
    return pa.types.is_nested(field.type)


def _csv_schema(schema: Any) -> Any:
    pa = pyarrow()
    return pa.schema([pa.field(f.name, pa.string()) if _nested(f) else f for f in schema])


def _csv_table(table: Any) -> Any:
    """Nested values (lists, objects) as JSON text: CSV has no other way to hold them."""
    if not any(_nested(f) for f in table.schema):
        return table
    import orjson

    pa = pyarrow()
    columns = []
    for field, column in zip(table.schema, table.columns, strict=True):
        if _nested(field):
            column = pa.array(
                [None if v is None else orjson.dumps(v).decode() for v in column.to_pylist()],
                pa.string(),
            )
        columns.append(column)
    return pa.table(columns, names=table.column_names)


class Sink:
    """Where scored tables go, in order; ``commit()`` at the end, ``abort()`` on failure."""

    def __init__(self, url: str, fs: Any, path: str, local: bool, fmt: str | None) -> None:
        self.url = url
        self.fs = fs
        self.path = path
        self.local = local
        self.format = fmt  # None: a folder of Parquet parts
        self.rows = 0
        self._schema = _Schema()
        self._pending: list[Any] = []
        self._pending_rows = 0
        self._file: AtomicFile | None = None
        self._writer: _FileWriter | None = None
        self._part_rows = 0
        self._parts: list[str] = []
        self._old_parts: list[str] = []
        self._done = False

    @property
    def is_folder(self) -> bool:
        return self.format is None

    # -- writing -------------------------------------------------------------------------------

    def write(self, table: Any) -> None:
        """Add rows (a ``pyarrow.Table`` or ``RecordBatch``) after those already written."""
        pa = pyarrow()
        if isinstance(table, pa.RecordBatch):
            table = pa.Table.from_batches([table])
        if not table.num_rows and self._schema.schema is not None:
            return
        self._pending.append(table)
        self._pending_rows += table.num_rows
        if self._pending_rows >= ROWS_PER_FLUSH and not self._untyped():
            self._flush()

    def _untyped(self) -> bool:
        """Whether the schema would still have a column of nulls only (its type unknown)."""
        if self._schema.schema is not None:
            return False
        pa = pyarrow()
        if self._pending_rows > 8 * ROWS_PER_FLUSH:
            return False  # give up waiting: such a column stays null-typed
        schema = pa.unify_schemas([t.schema for t in self._pending], promote_options="permissive")
        return any(pa.types.is_null(f.type) for f in schema)

    def _flush(self) -> None:
        if not self._pending:
            return
        tables = self._schema.fit(self._pending)
        self._pending, self._pending_rows = [], 0
        table = _concat(tables)
        if self.is_folder:
            start = 0
            while start < table.num_rows:
                if self._writer is None:
                    self._open_part(table.schema)
                take = min(ROWS_PER_PART - self._part_rows, table.num_rows - start)
                self._writer.write(table.slice(start, take))
                self._part_rows += take
                start += take
                if self._part_rows >= ROWS_PER_PART:
                    self._close_part()
        else:
            if self._writer is None:
                self._file = AtomicFile(self.fs, self.path, self.local)
                self._writer = _FileWriter(self._file, self.format, table.schema)
            self._writer.write(table)
        self.rows += table.num_rows

    def _open_part(self, schema: Any) -> None:
        name = posixpath.join(self.path, f"part-{len(self._parts):05d}.parquet")
        self._file = AtomicFile(self.fs, name, self.local)
        self._writer = _FileWriter(self._file, "parquet", schema)
        self._part_rows = 0

    def _close_part(self) -> None:
        assert self._writer is not None and self._file is not None
        self._writer.close()
        self._file.commit()
        self._parts.append(self._file.path)
        self._writer = self._file = None

    def publish_part(self, path: str, rows: int) -> None:
        """Publish a complete Parquet file written elsewhere (by a cluster's writers, on this
        sink's file system) as the folder's next part."""
        if not self.is_folder:
            raise OutputError(f"--output {self.url} is a single file, not a folder of parts")
        name = posixpath.join(self.path, f"part-{len(self._parts):05d}.parquet")
        self.fs.mv(path, name)
        self._parts.append(name)
        self.rows += rows

    # -- ending --------------------------------------------------------------------------------

    def commit(self) -> None:
        """Publish what was written: the file, or the last part, stale parts gone, ``_SUCCESS``."""
        self._flush()
        if self.is_folder:
            if self._writer is not None:
                self._close_part()
            mine = set(self._parts)
            for old in self._old_parts:
                if old not in mine:
                    self.fs.rm(old)
            self.fs.makedirs(self.path, exist_ok=True)
            self.fs.pipe(posixpath.join(self.path, SUCCESS), b"")
        else:
            if self._writer is None:  # no rows at all: still a valid, empty file
                pa = pyarrow()
                schema = self._schema.schema or pa.schema([])
                self._file = AtomicFile(self.fs, self.path, self.local)
                self._writer = _FileWriter(self._file, self.format, schema)
            assert self._file is not None
            self._writer.close()
            self._file.commit()
        self._done = True

    def abort(self) -> None:
        """Leave nothing of this run behind: the unpublished file, and the parts published."""
        if self._done:
            return
        self._done = True
        if self._file is not None:
            self._file.discard()
        for part in self._parts:
            with contextlib.suppress(FileNotFoundError):
                self.fs.rm(part)
        if self.is_folder and self._created_folder:
            try:
                if not self.fs.ls(self.path):
                    self.fs.rmdir(self.path)
            except (OSError, FileNotFoundError):
                pass

    _created_folder = False

    def _prepare(self, overwrite: bool) -> None:
        fs, path = self.fs, self.path
        if self.is_folder:
            if fs.isfile(path):
                raise Conflict(
                    f"--output {self.url} is a file; name a folder (no suffix) or a .parquet, "
                    f".csv or .jsonl file"
                )
            if fs.isdir(path):
                existing = list(fs.ls(path, detail=False))
                if existing and not overwrite:
                    raise Conflict(
                        f"--output {self.url} already holds files; pass --overwrite to replace "
                        f"them, or choose another folder"
                    )
                marker = posixpath.join(path, SUCCESS)
                if fs.exists(marker):
                    fs.rm(marker)  # the folder no longer holds one complete result
                self._old_parts = [p for p in existing if posixpath.basename(p).startswith("part-")]
            else:
                self._created_folder = True  # made by the first part, so a kill leaves none
        else:
            if fs.isdir(path):
                raise Conflict(f"--output {self.url} is a folder; name a file, or drop the suffix")
            if fs.exists(path) and not overwrite:
                raise Conflict(
                    f"--output {self.url} already exists; pass --overwrite to replace it"
                )


def open_sink(url: str, *, overwrite: bool = False) -> Sink:
    """The sink for ``url``: a file by its suffix, or a folder of Parquet parts without one."""
    from tiffin.store.urls import resolve as _resolve

    if not url:
        raise InvalidArgument("--output is required: a .parquet, .csv or .jsonl file, or a folder")
    pyarrow()
    fs, path, local = _resolve(url)
    base = posixpath.basename(path.rstrip("/"))
    fmt = format_of(base)
    if fmt is None and "." in base.lstrip("."):
        raise InvalidArgument(
            f"--output {url}: {base!r} has a suffix tiffin batch does not write; use .parquet, "
            f".csv or .jsonl, or no suffix for a folder of Parquet files"
        )
    sink = Sink(url, fs, path.rstrip("/"), local is not None, fmt)
    sink._prepare(overwrite)
    return sink
