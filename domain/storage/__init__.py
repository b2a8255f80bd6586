"""Everything the ledger says to its database, in one place (ADR 0029).

The eventsourcing library owns the connections and the event table; migrations/ owns the schema
(ADR 0004). Every other module reaches the database only through this package:

  database.py          Storage (one per ledger: ``ledger.storage``): the backend's spelling of a
                       statement (``?`` placeholders, ``{table}`` names qualified by the schema on
                       PostgreSQL), the clock of the ledger's own tables, transactions (``writing``,
                       ``reading``) and one-statement reads (``query``) on the library's connections
  recorders.py         the library's recorders, extended: the ONLY overrides of its private methods
  events.py            reads of the event table the library does not offer
  log_transactions.py  where each transaction of the log begins and ends (ADR 0021)
  idempotency_keys.py  a write's Idempotency-Key and its answer (ADR 0008)
  server_instances.py  the heartbeat of each serving process, so a dead one's claims are known (ADR 0061)
  access_log.py        who read or wrote which sensitive record (ADR 0008)
  documents.py         the read models' documents, positions and versions (ADR 0009, 0014, 0015)

The next tables go here the same way: a module of their own named for what they hold (for the
Merkle log of issue 12, ``merkle_log.py``: its tiles of hashes and its signed checkpoints, written
by a projection), small typed functions that take a ``Storage`` (or a ``Tx`` to join a
transaction) and write their SQL once for both backends, and a migration per backend in
migrations/sqlite and migrations/postgresql (0007 onwards). ADR 0029 has the recipe.
"""

from domain.storage.database import Storage, Tx

__all__ = ["Storage", "Tx"]
