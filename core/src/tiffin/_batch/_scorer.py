"""Scoring Arrow batches through one API of a service, exactly as the server would.

A :class:`BatchScorer` is the per-process half of a batch job: it loads the service once,
starts its runners on an event loop of its own (so batchable runner methods go through the
same adaptive dispatcher as under ``tiffin serve``), runs the startup hooks, and then turns each
Arrow batch into output rows: the ``--keep-columns``, the predictions and, in ``null`` mode,
an ``error`` column. It is picklable before :meth:`open`, so a distributed engine ships it to
its workers and each opens it once.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import inspect
import threading
from collections.abc import Coroutine
from typing import Any

import attrs

from tiffin._batch._arrow import pyarrow
from tiffin._batch._inputs import input_maker
from tiffin._batch._outputs import batch_columns, row_columns, to_arrow
from tiffin.exceptions import InvalidArgument, NotFound, TiffinError

__all__ = ["ERROR_COLUMN", "BatchScorer", "RowFailed", "Scored"]

#: The column holding each row's error in ``--on-error null`` mode (null when it succeeded).
ERROR_COLUMN = "error"
#: Calls in flight at once for an API called once per row (JSON), so its runners can batch.
ROW_CONCURRENCY = 64


class RowFailed(TiffinError):
    """A row's prediction failed and the job stops (``--on-error fail``)."""

    def __init__(self, row: int, error: str, keep: dict[str, Any]) -> None:
        self.row = row  # within the batch
        self.error = error
        self.keep = keep
        super().__init__(f"row {row}: {error}")

    def __reduce__(self) -> Any:  # travels between processes (a cluster's workers) intact
        return (RowFailed, (self.row, self.error, self.keep))


@attrs.frozen
class Scored:
    """One scored batch: the output rows, and how many rows were skipped or failed (null)."""

    table: Any
    skipped: int = 0
    failed: int = 0
    #: The first skipped or failed row of the batch (its index in the batch, its error).
    first_error: tuple[int, str] | None = None


def describe(exc: BaseException) -> str:
    """An exception as one line: a tiffin error's own message, else ``Type: message``."""
    text = str(exc) if isinstance(exc, TiffinError) else f"{type(exc).__name__}: {exc}"
    return " ".join(text.split()) or type(exc).__name__


async def _await(awaitable: Any) -> Any:
    return await awaitable


