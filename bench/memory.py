"""Peak memory of the server process with every student of the dataset in the ledger.

After all the other measurements (which the same server answered), a mixed load over the whole
population: ``GET /v1/students/{id}`` of children drawn from all the admitted students (by their
school's principal), 指導要録 reads and class rolls, at 8 clients. Then ``VmHWM`` (the peak
resident set over the process's life) and ``VmRSS`` are read from /proc/<pid>/status of the
`gakuseki serve` process; the same for the `gakuseki projections run` process, for information.
The baseline is the server's resident set just after it started, before any request.
"""

from __future__ import annotations

import random
from typing import Any

from bench import http_client
from bench.dataset import Dataset
from bench.forms import FormCalls
from bench.http_load import RollPool
from bench.server import Tokens, proc_status


def mixed_load(host: str, port: int, ds: Dataset, tokens: Tokens, forms: FormCalls, rolls: RollPool,
               n: int) -> dict[str, Any]:
    rng = random.Random("bench/memory")
    calls: list[http_client.Call] = []
    summaries = int(n * 0.8)
    for _ in range(summaries):
        c = ds.classes[rng.randrange(len(ds.classes))]
        if not c.students:
            continue
        sid = c.students[rng.randrange(len(c.students))]
        calls.append(http_client.Call("GET", f"/v1/students/{sid}", tokens.token(f"P-{c.code[5:12]}", "principal",
                                                                                     c.code)))
    calls += forms.cumulative_records((n - summaries) // 2)
    calls += rolls.take(max(1, (n - summaries) // 2))
    rng.shuffle(calls)
    load = http_client.run(host, port, calls, concurrency=8)
    return {"requests": len(calls), "ok": len(load.ok()), "refused": load.refused()}


def rss_mb(pid: int) -> dict[str, float]:
    status = proc_status(pid)
    return {"peak_mb": status["VmHWM"] / 1024, "rss_mb": status["VmRSS"] / 1024}
