"""The recorders' dependence on the library's private methods (domain/storage/recorders.py, ADR 0029):
what to check first when eventsourcing is upgraded."""

from __future__ import annotations

import inspect

from domain.backend import Backend
from domain.ledger import Ledger
from domain.storage import recorders


def test_every_private_library_method_the_recorders_depend_on_is_still_there_with_the_same_parameters() -> None:
    for cls, name, parameters in recorders.PRIVATE_METHODS:
        method = getattr(cls, name, None)
        assert method is not None, f"{cls.__name__}.{name} is gone: domain/storage/recorders.py overrides it"
        found = tuple(p.name for p in inspect.signature(method).parameters.values()
                      if p.kind is not inspect.Parameter.VAR_KEYWORD)
        assert found == parameters, f"{cls.__name__}.{name}{found}: the recorders call it as {parameters}"


def test_the_ledger_saves_through_the_recorders_that_override_them(backend: Backend, ledger: Ledger) -> None:
    expected = recorders.SQLiteRecorder if backend.kind == "sqlite" else recorders.PostgresRecorder
    assert type(ledger.recorder) is expected
    if backend.kind == "postgresql":
        # With the library's database functions on, insert_events saves without calling the hooks
        # overridden here: idempotency keys and transaction boundaries would silently not be written.
        assert ledger.recorder.datastore.enable_db_functions is False  # type: ignore[attr-defined]
