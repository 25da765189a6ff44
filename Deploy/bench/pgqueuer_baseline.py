#!/usr/bin/env python3
"""The pgqueuer baseline of `shoprecon-bench jobs`.

Enqueues N no-op jobs into pgqueuer's own tables (installed on first use with pgqueuer's Python
API) in batches, then works them off with W QueueManager processes (one each, like W worker
daemons: Python runs one event loop per process) in drain mode, and prints one JSON object on
stdout:

    {"pgqueuer_version": "...", "jobs": 100000, "workers": 2, "enqueue_seconds": ..., "process_seconds": ...,
     "enqueue_client_cpu_seconds": ..., "enqueue_db_cpu_seconds": ..., "process_client_cpu_seconds": ...,
     "process_db_cpu_seconds": ..., "batch_size": 100, "max_concurrent_tasks": 200, "succeeded": 100000, ...}

Timing: enqueue from the first batch to the last (each batch one statement, autocommit, as
Queries.enqueue runs it); processing from releasing the already-connected worker processes
until the last of them has returned from QueueManager.run() (drain mode returns once the
queue is empty, its jobs done and their completions written). CPU: of the Python processes
(time.process_time) and of their server processes (/proc/<pid>/schedstat; null when the server
runs elsewhere or /proc is not readable). pgqueuer's tables are emptied before and after the
run. Progress goes to stderr.

Needs `pip install pgqueuer asyncpg`. Usage:
    pgqueuer_baseline.py --dsn postgresql://... --jobs 100000 --workers 2 --batch-size 100
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import sys
import time


def log(message: str) -> None:
    print(f"[pgqueuer] {message}", file=sys.stderr, flush=True)


def backend_cpu(pid: int) -> float | None:
    """CPU seconds a server process has used (Linux, same host, readable /proc), else None."""
    try:
        with open(f"/proc/{pid}/schedstat") as stat:
            return int(stat.read().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        return None


def delta(before: float | None, after: float | None) -> float | None:
    return None if before is None or after is None else after - before


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dsn", required=True, help="the database, as a role that may create tables there")
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=1, help="QueueManager processes")
    parser.add_argument("--batch-size", type=int, default=100, help="QueueManager.run(batch_size=...)")
    parser.add_argument("--max-concurrent-tasks", type=int, default=None,
                        help="QueueManager.run(max_concurrent_tasks=...); default 2 x batch size, 0 = unlimited")
    parser.add_argument("--enqueue-batch", type=int, default=1000, help="jobs per Queries.enqueue call")
    return parser.parse_args()


async def prepare(dsn: str) -> None:
    """Installs pgqueuer's schema when missing and empties its tables."""
    import asyncpg
    from pgqueuer import Queries

    connection = await asyncpg.connect(dsn)
    try:
        queries = Queries.from_asyncpg_connection(connection)
        if not await queries.schema_is_installed():
            log("installing the pgqueuer schema")
            await queries.install()
        names = queries.qbe.settings.qualified
        await connection.execute(
            f"TRUNCATE {names.queue_table}, {names.queue_table_log}, {names.statistics_table}")
    finally:
        await connection.close()


async def enqueue(dsn: str, jobs: int, batch: int) -> tuple[float, float, float | None]:
    """Returns the seconds, the client's CPU seconds and the server process's CPU seconds."""
    import asyncpg
    from pgqueuer import Queries

    connection = await asyncpg.connect(dsn)
    try:
        queries = Queries.from_asyncpg_connection(connection)
        backend = await connection.fetchval("SELECT pg_backend_pid()")
        db_before, cpu_before = backend_cpu(backend), time.process_time()
        started = time.perf_counter()
        done = 0
        while done < jobs:
            n = min(batch, jobs - done)
            ids = await queries.enqueue(["noop"] * n, [None] * n, [0] * n)
            if len(ids) != n:
                raise RuntimeError(f"enqueue returned {len(ids)} ids for {n} jobs")
            done += n
        seconds = time.perf_counter() - started
        return seconds, time.process_time() - cpu_before, delta(db_before, backend_cpu(backend))
    finally:
        await connection.close()


