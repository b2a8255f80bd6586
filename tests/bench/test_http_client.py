"""The load generator's own pauses stay out of what it measures (bench/http_client.py)."""

from __future__ import annotations

import gc

from bench import http_client


async def _collector_state() -> bool:
    return gc.isenabled()


def test_the_cycle_collector_is_off_while_a_load_runs_and_as_it_was_after() -> None:
    was = gc.isenabled()
    try:
        gc.enable()
        assert http_client._loop(_collector_state()) is False
        assert gc.isenabled()
        gc.disable()  # a caller that had it off finds it off
        assert http_client._loop(_collector_state()) is False
        assert not gc.isenabled()
    finally:
        if was:
            gc.enable()
        else:
            gc.disable()
