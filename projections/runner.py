"""Runs projections by polling the notification log: the same code on SQLite and PostgreSQL.

The library cannot subscribe to SQLite (ADR 0005), so each projection pulls the events after its
tracked position, in pages, filtered by type in SQL, applies them to its documents, and writes the
documents and its new position in one transaction (exactly once). Gaps in positions (rolled-back
inserts) are harmless: the table lock means no lower position can commit later.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import logging
import multiprocessing
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime
from typing import Any

import psycopg
from eventsourcing import persistence

from domain.event import TOPIC_PREFIX, Event, type_name
from domain.ledger import Ledger
from projections.base import Cutoff, Projection, Stored, canonical, settled, sources
from projections.checkpoints import CheckpointPublisher
from projections.merkle_log import MerkleLog
from projections.store import DocumentStore, StaleUpdate

log = logging.getLogger("gakuseki.projections")

# Failures of the database, not of the code: a lost or refused connection, a restarted server, a
# busy SQLite file, a serialisation failure. The loop backs off and reads again (ADR 0022).
TRANSIENT: tuple[type[BaseException], ...] = (
    persistence.OperationalError, persistence.InterfaceError, psycopg.OperationalError, psycopg.InterfaceError,
    sqlite3.OperationalError, ConnectionError, TimeoutError)


def transient(error: BaseException) -> bool:
    return isinstance(error, TRANSIENT)


# A rebuild on PostgreSQL runs in two processes at once when the log is long enough to pay for the second
# one's start (about a second): the read models of the class rolls' marks (the log's commonest event) in
# one, every other read model and the Merkle log in the other (ADR 0047).
MARKS = "AttendanceMarked"
PARALLEL_FROM = 100_000  # events to rebuild from, at least, for a second process
REBUILD_BATCH = 5000  # events a page of a rebuild (and of a catch-up in bulk)
# A rebuild saves what it built every so many events (ADR 0034 chose 50,000; ADR 0047 200,000): each save
# encodes and writes again every document changed since the last, and derives the code index from the
# register, so fewer saves cost less; a rebuild stopped midway starts again from its last save.
SAVE_EVERY = 200_000
# A catch-up this far behind (a read model cleared by ``upgrade``, a projections process started after a
# long stop) is run the way a rebuild runs (``Runner._build``): documents held in memory from page to page
# and saved every ``CATCH_UP_SAVE_EVERY`` events, instead of read, applied and written again on every page
# of ``CATCH_UP_BATCH``. Page by page, each page re-derives every document a page touches (a school's
# dashboards figures, its code index): 492 s for the 1.35M events of the full bench (ADR 0051).
BULK_FROM = 20_000
CATCH_UP_SAVE_EVERY = 50_000  # a save every few seconds: /health sees it advance, a refused save loses little
# The poller brings the Merkle log up to the head at most once a second (or the checkpoint cadence, if
# shorter), not on every poll: nothing reads the tree between checkpoints but an export, which catches it
# up itself (ADR 0041). Each catch-up costs a read and a transaction of tiles whatever it appends: at one
# class roll a poll (30 events) about ten times the CPU per event of a second's rolls at once (ADR 0047).
TREE_EVERY = 1.0
# The longest the poller lets the alert process judge in one turn of its loop before it brings the read
# models up again (seconds; at least one page is judged a turn).
RAISE_TURN = 1.0


class Runner:
    def __init__(self, ledger: Ledger, store: DocumentStore, projections: Sequence[Projection], *,
                 reuse_read_models: bool = True, merkle_log: MerkleLog | None = None,
                 publisher: CheckpointPublisher | None = None, raiser: Any = None) -> None:
        self.ledger, self.store = ledger, store
        self.projections = {p.name: p for p in projections}
        # The transparency log's tree (ADR 0030): kept by the poller and rebuilt with the read models,
        # but no read waits for it (``wait`` and ``catch_up()`` without names leave it to the poller).
        self.merkle_log = merkle_log
        # Signs checkpoints of that tree on its cadence, from the poller only (never in a write's path).
        self.publisher = publisher
        # The alert process (projections/alert_raiser.py, ADR 0042): it follows the log behind the read
        # models and records events of its own. Only the poller runs it, after them (``poll``); no read
        # waits for it, a rebuild leaves it as it is, and /health shows its position (``status``).
        self.raiser = raiser
        self.raise_alerts = True  # whether the poller runs it (a test world that counts events runs it by hand)
        self.tree_every = min(TREE_EVERY, publisher.every) if publisher is not None else TREE_EVERY
        # A point in time by log position takes the documents unchanged since from the read model;
        # False replays everything from the events (the tests compare the two).
        self.reuse_read_models = reuse_read_models

    def names(self) -> list[str]:
        """Every projection this runner keeps: the read models, then the Merkle log if it keeps one."""
        return [*self.projections, *([self.merkle_log.name] if self.merkle_log is not None else [])]

    def _merkle(self, names: list[str]) -> bool:
        """Whether the Merkle log is named (and takes it out of ``names``)."""
        if self.merkle_log is not None and self.merkle_log.name in names:
            names.remove(self.merkle_log.name)
            return True
        return False

    def _topics(self, p: Projection) -> list[str]:
        return [TOPIC_PREFIX + t for t in p.topics]

    def upgrade(self) -> list[str]:
        """Clear the read models built by another version of their projection; returns their names.

        A projection's ``version`` goes up when a release changes what its documents hold. Serving
        documents of the older shape would be wrong without a sign of it, so they are dropped here
        (at the start of the server and of `gakuseki projections run`) and built again by the
        pollers from the start of the log, /health showing the lag until they are current. A read
        model built before versions were recorded counts as version 1.
        """
        stored, cleared = self.store.versions(), []
        kept: list[Any] = [*self.projections.values(), *([self.merkle_log] if self.merkle_log else [])]
        for p in kept:
            name, version = p.name, getattr(p, "version", 1)
            built = stored.get(name, 1 if self.store.position(name) > 0 else None)
            if built is not None and built != version:
                if isinstance(p, MerkleLog):
                    p.clear()
                else:
                    self.store.clear(name)
                cleared.append(name)
            if stored.get(name) != version:
                self.store.set_version(name, version)
        return cleared

    def catch_up(self, name: str | Sequence[str] | None = None, batch: int = 1000,
                 deadline: float | None = None, stop: threading.Event | None = None) -> int:
        """Run until the named (or every) projection has applied the whole log; returns events read.

        Projections at the same position advance together (one read of each page, one decode per
        event, one transaction per page), as after a rebuild, which leaves them all at one position.
        A page refused because another runner (a request's ``wait_for``, another process) moved
        the projection first is read again from where that runner left it (ADR 0014).

        A group ``BULK_FROM`` events or more behind is caught up the way a rebuild runs, its documents
        held in memory between saves (``_catch_up_in_bulk``, ADR 0051). ``deadline`` (a
        ``time.monotonic()``): a request's help (``wait``), page by page, stopping once it has passed.
        ``stop``: the poller's; once set, the catch-up ends at its next page or save (a stop of the
        projections process does not wait for a catch-up of the whole log).
        """
        names = [name] if isinstance(name, str) else list(name or self.projections)
        if self._merkle(names):  # the read models first: the forms wait for them, nothing waits for the tree
            assert self.merkle_log is not None
            return (self.catch_up(names, batch, deadline, stop) if names else 0) + self.merkle_log.catch_up()
        total = 0
        while (deadline is None or time.monotonic() < deadline) and not (stop is not None and stop.is_set()):
            head = self.ledger.position()
            positions = self.store.positions(names)  # one statement for all of them
            behind = [n for n in names if positions[n] < head]
            if not behind:
                return total
            low = min(positions[n] for n in behind)
            group = [self.projections[n] for n in behind if positions[n] == low]
            try:
                if deadline is None and head - low >= BULK_FROM:
                    total += self._catch_up_in_bulk(group, low, head, stop)
                else:
                    total += self._advance(group, low, head, batch)
            except StaleUpdate:  # another runner applied this page first: read on from where it is now
                continue
        return total

    def _catch_up_in_bulk(self, group: Sequence[Projection], start: int, head: int,
                          stop: threading.Event | None = None) -> int:
        """Bring projections standing at one position far behind ``head`` up to it as a rebuild does
        (``_build``, without emptying them): each page read and decoded once, the documents it changes
        kept in memory and saved with the positions every ``CATCH_UP_SAVE_EVERY`` events, every key
        not held looked up in the store. Documents derived from others (the dashboards' figures, the
        code index) are derived once a save, not once a page. A save refused because another runner
        moved a projection meanwhile raises StaleUpdate (what was applied since the last save is
        dropped); the documents of a save are those of the log up to its position, as after a page. Once
        ``stop`` is set it ends at its next save. From position 0 (a read model cleared, or never built)
        the store holds none of their documents, so none is looked up but those this pass saved, as in a
        rebuild."""
        read = [0]
        saved = {p.name: set[str]() for p in group} if start == 0 else None
        with _no_cycle_collection():
            self._build(group, head, REBUILD_BATCH, CATCH_UP_SAVE_EVERY, saved, read, None, stop)
        return read[0]

    def rebuild(self, names: str | Sequence[str] | None = None, batch: int = REBUILD_BATCH,
                save_every: int = SAVE_EVERY,
                processes: int | None = None) -> int:
        """Drop the named (or every) projection's documents and position, then apply the whole log
        again in one pass: each event is read and decoded once, whatever number of projections read
        it. The Merkle log, when named (it is by default), is rebuilt from the same pages (ADR 0039);
        when it cannot follow them (another runner moved it meanwhile) it catches up by itself after.
        Returns events read (by the process that read the most, when there are two).

        ``processes``: how many processes share the work (``rebuild_parts``; None: two on PostgreSQL
        for a log of ``PARALLEL_FROM`` events or more on a machine of two cores or more, else one).
        Each part is a pass of its own over the log, in a process of its own: the parts share no
        document, and each saves its own positions, so the result is the same bytes as one pass.

        The documents a rebuild has built stay in memory from page to page, and are saved (with every
        projection's position, in one transaction) once ``save_every`` events have been applied
        since the last save, and at the end: in a log as it grows, every class-month is changed on
        every page, and reading, decoding, encoding and writing it again on each page cost more than
        applying the events (ADR 0034). A save holds whole transactions and its documents are
        exactly those of the log up to its position, as after a page of ``catch_up``."""
        wanted = [names] if isinstance(names, str) else list(names or self.names())
        parts = self.rebuild_parts(wanted, processes)
        if len(parts) > 1:
            return self._rebuild_in_processes(parts, batch, save_every)
        merkle = self._merkle(wanted)
        tree = self.merkle_log if merkle else None
        chosen = [self.projections[n] for n in wanted]
        if tree is not None:
            tree.clear()
        if not chosen:
            return tree.catch_up() if tree is not None else 0
        for p in chosen:
            self.store.clear(p.name)
        head = self.ledger.position()
        # The keys this rebuild has saved: any other is not in the emptied tables yet, so it is not
        # looked up (at 100,000 children, most keys of a page are new).
        saved: dict[str, set[str]] | None = {p.name: set() for p in chosen}
        read = [0]  # events read by the pass, saved or not
        with _no_cycle_collection():
            while True:
                try:
                    self._build(chosen, head, batch, save_every, saved, read, tree)
                    break
                except StaleUpdate:  # a poller running beside the rebuild saved first: what was built since the
                    saved = None  # last save is dropped; read on from where the poller left it, looking every key up
                    tree = None  # and the tree, if it followed, is caught up by itself below
        if merkle:
            assert self.merkle_log is not None
            read[0] = max(read[0], self.merkle_log.catch_up(head))  # nothing left when it followed every page
        return read[0]

    def rebuild_parts(self, names: Sequence[str], processes: int | None = None) -> list[list[str]]:
        """How a rebuild of ``names`` is shared among processes: one list of names per process, the
        first for this one. Two parts at most: the read models of the marks (and any derived from
        them), and the rest with the Merkle log; one part on SQLite (one writer at a time), on one
        core, for a short log, or when either part would be empty."""
        if processes is None:
            if self.ledger.storage.sqlite or (os.cpu_count() or 1) < 2:
                processes = 1
            else:  # a rebuild applies the whole log, from its first event
                processes = 2 if self.ledger.position() >= PARALLEL_FROM else 1
        if processes < 2 or self.ledger.storage.sqlite:
            return [list(names)]
        marks = [n for n in names if n in self.projections and MARKS in self.projections[n].topics]
        marks += [n for n in names
                  if n not in marks and getattr(self.projections.get(n), "derives_from", None) in marks]
        rest = [n for n in names if n not in marks]
        return [marks, rest] if marks and rest else [list(names)]

    def _rebuild_in_processes(self, parts: list[list[str]], batch: int, save_every: int) -> int:
        """The first part rebuilt here, each other in a process of its own (spawned: a new interpreter
        with connections of its own), at the same time; an error in any part is raised here after
        every part has ended."""
        env = dict(self.ledger.env)
        others = [([self.projections[n] for n in part if n in self.projections],
                   self.merkle_log is not None and self.merkle_log.name in part) for part in parts[1:]]
        with ProcessPoolExecutor(len(others), mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = [pool.submit(_rebuild_part, type(self.ledger), env, projections, merkle, batch, save_every,
                                   os.getpid()) for projections, merkle in others]
            try:
                here = self.rebuild(parts[0], batch, save_every, processes=1)
            finally:
                results = [f.exception() or f.result() for f in futures]  # waits for each
        for r in results:
            if isinstance(r, BaseException):
                raise r
        return max([here, *(r for r in results if isinstance(r, int))])

    def _build(self, chosen: Sequence[Projection], head: int, batch: int, save_every: int,
               saved: dict[str, set[str]] | None, read: list[int], tree: MerkleLog | None,
               stop: threading.Event | None = None) -> None:
        """Apply the log from the projections' common position up to ``head``, holding documents in
        memory between saves (see ``rebuild``). ``saved``: when given, the only keys the store holds
        for each projection, extended with those saved here; ``read[0]`` counts the events read.
        ``tree``: the Merkle log, kept from the same pages (every event, whatever its type) when it
        stands at the same position; otherwise, or once a save of it is refused, left to catch up.
        ``stop``: once set, the pass ends after its next save (short of ``head``)."""
        since = start = self.store.position(chosen[0].name)
        follow = tree is not None and tree.follows(start)
        topics = () if follow else sorted({TOPIC_PREFIX + t for p in chosen for t in p.topics})
        targets = [_Target(p, None if saved is None else saved[p.name]) for p in chosen]
        # A projection whose documents are a function of another's (``derive``), rebuilt with it, takes
        # them from that one's documents at each save instead of applying the events again.
        by_name = {t.name: t for t in targets}
        derived = [(t, by_name[source]) for t in targets
                   if (source := getattr(t.projection, "derives_from", None)) in by_name and source != t.name]
        readers: dict[str, list[_Target]] = {}  # topic -> the projections that read it, looked up once an event
        for t in targets:
            if any(t is d for d, _ in derived):
                continue
            for topic in t.projection.topics:
                readers.setdefault(TOPIC_PREFIX + topic, []).append(t)
        pending, last = 0, 0
        # The saves are written by a thread of their own on PostgreSQL, while the next pages are applied
        # (the documents are encoded here first: the next pages change them in place). One save at a
        # time, in order; a refused one is raised at the next save or at the end.
        # The next page is read by another while this one is applied (the driver waits for the database
        # without the GIL).
        writer = None if self.ledger.storage.sqlite else ThreadPoolExecutor(1, thread_name_prefix="gakuseki-rebuild")
        reader = None if writer is None else ThreadPoolExecutor(1, thread_name_prefix="gakuseki-rebuild-read")
        writing: Future[bool] | None = None
        ahead: tuple[int, Future[list[Any]]] | None = None

        def fetch(after: int) -> list[Any]:
            # A page ends on a transaction boundary: a save never holds part of one (ADR 0021).
            return self.ledger.rows(after, batch, stop=head, topics=topics)  # every topic when the tree follows

        try:
            while True:
                page = [] if start >= head else ahead[1].result() if ahead is not None and ahead[0] == start else \
                    fetch(start)
                ahead = None
                if page:
                    end = self.ledger.transaction_end(page[-1][0])
                    if reader is not None and end < head:
                        ahead = (end, reader.submit(fetch, end))
                    if follow:
                        assert tree is not None
                        tree.follow(page)
                        last = page[-1][0]
                    self._apply_rows(page, readers, targets)
                    start = end
                    pending += len(page)
                    read[0] += len(page)
                else:
                    start = head  # nothing more of their types: current up to the head
                if page and pending < save_every:
                    continue
                if start > since:
                    for d, source in derived:
                        d.derive_from(source)
                    # Each projection's changed documents in their stored form, those of keys it has saved
                    # before (upserted) apart from those it has not, which the store cannot hold (written by
                    # COPY on PostgreSQL), with the documents it saves beside them (``companions``).
                    encoded: dict[str, list[tuple[str, str, int]]] = {}
                    fresh: dict[str, list[tuple[str, str, int]]] = {}
                    for t in targets:
                        documents, known = t.documents, t.saved
                        again = encoded[t.name] = []
                        new = fresh[t.name] = []
                        companions = getattr(t.projection, "companions", None)
                        for k, p in t.changed.items():
                            rows = again if known is None or k in known else new
                            rows.append((k, canonical(documents[k]), p))
                            if companions is not None:
                                rows += [(key, canonical(found), p) for key, found in companions(k, documents[k])]
                    if writing is not None and not writing.result():  # the previous save: done, or raised here
                        follow = self._unfollow(tree)
                    taken = tree.taken(last) if follow and last and tree is not None else None
                    job = functools.partial(self._save_pass, encoded, start, since, tree, taken, fresh)
                    if writer is not None:
                        writing = writer.submit(job)
                    elif not job():
                        follow = self._unfollow(tree)
                    since, pending = start, 0
                    for t in targets:
                        t.saved_now()
                if page and stop is not None and stop.is_set():
                    page = []  # ends here, the last save done: what it saved is kept, the rest is read again later
                if not page:
                    if writing is not None and not writing.result():
                        self._unfollow(tree)
                    return
        except BaseException:
            if tree is not None:
                tree.forget()  # it may hold leaves no save stored
            raise
        finally:
            for pool in (reader, writer):
                if pool is not None:
                    pool.shutdown(wait=True)  # a save under way ends (its outcome no longer matters) before any retry

    def _save_pass(self, encoded: dict[str, list[tuple[str, str, int]]], position: int, since: int,
                   tree: MerkleLog | None, taken: Any, fresh: dict[str, list[tuple[str, str, int]]]) -> bool:
        """One save of a rebuild: the documents (``fresh``: those of keys never saved) and positions
        (StaleUpdate raised when another runner moved them), then the Merkle log's tiles when it follows;
        False when the tree's save was refused (another runner keeps it)."""
        self.store.save_encoded(encoded, position, since, fresh)
        if tree is None or taken is None:
            return True
        try:
            tree._save(*taken)
        except StaleUpdate:
            return False
        return True

    @staticmethod
    def _unfollow(tree: MerkleLog | None) -> bool:
        """Stop keeping the tree from the pass (it catches up by itself after); returns False."""
        if tree is not None:
            tree.forget()
        return False

    def _apply_rows(self, page: Sequence[Any], readers: dict[str, list[_Target]], targets: list[_Target]) -> None:
        """Decode each event of the page once (only those some projection reads) and apply it to the
        documents of every projection that reads it, taking each document from memory, else from the
        store (when it may be there)."""
        decode = self.ledger.decode_row
        items: list[tuple[int, Event, _Target, Sequence[str]]] = []  # (position, event, projection, keys), in log order
        add = items.append
        for row in page:
            if (found := readers.get(row[3])) is not None:
                event = decode(row)
                for t in found:
                    keys = t.keys(event)  # read twice below: a tuple (what every projection here returns) or made one
                    add((row[0], event, t, keys if type(keys) is tuple else tuple(keys)))
        # Keys a projection may hold in the store but no longer in memory: read back, one query a projection.
        wanted: dict[_Target, dict[str, None]] = {t: {} for t in targets if t.saved is None or t.saved}
        if wanted:
            for _, _, t, keys in items:
                if (missing := wanted.get(t)) is not None:
                    documents, stored = t.documents, t.saved
                    for k in keys:
                        if k not in documents and (stored is None or k in stored):
                            missing[k] = None
            for t, missing in wanted.items():
                if missing:
                    t.documents.update(self.store.get_many(t.name, missing))
        for position, event, t, keys in items:
            documents, changed, apply = t.documents, t.changed, t.apply
            for key in keys:
                documents[key] = apply(documents.get(key), event)
                changed[key] = position

    def _advance(self, chosen: Sequence[Projection], start: int, head: int, batch: int) -> int:
        """Apply the next page after ``start`` (up to ``head``) to projections standing at ``start``."""
        readers: dict[str, list[Projection]] = {}
        for p in chosen:
            for t in p.topics:
                readers.setdefault(t, []).append(p)
        # A page ends on a transaction boundary: the documents never hold part of one (ADR 0021).
        page = self.ledger.notifications(start, batch, stop=head, topics=sorted(TOPIC_PREFIX + t for t in readers))
        if not page:  # nothing of their types up to the head: they are current up to there
            with contextlib.suppress(StaleUpdate):  # another runner got there first
                self.store.save_many({p.name: ({}, {}) for p in chosen}, head, start)
            return 0
        per: dict[str, list[tuple[int, Event]]] = {p.name: [] for p in chosen}
        for n in page:
            event = self.ledger.decode(n)
            for p in readers[n.topic[len(TOPIC_PREFIX):]]:
                per[p.name].append((n.id, event))
        updates = {p.name: self._apply_page(p, per[p.name]) for p in chosen}
        # The read model stands at the end of the page's last transaction, though its last events may be
        # of types no projection here reads (ADR 0021).
        self.store.save_many(updates, self.ledger.transaction_end(page[-1].id), start)
        return len(page)

    def _apply_page(self, p: Projection, events: list[tuple[int, Event]]) -> tuple[dict[str, Stored], dict[str, int]]:
        """The documents a page of events changes, and the position each was last changed at."""
        keyed = [(position, event, tuple(p.keys(event))) for position, event in events]
        touched = {key: None for _, _, keys in keyed for key in keys}
        documents: dict[str, Stored | None] = {**touched, **self.store.get_many(p.name, touched)}
        positions: dict[str, int] = {}
        for position, event, keys in keyed:
            for key in keys:
                documents[key] = p.apply(documents[key], event)
                positions[key] = position
        changed = {k: d for k, d in documents.items() if d is not None and k in positions}
        if (companions := getattr(p, "companions", None)) is not None:  # documents derived from a changed one
            for k, d in list(changed.items()):
                for key, found in companions(k, d):
                    changed[key], positions[key] = found, positions[k]
        return changed, positions

    def fingerprint(self, name: str) -> str:
        """SHA-256 over every stored document of a projection (key and canonical bytes); of the
        Merkle log, over its tiles."""
        if self.merkle_log is not None and name == self.merkle_log.name:
            return self.merkle_log.fingerprint()
        digest = hashlib.sha256()
        for key, document in self.store.documents(name).items():
            digest.update(key.encode() + b"\0" + document.encode() + b"\n")
        return digest.hexdigest()

    def replay(self, name: str, key: str, upto: Cutoff | int) -> Any:
        """One document as it was known at a past point (see ``replay_documents``)."""
        return self.replay_many(name, [key], upto).get(key)

    def replay_many(self, name: str, keys: Iterable[str], upto: Cutoff | int) -> dict[str, Any]:
        """Documents of one projection as known at a past point."""
        return self.replay_documents({name: list(keys)}, upto)[name]

    def replay_documents(self, wanted: dict[str, list[str]], upto: Cutoff | int,
                         streams_of: Mapping[tuple[str, str], list[Any]] | None = None,
                         ) -> dict[str, dict[str, Any]]:
        """Documents as known at a past point (a log position, a recorded time, an effective date).

        Each stream counts up to its first event the cutoff does not admit (events of a stream
        build on the ones before them).

        By a log position alone (``reuse_read_models``), documents that today's read model holds
        unchanged since that position are taken from it; the rest are replayed from the events.
        Keys whose projection names their streams are replayed from those streams alone (one
        indexed query for all of them); the others from a scan of the log for their event types.
        A caller's ``streams_of`` may name fewer streams than touch a key (one child's days of a
        class-month): such a replay holds only those streams' part, while a reused document holds
        all of it, so the caller picks its part out of either.
        """
        cutoff = self.settle(upto if isinstance(upto, Cutoff) else Cutoff(position=upto))
        documents: dict[str, dict[str, Any]] = {name: {} for name in wanted}
        asked = {name: set(keys) for name, keys in wanted.items()}
        if self.reuse_read_models and cutoff.position is not None and cutoff.at is None and cutoff.on is None:
            # As known at a log position: the documents not changed since come from the read model
            # as they are (the same bytes a replay builds; tests/projections/test_rebuild_properties.py
            # checks both ways), and only the rest are replayed.
            documents, wanted = self.store.standing_at(wanted, cutoff.position)
            if not any(wanted.values()):
                return documents
        # A document a projection saves beside another (``companions``) is derived from that one, replayed.
        derived: dict[str, dict[str, str]] = {}
        for name, named in list(wanted.items()):
            if (source_of := getattr(self.projections[name], "companion_of", None)) is None:
                continue
            if mine := {k: source for k in named if (source := source_of(k)) is not None}:
                derived[name] = mine
                rest = [k for k in named if k not in mine]
                wanted = {**wanted, name: rest + [s for s in dict.fromkeys(mine.values())
                                                  if s not in rest and s not in documents[name]]}
        streams_of = streams_of or {}  # streams a caller knows for a key its projection cannot name
        found = {(name, k): streams_of[(name, k)] if (name, k) in streams_of else sources(self.projections[name], k)
                 for name, keys in wanted.items() for k in keys}
        known = list(dict.fromkeys(s for streams in found.values() if streams is not None for s in streams))
        events = dict(self.ledger.events_in_streams(known)) if known else {}
        for name in {name for (name, _), streams in found.items() if streams is None}:
            events.update(self._scan(self.projections[name], cutoff))
        wanted_keys = {name: set(keys) for name, keys in wanted.items()}
        ended: set[Any] = set()  # streams whose story stops at the cutoff
        for position in sorted(events):
            event = events[position]
            if event.originator_id in ended:
                continue
            if not cutoff.admits(position, event):
                # A stream is read as a prefix: an event after the cutoff ends its story there, so a
                # later-dated event never comes back without the one it builds on (an admission dated
                # ahead, a correction dated before the assessment it corrects).
                ended.add(event.originator_id)
                continue
            for name, keys in wanted_keys.items():
                p = self.projections[name]
                if type_name(type(event)) not in p.topics:
                    continue
                for k in p.keys(event):
                    if k in keys:
                        documents[name][k] = p.apply(documents[name].get(k), event)
        for name, mine in derived.items():
            companions = self.projections[name].companions  # type: ignore[attr-defined]
            built = {source: dict(companions(source, documents[name][source]))
                     for source in set(mine.values()) if source in documents[name]}
            for k, source in mine.items():
                if k in built.get(source, {}):
                    documents[name][k] = built[source][k]
            for source in set(mine.values()) - asked[name]:
                documents[name].pop(source, None)
        # Documents leave in their stored form, replayed or reused alike (ADR 0020).
        return {name: {k: settled(d) for k, d in docs.items()} for name, docs in documents.items()}

    def settle(self, cutoff: Cutoff) -> Cutoff:
        """The cutoff on whole transactions (ADR 0021): a position inside a transaction stands
        before it; a recorded time admits the transactions known at or before it, no further than
        their last position (events recorded before transactions had boundaries still count by
        their own recorded time)."""
        position = None if cutoff.position is None else \
            cutoff.position if cutoff.exact else self.ledger.settled(cutoff.position)
        if cutoff.at is not None and (known := self.ledger.known_at(cutoff.at)) is not None:
            position = known if position is None else min(position, known)
        return cutoff if position == cutoff.position else replace(cutoff, position=position)

    def _scan(self, p: Projection, cutoff: Cutoff) -> Iterator[tuple[int, Event]]:
        start, stop = 0, self.ledger.position() if cutoff.position is None else cutoff.position
        while True:
            page = self.ledger.recorder.select_notifications(
                start=start, limit=1000, stop=stop, topics=self._topics(p), inclusive_of_start=False)
            for n in page:
                yield n.id, self.ledger.decode(n)
            if len(page) < 1000:
                return
            start = page[-1].id

    def status(self, stalled_after: float | None = None, now: datetime | None = None) -> list[dict[str, Any]]:
        """Each projection's position, the head and the lag; with ``stalled_after`` (seconds), also
        whether it has stopped advancing while the log grew: it is behind, it has not moved for that
        long, and the first event it has not applied was recorded that long ago (so neither a
        projection busy with a long catch-up nor one that just saw a write after a quiet night is)."""
        head = self.ledger.position()
        tracked = self.store.tracked()
        rows = []
        for n in [*self.names(), *([self.raiser.name] if self.raiser is not None else [])]:
            position, moved = tracked.get(n, (0, None))
            row: dict[str, Any] = {"projection": n, "position": position, "head": head, "lag": max(0, head - position)}
            if stalled_after is not None:
                row["stalled"] = self._stalled(position, head, moved, stalled_after, now or self.ledger.clock())
            rows.append(row)
        return rows

    def _stalled(self, position: int, head: int, moved: datetime | None, after: float, now: datetime) -> bool:
        if position >= head or (moved is not None and (now - moved).total_seconds() < after):
            return False
        first = self.ledger.recorder.select_notifications(start=position, limit=1, inclusive_of_start=False)
        return bool(first) and (now - self.ledger.decode(first[0]).recorded_at).total_seconds() >= after

    def wait(self, position: int, timeout: float = 5.0) -> bool:
        """Read-your-writes: wait until every projection has applied the log up to ``position``, at most
        ``timeout`` seconds (then False: the request answers 503 with Retry-After).

        Meanwhile it helps the poller, or stands in for it when none runs, page by page until the
        deadline; but not when a read model is ``BULK_FROM`` events or more behind ``position`` (after
        an upgrade): the poller is catching that one up in bulk, and a page applied here would move
        its position under it, refusing the poller's next save (ADR 0051)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if position - min(self.store.positions(list(self.projections)).values(), default=position) < BULK_FROM:
                try:
                    self.catch_up(deadline=deadline)
                except Exception as e:  # the poller reports it; the positions below decide
                    log.debug("wait_for: catching up failed (%s: %s)", type(e).__name__, e)
            applied = self.store.positions(list(self.projections))
            if all(applied[n] >= position or self._nothing_for(n, position) for n in self.projections):
                return True
            time.sleep(0.02)
        return False

    def _nothing_for(self, name: str, position: int) -> bool:
        p = self.projections[name]
        pending = self.ledger.recorder.select_notifications(
            start=self.store.position(name), limit=1, stop=position, topics=self._topics(p),
            inclusive_of_start=False)
        return not pending

    def poll(self, stop: threading.Event, interval: float = 0.5, max_backoff: float = 30.0,
             max_retry: float = 300.0) -> None:
        """Keep every projection current until ``stop`` is set; never raises (ADR 0022).

        A transient failure (the database lost, restarted or busy) is logged and waited out with a
        capped exponential backoff (``interval`` doubled per failure in a row, at most
        ``max_backoff`` s), then the loop reads again from the stored positions. Any other error is
        a bug in a projection: it is logged with its traceback, that projection alone is set aside
        and tried again after a growing pause (at most ``max_retry`` s), and the others go on;
        /health names it as stalled while the log grows.
        """
        failures = 0
        broken: dict[str, tuple[float, int]] = {}  # projection -> (monotonic time to try again, failures)
        tree = self.merkle_log.name if self.merkle_log is not None else None
        tree_due = 0.0  # when the poller next brings the Merkle log up to the head (``tree_every``)
        while not stop.is_set():
            now = time.monotonic()
            due = [n for n in self.names()
                   if (n not in broken or broken[n][0] <= now) and (n != tree or tree_due <= now)]
            try:
                read = self._catch_up_apart(due, broken, interval, max_retry, stop)
                if tree in due:
                    tree_due = time.monotonic() + self.tree_every
                read += self._raise_alerts(broken, interval, max_retry, stop)
                self._publish(broken)
            except Exception as e:  # the loop must not die
                failures += 1
                delay = min(max_backoff, interval * 2 ** min(failures, 30))
                if transient(e):
                    log.warning("projections: %s: %s; failure %d in a row, reading again in %.1f s",
                                type(e).__name__, e, failures, delay)
                else:
                    log.error("projections: unexpected %s; reading again in %.1f s", type(e).__name__, delay,
                              exc_info=True)
                stop.wait(delay)
                continue
            if failures:
                log.warning("projections: reading again after %d failure(s)", failures)
                failures = 0
            if read == 0:
                stop.wait(interval)

    def _raise_alerts(self, broken: dict[str, tuple[float, int]], interval: float, max_retry: float,
                      stop: threading.Event | None = None) -> int:
        """Let the alert process judge what the read models have applied (ADR 0042). A transient failure is
        raised to the loop's backoff; a bug sets it aside like a broken projection (tried again after a
        growing pause; /health names it as stalled while the log grows)."""
        if self.raiser is None or not self.raise_alerts:
            return 0
        name = self.raiser.name
        if name in broken and broken[name][0] > time.monotonic():
            return 0
        try:
            # a turn of the loop at most (``RAISE_TURN``): the read models, which every wait_for read waits
            # for, are not held up behind a long judging (after a stop of the process, or a busy day)
            read: int = self.raiser.catch_up(deadline=time.monotonic() + RAISE_TURN, stop=stop)
        except Exception as e:
            if transient(e):
                raise
            delay = _set_aside(broken, name, interval, max_retry)
            log.error("the alert process cannot judge the log after position %d (%s); the projections go on; "
                      "trying it again in %.1f s", self.store.position(name), type(e).__name__, delay, exc_info=True)
            return 0
        if broken.pop(name, None) is not None:
            log.warning("the alert process judges the log again")
        return read

    def _publish(self, broken: dict[str, tuple[float, int]]) -> None:
        """Sign a checkpoint if one is due. A transient failure is raised to the loop's backoff; any
        other is logged and tried again at the next round (a refusal to sign is no failure: the
        publisher records it and /health reports it)."""
        if self.publisher is None or (self.merkle_log is not None and self.merkle_log.name in broken):
            return
        try:
            self.publisher.publish()
        except Exception as e:
            if transient(e):
                raise
            log.error("checkpoints: unexpected %s while signing; trying again at the next round", type(e).__name__,
                      exc_info=True)

    def _catch_up_apart(self, names: list[str], broken: dict[str, tuple[float, int]], interval: float,
                        max_retry: float, stop: threading.Event | None = None) -> int:
        """Catch the named projections up together; when one of them fails with a bug, one at a time,
        setting aside the ones that fail. Transient failures are raised."""
        try:
            read = self.catch_up(names, stop=stop) if names else 0
        except Exception as e:
            if transient(e):
                raise
        else:
            for n in names:
                if broken.pop(n, None) is not None:
                    log.warning("projection %s applies the log again", n)
            return read
        read = 0
        for n in names:
            try:
                read += self.catch_up(n, stop=stop)
            except Exception as e:
                if transient(e):
                    raise
                delay = _set_aside(broken, n, interval, max_retry)
                log.error("projection %s cannot apply the log after position %d (%s); the other projections go on; "
                          "trying it again in %.1f s", n, self.store.position(n), type(e).__name__, delay,
                          exc_info=True)
            else:
                broken.pop(n, None)
        return read

    def run_in_background(self, interval: float = 0.2) -> Background:
        """Poll in a thread (the embedded default runs its projections inside the server)."""
        stop = threading.Event()
        thread = threading.Thread(target=self.poll, args=(stop, interval), name="gakuseki-projections", daemon=True)
        thread.start()
        return Background(stop, thread)


def _set_aside(broken: dict[str, tuple[float, int]], name: str, interval: float, max_retry: float) -> float:
    """Set a failing projection (or the alert process) aside for a pause that grows with its failures in a
    row (at most ``max_retry`` s); returns the pause."""
    count = broken.get(name, (0.0, 0))[1] + 1
    delay = min(max_retry, interval * 2 ** min(count, 30))
    broken[name] = (time.monotonic() + delay, count)
    return delay


class Background:
    """A running poller; stop() waits for it to finish its page, so the ledger can then be closed
    (closing a SQLite connection under a running query would crash the process)."""

    def __init__(self, stop: threading.Event, thread: threading.Thread) -> None:
        self._stop, self._thread = stop, thread

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._thread.join(timeout)


def _rebuild_part(ledger_class: type[Ledger], env: dict[str, str], projections: list[Projection], merkle: bool,
                  batch: int, save_every: int, parent: int | None = None) -> int:
    """A part of a rebuild, in a process of its own (``Runner._rebuild_in_processes``); it ends itself
    if the process ``parent`` that started it dies (``exit_with``)."""
    if parent is not None:
        exit_with(parent)
    ledger = ledger_class(env=env)
    try:
        runner = Runner(ledger, DocumentStore(ledger.storage), projections,
                        merkle_log=MerkleLog(ledger) if merkle else None)
        return runner.rebuild(runner.names(), batch, save_every, processes=1)
    finally:
        ledger.close()


def exit_with(parent: int, every: float = 0.5) -> threading.Thread:
    """End this process, at once and with status 1, once the process ``parent`` (the one that started it)
    has died: a rebuild's second process would otherwise go on saving its part alone after its parent was
    killed (SIGKILL, the OOM killer), beside the rebuild an operator starts again. Its saves are
    compare-and-set (ADR 0014), so it could not corrupt a read model, but it would hold connections and
    refuse the new rebuild's saves until it ended. Orphaned, this process is adopted by another (init or a
    subreaper): its parent's pid changes, which a daemon thread checks every ``every`` seconds."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every)
        log.error("the process that started this part of a rebuild (pid %d) has ended: stopping", parent)
        os._exit(1)

    thread = threading.Thread(target=watch, name="gakuseki-rebuild-parent", daemon=True)
    thread.start()
    return thread


