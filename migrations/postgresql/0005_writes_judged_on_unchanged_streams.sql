-- A write is saved only if the streams it was judged on (the school year: its calendar, its seal)
-- have not changed since it read them (domain/recorders.py, ADR 0018). Called in the write's own
-- transaction, after the event table's lock is taken, so no other write can commit in between.
-- It raises an integrity error (SQLSTATE 23000) so that the transaction is rolled back: the
-- library's insert pipeline commits what it has when a Python exception is raised inside it.
CREATE FUNCTION gakuseki_require_unchanged(streams uuid[], versions integer[]) RETURNS void
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM unnest(streams, versions) AS judged(stream, version)
               JOIN gakuseki_events e ON e.originator_id = judged.stream
                                    AND e.originator_version > judged.version) THEN
        RAISE EXCEPTION 'a stream this write was judged on changed before it was saved'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
END
$$;
