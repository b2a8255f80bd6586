"""The transparency log's Merkle tree, kept as a projection of the event log (ADR 0030, issue 12).

Every event in the log is one leaf (domain/transparency/leaf.py): its position, stream, version,
topic and the SHA-256 of its state bytes as the event table stores them (the notification's
``state``, after the mapper's compression or encryption; PostgreSQL hashes them where they are
stored and sends the 32 bytes, ``events.digests_after``). Leaves are numbered 0, 1, 2, ... in log
order without gaps; ``merkle_leaf_positions`` maps leaf indexes to positions where positions have gaps.

Like the read models it pulls pages of the log after its tracked position and writes what a page
changed (completed tiles, the partial right-edge tiles, the leaf positions of its level-0 tiles) and
its new position in one transaction, under the lock of its tracking row (ADR 0029), so a write never
waits for it and a restart resumes from the stored tiles. It reads every event whatever its type and
decodes none: only the stored bytes count.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import Future, ThreadPoolExecutor

from domain.ledger import Ledger
from domain.storage import documents, events, merkle_log
from domain.transparency.leaf import leaf_hashes
from domain.transparency.tiles import TILE_WIDTH, Tile, TileBuilder, TileReader
from projections.store import StaleUpdate

NAME = "merkle_log"  # its row in projection_tracking (and projection_versions)
# What a leaf holds: raised with a new leaf layout, so the stored tree is cleared and built again
# (Runner.upgrade). The checkpoints signed of the old tree stay, and the publisher then refuses to
# sign a tree they do not extend: a new layout is a new log, decided by an ADR, not a release note.
VERSION = 1
PAGE = 5000  # events a page: its tiles and positions are one statement each, in one transaction


class MerkleLog:
    """The tree of every event of one ledger, in the tables of domain/storage/merkle_log.py."""

    name = NAME
    version = VERSION

    def __init__(self, ledger: Ledger, page: int = PAGE) -> None:
        self.ledger, self.storage, self.page = ledger, ledger.storage, page
        # The tree as this process last wrote or read it, and the log position it stands at: kept
        # between pages so a page costs no reads of the tiles; dropped whenever a page is refused.
        self._builder: TileBuilder | None = None
        self._at = 0
        self._tail: list[int] = []  # positions of the leaves of the partial level-0 tile
        # The level-0 tiles completed since the last store, with their leaves' positions.
        self._completed: list[tuple[int, list[int]]] = []

    def position(self) -> int:
        """The log position the stored tree has applied."""
        return documents.position(self.storage, NAME)

    def size(self) -> int:
        return merkle_log.tree_size(self.storage)

    def root(self, size: int | None = None) -> bytes:
        """The root of the stored tree (at ``size`` leaves, default all of it), from its tiles."""
        size = self.size() if size is None else size
        return TileReader(size, self.read_tile).root()

    def read_tile(self, level: int, index: int, width: int) -> bytes:
        return merkle_log.read_tiles(self.storage, [(level, index)]).get((level, index), b"")

    # ------------------------------------------------------------ keeping up

    def catch_up(self, stop: int | None = None) -> int:
        """Apply the log up to ``stop`` (default: the head now); returns events read.

        The next page is read in a thread of its own while this one is hashed and written (the driver
        waits for the database without the GIL): at 200,000 events about a third of the time is the
        database's, and it overlaps the hashing instead of following it."""
        head = self.ledger.position() if stop is None else stop
        total = 0
        ahead: tuple[int, Future[list[events.Row]]] | None = None
        with ThreadPoolExecutor(1, thread_name_prefix="gakuseki-merkle-read") as reader:
            while True:
                if self._builder is None:
                    self._resume()
                start = self._at
                if start >= head:
                    return total
                if ahead is not None and ahead[0] == start:
                    page = ahead[1].result()
                else:
                    page = events.digests_after(self.storage, start, self.page, stop=head)
                ahead = None
                if not page:
                    return total
                if page[-1][0] < head:
                    ahead = (page[-1][0], reader.submit(events.digests_after, self.storage, page[-1][0], self.page,
                                                        head))
                try:
                    total += self._apply(start, page)
                except StaleUpdate:  # another runner moved it: resume from what it stored
                    continue

    def advance(self, head: int) -> int:
        """Apply one page after the tree's position, up to ``head``; returns events read (0: current)."""
        if self._builder is None:
            self._resume()
        start = self._at
        if start >= head:
            return 0
        page = events.digests_after(self.storage, start, self.page, stop=head)
        return self._apply(start, page) if page else 0

    def _apply(self, start: int, page: list[events.Row]) -> int:
        """Append a page read after ``start`` and store what it changed with the new position.
        Whole transactions do not matter here: a tree of part of one is a tree of committed events."""
        try:
            self._append(page, states=False)
            self._store(page[-1][0])
        except BaseException:
            self.forget()
            raise
        return len(page)

    def _append(self, page: list[events.Row], *, states: bool) -> None:
        """Append a page's leaves in memory (the rows carry their state bytes when ``states``, else their
        SHA-256), noting each level-0 tile completed and its leaves' positions."""
        builder, tail, completed = self._builder, self._tail, self._completed
        assert builder is not None
        first = builder.size
        builder.extend(leaf_hashes(page, states=states))
        for i, (position, *_) in enumerate(page, first):
            tail.append(position)
            if len(tail) == TILE_WIDTH:
                completed.append((i // TILE_WIDTH, tail))
                self._tail = tail = []

    def _store(self, end: int) -> None:
        """Store the leaves appended since the last store, standing at log position ``end``."""
        self._save(*self.taken(end))

    def taken(self, end: int) -> tuple[list[Tile], list[tuple[int, list[int]]], int, int]:
        """What to store of the leaves appended since the last store, standing at log position ``end``:
        ``_save``'s arguments (a rebuild saves them from a thread of its own). The tree in memory then
        stands at ``end``; if the save fails, ``forget`` it."""
        builder, tail = self._builder, self._tail
        assert builder is not None
        rows = self._completed + ([(builder.size // TILE_WIDTH, list(tail))] if tail else [])
        taken = (builder.take(), rows, self._at, end)
        self._completed, self._at = [], end
        return taken

    def forget(self) -> None:
        """Drop the tree held in memory (it went past what is stored): the next page reads it again."""
        self._builder, self._completed = None, []

    # ------------------------------------------------------------ following a rebuild's pages

    def follows(self, start: int) -> bool:
        """Whether the stored tree stands at log position ``start``, so that it can be kept from the
        pages another pass reads from there (``follow`` and ``store``) instead of reading them again."""
        if self._builder is None:
            self._resume()
        return self._at == start

    def follow(self, page: list[events.Row]) -> None:
        """Append the leaves of a page of rows as stored (with their state bytes, hashed here), read just
        after what it holds: every row of the log, in order. Stored by the next ``store``.

        The pass reads the states anyway (it decodes those its read models read), so they are hashed
        here, about 0.4 µs a row of the interpreter's time, rather than by PostgreSQL beside them, whose
        ``sha256()`` per row took the database several times that (ADR 0056)."""
        try:
            self._append(page, states=True)
        except BaseException:
            self.forget()
            raise

    def store(self, taken: tuple[list[Tile], list[tuple[int, list[int]]], int, int]) -> None:
        """Store what ``follow`` appended (``taken(end)``, end being the position of the last row
        followed); StaleUpdate when another runner moved the tree meanwhile (the tree in memory is then
        dropped)."""
        try:
            self._save(*taken)
        except BaseException:
            self.forget()
            raise

    def _save(self, tiles: list[Tile], rows: list[tuple[int, list[int]]], start: int,
              end: int) -> None:
        now = self.storage.now()
        with self.storage.writing() as tx:
            current = documents.lock_position(tx, NAME, now)
            if current != start:
                raise StaleUpdate(f"{NAME} stands at {current}: a page read after {start} up to {end} is refused")
            merkle_log.put_tiles(tx, tiles, rows)
            documents.set_position(tx, NAME, end, now)

    def _resume(self, attempts: int = 20) -> None:
        """Take up the stored tree: its position first, then its size, tiles and last tile's positions.

        Another runner may keep the same tree (two `projections run` processes, a rebuild beside the
        poller). A page it stores after the position was read only makes this runner's next save fail
        its position check (then this runs again); a page it stores between the reads of the size and
        of the last tile's positions leaves them disagreeing: read them all again, as for a stale page.
        Only a disagreement that outlasts every attempt, with the tree standing still, is a damaged tree."""
        for _ in range(attempts):
            self._at = self.position()
            size = merkle_log.tree_size(self.storage)
            builder = TileBuilder.resume(size, self.read_tile)
            tail = merkle_log.tile_positions(self.storage, size // TILE_WIDTH) if size % TILE_WIDTH else []
            if len(tail) == size % TILE_WIDTH:
                self._builder, self._tail, self._completed = builder, tail, []
                return
        self.forget()
        raise RuntimeError(f"the stored tree has {size} leaves but its last tile lists {len(tail)} positions")

    # ------------------------------------------------------------ rebuilding

    def clear(self) -> None:
        """Drop the tiles, the leaf positions and the tracking position, in one transaction (the
        checkpoints stay: they are the record a rebuilt tree must extend)."""
        with self.storage.writing() as tx:
            merkle_log.clear_tree(tx)
            tx.execute("DELETE FROM {projection_tracking} WHERE projection = ?", (NAME,))
        self.forget()

    def rebuild(self) -> int:
        """Build the tree again from the events: the same tiles, byte for byte, and the same root."""
        self.clear()
        return self.catch_up()

    def fingerprint(self) -> str:
        """SHA-256 over every stored tile (level, index, hashes) in order: two builds of one log agree."""
        digest = hashlib.sha256()
        for level, index, hashes in merkle_log.tiles_in_order(self.storage):
            digest.update(b"%d/%d:" % (level, index) + hashes)
        return digest.hexdigest()

