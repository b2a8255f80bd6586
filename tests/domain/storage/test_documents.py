"""The read models' positions, read and saved for several projections at once (ADR 0050): one statement
reads them all, a save locks and moves them all together, and a save refused for one of them saves
nothing for any."""

from __future__ import annotations

import pytest

from domain.ledger import Ledger
from projections.base import canonical
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


def test_a_rebuilds_new_documents_are_written_beside_the_upserted_ones_and_a_key_already_stored_fails_the_save(
        ledger: Ledger) -> None:
    """``save_encoded``'s ``new`` rows (keys a rebuild has not saved: COPY on PostgreSQL, ADR 0056) are stored
    as the upserted ones are, the same text read back; one whose key the store holds fails the whole save,
    which changes nothing, rather than replacing or doubling it."""
    store = DocumentStore(ledger.storage)
    big = {"marks": {f"child-{n}": {"2026-04-08": {"code": "present", "stream_id": "x" * 36}} for n in range(400)}}
    text = canonical(big)  # over the TOAST threshold: compressed by the server (lz4 where it has it)
    store.save_encoded({"n-a": [("old", '{"n":1}', 2)]}, 3, 0, {"n-a": [("big", text, 3), ("small", '{"n":2}', 1)]})
    assert store.position("n-a") == 3
    assert store.documents("n-a") == {"old": '{"n":1}', "big": text, "small": '{"n":2}'}
    assert store.get("n-a", "big") == big
    if not ledger.storage.sqlite:  # compressed as the server can: lz4 where it has it (this transaction only)
        stored = ledger.storage.query("SELECT pg_column_compression(document) FROM {projection_documents} "
                                      "WHERE projection = ? AND key = ?", ("n-a", "big"))
        assert stored == [("lz4" if ledger.storage.lz4 else "pglz",)]
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
        store.save_encoded({"n-a": [("old", '{"n":10}', 5)]}, 6, 3, {"n-a": [("small", '{"n":20}', 6)]})
    assert store.position("n-a") == 3
    assert store.documents("n-a") == {"old": '{"n":1}', "big": text, "small": '{"n":2}'}
    store.save_encoded({"n-a": [("small", '{"n":20}', 6)]}, 6, 3, {"n-a": [("new", "{}", 6)]})
    assert store.documents("n-a") == {"old": '{"n":1}', "big": text, "small": '{"n":20}', "new": "{}"}
