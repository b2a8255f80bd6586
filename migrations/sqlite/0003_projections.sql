-- Read models: each projection keeps JSON documents by key, and the log position it has applied.
-- Documents and position are written in one transaction, so every event is applied exactly once.
CREATE TABLE projection_tracking (
    projection TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE projection_documents (
    projection TEXT NOT NULL,
    key TEXT NOT NULL,
    document TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (projection, key)
);
