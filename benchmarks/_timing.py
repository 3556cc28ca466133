"""Shared timing helper for benchmarks: median wall time of repeats, after a warm-up."""
import statistics
import time


def median_time(fn, *, repeats: int = 5, warmup: int = 1) -> float:
    """Median seconds of ``fn()`` over ``repeats`` runs after ``warmup`` untimed runs.

    ``fn`` must block until its result is ready (call ``.block_until_ready()``
    on JAX outputs inside it).
    """
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
