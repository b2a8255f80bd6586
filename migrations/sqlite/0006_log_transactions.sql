-- Where each transaction of the log begins and ends (ADR 0021). One row per transaction, written
-- by the recorder (domain/recorders.py) in the transaction that saves the events, so a position
-- read as a point in time can be settled on the transaction holding it: a position inside a
-- transaction means the state before it, never half of it.
--   last_position, first_position: the log positions of its last and first event;
--   known_at_us: when it can first have been known (microseconds since 1970-01-01 UTC): the latest
--     recorded time of its events and of every transaction before it, so it never decreases along
--     the log, and `as_of=<time>` is the prefix of transactions known at or before that time.
-- Events recorded before this migration have no row: each counts as a transaction of its own.
CREATE TABLE log_transactions (
    last_position INTEGER PRIMARY KEY,
    first_position INTEGER NOT NULL,
    known_at_us INTEGER NOT NULL,
    CHECK (first_position <= last_position)
);

CREATE INDEX log_transactions_known_at ON log_transactions (known_at_us, last_position);

-- Part of the record: never changed, never removed.
CREATE TRIGGER log_transactions_never_updated BEFORE UPDATE ON log_transactions
BEGIN
    SELECT RAISE(ABORT, 'the register is append-only: a transaction boundary is never changed');
END;

CREATE TRIGGER log_transactions_never_deleted BEFORE DELETE ON log_transactions
BEGIN
    SELECT RAISE(ABORT, 'the register is append-only: a transaction boundary is never deleted');
END;
