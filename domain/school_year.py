"""The Japanese school year: April to March (学校教育法施行規則 §59).

The one home of the year's bounds and months; every module that needs them asks here.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

JST = timezone(timedelta(hours=9), "JST")  # the schools' time: a school day is a day in Japan


def year_of(day: date) -> int:
    """The school year (April to March) a day falls in."""
    return day.year if day.month >= 4 else day.year - 1


def first_day(year: int) -> date:
    """1 April of the school year."""
    return date(year, 4, 1)


def last_day(year: int) -> date:
    """31 March of the following calendar year."""
    return date(year + 1, 3, 31)


def bounds(year: int) -> tuple[str, str]:
    """The first and last day of the school year as ISO dates (compared as text by the projections)."""
    return first_day(year).isoformat(), last_day(year).isoformat()


def days(year: int) -> list[date]:
    """Every calendar day of the school year, in order."""
    first = first_day(year)
    return [first + timedelta(days=d) for d in range((last_day(year) - first).days + 1)]


def month_firsts(year: int) -> list[date]:
    """The first day of each month of the school year, April to March."""
    return [date(year + (m + 3) // 12, (m + 3) % 12 + 1, 1) for m in range(12)]


def school_date(moment: datetime) -> date:
    """The day it is at the schools (JST) at a moment."""
    return moment.astimezone(JST).date()