class BatchScorer:
    """Scores Arrow batches through API ``api`` of the service ``target`` names."""

    def __init__(
        self,
        target: str,
        api: str,
        *,
        working_dir: str | None = None,
        columns: tuple[str, ...] | None = None,
        keep_columns: tuple[str, ...] = (),
        on_error: str = "fail",
        row_concurrency: int = ROW_CONCURRENCY,
    ) -> None:
        self.target = target
        self.api_name = api
        self.working_dir = working_dir
        self.columns = list(columns) if columns is not None else None
        self.keep_columns = list(keep_columns)
        self.on_error = on_error
        self.row_concurrency = row_concurrency
        self._opened = False

    # -- pickling: only the configuration travels ------------------------------------------------

    def _config(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "api": self.api_name,
            "working_dir": self.working_dir,
            "columns": tuple(self.columns) if self.columns is not None else None,
            "keep_columns": tuple(self.keep_columns),
            "on_error": self.on_error,
            "row_concurrency": self.row_concurrency,
        }

    def __getstate__(self) -> dict[str, Any]:
        return self._config()

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        self.__init__(state.pop("target"), state.pop("api"), **state)  # type: ignore[misc]

    def with_target(self, target: str, working_dir: str | None = None) -> BatchScorer:
        """The same scorer for another target (a bento folder unpacked on a worker)."""
        config = self._config()
        config.update(target=target, working_dir=working_dir)
        return BatchScorer(config.pop("target"), config.pop("api"), **config)

    # -- lifecycle -------------------------------------------------------------------------------

    def check(self) -> None:
        """Load the service and check the API can be fed rows, without starting its runners."""
        from tiffin._target import resolve_target

        svc = resolve_target(self.target, self.working_dir)
        api = svc.apis.get(self.api_name)
        if api is None:
            known = ", ".join(svc.apis) or "none"
            raise NotFound(f"service {svc.name!r} has no API {self.api_name!r} (its APIs: {known})")
        input_maker(api, self.columns)

    def open(self, *, deployment_hooks: bool = False) -> BatchScorer:
        """Load the service, start its runners and run its startup hooks (once per process)."""
        if self._opened:
            return self
        from tiffin._service import Context
        from tiffin._target import resolve_target

        svc = resolve_target(self.target, self.working_dir)
        api = svc.apis.get(self.api_name)
        if api is None:
            known = ", ".join(svc.apis) or "none"
            raise NotFound(f"service {svc.name!r} has no API {self.api_name!r} (its APIs: {known})")
        self._svc = svc
        self._api = api
        self._maker = input_maker(api, self.columns)
        self._state: dict[str, Any] = {}
        self._layout: list[str] | None = None
        self._checked_schema: Any = None
        if deployment_hooks:
            svc.run_deployment_hooks()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="tiffin-batch-loop", daemon=True
        )
        self._thread.start()
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=self.row_concurrency, thread_name_prefix="tiffin-batch-row"
        )
        self._started: list[Any] = []
        self._opened = True
        try:
            self._run(self._start(Context))
        except BaseException:
            self.close()
            raise
        return self

    async def _start(self, context_class: Any) -> None:
        for runner in self._svc.runners:
            astart = getattr(runner, "astart", None)
            if callable(astart):
                await astart()
            else:
                await asyncio.get_running_loop().run_in_executor(None, runner.init_local)
            self._started.append(runner)
        await self._svc.arun_hooks(self._svc.startup_hooks, context_class(None, self._state))

    async def _stop(self) -> None:
        from tiffin._service import Context

        try:
            await self._svc.arun_hooks(self._svc.shutdown_hooks, Context(None, self._state))
        finally:
            for runner in reversed(self._started):
                astop = getattr(runner, "astop", None)
                if callable(astop):
                    await astop()
            self._started = []

    def close(self) -> None:
        """Run the shutdown hooks, stop the runners and the loop; idempotent."""
        if not self._opened:
            return
        self._opened = False
        try:
            self._run(self._stop())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=30)
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._loop.close()

    def __enter__(self) -> BatchScorer:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    # -- calling the API -------------------------------------------------------------------------

    def _args(self, value: Any) -> tuple[tuple[Any, ...], dict[str, Any]]:
        from tiffin._service import Context

        api = self._api
        ctx = Context(None, self._state) if api.ctx_param is not None else None
        return api.call_args(value, ctx)

    def _call(self, value: Any) -> Any:
        """One call, from this (non-loop) thread, as the server's thread pool would make it."""
        api = self._api
        args, kwargs = self._args(value)
        if api.is_async:
            return self._run(api.func(*args, **kwargs))
        result = api.func(*args, **kwargs)
        if inspect.isawaitable(result):
            result = self._run(_await(result))
        return result

    async def _call_rows(self, thunks: list[Any], concurrency: int) -> list[tuple[bool, Any]]:
        """One call per row, up to ``concurrency`` at once, so the runners can batch them."""
        api = self._api
        loop = asyncio.get_running_loop()
        gate = asyncio.Semaphore(concurrency)

        async def one(thunk: Any) -> tuple[bool, Any]:
            async with gate:
                try:
                    args, kwargs = self._args(thunk())
                    if api.is_async:
                        result = await api.func(*args, **kwargs)
                    else:
                        call = functools.partial(api.func, *args, **kwargs)
                        result = await loop.run_in_executor(self._pool, call)
                    if inspect.isawaitable(result):
                        result = await result
                    return True, result
                except Exception as exc:
                    return False, exc

        return list(await asyncio.gather(*(one(t) for t in thunks)))

    # -- scoring ---------------------------------------------------------------------------------

    def _check_columns(self, schema: Any) -> None:
        if self._checked_schema is not None and schema.equals(self._checked_schema):
            return
        names = schema.names
        for option, wanted in (
            ("--columns", self.columns or []),
            ("--keep-columns", self.keep_columns),
        ):
            missing = [c for c in wanted if c not in names]
            if missing:
                raise InvalidArgument(
                    f"{option} names {', '.join(map(repr, missing))}, which the input lacks (its "
                    f"columns: {', '.join(names)})"
                )
        self._checked_schema = schema

    def score(self, batch: Any) -> Scored:
        """The output rows for one ``pyarrow.RecordBatch`` (or ``Table``) of input rows.

        With ``on_error="fail"`` a failing row raises :class:`RowFailed` (``row`` counts from
        the batch's first row); ``skip`` leaves it out; ``null`` gives it null predictions and
        its error in the ``error`` column.
        """
        if not self._opened:
            raise TiffinError("BatchScorer.score() before open()")
        pa = pyarrow()
        if isinstance(batch, pa.Table):
            batch = (
                pa.RecordBatch.from_pylist([], schema=batch.schema)
                if not batch.num_rows
                else (batch.combine_chunks().to_batches()[0])
            )
        self._check_columns(batch.schema)
        rows = batch.num_rows
        if self._maker.per_row:
            thunks = self._maker.make(batch)
            outcomes = self._run(self._call_rows(thunks, self.row_concurrency))
            failed = [i for i, (ok, _) in enumerate(outcomes) if not ok]
            if failed:  # a row shares the fate of its runner batch: retry each alone to be sure
                again = self._run(self._call_rows([thunks[i] for i in failed], 1))
                for i, outcome in zip(failed, again, strict=True):
                    outcomes[i] = outcome
            return self._assemble(batch, outcomes, whole=None)
        if rows == 0:
            return self._assemble(batch, [], whole=None)
        try:
            value = self._maker.make(batch)
        except Exception:  # some rows cannot be fed: score the others in one call
            return self._assemble(batch, self._without_bad_inputs(batch), whole=None)
        try:
            whole = batch_columns(self._api, self._call(value), rows)
        except Exception:  # find the failing rows; the others still get their answers
            return self._assemble(batch, self._one_by_one(batch), whole=None)
        return self._assemble(batch, None, whole=whole)

    def _without_bad_inputs(self, batch: Any) -> list[tuple[bool, Any]]:
        """A batch whose input failed to convert: each row's input alone (no API call), then
        one call on the rows that converted, so a bad cell fails its own row only."""
        pa = pyarrow()
        bad: dict[int, Exception] = {}
        for i in range(batch.num_rows):
            try:
                self._maker.make(batch.slice(i, 1))
            except Exception as exc:
                bad[i] = exc
                if self.on_error == "fail":  # stops at the first failing row
                    return [(True, {})] * i + [(False, exc)]
        good = [i for i in range(batch.num_rows) if i not in bad]
        if not good:
            return [(False, bad[i]) for i in range(batch.num_rows)]
        subset = batch.take(pa.array(good))
        try:
            columns = batch_columns(self._api, self._call(self._maker.make(subset)), len(good))
        except Exception:
            return self._one_by_one(batch)
        answers = {
            row: {k: _first(v[j : j + 1]) for k, v in columns.items()} for j, row in enumerate(good)
        }
        return [(False, bad[i]) if i in bad else (True, answers[i]) for i in range(batch.num_rows)]

    def _one_by_one(self, batch: Any) -> list[tuple[bool, Any]]:
        """A failed batch again, a row at a time: which rows fail, and the others' answers."""
        outcomes: list[tuple[bool, Any]] = []
        for i in range(batch.num_rows):
            try:
                value = self._maker.make(batch.slice(i, 1))
                columns = batch_columns(self._api, self._call(value), 1)
                outcomes.append((True, {k: _first(v) for k, v in columns.items()}))
            except Exception as exc:
                outcomes.append((False, exc))
                if self.on_error == "fail":
                    break
        return outcomes

    def _assemble(
        self, batch: Any, outcomes: list[tuple[bool, Any]] | None, whole: dict[str, Any] | None
    ) -> Scored:
        pa = pyarrow()
        keep = batch.select(self.keep_columns)
        failed_rows: list[int] = []
        errors: list[str | None] = []
        if whole is not None:
            columns = whole
            errors = [None] * batch.num_rows
        else:
            assert outcomes is not None
            for i, (ok, value) in enumerate(outcomes):
                if not ok:
                    if self.on_error == "fail":
                        keep_values = keep.slice(i, 1).to_pylist()[0] if keep.num_columns else {}
                        raise RowFailed(i, describe(value) + self._hint(batch), keep_values)
                    failed_rows.append(i)
            errors = [None if ok else describe(v) for ok, v in outcomes]
            if self._maker.per_row:
                columns = row_columns(self._api, [v if ok else None for ok, v in outcomes])
            else:
                names: list[str] = []
                for ok, value in outcomes:
                    if ok:
                        names.extend(k for k in value if k not in names)
                columns = {n: [v.get(n) if ok else None for ok, v in outcomes] for n in names}
            if not any(ok for ok, _ in outcomes) and outcomes:
                columns = {n: [None] * len(outcomes) for n in (self._layout or [self._api.name])}
        names, arrays = to_arrow(columns)
        if whole is not None or any(ok for ok, _ in (outcomes or [])):
            self._layout = names
        clash = [n for n in names if n in self.keep_columns] + (
            [ERROR_COLUMN] if self.on_error == "null" and ERROR_COLUMN in self.keep_columns else []
        )
        if clash:
            raise InvalidArgument(
                f"--keep-columns {', '.join(map(repr, clash))} would clash with the output column "
                f"of the same name; keep other columns, or rename it in the input"
            )
        table = pa.Table.from_batches([keep]) if keep.num_columns else pa.table({})
        for name, array in zip(names, arrays, strict=True):
            table = _append(pa, table, name, array, batch.num_rows)
        if self.on_error == "null":
            table = _append(pa, table, ERROR_COLUMN, pa.array(errors, pa.string()), batch.num_rows)
        skipped = 0
        if self.on_error == "skip" and failed_rows:
            mask = [True] * batch.num_rows
            for i in failed_rows:
                mask[i] = False
            table = table.filter(pa.array(mask))
            skipped = len(failed_rows)
        first = None
        if failed_rows:
            first = (failed_rows[0], f"{errors[failed_rows[0]]}{self._hint(batch)}")
        return Scored(table, skipped, len(failed_rows) if self.on_error == "null" else 0, first)

    def _hint(self, batch: Any) -> str:
        """Without ``--columns`` the API gets every input column: a failure says which."""
        if self.columns is not None or self._maker.per_row:
            return ""
        names = batch.schema.names
        return (
            f" (without --columns the API was sent every input column: {', '.join(names)}; "
            f"choose the ones it takes with --columns a,b,c)"
        )


def _first(values: Any) -> Any:
    item = values[0]
    return item.item() if hasattr(item, "item") and not isinstance(item, list | dict) else item


def _append(pa: Any, table: Any, name: str, array: Any, rows: int) -> Any:
    if table.num_columns == 0:
        return pa.table({name: array})
    return table.append_column(name, array)
