"""Runs projections by polling the notification log: the same code on SQLite and PostgreSQL.

The library cannot subscribe to SQLite (ADR 0005), so each projection pulls the events after its
tracked position, in pages, filtered by type in SQL, applies them to its documents, and writes the
documents and its new position in one transaction (exactly once). Gaps in positions (rolled-back
inserts) are harmless: the table lock means no lower position can commit later.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from collections.abc import Sequence
from typing import Any

from domain.event import TOPIC_PREFIX, Event
from domain.ledger import Ledger
from projections.base import Document, Projection
from projections.store import DocumentStore, StaleUpdate


class Runner:
    def __init__(self, ledger: Ledger, store: DocumentStore, projections: Sequence[Projection]) -> None:
        self.ledger, self.store = ledger, store
        self.projections = {p.name: p for p in projections}

    def _topics(self, p: Projection) -> list[str]:
        return [TOPIC_PREFIX + t for t in p.topics]

    def step(self, name: str, batch: int = 1000) -> int:
        """Apply the next page of events to one projection; returns how many events it read."""
        p = self.projections[name]
        start = self.store.position(name)
        head = self.ledger.position()
        page = self.ledger.recorder.select_notifications(
            start=start, limit=batch, stop=head, topics=self._topics(p), inclusive_of_start=False)
        if not page:
            if start < head:  # nothing of its types up to the head: it is current up to there
                with contextlib.suppress(StaleUpdate):
                    self.store.save(name, {}, {}, head)
            return 0
        events: list[tuple[int, Event]] = [(n.id, self.ledger.decode(n)) for n in page]
        touched = {key: None for _, e in events for key in p.keys(e)}
        documents: dict[str, Document | None] = {**touched, **self.store.get_many(name, touched)}
        positions: dict[str, int] = {}
        for position, event in events:
            for key in p.keys(event):
                documents[key] = p.apply(documents[key], event)
                positions[key] = position
        changed = {k: d for k, d in documents.items() if d is not None and k in positions}
        self.store.save(name, changed, positions, page[-1].id)
        return len(page)

    def catch_up(self, name: str | None = None, batch: int = 1000) -> int:
        """Run until the named (or every) projection has applied the whole log; returns events read."""
        total = 0
        for n in [name] if name else list(self.projections):
            while (read := self.step(n, batch)) > 0:
                total += read
        return total

    def rebuild(self, name: str) -> int:
        """Drop a projection's documents and position, then apply the whole log again."""
        self.store.clear(name)
        return self.catch_up(name)

    def fingerprint(self, name: str) -> str:
        """SHA-256 over every stored document of a projection (key and canonical bytes)."""
        digest = hashlib.sha256()
        for key, document in self.store.documents(name).items():
            digest.update(key.encode() + b"\0" + document.encode() + b"\n")
        return digest.hexdigest()

    def replay(self, name: str, key: str, upto: int) -> Document | None:
        """One document as it was known at log position ``upto``, from the events, not the read model."""
        p = self.projections[name]
        document: Document | None = None
        start = 0
        while True:
            page = self.ledger.recorder.select_notifications(
                start=start, limit=1000, stop=upto, topics=self._topics(p), inclusive_of_start=False)
            for n in page:
                event = self.ledger.decode(n)
                if key in p.keys(event):
                    document = p.apply(document, event)
            if len(page) < 1000:
                return document
            start = page[-1].id

    def status(self) -> list[dict[str, Any]]:
        head = self.ledger.position()
        return [{"projection": n, "position": (pos := self.store.position(n)), "head": head,
                 "lag": max(0, head - pos)} for n in self.projections]

    def wait(self, position: int, timeout: float = 5.0) -> bool:
        """Read-your-writes: wait until every projection has applied the log up to ``position``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(StaleUpdate):  # a page the poller got to first is refused
                self.catch_up()  # help the poller, or stand in for it when none runs
            if all(self.store.position(n) >= position or self._nothing_for(n, position) for n in self.projections):
                return True
            time.sleep(0.02)
        return False

    def _nothing_for(self, name: str, position: int) -> bool:
        p = self.projections[name]
        pending = self.ledger.recorder.select_notifications(
            start=self.store.position(name), limit=1, stop=position, topics=self._topics(p),
            inclusive_of_start=False)
        return not pending

    def run_in_background(self, interval: float = 0.2) -> Background:
        """Poll in a thread (the embedded default runs its projections inside the server)."""
        stop = threading.Event()

        def loop() -> None:
            while not stop.is_set():
                try:
                    if self.catch_up() == 0:
                        stop.wait(interval)
                except Exception:  # keep polling; the status endpoint shows the lag
                    stop.wait(interval * 5)

        thread = threading.Thread(target=loop, name="gakuseki-projections", daemon=True)
        thread.start()
        return Background(stop, thread)


class Background:
    """A running poller; stop() waits for it to finish its page, so the ledger can then be closed
    (closing a SQLite connection under a running query would crash the process)."""

    def __init__(self, stop: threading.Event, thread: threading.Thread) -> None:
        self._stop, self._thread = stop, thread

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._thread.join(timeout)
