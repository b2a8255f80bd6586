"""Small statistics helpers: percentiles over one run's samples, and median/min/max over rounds.

Latency percentiles use the nearest-rank method over every request of a run (no interpolation),
so p99 of 200 samples is the 198th smallest. Figures over rounds are the median with min and max.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any


def percentile(samples: Sequence[float], q: float) -> float:
    """The nearest-rank q-th percentile (0 < q <= 100) of the samples."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def summary(values: Sequence[float]) -> dict[str, Any]:
    """Median, min, max and n of per-round values (NaNs left out)."""
    clean = [v for v in values if not math.isnan(v)]
    if not clean:
        return {"median": math.nan, "min": math.nan, "max": math.nan, "n": 0, "values": []}
    return {"median": statistics.median(clean), "min": min(clean), "max": max(clean), "n": len(clean),
            "values": list(clean)}


def latency_ms(samples_s: Sequence[float]) -> dict[str, float]:
    """p50, p99, mean and max of latencies given in seconds, in milliseconds."""
    if not samples_s:
        return {"p50": math.nan, "p99": math.nan, "mean": math.nan, "max": math.nan, "n": 0}
    return {"p50": percentile(samples_s, 50) * 1e3, "p99": percentile(samples_s, 99) * 1e3,
            "mean": statistics.fmean(samples_s) * 1e3, "max": max(samples_s) * 1e3, "n": len(samples_s)}


class Stopwatch:
    """Wall time of a block: ``with Stopwatch() as w: ...; w.seconds``."""

    seconds: float = 0.0

    def __enter__(self) -> Stopwatch:
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self._start


@contextmanager
def timed(into: list[float]) -> Iterator[None]:
    """Append the block's wall time (seconds) to ``into``."""
    start = time.perf_counter()
    try:
        yield
    finally:
        into.append(time.perf_counter() - start)
