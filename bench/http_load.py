"""Writes through the HTTP API under concurrent clients: class rolls and assessment POSTs.

Class roll: ``POST /v1/attendance-rolls`` of a 30-student class for one day, sent by the class's
homeroom teacher, at 8 and at 32 concurrent clients. The rolls are taken day by day across the
"hot" classes (kept without seeded rolls), so concurrent requests are different classes on the
same morning, as in a school. Figures: events/s (answered marks: 30 per 201), rolls/s, and the
client-side p50/p99 latency over every roll of the run.

Single writes: ``POST /v1/students/{id}/assessments`` by a subject teacher (grant: the school's hot
classes, every subject), each a new (student, subject, term), ordered so that concurrent requests
are about different students. Figures at 32 clients, closed loop (each client sends its next write
as soon as the last is answered: the server's capacity, and by Little's law a latency of about
32 / throughput): 201s per second and p50/p99 of the 201s. Then the same 32 connections at half
that throughput, open loop (writes arrive at random times): the latency a teacher sees when the
server is busy but not saturated; and at a stated rate (``STEADY_WRITES_PER_S``, a term's-end
peak of a prefecture), the latency at a load the deployment is sized for. Refusals (409 when two
writes race on one student's stream, 422...) are counted, not timed.

Each call is sent once: no retries, no Idempotency-Key (the plain write path).

The server's own ceiling, measured beside them: ``GET /v1/students/{id}`` (the summary: token
verification, the access policy, one read of the child's stream, JSON out) by the school's
principal at 32 clients, closed loop. No write through the same stack can answer faster than this
read, so its throughput bounds what the closed-loop assessment figures can reach (a p99 under
25 ms at 32 waiting clients needs more than ~1,300 answers per second).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from api.demo_records import rating_of
from bench import http_client
from bench.dataset import Dataset, Klass, terms_of
from bench.server import Tokens
from bench.stats import latency_ms
from domain import curriculum
from domain.assessment import Viewpoints
from domain.values import JST


class RollPool:
    """Every (hot class, day) not yet rolled, morning by morning, up to the server's today (a later day is refused)."""

    def __init__(self, ds: Dataset, tokens: Tokens) -> None:
        self.tokens = tokens
        self.rng = random.Random("bench/rolls")
        today = datetime.now(JST).date()
        self._next: Iterator[tuple[Klass, date]] = ((c, d) for d in ds.days if d <= today for c in ds.hot)

    def take(self, n: int) -> list[http_client.Call]:
        calls = []
        for klass, day in self._next:
            calls.append(self.call(klass, day))
            if len(calls) == n:
                break
        if len(calls) < n:
            raise RuntimeError("the hot classes have no school days left to roll: add hot classes to the scale")
        return calls

    def call(self, c: Klass, day: date) -> http_client.Call:
        marks: list[dict[str, Any]] = []
        for sid in c.students:
            r = self.rng.random()
            mark: dict[str, Any] = {"student_id": str(sid), "code": "present"}
            if r < 0.02:
                mark = {**mark, "code": "absent_illness", "reason": "発熱"}
            elif r < 0.035:
                mark = {**mark, "code": "late", "reason": "通院のため"}
            marks.append(mark)
        body = {"school_code": c.code, "year": c.year, "grade": c.grade, "class_name": c.name,
                "date": day.isoformat(), "marks": marks}
        token = self.tokens.token(c.homeroom, "homeroom_teacher", c.code)
        return http_client.Call("POST", "/v1/attendance-rolls", token, json.dumps(body).encode())


