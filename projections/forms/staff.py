"""Staff as the school knows them: the names recorded when a principal was appointed
(PrincipalAppointed) and a class formed or its homeroom teacher changed (ClassFormed,
HomeroomTeacherChanged), so a form names the member of staff behind a correction, with the id.

The ledger records no other names of staff (a nurse, a subject teacher, the registrar), so an id
with no recorded name stays an id (its ``*_name`` is None).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

WHO = ("recorded_by", "corrected_by", "approved_by")
# What came from another ledger (a received packet) names that ledger's staff, not this one's.
FOREIGN = frozenset({"received"})


def directory(offices: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Staff id -> name, from the enrollment record's school documents (principals) and class documents
    (homeroom teachers); each office in the order taken, so the latest recorded name wins."""
    names: dict[str, str] = {}
    for doc in offices:
        people = [*doc.get("principals", []), *doc.get("homeroom_teachers", [])]
        for person in sorted(people, key=lambda x: x["from"]):
            names[person["staff_id"]] = person["name"]
    return names


def named(node: Any, names: dict[str, str]) -> Any:
    """``node`` with, beside every ``recorded_by``, ``corrected_by`` and ``approved_by`` holding an id,
    its ``*_name``: the name the school recorded for that id, or None when it recorded none.

    ``node`` is left as it is: what holds such a key is copied, with every list and dict above it; the
    rest is shared with ``node``, not copied (a 出席簿 of 40 children holds some 1,000 lists and dicts, a
    handful of them correction trails)."""
    if isinstance(node, list):
        copied: list[Any] | None = None
        for i, v in enumerate(node):
            if isinstance(v, _NESTED) and (w := named(v, names)) is not v:
                if copied is None:
                    copied = list(node)
                copied[i] = w
        return node if copied is None else copied
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] | None = None
    for k, v in node.items():
        # a scalar is kept as it is without a call: a 出席簿 of 40 children holds some 7,000 values
        if isinstance(v, _NESTED) and k not in FOREIGN and (w := named(v, names)) is not v:
            if out is None:
                out = dict(node)
            out[k] = w
    for key in WHO:
        if isinstance(node.get(key), str):
            if out is None:
                out = dict(node)
            out[f"{key}_name"] = names.get(node[key])
    return node if out is None else out


_NESTED = (dict, list)
