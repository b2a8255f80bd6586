"""Read models rebuilt from the log: one module per question (a form, a roster, a figure).

Built in the projections issue; how they will run on SQLite and PostgreSQL is ADR 0005.
"""
