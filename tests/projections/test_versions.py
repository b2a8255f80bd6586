"""A read model built by another version of its projection is cleared and built again, not served."""

from __future__ import annotations

from datetime import date

from domain.backend import Backend
from domain.ledger import Ledger
from domain.storage import documents
from projections import runner_for
from tests import builders as b


def _built(ledger: Ledger, backend: Backend):  # type: ignore[no-untyped-def]
    b.school_with_calendar(ledger)
    ids = b.class_with_students(ledger, count=3)
    ledger.withdraw(ids[2], on=date(2026, 5, 11), reason="転居", recorded_by="principal")
    runner = runner_for(ledger, backend)
    assert runner.upgrade() == []  # a new database: nothing to clear, the versions are recorded
    runner.catch_up()
    return runner


def test_a_new_database_records_each_projections_version(backend: Backend, ledger: Ledger) -> None:
    runner = _built(ledger, backend)
    assert runner.store.versions() == {**{name: p.version for name, p in runner.projections.items()},
                                       "merkle_log": 1}  # the Merkle log's too (its leaf layout)
    assert runner.upgrade() == []


def test_a_raised_version_clears_only_that_read_model_and_the_poller_builds_it_again(backend: Backend,
                                                                                      ledger: Ledger) -> None:
    runner = _built(ledger, backend)
    fingerprints = {name: runner.fingerprint(name) for name in runner.projections}
    head = ledger.position()

    runner.projections["roster"].version += 1  # type: ignore[misc]  # as a release that changed its documents
    assert runner.upgrade() == ["roster"]
    assert runner.store.documents("roster") == {}
    assert {row["projection"]: row["lag"] for row in runner.status()}["roster"] == head
    assert all(runner.fingerprint(n) == fingerprints[n] for n in runner.projections if n != "roster")
    assert runner.store.versions()["roster"] == runner.projections["roster"].version
    assert runner.upgrade() == []  # once

    runner.catch_up()
    assert runner.fingerprint("roster") == fingerprints["roster"]


def test_a_read_model_built_before_versions_were_recorded_counts_as_version_one(backend: Backend,
                                                                               ledger: Ledger) -> None:
    runner = _built(ledger, backend)
    documents.forget_versions(runner.store.storage)
    # counted as version 1 everywhere: kept, but for a projection released at a later version
    assert sorted(runner.upgrade()) == sorted(name for name, p in runner.projections.items() if p.version != 1)
    documents.forget_versions(runner.store.storage)
    runner.projections["attendance_index"].version = 2  # type: ignore[misc]
    assert runner.upgrade() == ["attendance_index"]


def test_a_raised_version_of_the_merkle_log_clears_its_tiles_and_the_poller_builds_the_same_tree(
        backend: Backend, ledger: Ledger) -> None:
    runner = _built(ledger, backend)
    tree = runner.merkle_log
    assert tree is not None
    runner.catch_up(runner.names())
    fingerprint, root = tree.fingerprint(), tree.root()
    tree.version += 1  # as a release with another leaf layout would
    assert runner.upgrade() == ["merkle_log"]
    assert (tree.size(), tree.position()) == (0, 0)
    runner.catch_up(runner.names())
    assert (tree.fingerprint(), tree.root()) == (fingerprint, root)