class AssessmentPool:
    """Every (hot student, subject, term) not yet assessed; consecutive calls are different students."""

    def __init__(self, ds: Dataset, tokens: Tokens) -> None:
        rng = random.Random("bench/assessments")
        subjects_of = {g: [s for s, (_, grades) in curriculum.SUBJECTS["elementary"].items() if g in grades]
                       for g in range(1, 7)}
        hot_by_school: dict[str, list[str]] = {}
        for c in ds.hot:
            hot_by_school.setdefault(c.code, []).append(f"{c.year}/{c.grade}/{c.name}")
        everything = tuple(curriculum.SUBJECTS["elementary"])
        work: list[tuple[int, int, Klass, Any, str]] = []  # (term, subject index, class, student, subject)
        for c in ds.hot:
            for sid in c.students:
                for term in (1, 2, 3):
                    for i, subject in enumerate(subjects_of[c.grade]):
                        work.append((term, i, c, sid, subject))
        work.sort(key=lambda w: (w[0], w[1]))  # every student's subject before anyone's next one
        self.calls: Iterator[http_client.Call] = (
            self._call(tokens, hot_by_school, everything, rng, c, sid, subject, term)
            for term, _, c, sid, subject in work)

    def _call(self, tokens: Tokens, hot: dict[str, list[str]], subjects: tuple[str, ...], rng: random.Random,
              c: Klass, sid: Any, subject: str, term: int) -> http_client.Call:
        viewpoints = {k: rng.choice("AABBBBC") for k in ("knowledge", "thinking", "attitude")}
        body: dict[str, Any] = {"year": c.year, "subject": subject, "term": term, "viewpoints": viewpoints,
                                "assessed_on": terms_of(c.year)[term - 1].ends_on.isoformat()}
        rating = rating_of(Viewpoints(**viewpoints), "elementary", c.grade)
        if rating is not None:
            body["rating"] = rating
        token = tokens.token(f"S-{c.code[5:12]}", "subject_teacher", c.code, classes=tuple(hot[c.code]),
                             subjects=subjects)
        return http_client.Call("POST", f"/v1/students/{sid}/assessments", token, json.dumps(body).encode())

    def take(self, n: int) -> list[http_client.Call]:
        calls = [call for _, call in zip(range(n), self.calls, strict=False)]
        if len(calls) < n:
            raise RuntimeError("no (student, subject, term) left to assess: add hot classes to the scale")
        return calls


def summaries(host: str, port: int, ds: Dataset, tokens: Tokens, n: int, concurrency: int) -> dict[str, Any]:
    """``GET /v1/students/{id}`` of the hot classes' children, closed loop (the ceiling above)."""
    children = [(c, sid) for c in ds.hot for sid in c.students]
    calls = [http_client.Call("GET", f"/v1/students/{sid}", tokens.token(f"P-{c.code[5:12]}", "principal", c.code))
             for c, sid in (children[i % len(children)] for i in range(n))]
    load = http_client.run(host, port, calls, concurrency)
    ok = load.ok(200)
    lat = latency_ms([a.seconds for a in ok])
    return {"per_s": len(ok) / load.wall, "p50_ms": lat["p50"], "p99_ms": lat["p99"], "ok": len(ok),
            "refused": load.refused(), "wall_s": load.wall}


def rolls(host: str, port: int, pool: RollPool, n: int, concurrency: int) -> dict[str, Any]:
    load = http_client.run(host, port, pool.take(n), concurrency)
    ok = load.ok(201)
    events = sum(json.loads(a.body)["events"] for a in ok)
    return _rolls_figures(events, [a.seconds for a in ok], load.refused(), load.wall)


def _rolls_figures(events: int, seconds: list[float], refused: dict[Any, int], wall: float) -> dict[str, Any]:
    lat = latency_ms(seconds)
    return {"events_per_s": events / wall, "rolls_per_s": len(seconds) / wall, "p50_ms": lat["p50"],
            "p99_ms": lat["p99"], "ok": len(seconds), "refused": refused, "wall_s": wall, "events": events,
            "_seconds": seconds}


def rolls_together(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """The figures of several phases of rolls taken as one (events over their summed wall time, the
    percentiles of every roll's latency, the projections process's CPU per roll when each part has it);
    the latencies themselves are not kept in the results."""
    seconds = [s for part in parts for s in part.pop("_seconds")]
    refused: dict[Any, int] = {}
    for part in parts:
        for status, count in part["refused"].items():
            refused[status] = refused.get(status, 0) + count
    together = _rolls_figures(sum(part["events"] for part in parts), seconds, refused,
                              sum(part["wall_s"] for part in parts))
    together.pop("_seconds")
    if all("projections_cpu_s" in part for part in parts):  # bench/__main__.py ``projected``
        cpu = sum(part["projections_cpu_s"] for part in parts)
        together.update(projections_cpu_s=cpu, projections_cpu_ms_per_roll=cpu / max(1, len(seconds)) * 1e3)
    return together


def assessments(host: str, port: int, pool: AssessmentPool, n: int, concurrency: int,
                rate: float | None = None) -> dict[str, Any]:
    """Closed loop at ``concurrency`` clients, or (``rate``) open loop: arrivals at that rate on as many
    connections."""
    calls = pool.take(n)
    load = http_client.run_open(host, port, calls, concurrency, rate) if rate else \
        http_client.run(host, port, calls, concurrency)
    ok = load.ok(201)
    lat = latency_ms([a.seconds for a in ok])
    return {"per_s": len(ok) / load.wall, "p50_ms": lat["p50"], "p99_ms": lat["p99"], "ok": len(ok),
            "refused": load.refused(), "wall_s": load.wall, **({"offered_per_s": rate} if rate else {})}
