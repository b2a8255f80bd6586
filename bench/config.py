"""The sizes of a bench run (``--scale``) and the targets of issue 6.

``tiny`` keeps the bench from rotting (the test suite runs it in well under a minute); ``full``
uses the issue's sizes: 100,000 admitted students, a school year of class rolls for a few
thousand of them (over a million events for the rebuild), and a child with six years of history.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    name: str
    students: int  # admitted students in the ledger (the memory figure is taken with them all)
    rolled_classes: int  # classes of 30 with a school year of rolls (the rebuild's million events)
    roll_days: int  # rolls seeded per rolled class
    hot_classes: int  # classes kept without rolls, for the HTTP roll load
    six_year_days: int  # rolls per school year of the six-year child's class
    rolls_per_level: int  # HTTP rolls per concurrency level per round
    assessments: int  # assessment POSTs per round
    form_reads: int  # GETs per form per round
    as_of_reads: int  # as_of reproductions per round (HTTP and in process each)
    packets: int  # hand-overs exported and imported per round
    baseline_saves: int  # saves per baseline method per round
    memory_requests: int  # requests of the mixed load before the memory reading
    rebuild_rounds: int  # rebuilds of every projection (each one reads the whole log)


SCALES = {
    "tiny": Scale("tiny", students=300, rolled_classes=2, roll_days=150, hot_classes=3, six_year_days=20,
                  rolls_per_level=24, assessments=60, form_reads=30, as_of_reads=3, packets=3, baseline_saves=40,
                  memory_requests=60, rebuild_rounds=1),
    "small": Scale("small", students=6_000, rolled_classes=20, roll_days=200, hot_classes=12, six_year_days=200,
                   rolls_per_level=200, assessments=600, form_reads=200, as_of_reads=10, packets=10,
                   baseline_saves=200, memory_requests=600, rebuild_rounds=2),
    "full": Scale("full", students=100_000, rolled_classes=167, roll_days=200, hot_classes=24, six_year_days=200,
                  rolls_per_level=300, assessments=1_000, form_reads=300, as_of_reads=20, packets=20,
                  baseline_saves=300, memory_requests=2_000, rebuild_rounds=2),
}

CLASS_SIZE = 30
YEAR = 2026  # the school year of the dataset (the six-year child: 2026–2031)
CONCURRENCY = (8, 32)  # HTTP roll clients
WRITE_CLIENTS = 32  # assessment POST clients
# An offered load a prefecture's ledger could see at a term's end (Tottori: ~60k children, ~3,000
# teachers entering grades over the last days of a term): the open-loop figure at a stated rate.
STEADY_WRITES_PER_S = 100.0


@dataclass(frozen=True)
class Target:
    figure: str  # the figure it judges
    op: str  # "<" or ">="
    value: float
    ratio: bool = False  # judged on the ratio to the baseline, not the figure itself
    stretch: float | None = None


TARGETS = [
    Target("roll_events_per_s_c8", ">=", 0.6, ratio=True, stretch=1.0),
    Target("roll_events_per_s_c32", ">=", 0.6, ratio=True, stretch=1.0),
    # Issue 12 restated the assessment p99 < 25 ms at 32 closed-loop clients (a capacity figure) as two:
    # single writes at 32 clients at least the library's one-event saves, and the p99 at a stated
    # offered rate (open loop).
    Target("assessment_per_s_c32", ">=", 1.0, ratio=True),
    Target("assessment_steady_p99_ms", "<", 25.0),
    Target("form_cumulative_record_p99_ms", "<", 10.0),
    Target("form_attendance_register_p99_ms", "<", 10.0),
    Target("as_of_six_year_ms_http", "<", 50.0),
    Target("rebuild_events_per_s", ">=", 20_000.0),
    Target("merkle_append_events_per_s", ">=", 50_000.0),
    Target("roll_merkle_beside_vs_without_c8", ">=", 0.95, ratio=True),  # issue 12
    Target("inclusion_proof_p99_ms_http", "<", 10.0),  # issue 12, at the bench log's 1.3M leaves
    Target("verify_events_per_s", ">=", 100_000.0),  # issue 12
    Target("rebuild_vs_log_read", ">=", 0.5, ratio=True),  # issue 12
    Target("packet_export_ms_http", "<", 50.0),
    Target("packet_import_ms_http", "<", 50.0),
    Target("server_peak_rss_mb", "<", 300.0),
]
