"""The national holidays by rule, checked against the lists the Cabinet Office published
(内閣府「国民の祝日について」)."""

from __future__ import annotations

from datetime import date

from domain.holidays import is_holiday, national_holidays


def _days(year: int, *month_days: tuple[int, int]) -> frozenset[date]:
    return frozenset(date(year, m, d) for m, d in month_days)


def test_2026_has_its_published_holidays_with_the_substitute_and_the_day_between() -> None:
    # 5/6 振替休日 (5/3 was a Sunday), 9/22 国民の休日 between 敬老の日 and 秋分の日.
    assert national_holidays(2026) == _days(2026, (1, 1), (1, 12), (2, 11), (2, 23), (3, 20), (4, 29), (5, 3),
                                            (5, 4), (5, 5), (5, 6), (7, 20), (8, 11), (9, 21), (9, 22),
                                            (9, 23), (10, 12), (11, 3), (11, 23))


def test_2025_and_2027_have_their_published_holidays() -> None:
    assert national_holidays(2025) == _days(2025, (1, 1), (1, 13), (2, 11), (2, 23), (2, 24), (3, 20), (4, 29),
                                            (5, 3), (5, 4), (5, 5), (5, 6), (7, 21), (8, 11), (9, 15), (9, 23),
                                            (10, 13), (11, 3), (11, 23), (11, 24))
    assert national_holidays(2027) == _days(2027, (1, 1), (1, 11), (2, 11), (2, 23), (3, 21), (3, 22), (4, 29),
                                            (5, 3), (5, 4), (5, 5), (7, 19), (8, 11), (9, 20), (9, 23),
                                            (10, 11), (11, 3), (11, 23))


def test_an_ordinary_weekday_is_not_a_holiday() -> None:
    assert not is_holiday(date(2026, 12, 7))
    assert is_holiday(date(2024, 11, 4))  # 文化の日 on a Sunday moves to Monday
