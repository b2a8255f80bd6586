-- The event store of the embedded default, as eventsourcing 9.5's SQLite recorder expects it
-- (table name fixed by the library; rowid is the log position). Owned here: the library runs
-- with CREATE_TABLE=n.
CREATE TABLE stored_events (
    originator_id TEXT,
    originator_version INTEGER,
    topic TEXT,
    state BLOB,
    PRIMARY KEY (originator_id, originator_version)
);

-- Nothing recorded is ever changed or deleted: corrections are new events.
CREATE TRIGGER stored_events_never_updated BEFORE UPDATE ON stored_events
BEGIN
    SELECT RAISE(ABORT, 'the register is append-only: a recorded event is never changed');
END;

CREATE TRIGGER stored_events_never_deleted BEFORE DELETE ON stored_events
BEGIN
    SELECT RAISE(ABORT, 'the register is append-only: a recorded event is never deleted');
END;
