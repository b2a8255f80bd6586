-- Idempotency keys: claimed before a write runs, marked done in the events' own transaction.
CREATE TABLE idempotency_keys (
    staff_id text NOT NULL,
    key text NOT NULL,
    request_hash text NOT NULL,
    state text NOT NULL CHECK (state IN ('in_flight', 'done')),
    claimed_at timestamptz NOT NULL,
    status integer,
    response text,
    PRIMARY KEY (staff_id, key)
);

-- Reads of sensitive records (assessments, year records, health, history, the 指導要録):
-- who, what, when, and the outcome. Append-only, like the register itself.
CREATE TABLE access_log (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL,
    staff_id text NOT NULL,
    roles text NOT NULL,
    action text NOT NULL,
    resource text NOT NULL,
    student_id text,
    outcome text NOT NULL,
    status integer NOT NULL
);
CREATE INDEX access_log_by_student ON access_log (student_id, id);
CREATE INDEX access_log_by_staff ON access_log (staff_id, id);

CREATE TRIGGER access_log_never_changed BEFORE UPDATE OR DELETE ON access_log
    FOR EACH ROW EXECUTE FUNCTION gakuseki_refuse_change();

CREATE TRIGGER access_log_never_truncated BEFORE TRUNCATE ON access_log
    FOR EACH STATEMENT EXECUTE FUNCTION gakuseki_refuse_change();
