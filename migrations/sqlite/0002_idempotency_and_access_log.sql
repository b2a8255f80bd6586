-- Idempotency keys: claimed before a write runs, marked done in the events' own transaction.
CREATE TABLE idempotency_keys (
    staff_id TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('in_flight', 'done')),
    claimed_at TEXT NOT NULL,
    status INTEGER,
    response TEXT,
    PRIMARY KEY (staff_id, key)
);

-- Reads of sensitive records (assessments, year records, health, history, the 指導要録):
-- who, what, when, and the outcome. Append-only, like the register itself.
CREATE TABLE access_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    staff_id TEXT NOT NULL,
    roles TEXT NOT NULL,
    action TEXT NOT NULL,
    resource TEXT NOT NULL,
    student_id TEXT,
    outcome TEXT NOT NULL,
    status INTEGER NOT NULL
);
CREATE INDEX access_log_by_student ON access_log (student_id, id);
CREATE INDEX access_log_by_staff ON access_log (staff_id, id);

CREATE TRIGGER access_log_never_updated BEFORE UPDATE ON access_log
BEGIN
    SELECT RAISE(ABORT, 'the access log is append-only');
END;

CREATE TRIGGER access_log_never_deleted BEFORE DELETE ON access_log
BEGIN
    SELECT RAISE(ABORT, 'the access log is append-only');
END;
