"""`gakuseki serve` freezes its start-up heap out of the cycle collector's way before it serves, and writes the
request lines itself (ADR 0046)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from api.cli import main
from api.heap import OLDER, YOUNG, settle


@pytest.fixture
def restored_gc() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_settling_freezes_what_is_alive_and_collects_the_young_less_often(restored_gc: None) -> None:
    kept = [{"a": i} for i in range(1000)]
    settle()
    assert gc.get_freeze_count() >= len(kept)
    assert gc.get_threshold() == (YOUNG, OLDER, OLDER)
    assert YOUNG > 700  # Python's default
    # Cycles made after start-up are still collected.
    gc.collect()
    cycle: list[Any] = []
    cycle.append(cycle)
    del cycle
    assert gc.collect() >= 1


def test_serve_settles_the_heap_once_the_app_is_built_and_before_it_serves(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, restored_gc: None) -> None:
    seen: dict[str, Any] = {}

    def run(app: Any, **options: Any) -> None:  # what uvicorn would serve, and the collector's state then
        seen.update(app=app, frozen=gc.get_freeze_count(), threshold=gc.get_threshold(), options=options,
                    lines=app.request_lines)
        app_state = app.state  # the app is built: its ledger is closed by its shutdown, run here by hand
        app_state.services.ledger.close()

    monkeypatch.setattr(uvicorn, "run", run)
    monkeypatch.chdir(tmp_path)
    assert main(["--database-url", f"sqlite:///{tmp_path}/ledger.sqlite3", "serve"]) == 0
    assert seen["frozen"] > 10_000  # Litestar, the routes and the OpenAPI document: the start-up heap
    assert seen["threshold"] == (YOUNG, OLDER, OLDER)
    # uvicorn's access log is off: the app writes the same line itself (tests/api/test_request_lines.py)
    assert seen["options"]["access_log"] is False
    assert seen["lines"] is not None