@contextlib.contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Python's cycle collector paused while a rebuild runs (as it was before, after). A rebuild
    makes a container or more per event that lives until its document is saved (the documents are
    trees of dicts, lists and strings: no cycles), and the collector walked every one of them again
    and again as they aged through its generations: half the CPU of a rebuild's applying (ADR 0039).
    Memory is still freed by reference counting; cycles made meanwhile are collected after."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


class _Target:
    """One projection in a rebuild's pass: its bound ``keys`` and ``apply``, the documents it holds
    (saved or not), the keys changed since the last save with the position of their last change, and
    the keys the store holds (None: unknown, every key not held is looked up)."""

    __slots__ = ("apply", "changed", "documents", "keys", "name", "projection", "saved")

    def __init__(self, projection: Projection, saved: set[str] | None) -> None:
        self.projection, self.name, self.saved = projection, projection.name, saved
        self.keys, self.apply = projection.keys, projection.apply
        self.documents: dict[str, Any] = {}
        self.changed: dict[str, int] = {}

    def derive_from(self, source: _Target) -> None:
        """Take the documents of ``source`` changed since the last save through this projection's
        ``derive`` (see Runner._build), at the positions they were changed at; nothing is held after."""
        derive = self.projection.derive  # type: ignore[attr-defined]
        self.documents, self.changed = {}, {}
        for key, position in source.changed.items():
            if (found := derive(key, source.documents[key])) is not None:
                self.documents[found[0]] = found[1]
                self.changed[found[0]] = position

    def saved_now(self) -> None:
        """After a save: the saved keys are known to the store; only the documents it wrote are kept
        (the ones the next pages most likely change again: this month's registers), the others are
        read back if they are needed."""
        if self.saved is not None:
            self.saved.update(self.changed)
        self.documents = {k: self.documents[k] for k in self.changed}
        self.changed = {}
