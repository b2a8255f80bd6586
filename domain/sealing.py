"""What a sealed year (学年末確定) still accepts: approved corrections, nothing else."""

from __future__ import annotations

from datetime import date

from domain import errors, values
from domain.school import School, SchoolYear


def require_open_year(year: SchoolYear, school_year: int) -> None:
    """Plain writes (marks, assessments, records, examinations) need an unsealed year."""
    if year.sealed_on is not None:
        raise errors.YearIsSealed(
            f"school year {school_year} was sealed on {year.sealed_on.isoformat()}; "
            "only a correction with a reason and the principal's approval is accepted",
            field="year",
        )


def require_move_leaves_sealed_days(year: SchoolYear, school_year: int, grade: int, from_day: date,
                                    field: str) -> None:
    """A move (転学 out of or into a class) is an enrollment event, not a record correction: a sealed year
    takes it, as long as it changes no day the year counted. The class's roll changes from ``from_day``,
    so no school day of the child's grade may remain on or after it."""
    if year.sealed_on is None:
        return
    counted = sorted(d for d in year.days if d >= from_day and year.is_instructional_day(d, grade))
    if counted:
        raise errors.YearIsSealed(
            f"school year {school_year} was sealed on {year.sealed_on.isoformat()}: a move in it may change the "
            f"rolls only after its last school day, and {counted[0].isoformat()} is one; a move after the seal "
            f"leaves on or after {counted[-1].isoformat()}",
            field=field,
        )


def require_correction_allowed(school: School, year: SchoolYear, reason: str, approved_by: str | None) -> str:
    """Every correction gives its reason; in a sealed year the school's principal approves it too."""
    if not reason or not reason.strip():
        raise errors.CorrectionNeedsReason("a correction must say why it is made", field="reason")
    reason = values.text(reason, "reason", max_length=500)
    if year.sealed_on is not None and not (approved_by and approved_by.strip()):
        raise errors.CorrectionNeedsApproval(
            f"the year was sealed on {year.sealed_on.isoformat()}: a correction needs the approval of the "
            "school's principal (approved_by), which the principal gives by posting it",
            field="approved_by",
        )
    if year.sealed_on is not None and approved_by != school.principal_id:
        who = f"the principal is {school.principal_id}" if school.principal_id else "no principal is appointed"
        raise errors.CorrectionNeedsApproval(
            f"{approved_by} cannot approve a correction to a sealed year of {school.code}: {who}",
            field="approved_by",
        )
    return reason
