-- The event store, as eventsourcing 9.5's PostgreSQL recorder expects it for an application
-- named "Gakuseki" (captured from the library's own DDL, then owned here: the library runs with
-- CREATE_TABLE=n). Runs with search_path set to the ledger's schema.
CREATE TYPE stored_event_uuid AS (
    originator_id uuid,
    originator_version bigint,
    topic text,
    state bytea
);

CREATE TABLE gakuseki_events (
    originator_id uuid NOT NULL,
    originator_version bigint NOT NULL,
    topic text,
    state bytea,
    notification_id bigserial,
    PRIMARY KEY (originator_id, originator_version)
) WITH (
    -- append-only: analyse often, never wait for a vacuum (the library's own settings)
    autovacuum_enabled = true,
    autovacuum_vacuum_threshold = 100000000,
    autovacuum_vacuum_scale_factor = 0.5,
    autovacuum_analyze_threshold = 1000,
    autovacuum_analyze_scale_factor = 0.01
);

CREATE UNIQUE INDEX gakuseki_events_notification_id_idx ON gakuseki_events (notification_id);

-- Nothing recorded is ever changed or deleted: corrections are new events.
CREATE FUNCTION gakuseki_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the register is append-only: % on % is refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER gakuseki_events_never_changed BEFORE UPDATE OR DELETE ON gakuseki_events
    FOR EACH ROW EXECUTE FUNCTION gakuseki_refuse_change();

CREATE TRIGGER gakuseki_events_never_truncated BEFORE TRUNCATE ON gakuseki_events
    FOR EACH STATEMENT EXECUTE FUNCTION gakuseki_refuse_change();
