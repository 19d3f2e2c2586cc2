"""Dataset jobs: convert, validate, evaluate, compare, render, stats and superpixels over whole
datasets, on one machine or a Dask cluster. The ``maskcore`` command is a thin layer over them.

Every job is a Dask graph: the driver lists the dataset's items (images), cuts them into shards
of ``shard_size`` consecutive items, runs one task per shard and reduces the results in item
order. A user's own Dask pipeline can call them as they are.

Common parameters
-----------------
scheduler : str or dask.distributed.Client, optional
    ``"threads"`` (the default when dask is installed; maskcore's kernels release the GIL),
    ``"processes"``, ``"synchronous"``, a ``dask.distributed.Client``, or an address
    ``"tcp://host:port"`` of a running dask.distributed scheduler. Without dask (the
    ``maskcore[dask]`` extra), ``None`` and ``"synchronous"`` run the same tasks in a plain
    in-order loop in this process; any other choice raises ImportError naming the extra.
workers : int, optional
    Workers of the local ``threads`` / ``processes`` schedulers (default: one per core).
shard_size : int
    Items per task. The shards depend only on the items and this number, so the results (and
    every file written) are the same bytes whatever the scheduler and worker count.
fail_fast : bool, default False
    False: an item that fails (a corrupt PNG, an annotation that does not parse) becomes an
    :class:`ItemError` (file, field, value, why) in ``JobResult.errors`` and the job goes on.
    True: the first one raises :class:`FailFast`.
progress : bool, default False
    A tqdm bar on stderr (only when stderr is a terminal and tqdm is installed).
resume : bool, default False
    Outputs whose final name exists are complete (every file is written under a temporary name
    and renamed when complete) and are not made again.

Inside the tasks maskcore's kernels run with one thread (``threads=None`` means 1 while a job
runs): the scheduler already runs one task per core.

Exit codes (``JobResult.exit_code`` and the command line): 0 clean, 1 problems found or items
failed; the command line adds 2 for usage errors and unreadable inputs (:class:`SourceError`).
"""
from ._jobs import JobResult, compare, convert, evaluate, render, stats, superpixels, validate
from ._run import FailFast, ItemError, JobError, have_dask, run_items
from ._sources import LOCAL_FORMATS, Sample, Source, SourceError, open_source

__all__ = ["convert", "validate", "evaluate", "compare", "render", "stats", "superpixels", "JobResult", "ItemError",
           "FailFast", "JobError", "SourceError", "open_source", "Source", "Sample", "run_items", "have_dask",
           "LOCAL_FORMATS"]
