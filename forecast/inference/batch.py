"""Independent fits fanned out on Dask (``distributed``): backtest cases, SBC runs, many scenarios.

A local cluster sized to the machine by default (one single-threaded worker process per core);
a scheduler address (``scheduler=`` or the ``FORECAST_SCHEDULER`` environment variable) sends the
same work to a running cluster instead. Each task carries its own seed, so the numbers do not
depend on which worker runs it or in what order: the same as a serial run.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

#: Environment variable naming a Dask scheduler (``tcp://host:8786``) to run batch work on.
SCHEDULER_ENV = "FORECAST_SCHEDULER"


def scheduler_address(scheduler: str | None = None) -> str | None:
    """Return the scheduler to use: the argument, else ``$FORECAST_SCHEDULER``, else None (local)."""
    return scheduler or os.environ.get(SCHEDULER_ENV) or None


def run_batch(fn: Callable, items: Sequence, *, workers: int | None = None,
              scheduler: str | None = None, progress: Callable | None = None,
              label: Callable = str) -> list:
    """Return ``[fn(item) for item in items]``, computed on a Dask cluster.

    Parameters
    ----------
    fn : callable
        A picklable function of one item (module-level, so workers can import it).
    items : sequence
        The independent tasks.
    workers : int, optional
        Size of the local cluster (default: the number of cores, at most the number of items).
        ``0`` runs serially in this process, without Dask.
    scheduler : str, optional
        Address of a running scheduler; overrides ``workers``.
    progress : callable, optional
        Called as ``progress(done, total, label(item))`` after each task finishes.
    label : callable
        Names an item for ``progress``.

    Returns
    -------
    list
        Results in the order of ``items``.
    """
    items = list(items)
    address = scheduler_address(scheduler)
    if workers == 0 and address is None:
        out = []
        for k, item in enumerate(items, 1):
            out.append(fn(item))
            if progress:
                progress(k, len(items), label(item))
        return out

    from distributed import Client, LocalCluster, as_completed

    if address is not None:
        client, cluster = Client(address), None
    else:
        n = max(1, min(workers or os.cpu_count() or 1, len(items)))
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=40)
        client = Client(cluster)
    try:
        futures = client.map(fn, items, pure=False)
        position = {f.key: i for i, f in enumerate(futures)}
        out = [None] * len(items)
        for k, future in enumerate(as_completed(futures), 1):
            out[position[future.key]] = future.result()  # re-raises a task's own error
            if progress:
                progress(k, len(items), label(items[position[future.key]]))
        return out
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
