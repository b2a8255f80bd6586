"""The read models' positions, read and saved for several projections at once (ADR 0050): one statement
reads them all, a save locks and moves them all together, and a save refused for one of them saves
nothing for any."""

from __future__ import annotations

import pytest

from domain.ledger import Ledger
from projections.store import DocumentStore, StaleUpdate


def test_the_positions_of_several_projections_are_read_together_and_an_untracked_one_stands_at_0(
        ledger: Ledger) -> None:
    store = DocumentStore(ledger.storage)
    store.save_many({"t-one": ({}, {}), "t-two": ({}, {})}, 7, 0)
    store.save_many({"t-two": ({}, {})}, 9, 7)
    assert store.positions(["t-one", "t-two", "t-none"]) == {"t-one": 7, "t-two": 9, "t-none": 0}
    assert store.positions([]) == {}
    assert [store.position(n) for n in ("t-one", "t-two", "t-none")] == [7, 9, 0]


def test_a_save_of_several_projections_moves_them_together_or_not_at_all(ledger: Ledger) -> None:
    store = DocumentStore(ledger.storage)
    store.save_many({"s-a": ({"k": {"n": 1}}, {"k": 3}), "s-b": ({}, {}), "s-c": ({"k": {"n": 2}}, {"k": 4})}, 5, 0)
    assert store.positions(["s-a", "s-b", "s-c"]) == {"s-a": 5, "s-b": 5, "s-c": 5}
    assert store.get("s-a", "k") == {"n": 1}
    store.save_many({"s-b": ({}, {})}, 8, 5)  # one of them moves on alone
    with pytest.raises(StaleUpdate, match="s-b stands at 8"):
        store.save_many({"s-a": ({"k": {"n": 10}}, {"k": 6}), "s-b": ({}, {}), "s-c": ({}, {})}, 9, 5)
    assert store.positions(["s-a", "s-b", "s-c"]) == {"s-a": 5, "s-b": 8, "s-c": 5}  # nothing of the refused save
    assert store.get("s-a", "k") == {"n": 1}
    with pytest.raises(StaleUpdate):  # not forward: refused too
        store.save_many({"s-a": ({}, {}), "s-c": ({}, {})}, 5, 5)
    store.save_many({"s-a": ({"k": {"n": 10}}, {"k": 6}), "s-c": ({}, {})}, 9, 5)
    assert store.positions(["s-a", "s-b", "s-c"]) == {"s-a": 9, "s-b": 8, "s-c": 9}
    assert store.get("s-a", "k") == {"n": 10}
