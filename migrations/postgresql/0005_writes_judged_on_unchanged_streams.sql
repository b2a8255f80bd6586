-- A write is saved only if the streams it was judged on (the school year: its calendar, its seal)
-- have not changed since it read them (domain/recorders.py, ADR 0018). Called in the write's own
-- transaction, after the event table's lock is taken, so no other write can commit in between.
-- It raises an integrity error (SQLSTATE 23000) so that the transaction is rolled back: the
-- library's insert pipeline commits what it has when a Python exception is raised inside it.
-- One primary-key lookup per stream (a loop, not a join: without statistics, as after a bulk
-- load with autovacuum off, a join was planned as a scan of the whole event table).
CREATE FUNCTION gakuseki_require_unchanged(streams uuid[], versions integer[]) RETURNS void
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    FOR i IN 1 .. coalesce(array_length(streams, 1), 0) LOOP
        PERFORM 1 FROM gakuseki_events
            WHERE originator_id = streams[i] AND originator_version > versions[i] LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'stream % changed after version %, which this write was judged on',
                streams[i], versions[i] USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    END LOOP;
END
$$;
