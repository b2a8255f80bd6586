"""Japan's national holidays (国民の祝日に関する法律) for any year, worked out by rule.

The rules as the law stands since 2020 (天皇誕生日 on 23 February, スポーツの日 the second Monday of
October): fixed days, the Monday holidays (ハッピーマンデー), the equinoxes by the usual
approximation of the 国立天文台's announcement (exact for 1980–2099), 振替休日 (a holiday on a
Sunday moves to the next day that is not a holiday, §3②) and 国民の休日 (a day between two
holidays, §3③). The one-off moves of 2020 and 2021 (the Tokyo Olympics) are not modelled: a
school calendar of those years is not something Gakuseki writes by rule.
A rule module rather than a package: twenty lines the tests check against the Cabinet Office's
published lists, and no dependency to keep current (README "The demo").
"""

from __future__ import annotations

from datetime import date, timedelta

FIXED = ((1, 1), (2, 11), (2, 23), (4, 29), (5, 3), (5, 4), (5, 5), (8, 11), (11, 3), (11, 23))
MONDAYS = ((1, 2), (7, 3), (9, 3), (10, 2))  # (month, n): 成人の日, 海の日, 敬老の日, スポーツの日


def _nth_monday(year: int, month: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(7 - first.weekday()) % 7 + 7 * (n - 1))


def _equinoxes(year: int) -> tuple[date, date]:
    """春分の日 and 秋分の日."""
    y = year - 1980
    return (date(year, 3, int(20.8431 + 0.242194 * y) - y // 4),
            date(year, 9, int(23.2488 + 0.242194 * y) - y // 4))


def national_holidays(year: int) -> frozenset[date]:
    """Every 国民の祝日, 振替休日 and 国民の休日 of a calendar year."""
    days = {date(year, m, d) for m, d in FIXED} | {_nth_monday(year, m, n) for m, n in MONDAYS}
    days |= set(_equinoxes(year))
    for d in sorted(days):
        if d.weekday() == 6:  # 振替休日
            moved = d + timedelta(days=1)
            while moved in days:
                moved += timedelta(days=1)
            days.add(moved)
    between = {d + timedelta(days=1) for d in days
               if d + timedelta(days=2) in days and d + timedelta(days=1) not in days}
    return frozenset(days | {d for d in between if d.weekday() != 6})


def is_holiday(day: date) -> bool:
    return day in national_holidays(day.year)
