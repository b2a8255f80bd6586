-- The servers that claim Idempotency-Keys, and when each was last seen alive (ADR 0061). A server
-- writes its row when it starts and again every few seconds (its heartbeat), and deletes it when it
-- stops; a claim names the server that made it, so a claim of a server no longer seen is taken over
-- by the client's retry at once, not after the claim's 60 s. Not the record: rows come and go.
CREATE TABLE server_instances (
    instance TEXT PRIMARY KEY,
    started_at TEXT NOT NULL,
    seen_at TEXT NOT NULL
);

-- The server whose request claimed the key (NULL for claims made before this migration: those
-- are taken over after 60 s, as before).
ALTER TABLE idempotency_keys ADD COLUMN instance TEXT;
