"""Reading the forms, one client at a time (a registrar opening a form), and a point-in-time replay.

Form reads: ``GET /v1/students/{id}/forms/cumulative-record`` (指導要録, read by the homeroom
teacher with a multi-factor token; the read is written to the access log, as every such read is)
for children with a school year of marks and three terms of assessments, and ``GET …/classes/{g}/{n}/
attendance-register?month=YYYY-MM`` (出席簿) for the classes with a year of rolls, every month in
turn. Today's read models answer (kept by the `gakuseki projections run` process). Figures: p50
and p99 of the client-side latency over every read of a round.

Point in time: ``GET …/cumulative-record?as_of=<head>`` of the child with six years of history
(about 1,300 events of its own); timed through HTTP (the figure the target is about) and in
process (``Forms.cumulative_record(id, as_of=Cutoff(position=head))``, without HTTP, auth or the
access log). An ``as_of`` by log position takes the documents unchanged since that position from
the read model and replays the rest; the in-process ``_replay`` figure turns that off and replays
every document from the child's streams and those of its schools and classes (the cost of an
``as_of`` by recorded time, and of any point before the documents last changed).
"""

from __future__ import annotations

import itertools
import time
from datetime import date
from typing import Any

from bench import http_client
from bench.dataset import Dataset
from bench.server import Tokens
from bench.stats import latency_ms
from domain.ledger import Ledger
from projections import runner_for
from projections.base import Cutoff
from projections.forms import Forms


def months(year: int) -> list[str]:
    return [f"{year + (m + 3) // 12}-{(m + 3) % 12 + 1:02d}" for m in range(12)]


class FormCalls:
    """Endless cycles of form reads over the rolled classes and their children."""

    def __init__(self, ds: Dataset, tokens: Tokens) -> None:
        self.tokens = tokens
        children = [(c, sid) for c in ds.rolled for sid in c.students[: len(c.students) // 2]]
        self._records = itertools.cycle(children)
        rolled_months = [m for m in months(ds.rolled[0].year) if date.fromisoformat(m + "-01") <= ds.days[-1]]
        self._registers = itertools.cycle([(c, m) for m in rolled_months for c in ds.rolled])

    def cumulative_records(self, n: int) -> list[http_client.Call]:
        calls = []
        for c, sid in itertools.islice(self._records, n):
            token = self.tokens.token(c.homeroom, "homeroom_teacher", c.code)
            calls.append(http_client.Call("GET", f"/v1/students/{sid}/forms/cumulative-record", token))
        return calls

    def registers(self, n: int) -> list[http_client.Call]:
        calls = []
        for c, month in itertools.islice(self._registers, n):
            token = self.tokens.token(c.homeroom, "homeroom_teacher", c.code)
            path = f"/v1/schools/{c.code}/years/{c.year}/classes/{c.grade}/{c.name}/attendance-register?month={month}"
            calls.append(http_client.Call("GET", path, token))
        return calls


def read(host: str, port: int, calls: list[http_client.Call]) -> dict[str, Any]:
    load = http_client.run(host, port, calls, concurrency=1)
    ok = load.ok(200)
    lat = latency_ms([a.seconds for a in ok])
    return {"p50_ms": lat["p50"], "p99_ms": lat["p99"], "mean_ms": lat["mean"], "ok": len(ok),
            "refused": load.refused(), "bytes": sum(len(a.body) for a in ok) / max(1, len(ok))}


def as_of_http(host: str, port: int, ds: Dataset, tokens: Tokens, position: int, n: int) -> dict[str, Any]:
    six = ds.six_year
    token = tokens.token(f"P-{six.school[5:12]}", "principal", six.school)
    call = http_client.Call("GET", f"/v1/students/{six.student_id}/forms/cumulative-record?as_of={position}", token)
    load = http_client.run(host, port, [call] * n, concurrency=1)
    ok = load.ok(200)
    lat = latency_ms([a.seconds for a in ok])
    return {"median_ms": lat["p50"], "p99_ms": lat["p99"], "ok": len(ok), "refused": load.refused(),
            "bytes": len(ok[0].body) if ok else 0}


def as_of_in_process(ledger: Ledger, backend: Any, ds: Dataset, position: int, n: int, *,
                     reuse: bool = True) -> dict[str, Any]:
    """In process; ``reuse=False`` replays every document from the events (what an ``as_of`` by
    recorded time or an ``on`` date always does), instead of taking those unchanged since the
    position from the read model."""
    runner = runner_for(ledger, backend)
    runner.reuse_read_models = reuse
    forms = Forms(runner)
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        doc = forms.cumulative_record(ds.six_year.student_id, as_of=Cutoff(position=position))
        samples.append(time.perf_counter() - start)
        assert doc is not None
    lat = latency_ms(samples)
    return {"median_ms": lat["p50"], "p99_ms": lat["p99"]}
