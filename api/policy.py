"""Who may do what to which record: the access policy of PRODUCT.md §3.5, in one place.

A target is what a request touches (a school, a class, a student in a class). A caller who
cannot see the target gets 404 exactly as for a record that does not exist; one who sees it but
whose roles do not allow the action gets 403. Teachers' classes come from the ledger's own class
records (the homeroom teacher of the class) or from the token's class grants.
"""

from __future__ import annotations

from dataclasses import dataclass

from api.auth import Grant, Principal
from api.problems import ApiProblem
from domain import errors

# Actions each role may take on targets it can see.
ACTIONS: dict[str, frozenset[str]] = {
    "homeroom_teacher": frozenset({"student.read", "attendance.read", "attendance.roll", "attendance.correct",
                                   "year_record.enter", "year_record.correct", "record.read", "report_card.read"}),
    "subject_teacher": frozenset({"student.read", "assessment.record", "assessment.correct"}),
    "nurse": frozenset({"student.read", "attendance.read", "health.record", "health.correct", "health.read"}),
    "registrar": frozenset({"student.read", "student.admit", "student.identity", "student.leave",
                            "student.withdraw", "student.graduate", "class.form", "student.handover",
                            "packet.import", "packet.export"}),
    "principal": frozenset({"student.read", "attendance.read", "student.history", "student.admit", "student.identity",
                            "student.leave", "student.withdraw", "student.graduate", "class.form",
                            "calendar.set", "year.seal", "attendance.roll",
                            "attendance.correct", "assessment.record", "assessment.correct", "year_record.enter",
                            "year_record.correct", "health.record", "health.correct", "correction.approve",
                            "record.read", "report_card.read", "health.read", "long_absence.read",
                            "student.handover", "packet.import", "packet.export"}),
    "board": frozenset({"student.read", "school.register", "principal.appoint", "long_absence.read",
                        "advancement.bulk"}),
    "auditor": frozenset({"student.read", "attendance.read", "student.history", "log.read", "access_log.read",
                          "record.read", "health.read", "long_absence.read"}),
    "operator": frozenset(),
}
# What a school that handed the child over may still do: read its own period (originals, read-only).
READS = frozenset({"student.read", "attendance.read", "record.read", "health.read", "report_card.read",
                   "student.history", "packet.export"})  # (a packet: the sending school, after the move)
# Reads of sensitivity class I/II records need a multi-factor token (MEXT guideline): the
# 指導要録, the report card, the health cards, the long-absence list, histories and the feeds.
NEEDS_MFA = frozenset({"student.history", "access_log.read", "log.read", "record.read", "report_card.read",
                       "health.read", "long_absence.read"})


@dataclass(frozen=True)
class Target:
    """What a request touches; unknown parts stay None."""

    school: str | None = None
    board: str | None = None
    class_key: str | None = None  # "YEAR/GRADE/NAME"
    homeroom: str | None = None  # staff id of that class's homeroom teacher
    subject: str | None = None
    ledger_wide: bool = False  # the log, the access log: no school of their own
    kind: str = "record"  # what a 404 calls it: the same words whether missing or out of sight
    past_schools: frozenset[str] = frozenset()  # schools that held the child before: they keep read access


def class_key(year: int, grade: int, name: str) -> str:
    return f"{year}/{grade}/{name}"


def _sees(p: Principal, g: Grant, t: Target) -> bool:
    if g.role == "auditor":
        return True
    if g.role == "operator" or t.ledger_wide:
        return False
    if g.role == "board":
        return g.board is not None and g.board == t.board
    if g.school is None or (g.school != t.school and g.school not in t.past_schools):
        return False
    if g.role in ("principal", "registrar", "nurse"):
        return True
    in_class = t.class_key is not None and t.class_key in g.classes
    if g.role == "homeroom_teacher":
        return in_class or (t.homeroom is not None and t.homeroom == p.staff_id)
    if g.role == "subject_teacher":
        return in_class
    return False


def _allows(g: Grant, action: str, t: Target) -> bool:
    if action not in ACTIONS[g.role]:
        return False
    if g.school is not None and g.school != t.school and action not in READS:
        return False  # a school the child has left reads its period; it does not write
    if g.role == "subject_teacher" and action.startswith("assessment."):
        return t.subject is not None and t.subject in g.subjects
    return True


def authorize(p: Principal, action: str, t: Target) -> None:
    """Raise 404 when the caller cannot see the target, 403 when no role of theirs allows the action."""
    seeing = [g for g in p.grants if _sees(p, g, t)]
    if not seeing:
        raise not_found(t.kind)
    if not any(_allows(g, action, t) for g in seeing):
        raise ApiProblem(403, "forbidden", f"your roles ({p.roles()}) do not allow {action} here")
    if action in NEEDS_MFA and not p.mfa:
        raise ApiProblem(401, "mfa-required", f"{action} needs a token from multi-factor authentication",
                         headers={"WWW-Authenticate": 'Bearer error="insufficient_user_authentication", '
                                                      'error_description="multi-factor authentication required"'})


def not_found(kind: str) -> errors.NotFound:
    """The one answer for a record that does not exist and for one outside the caller's duty."""
    return errors.NotFound(f"no such {kind}")


def viewing_school(p: Principal, action: str, t: Target) -> str | None:
    """The school whose view of a child's record the caller reads with (None: the whole record, for
    auditors and boards). The current school comes first when a caller holds grants at several."""
    allowed = [g for g in p.grants if _sees(p, g, t) and _allows(g, action, t)]
    if any(g.school is None for g in allowed):
        return None
    here = [g for g in allowed if g.school == t.school]
    return (here or allowed)[0].school if allowed else None


def can(p: Principal, action: str, t: Target) -> bool:
    return any(_sees(p, g, t) and _allows(g, action, t) for g in p.grants)
