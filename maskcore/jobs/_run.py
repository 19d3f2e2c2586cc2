"""The engine under every dataset job: items -> shards -> one Dask task per shard -> results in item order.

Why shards of a fixed size. A job is a list of *items* (images, files), each handled by a pure
function of the item alone. Items are cut into shards of ``shard_size`` consecutive items, and
one task handles one shard: with 100,000 items and one task each, Dask's own bookkeeping (~0.1-1
ms per task) would cost as much as the work. The cut depends only on the item list and
``shard_size``, never on the scheduler or the worker count, and the driver puts the results back
in item order before anything is reduced, so every scheduler gives the same bytes.

Errors. An item that raises becomes an :class:`ItemError` (file, field, value, why) in its slot
and the shard goes on; with ``fail_fast`` the first one stops the job (:class:`FailFast`).
Exceptions that are not about one item (a worker killed too often, a lost cluster) propagate.

Schedulers (``scheduler=``): ``"threads"``, ``"processes"``, ``"synchronous"``, a
``dask.distributed.Client``, or an address ``"tcp://host:port"`` (a Client is opened for the job
and closed after). ``None`` means ``"threads"`` when dask is installed, else a plain in-order
loop in this process (the same results; the documented fallback of a maskcore without its
``dask`` extra). Any other explicit choice without dask raises ImportError naming the extra.
"""
from __future__ import annotations

import contextlib
import os
import sys
import threading
import traceback
import uuid
from dataclasses import asdict, dataclass
from typing import Any, Callable, Iterator, Optional, Sequence, Union

from .. import _validate as _v

__all__ = ["ItemError", "FailFast", "JobError", "run_items", "resolve_scheduler", "have_dask"]

SCHEDULERS = ("threads", "processes", "synchronous")
DASK_HINT = "pip install 'maskcore[dask]'"


@dataclass
class ItemError:
    """One item that could not be handled: ``file`` (path or image), ``field`` (where in it, or
    ``""``), ``value`` (the offending value, JSON-ready, or None) and ``why`` (one line)."""

    file: str
    field: str
    value: Any
    why: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        where = f"{self.file}" + (f" [{self.field}]" if self.field else "")
        val = "" if self.value is None else f" (value: {self.value!r})"
        return f"{where}: {self.why}{val}"


class ItemFailure(Exception):
    """Raised by an item function to report a precise ItemError (file, field, value, why)."""

    def __init__(self, file: object, field: object, value: object, why: object) -> None:
        super().__init__(why)
        self.error = ItemError(str(file), str(field), _jsonable(value), str(why))


class FailFast(Exception):
    """``fail_fast=True``: the first item error, which stopped the job."""

    def __init__(self, error: ItemError) -> None:
        super().__init__(str(error))
        self.error = error

    def __reduce__(self) -> tuple[Any, ...]:  # crosses process boundaries (processes scheduler, distributed workers)
        return (FailFast, (self.error,))


class JobError(RuntimeError):
    """The job could not run to the end (the cluster lost a task too often, a usage error found
    late): no output of it was published under its final name unless it was complete."""


def _jsonable(v: Any) -> Any:
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    try:
        import numpy as np

        if isinstance(v, np.generic):
            return v.item()
        if isinstance(v, np.ndarray) and v.size <= 16:
            return v.tolist()
    except ImportError:  # pragma: no cover
        pass
    s = repr(v)
    return s if len(s) <= 200 else s[:197] + "..."


def have_dask() -> bool:
    try:
        import dask  # noqa: F401
        import dask.delayed  # noqa: F401  (dask[delayed])
    except ImportError:
        return False
    return True


def resolve_scheduler(scheduler: Any, workers: Any) -> tuple[str, Any]:
    """Check ``scheduler=`` / ``workers=`` and return ``(kind, value)``: kind is "loop", one of
    SCHEDULERS, "client" (value: a Client) or "address" (value: the address string)."""
    if workers is not None:
        workers = _v.integer(workers, "workers")
        if workers < 1:
            raise ValueError(f"workers: expected an int >= 1, got {workers}")
    if scheduler is None:
        return ("threads", None) if have_dask() else ("loop", None)
    if isinstance(scheduler, str):
        if scheduler in SCHEDULERS:
            if scheduler != "synchronous" and not have_dask():
                raise ImportError(f"scheduler={scheduler!r} needs dask: {DASK_HINT} "
                                  f"(or scheduler=None / 'synchronous' for an in-process loop)")
            return (scheduler if have_dask() else "loop"), None
        if "://" in scheduler:
            _need_distributed(scheduler)
            return "address", scheduler
        raise ValueError(f"scheduler: expected 'threads', 'processes', 'synchronous', a dask.distributed "
                         f"Client or an address 'tcp://host:port', got {scheduler!r}")
    Client: Any
    try:
        from distributed import Client
    except ImportError:
        Client = None
    if Client is not None and isinstance(scheduler, Client):
        return "client", scheduler
    raise TypeError(f"scheduler: expected a string or a dask.distributed Client, got {type(scheduler).__name__}")


