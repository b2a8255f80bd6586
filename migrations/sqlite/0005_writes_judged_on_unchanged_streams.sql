-- A write is saved only if the streams it was judged on have not changed since it read them
-- (domain/recorders.py, ADR 0018). On SQLite the check is a query in the writer's own transaction
-- (writers are serialised), so there is nothing to create; this file keeps both backends'
-- migrations in step.
SELECT 1;
