"""Who may do what to which record: the access policy of PRODUCT.md §3.5, in one place.

A target is what a request touches (a school, a class, a student in a class). A caller who
cannot see the target gets 404 exactly as for a record that does not exist; one who sees it but
whose roles do not allow the action gets 403 (``forbidden``), and one whose role may write such a
record but whose school did not hold the child on the day it is about, or no longer holds them,
gets 403 ``outside-custody`` (domain/custody.py; ADR 0019). Teachers' classes come from the
ledger's own class records (the homeroom teacher of the class) or from the token's class grants,
and a class is always a class of the grant's school (school, year, grade, name). An auditor with a
school or board claim is scoped to that school or that board's schools on every route, and reads
a child as that school does; the ledger-wide feeds are for an auditor without a claim. The
transparency log's checkpoints and proofs (hashes only) are for every auditor and every board (ADR 0033).
"""

from __future__ import annotations

from dataclasses import dataclass

from api.auth import Grant, Principal
from api.problems import ApiProblem
from domain import errors

# Actions each role may take on targets it can see.
ACTIONS: dict[str, frozenset[str]] = {
    "homeroom_teacher": frozenset({"student.read", "attendance.read", "attendance.roll", "attendance.correct",
                                   "year_record.enter", "year_record.correct", "record.read", "report_card.read",
                                   "alert.list", "alert.read", "alert.acknowledge"}),
    "subject_teacher": frozenset({"student.read", "assessment.record", "assessment.correct"}),
    "nurse": frozenset({"student.read", "attendance.read", "health.record", "health.correct", "health.read",
                        "alert.list", "alert.read_health"}),
    "registrar": frozenset({"student.read", "student.admit", "student.identity", "student.leave",
                            "student.withdraw", "student.graduate", "class.form", "student.handover",
                            "packet.import", "packet.export"}),
    "principal": frozenset({"student.read", "attendance.read", "student.history", "student.admit", "student.identity",
                            "student.leave", "student.withdraw", "student.graduate", "class.form",
                            "calendar.set", "year.seal", "attendance.roll",
                            "attendance.correct", "assessment.record", "assessment.correct", "year_record.enter",
                            "year_record.correct", "health.record", "health.correct", "correction.approve",
                            "record.read", "report_card.read", "health.read", "long_absence.read",
                            "student.handover", "packet.import", "packet.export", "board_settings.read",
                            "alert.list", "alert.read", "alert.acknowledge"}),
    "board": frozenset({"student.read", "school.register", "principal.appoint", "long_absence.read",
                        "advancement.bulk", "board_settings.set", "board_settings.read", "log.verify", "log.cosign",
                        "alert.list"}),
    "auditor": frozenset({"student.read", "attendance.read", "student.history", "log.read", "access_log.read",
                          "record.read", "health.read", "long_absence.read", "board_settings.read", "log.verify",
                          "proof.read", "alert.list", "alert.read"}),
    "operator": frozenset(),
}
# What a school that handed the child over may still do: read its own period (originals, read-only).
READS = frozenset({"student.read", "attendance.read", "record.read", "health.read", "report_card.read",
                   "student.history", "packet.export"})  # (a packet: the sending school, after the move)
# Reads of sensitivity class I/II records need a multi-factor token (MEXT guideline): the
# 指導要録, the report card, the health cards, the long-absence list, the alerts, histories and the feeds.
NEEDS_MFA = frozenset({"student.history", "access_log.read", "log.read", "record.read", "report_card.read",
                       "health.read", "long_absence.read", "proof.read", "alert.list"})
# The transparency log's heads and proofs (ADR 0033): hashes of the whole ledger, no record's content.
# Every auditor, whatever their scope, and every board (the witnesses) see them; no multi-factor
# token is needed (a witness runs unattended). A board posts cosignatures ("log.cosign").


@dataclass(frozen=True)
class Seat:
    """A class a teacher sees a child (or a class) through: of one school, "YEAR/GRADE/NAME", and the
    staff id of its homeroom teacher as the ledger records it."""

    school: str
    class_key: str
    homeroom: str | None = None


@dataclass(frozen=True)
class Target:
    """What a request touches; unknown parts stay None."""

    school: str | None = None  # the school that may write it (for a child: that holds the day's custody)
    board: str | None = None
    class_key: str | None = None  # "YEAR/GRADE/NAME" (of ``school``; a class target)
    homeroom: str | None = None  # staff id of that class's homeroom teacher
    subject: str | None = None
    ledger_wide: bool = False  # the log, the access log: no school of their own
    transparency: bool = False  # the transparency log's checkpoints and proofs: hashes only (ADR 0033)
    kind: str = "record"  # what a 404 calls it: the same words whether missing or out of sight
    # A child: every school of this ledger that held them, in order, with its board (they read their
    # periods), the classes teachers see them through, and the day the request writes about.
    held_by: tuple[tuple[str, str], ...] = ()
    seats: tuple[Seat, ...] = ()
    day: str | None = None  # ISO date
    day_field: str | None = None  # the request's field that names it
    # A board's own record (its settings): the schools of that board among the caller's (their staff see it).
    board_schools: frozenset[str] = frozenset()

    @property
    def past_schools(self) -> frozenset[str]:
        return frozenset(school for school, _ in self.held_by)

    def classes(self) -> tuple[Seat, ...]:
        if self.seats or self.class_key is None or self.school is None:
            return self.seats
        return (Seat(self.school, self.class_key, self.homeroom),)


