"""The access_log table (migration 0002; ADR 0008): every read of a sensitive record and every
logged write, append-only. What is logged, and when, is api/access_log.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.storage.database import Storage


def append(storage: Storage, at: datetime, staff_id: str, roles: str, action: str, resource: str,
           student_id: str | None, outcome: str, status: int) -> None:
    with storage.writing() as tx:
        tx.execute("INSERT INTO {access_log} (at, staff_id, roles, action, resource, student_id, outcome, status) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   (storage.moment(at), staff_id, roles, action, resource, student_id, outcome, status))


def entries(storage: Storage, *, student_id: str | None = None, staff_id: str | None = None, after: int = 0,
            limit: int = 100) -> list[tuple[Any, ...]]:
    """Rows after id ``after`` (of one student, one staff member, or all), oldest first: id, at (a
    datetime), staff_id, roles, action, resource, student_id, outcome, status."""
    where, params = ["id > ?"], [after]
    if student_id:
        where.append("student_id = ?")
        params.append(student_id)  # type: ignore[arg-type]
    if staff_id:
        where.append("staff_id = ?")
        params.append(staff_id)  # type: ignore[arg-type]
    rows = storage.query("SELECT id, at, staff_id, roles, action, resource, student_id, outcome, status "
                         f"FROM {{access_log}} WHERE {' AND '.join(where)} ORDER BY id LIMIT {int(limit)}", params)
    return [(r[0], storage.parse_moment(r[1]), *r[2:]) for r in rows]