def _need_distributed(what: str) -> None:
    try:
        import distributed  # noqa: F401
    except ImportError as exc:
        raise ImportError(f"scheduler={what!r} needs dask.distributed: {DASK_HINT}") from exc


# ---- inside a task -------------------------------------------------------------------------------

_kernel_lock = threading.Lock()


@contextlib.contextmanager
def kernel_threads(n: Optional[int]) -> Iterator[None]:
    """maskcore kernels called with ``threads=None`` use ``n`` threads while the job runs (the
    scheduler already runs one task per core). Process-wide: a job sets it once in the driver
    (threads / synchronous schedulers) and every task sets it in its worker process."""
    if n is None:
        yield
        return
    with _kernel_lock:
        old = _v.CORES
        _v.CORES = n
    try:
        yield
    finally:
        with _kernel_lock:
            _v.CORES = old


def _describe(item: object) -> str:
    for attr in ("name", "file", "path"):
        v = getattr(item, attr, None)
        if v is not None:
            return str(v)
    return str(item)


class _Shard:
    """The items of one task, opaque to dask: a plain list would be walked (and its every nested
    dict and tuple parsed) when the graph is built, which costs more than the work at 100k items."""

    __slots__ = ("items",)

    def __init__(self, items: list[Any]) -> None:
        self.items = items

    def __getstate__(self) -> list[Any]:
        return self.items

    def __setstate__(self, state: list[Any]) -> None:
        self.items = state

    def __iter__(self) -> Iterator[Any]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def _run_shard(shard: Sequence[Any], item_func: Callable[[Any], Any], fail_fast: bool,
               threads: Optional[int]) -> list[Any]:
    """One task: item_func over the shard's items; each result or ItemError in its slot."""
    if threads is not None:
        _v.CORES = threads  # in a worker process the job owns the default; see kernel_threads
    out: list[Any] = []
    for item in shard:
        try:
            out.append(item_func(item))
        except ItemFailure as exc:
            if fail_fast:
                raise FailFast(exc.error) from None
            out.append(exc.error)
        except (ValueError, TypeError, OSError, KeyError, IndexError, OverflowError, MemoryError,
                SyntaxError, UnicodeError, EOFError, ArithmeticError) as exc:
            err = ItemError(_describe(item), "", None, f"{type(exc).__name__}: {exc}".splitlines()[0][:500])
            if fail_fast:
                raise FailFast(err) from None
            out.append(err)
    return out


# ---- progress --------------------------------------------------------------------------------------

