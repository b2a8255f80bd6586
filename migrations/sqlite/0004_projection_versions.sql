-- The version of each projection's documents: a release that changes what a projection stores
-- raises its version, and the runner then clears and rebuilds that read model on start
-- (projections/runner.py, Runner.upgrade; ADR 0015), rather than serving documents of an older shape.
CREATE TABLE projection_versions (
    projection TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    changed_at TEXT NOT NULL
);