def class_key(year: int, grade: int, name: str) -> str:
    return f"{year}/{grade}/{name}"


def _sees(p: Principal, g: Grant, t: Target) -> bool:
    if t.transparency:
        return g.role in ("auditor", "board")
    if g.role == "auditor":
        if g.school is None and g.board is None:
            return True
        if t.ledger_wide:
            return False  # a scoped auditor has no ledger-wide feed: it answers as a route that does not exist
        if g.school is not None:
            return g.school == t.school or g.school in t.past_schools or g.school in t.board_schools
        return g.board == t.board or any(board == g.board for _, board in t.held_by)
    if g.role == "operator" or t.ledger_wide:
        return False
    if g.role == "board":
        return g.board is not None and g.board == t.board
    if g.school is None or (g.school != t.school and g.school not in t.past_schools
                            and g.school not in t.board_schools):
        return False
    if g.role in ("principal", "registrar", "nurse"):
        return True
    if g.role not in ("homeroom_teacher", "subject_teacher"):
        return False
    # a class is (school, year, grade, name): a grant's class is a class of the grant's school
    return any(seat.school == g.school and (seat.class_key in g.classes or (
        g.role == "homeroom_teacher" and seat.homeroom is not None and seat.homeroom == p.staff_id))
        for seat in t.classes())


def _may(g: Grant, action: str, t: Target) -> bool:
    """The role may take the action on what it sees (custody aside)."""
    if action not in ACTIONS[g.role]:
        return False
    if g.role == "subject_teacher" and action.startswith("assessment."):
        return t.subject is not None and t.subject in g.subjects
    return True


def _in_custody(g: Grant, action: str, t: Target) -> bool:
    """A school writes only what it holds: the days the child was in its custody, while it holds them;
    a school the child has left reads its period and writes nothing (domain/custody.py). A board's own
    record (its settings) is in no school's custody: its schools' staff are taken as they are."""
    return g.school is None or g.school == t.school or action in READS or g.school in t.board_schools \
        or t.transparency


def _allows(g: Grant, action: str, t: Target) -> bool:
    return _may(g, action, t) and _in_custody(g, action, t)


def authorize(p: Principal, action: str, t: Target) -> None:
    """Raise 404 when the caller cannot see the target, 403 when no role of theirs allows the action
    (``outside-custody`` when one would, but the day is not in their school's custody)."""
    seeing = [g for g in p.grants if _sees(p, g, t)]
    if not seeing:
        raise not_found(t.kind)
    if not any(_allows(g, action, t) for g in seeing):
        if any(_may(g, action, t) for g in seeing) and t.kind == "student":
            whose = f"on {t.day}" if t.day else "now"
            raise ApiProblem(403, "outside-custody", f"the child is not in your school's custody {whose}: only the "
                             "school that held the child on a day writes that day's records, while it holds them",
                             field=t.day_field)
        raise ApiProblem(403, "forbidden", f"your roles ({p.roles()}) do not allow {action} here")
    if action in NEEDS_MFA and not p.mfa:
        raise ApiProblem(401, "mfa-required", f"{action} needs a token from multi-factor authentication",
                         headers={"WWW-Authenticate": 'Bearer error="insufficient_user_authentication", '
                                                      'error_description="multi-factor authentication required"'})


def not_found(kind: str) -> errors.NotFound:
    """The one answer for a record that does not exist and for one outside the caller's duty."""
    return errors.NotFound(f"no such {kind}")


def _reads_as(g: Grant, t: Target) -> str | None:
    """The school a grant reads a child as: its own; for an auditor with a board claim the board's school
    that held the child last; None (the whole record) for an auditor without a claim and for a board."""
    if g.role == "auditor" and g.school is None and g.board is not None:
        return next((school for school, board in reversed(t.held_by) if board == g.board), None)
    return g.school


def viewing_school(p: Principal, action: str, t: Target) -> str | None:
    """The school whose view of a child's record the caller reads with (None: the whole record, for
    auditors of the whole ledger and boards). The current school comes first when a caller holds grants
    at several."""
    allowed = [_reads_as(g, t) for g in p.grants if _sees(p, g, t) and _allows(g, action, t)]
    if any(school is None for school in allowed):
        return None
    here = [school for school in allowed if school == t.school]
    return (here or allowed)[0] if allowed else None


def can(p: Principal, action: str, t: Target) -> bool:
    return any(_sees(p, g, t) and _allows(g, action, t) for g in p.grants)
