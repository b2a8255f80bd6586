-- Read models: each projection keeps JSON documents by key, and the log position it has applied.
-- Documents and position are written in one transaction, so every event is applied exactly once.
CREATE TABLE projection_tracking (
    projection text PRIMARY KEY,
    position bigint NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE TABLE projection_documents (
    projection text NOT NULL,
    key text NOT NULL,
    document text NOT NULL,
    position bigint NOT NULL,
    PRIMARY KEY (projection, key)
);