def worker_process(dsn: str, batch_size: int, max_tasks: int | None, ready, start, results) -> None:
    """One worker daemon: connects, waits for the start signal, drains the queue."""

    async def main() -> None:
        import asyncpg
        from pgqueuer import Queries, QueueManager
        from pgqueuer.domain.types import QueueExecutionMode

        connection = await asyncpg.connect(dsn)
        manager = QueueManager(Queries.from_asyncpg_connection(connection))
        processed = 0

        @manager.entrypoint("noop")
        async def noop(job) -> None:  # noqa: ANN001 - pgqueuer's Job
            nonlocal processed
            processed += 1

        backend = await connection.fetchval("SELECT pg_backend_pid()")
        ready.release()
        await asyncio.get_running_loop().run_in_executor(None, start.wait)
        db_before, cpu_before = backend_cpu(backend), time.process_time()
        await manager.run(batch_size=batch_size, mode=QueueExecutionMode.drain, max_concurrent_tasks=max_tasks)
        finished = time.monotonic()
        cpu, db = time.process_time() - cpu_before, delta(db_before, backend_cpu(backend))
        await connection.close()
        results.put((finished, processed, cpu, db))

    try:
        asyncio.run(main())
    except BaseException as error:  # report, so the parent does not wait forever
        results.put((None, repr(error), None, None))
        raise


async def verify(dsn: str) -> dict:
    import asyncpg
    from pgqueuer import Queries

    connection = await asyncpg.connect(dsn)
    try:
        names = Queries.from_asyncpg_connection(connection).qbe.settings.qualified
        left = await connection.fetchval(f"SELECT count(*) FROM {names.queue_table}")
        succeeded = await connection.fetchval(
            f"SELECT count(*) FROM {names.queue_table_log} WHERE status = 'successful'")
        distinct = await connection.fetchval(
            f"SELECT count(DISTINCT job_id) FROM {names.queue_table_log} WHERE status = 'successful'")
        # Leave nothing behind for autovacuum to work on while the next case runs.
        await connection.execute(
            f"TRUNCATE {names.queue_table}, {names.queue_table_log}, {names.statistics_table}")
        return {"left_in_queue": left, "succeeded": succeeded, "succeeded_distinct": distinct}
    finally:
        await connection.close()


def main() -> int:
    args = parse_args()
    import pgqueuer

    max_tasks = args.max_concurrent_tasks
    if max_tasks is None:
        max_tasks = 2 * args.batch_size
    max_tasks = max_tasks or None

    asyncio.run(prepare(args.dsn))
    log(f"enqueueing {args.jobs} jobs in batches of {args.enqueue_batch}")
    enqueue_seconds, enqueue_cpu, enqueue_db_cpu = asyncio.run(enqueue(args.dsn, args.jobs, args.enqueue_batch))
    log(f"enqueued in {enqueue_seconds:.3f}s ({args.jobs / enqueue_seconds:.0f} jobs/s)")

    context = mp.get_context("spawn")
    ready = context.Semaphore(0)
    start = context.Event()
    results = context.Queue()
    processes = [
        context.Process(target=worker_process, args=(args.dsn, args.batch_size, max_tasks, ready, start, results))
        for _ in range(args.workers)
    ]
    for process in processes:
        process.start()
    for _ in processes:
        if not ready.acquire(timeout=60):
            raise SystemExit("a pgqueuer worker process did not connect within 60s")
    log(f"{args.workers} QueueManager process(es) connected; batch_size={args.batch_size}, "
        f"max_concurrent_tasks={max_tasks}; processing")
    started = time.monotonic()
    start.set()
    finished = []
    processed = 0
    process_cpu = 0.0
    process_db_cpu: float | None = 0.0
    for _ in processes:
        at, count, cpu, db = results.get()
        if at is None:
            raise SystemExit(f"a pgqueuer worker failed: {count}")
        finished.append(at)
        processed += count
        process_cpu += cpu
        process_db_cpu = None if process_db_cpu is None or db is None else process_db_cpu + db
    for process in processes:
        process.join()
    process_seconds = max(finished) - started
    log(f"processed {processed} jobs in {process_seconds:.3f}s ({args.jobs / process_seconds:.0f} jobs/s)")

    checks = asyncio.run(verify(args.dsn))
    result = {
        "pgqueuer_version": getattr(pgqueuer, "__version__", "?"),
        "jobs": args.jobs,
        "workers": args.workers,
        "enqueue_seconds": enqueue_seconds,
        "process_seconds": process_seconds,
        "enqueue_client_cpu_seconds": enqueue_cpu,
        "enqueue_db_cpu_seconds": enqueue_db_cpu,
        "process_client_cpu_seconds": process_cpu,
        "process_db_cpu_seconds": process_db_cpu,
        "batch_size": args.batch_size,
        "max_concurrent_tasks": max_tasks or 0,
        "enqueue_batch": args.enqueue_batch,
        "processed": processed,
        **checks,
    }
    print(json.dumps(result), flush=True)
    if processed != args.jobs or checks["left_in_queue"] != 0 or checks["succeeded_distinct"] != args.jobs:
        log(f"incomplete run: {result}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