class _Progress:
    """A tqdm bar on stderr when ``show`` and stderr is a terminal (and tqdm installed); otherwise nothing."""

    def __init__(self, total: int, desc: str, show: bool) -> None:
        self.bar: Any = None
        if show and total and sys.stderr is not None and sys.stderr.isatty():
            try:
                from tqdm import tqdm
            except ImportError:
                tqdm = None
            if tqdm is not None:
                self.bar = tqdm(total=total, desc=desc, unit="img", file=sys.stderr, dynamic_ncols=True,
                                leave=False)
        self.lock = threading.Lock()

    def update(self, n: int) -> None:
        if self.bar is not None:
            with self.lock:
                self.bar.update(n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


# ---- the driver --------------------------------------------------------------------------------------

def _shards(items: Sequence[Any], shard_size: int) -> list[list[Any]]:
    return [list(items[i:i + shard_size]) for i in range(0, len(items), shard_size)]


def run_items(items: Sequence[Any], func: Callable[[Any], Any], *, scheduler: Any = None, workers: Optional[int] = None,
              shard_size: int = 16, fail_fast: bool = False, progress: bool = False, threads: Optional[int] = 1,
              desc: str = "") -> list[Any]:
    """``func`` over ``items`` as a Dask graph of shard tasks; returns ``func(item)`` or an
    :class:`ItemError` per item, in item order. ``threads``: maskcore's default kernel thread
    count inside the tasks (1: the scheduler gives one task per core; None: leave it).

    Raises :class:`FailFast` (``fail_fast`` and an item failed) or :class:`JobError` (the
    scheduler lost a task, e.g. a worker killed more often than the cluster allows)."""
    items = list(items)
    shard_size = _v.integer(shard_size, "shard_size")
    if shard_size < 1:
        raise ValueError(f"shard_size: expected an int >= 1, got {shard_size}")
    kind, value = resolve_scheduler(scheduler, workers)
    shards = _shards(items, shard_size)
    bar = _Progress(len(items), desc, progress)
    try:
        if kind == "loop":
            with kernel_threads(threads):
                results: list[Any] = []
                for sh in shards:
                    results.append(_run_shard(sh, func, fail_fast, None))
                    bar.update(len(sh))
        elif kind in SCHEDULERS:
            results = _run_local(func, shards, kind, workers, fail_fast, threads, bar)
        else:
            results = _run_distributed(func, shards, kind, value, fail_fast, threads, bar)
    finally:
        bar.close()
    return [r for sh in results for r in sh]


def _keys(n: int) -> list[str]:
    job = uuid.uuid4().hex
    return [f"maskcore-shard-{k}-{job}" for k in range(n)]


def _run_local(func: Callable[[Any], Any], shards: list[list[Any]], kind: str, workers: Optional[int], fail_fast: bool,
               threads: Optional[int], bar: _Progress) -> list[Any]:
    """The shards as one plain task graph ({key: (_run_shard, shard, ...)}) handed to the local
    scheduler's get. Not dask.delayed: dask.compute over thousands of delayed objects merges and
    culls one graph layer per object, a cost that grows with the square of the task count (3,000
    tasks: 15 s of driver time before the first task ran)."""
    from dask.base import get_scheduler as _get_scheduler
    from dask.callbacks import Callback

    get_scheduler: Any = _get_scheduler  # dask's own functions are not annotated

    keys = _keys(len(shards))
    sizes = dict(zip(keys, map(len, shards)))

    class _Count(Callback):
        def _posttask(self, key: str, result: Any, dsk: Any, state: Any, worker_id: Any) -> None:
            bar.update(sizes.get(key, 0))

    dsk = {key: (_run_shard, _Shard(sh), func, fail_fast, threads) for key, sh in zip(keys, shards)}
    kw: dict[str, Any] = {}
    if workers is not None and kind != "synchronous":
        kw["num_workers"] = workers
    # threads / synchronous run in this process: kernels get the job's thread count here; the
    # processes scheduler's children set it in _run_shard.
    count: Any = _Count  # Callback.__init__ is not annotated
    with kernel_threads(threads if kind != "processes" else None), count():
        return list(get_scheduler(scheduler=kind)(dsk, keys, **kw))


def _run_distributed(func: Callable[[Any], Any], shards: list[list[Any]], kind: str, value: Any, fail_fast: bool,
                     threads: Optional[int], bar: _Progress) -> list[Any]:
    import distributed

    Client: Any = distributed.Client  # not annotated
    as_completed: Any = distributed.as_completed
    KilledWorker: Any

    try:
        from distributed.scheduler import KilledWorker
    except ImportError:  # pragma: no cover
        KilledWorker = ()
    own = kind == "address"
    client = Client(value, set_as_default=False) if own else value
    futures: list[Any] = []
    try:
        keys = _keys(len(shards))
        futures = client.map(_run_shard, [_Shard(sh) for sh in shards], key=keys, pure=False, item_func=func,
                             fail_fast=fail_fast, threads=threads)
        index = {f.key: k for k, f in enumerate(futures)}
        results: list[Any] = [None] * len(futures)
        for fut in as_completed(futures):
            k = index[fut.key]
            try:
                results[k] = fut.result()
            except FailFast:
                raise
            except KilledWorker as exc:
                raise JobError(f"shard {k} (items {k * len(shards[0])}..) was lost with its worker more often "
                               f"than the cluster allows ({exc}); no output of the job's reduce step was "
                               f"written") from None
            bar.update(len(shards[k]))
        return results
    finally:
        if futures:
            client.cancel(futures)
        if own:
            client.close()


def format_traceback(exc: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()


def env_flag(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0")
