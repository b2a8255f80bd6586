"""The figures of a run: which measurement each one is, its baseline, its target; the table and the JSON.

Every figure is the median over the rounds (with min and max) of a per-round value; its ratio is
figure median / baseline median, both measured in the same run (for latencies a ratio above 1 is
slower than the baseline, for rates a ratio below 1 is). A target is judged on the figure, or on
the ratio where the issue sets it as a ratio (the class roll).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.config import TARGETS
from bench.stats import summary


@dataclass(frozen=True)
class Figure:
    name: str
    unit: str
    source: tuple[str, ...]  # path into a round's record
    baseline: str | None = None
    what: str = ""


LIB30, LIB1, PG30, PGREAD = "baseline_lib_save30", "baseline_lib_save1", "baseline_pg_insert30", "baseline_pg_read"
FIGURES = [
    Figure(f"{LIB30}_events_per_s", "events/s", ("lib_save30", "events_per_s"),
           what="eventsourcing alone: 30 new aggregates in ONE save"),
    Figure(f"{LIB30}_saves_per_s", "saves/s", ("lib_save30", "saves_per_s")),
    Figure(f"{LIB30}_p50_ms", "ms", ("lib_save30", "p50_ms")),
    Figure(f"{LIB30}_p99_ms", "ms", ("lib_save30", "p99_ms")),
    Figure(f"{LIB1}_events_per_s", "events/s", ("lib_save1", "events_per_s"),
           what="eventsourcing alone: 1 new aggregate per save"),
    Figure(f"{LIB1}_p50_ms", "ms", ("lib_save1", "p50_ms")),
    Figure(f"{LIB1}_p99_ms", "ms", ("lib_save1", "p99_ms")),
    Figure(f"{PG30}_rows_per_s", "rows/s", ("pg_insert30", "events_per_s"),
           what="raw psycopg: 30 rows, executemany, one transaction"),
    Figure(f"{PG30}_p50_ms", "ms", ("pg_insert30", "p50_ms")),
    Figure(f"{PG30}_p99_ms", "ms", ("pg_insert30", "p99_ms")),
    Figure(f"{PGREAD}_p50_ms", "ms", ("pg_read", "p50_ms"), what="raw psycopg: one read-model document by key"),
    Figure(f"{PGREAD}_p99_ms", "ms", ("pg_read", "p99_ms")),
    Figure("baseline_server_read_per_s_c32", "reads/s", ("summary_c32", "per_s"),
           what="GET /v1/students/{id} (token, policy, one stream read), 32 clients: the server's ceiling"),
    Figure("baseline_server_read_p50_ms_c32", "ms", ("summary_c32", "p50_ms")),
    Figure("baseline_server_read_p99_ms_c32", "ms", ("summary_c32", "p99_ms")),
    Figure("baseline_log_read_events_per_s", "events/s", ("log_read", "events_per_s"),
           what="eventsourcing alone: select_notifications pages of 1,000 + decode, whole log"),
    Figure("baseline_log_read_six_year_ms", "ms", ("derived", "log_read_six_year_ms"),
           what="the six-year child's events at the log-read rate"),
    Figure("baseline_log_read_packet_child_ms", "ms", ("derived", "log_read_packet_child_ms"),
           what="a packet child's events at the log-read rate"),
    Figure("baseline_roll_no_merkle_events_per_s_c8", "events/s", ("roll_c8_no_merkle", "events_per_s"),
           what="POST /v1/attendance-rolls, 8 clients, the read models projected without the Merkle log "
                "(bench/read_models.py), in the same round"),
    Figure("baseline_roll_no_merkle_p99_ms_c8", "ms", ("roll_c8_no_merkle", "p99_ms")),
    Figure("baseline_roll_no_merkle_projections_cpu_ms_per_roll_c8", "ms",
           ("roll_c8_no_merkle", "projections_cpu_ms_per_roll"),
           what="CPU of the process projecting the read models alone, per roll of that phase"),
    *[f for c in (8, 32) for f in (
        Figure(f"roll_events_per_s_c{c}", "events/s", (f"roll_c{c}", "events_per_s"), f"{LIB30}_events_per_s",
               what=f"POST /v1/attendance-rolls, 30 students, {c} clients"),
        Figure(f"roll_rolls_per_s_c{c}", "rolls/s", (f"roll_c{c}", "rolls_per_s"), f"{LIB30}_saves_per_s"),
        Figure(f"roll_p50_ms_c{c}", "ms", (f"roll_c{c}", "p50_ms"), f"{LIB30}_p50_ms"),
        Figure(f"roll_p99_ms_c{c}", "ms", (f"roll_c{c}", "p99_ms"), f"{LIB30}_p99_ms"))],
    Figure("assessment_per_s_c32", "writes/s", ("assess_c32", "per_s"), f"{LIB1}_events_per_s",
           what="POST /v1/students/{id}/assessments, 32 clients (201s only)"),
    Figure("assessment_per_s_vs_read_c32", "writes/s", ("assess_c32", "per_s"), "baseline_server_read_per_s_c32",
           what="the same throughput against the server's read ceiling at 32 clients"),
    Figure("assessment_p50_ms_c32", "ms", ("assess_c32", "p50_ms"), f"{LIB1}_p50_ms"),
    Figure("assessment_p99_ms_c32", "ms", ("assess_c32", "p99_ms"), f"{LIB1}_p99_ms"),
    Figure("assessment_open_offered_per_s", "writes/s", ("assess_open_c32", "offered_per_s"),
           what="the same, open loop: arrivals at half the closed-loop rate, 32 connections"),
    Figure("assessment_open_p50_ms", "ms", ("assess_open_c32", "p50_ms"), f"{LIB1}_p50_ms"),
    Figure("assessment_open_p99_ms", "ms", ("assess_open_c32", "p99_ms"), f"{LIB1}_p99_ms"),
    Figure("assessment_steady_offered_per_s", "writes/s", ("assess_steady", "offered_per_s"),
           what="open loop at a stated rate (bench/config.py STEADY_WRITES_PER_S), 32 connections"),
    Figure("assessment_steady_p50_ms", "ms", ("assess_steady", "p50_ms"), f"{LIB1}_p50_ms"),
    Figure("assessment_steady_p99_ms", "ms", ("assess_steady", "p99_ms"), f"{LIB1}_p99_ms"),
    Figure("form_cumulative_record_p50_ms", "ms", ("form_cumulative_record", "p50_ms"), f"{PGREAD}_p50_ms",
           what="GET …/forms/cumulative-record (指導要録), 1 client"),
    Figure("form_cumulative_record_p99_ms", "ms", ("form_cumulative_record", "p99_ms"), f"{PGREAD}_p99_ms"),
    Figure("form_attendance_register_p50_ms", "ms", ("form_attendance_register", "p50_ms"), f"{PGREAD}_p50_ms",
           what="GET …/attendance-register?month= (出席簿), 1 client"),
    Figure("form_attendance_register_p99_ms", "ms", ("form_attendance_register", "p99_ms"), f"{PGREAD}_p99_ms"),
    Figure("as_of_six_year_ms_http", "ms", ("as_of_http", "median_ms"), "baseline_log_read_six_year_ms",
           what="GET …/cumulative-record?as_of=<head>, six-year child"),
    Figure("as_of_six_year_ms_in_process", "ms", ("as_of_in_process", "median_ms"), "baseline_log_read_six_year_ms",
           what="Forms.cumulative_record(as_of=Cutoff(position=head))"),
    Figure("as_of_six_year_ms_replay", "ms", ("as_of_replay", "median_ms"), "baseline_log_read_six_year_ms",
           what="the same, every document replayed from the events (no read model)"),
    Figure("rebuild_events_per_s", "events/s", ("rebuild", "events_per_s"), "baseline_log_read_events_per_s",
           what="every projection rebuilt from scratch: log events / wall time"),
    Figure("rebuild_vs_log_read", "events/s", ("rebuild", "events_per_s"), "baseline_log_read_events_per_s",
           what="the same figure, judged on its ratio to the decoded log read (issue 12: >= 0.5)"),
    Figure("rebuild_seconds", "s", ("rebuild", "seconds")),
    Figure("merkle_append_events_per_s", "events/s", ("merkle_append", "events_per_s"),
           "baseline_log_read_events_per_s",
           what="the Merkle log built again from the whole log: leaves hashed, tiles stored, per page one tx"),
    Figure("roll_merkle_beside_vs_without_c8", "events/s", ("roll_c8", "events_per_s"),
           "baseline_roll_no_merkle_events_per_s_c8",
           what="the class rolls at 8 clients with the Merkle log kept and signed beside them (issue 12: >= 0.95x); "
                "two halves, before and after the baseline"),
    Figure("roll_projections_cpu_ms_per_roll_c8", "ms", ("roll_c8", "projections_cpu_ms_per_roll"),
           "baseline_roll_no_merkle_projections_cpu_ms_per_roll_c8",
           what="CPU of `gakuseki projections run` (read models, Merkle log, checkpoints) per roll of those phases"),
    Figure("inclusion_proof_p50_ms_http", "ms", ("inclusion_http", "p50_ms"), f"{PGREAD}_p50_ms",
           what="GET /v1/transparency/inclusion?position= at the latest checkpoint (the whole log), 1 client"),
    Figure("inclusion_proof_p99_ms_http", "ms", ("inclusion_http", "p99_ms"), f"{PGREAD}_p99_ms"),
    Figure("verify_events_per_s", "events/s", ("verify", "events_per_s"), "baseline_log_read_events_per_s",
           what="gakuseki verify of the whole log, read-only: every leaf, tile and checkpoint checked"),
    Figure("rebuild_each_sum_seconds", "s", ("rebuild", "each_sum_seconds"),
           what="each projection rebuilt alone, one after another (round 1)"),
    Figure("packet_export_ms_http", "ms", ("packets", "export_ms"), "baseline_log_read_packet_child_ms",
           what="GET …/transfer-packet (compose + sign), median per packet"),
    Figure("packet_import_ms_http", "ms", ("packets", "import_ms"), f"{LIB1}_p50_ms",
           what="POST /v1/transfer-packets into a second ledger (verify + admit)"),
    Figure("packet_export_sign_ms_in_process", "ms", ("packets", "export_sign_in_process_ms"),
           "baseline_log_read_packet_child_ms"),
    Figure("packet_verify_ms_in_process", "ms", ("packets", "verify_in_process_ms")),
    Figure("server_peak_rss_mb", "MB", ("memory", "server_peak_mb"), "server_rss_after_start_mb",
           what="VmHWM of `gakuseki serve` after every measurement and a mixed load"),
    Figure("server_rss_after_start_mb", "MB", ("memory", "server_start_mb")),
    Figure("projections_peak_rss_mb", "MB", ("memory", "projections_peak_mb")),
]
BY_NAME = {f.name: f for f in FIGURES}


def _get(record: dict[str, Any], path: tuple[str, ...]) -> float:
    value: Any = record
    for part in path:
        if not isinstance(value, dict) or part not in value:
            return math.nan
        value = value[part]
    return float(value) if isinstance(value, int | float) else math.nan


def figures(rounds: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for f in FIGURES:
        out[f.name] = {"unit": f.unit, "what": f.what, "baseline": f.baseline,
                       **summary([_get(r, f.source) for r in rounds])}
    for f in FIGURES:
        row = out[f.name]
        base = out[f.baseline]["median"] if f.baseline else math.nan
        row["ratio"] = row["median"] / base if f.baseline and base and not math.isnan(base) else None
    for t in TARGETS:
        row = out[t.figure]
        value = row["ratio"] if t.ratio else row["median"]
        row["target"] = f"{'ratio ' if t.ratio else ''}{t.op} {t.value:g}" + (
            f" (stretch {t.stretch:g})" if t.stretch else "")
        row["met"] = None if value is None or math.isnan(value) else (
            value >= t.value if t.op == ">=" else value < t.value)
        if t.stretch is not None and row["met"] is not None:
            row["stretch_met"] = value >= t.stretch
    return out


def _num(v: float) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 100:
        return f"{v:.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def table(figs: dict[str, dict[str, Any]], markdown: bool = False) -> str:
    head = ["figure", "median", "min", "max", "unit", "ratio", "baseline", "target", "met"]
    rows = []
    for f in FIGURES:
        r = figs[f.name]
        met = "" if "met" not in r else ("—" if r["met"] is None else ("yes" if r["met"] else "MISSED"))
        if r.get("stretch_met"):
            met += " (stretch too)"
        ratio = "" if r["ratio"] is None else f"{r['ratio']:.2f}×"
        rows.append([f.name, _num(r["median"]), _num(r["min"]), _num(r["max"]), f.unit, ratio,
                     (f.baseline or "").removeprefix("baseline_"), r.get("target", ""), met])
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] + ["---:"] * 5 + ["---"] * 3) + "|"]
        lines += ["| " + " | ".join(f"`{c}`" if i == 0 else c for i, c in enumerate(row)) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(str(x[i])) for x in [head, *rows]) for i in range(len(head))]
    fmt = lambda row: "  ".join(str(c).ljust(w) if i in (0, 4, 6, 7, 8) else str(c).rjust(w)  # noqa: E731
                                for i, (c, w) in enumerate(zip(row, widths, strict=True)))
    return "\n".join([fmt(head), fmt(["-" * w for w in widths]), *[fmt(r) for r in rows]])


def details(results: dict[str, Any]) -> str:
    """The dataset, each projection's rebuild alone, and every refused request (Markdown-friendly lines)."""
    lines = []
    d = results.get("dataset", {})
    if d:
        seeded = ", ".join(f"{k} {v:.0f} s" for k, v in d.get("seed_seconds", {}).items())
        lines.append(f"- dataset ({d.get('layout', 'by_class')}): {d['log_events']:,} events in the log; "
                     f"{d['students']:,} students in "
                     f"{d['classes']:,} classes of {d['schools']} schools; {d['rolls_seeded']:,} rolls seeded for "
                     f"{d['rolled_classes']} classes; the six-year child has {d['six_year_child_events']:,} events, "
                     f"a packet child {d['packet_child_events']}; seeded in {seeded}")
    rounds = results.get("rounds", [])
    each: dict[str, Any] = next(
        (r["rebuild"]["projections"] for r in rounds if "projections" in r.get("rebuild", {})), {})
    if each:
        parts = [f"{name} {p['events_read']:,} events in {p['seconds']:.1f} s ({p['events_read_per_s']:,.0f}/s)"
                 for name, p in each.items()]
        lines.append("- each projection rebuilt alone (round 1): " + "; ".join(parts))
    if settled := results.get("projections_settled"):
        lines.append(f"- before the first round, the projections process was current and still after "
                     f"{settled['seconds']:.0f} s, having recorded {settled['events_recorded']:,} events of its own "
                     "(the alert process's first sweep of the year after 30 June)")
    refused = [f"round {i} {phase}: {counts}" for i, r in enumerate(rounds, 1) for phase, rec in r.items()
               for counts in _refusals(rec)]
    lines.append("- refused requests (not timed): " + ("; ".join(refused) if refused else "none"))
    mem = next((r["memory"] for r in rounds if "memory" in r), None)
    if mem:
        lines.append(f"- memory: mixed load of {mem['mix']['requests']} requests ({mem['mix']['ok']} answered 2xx) "
                     f"before the reading; server RSS at the end {mem['server_rss_mb']:.0f} MB")
    return "\n".join(lines)


def _refusals(record: Any) -> list[dict[str, int]]:
    """Every non-empty ``refused`` count found in a round's record of one phase."""
    if not isinstance(record, dict):
        return []
    refused = record.get("refused")
    if not isinstance(refused, dict) or not refused:
        return []
    if all(isinstance(v, int) for v in refused.values()):
        return [refused]
    return [v for v in refused.values() if isinstance(v, dict) and v]


def write_json(path: Path, results: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str) + "\n")
