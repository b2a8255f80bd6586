"""The 出欠の記録 arithmetic, case by case and as a property."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from projections.forms.attendance_arithmetic import ABSENT, EXCUSED, PRESENT, Tally, on_roll, tallies, tally

DAYS = [date(2026, 6, 1) + timedelta(d) for d in range(5)]  # Mon–Fri


def test_a_week_of_ordinary_marks() -> None:
    marks = dict(zip(DAYS, ["present", "late", "left_early", "absent_illness", "absent_other"], strict=True))
    assert tally(DAYS, marks) == Tally(school_days=5, excused=0, required=5, absent=2, present=3, late=1,
                                       left_early=1)


def test_a_class_closure_is_excused_while_the_grade_still_has_school() -> None:
    marks = {DAYS[0]: "present", DAYS[1]: "present", DAYS[4]: "absent_illness"}
    t = tally(DAYS, marks, closed_days=[DAYS[2], DAYS[3]])
    assert (t.school_days, t.excused, t.class_closed, t.required, t.absent, t.present) == (5, 2, 2, 3, 1, 2)


def test_a_grade_closure_is_not_a_school_day() -> None:
    # A grade closure removes the day from the instructional days the caller passes in.
    t = tally(DAYS[:3], {d: "present" for d in DAYS})
    assert (t.school_days, t.required, t.present) == (3, 3, 3)


def test_deemed_present_counts_as_present_and_is_noted() -> None:
    t = tally(DAYS, {d: "deemed_present" for d in DAYS})
    assert (t.present, t.deemed_present, t.absent, t.required) == (5, 5, 0, 5)


def test_suspension_mourning_and_online_lessons_are_excused() -> None:
    marks = dict(zip(DAYS, ["suspended", "mourning", "online_special", "other_excused", "present"], strict=True))
    t = tally(DAYS, marks)
    assert (t.excused, t.required, t.present) == (4, 1, 1)


def test_a_transfer_counts_only_the_days_on_the_roll() -> None:
    on_roll = [d for d in DAYS if d >= DAYS[2]]  # joined on Wednesday
    t = tally(on_roll, {d: "present" for d in DAYS})
    assert (t.school_days, t.present) == (3, 3)


def test_days_without_a_mark_are_shown_not_counted_as_present() -> None:
    t = tally(DAYS, {DAYS[0]: "present"})
    assert (t.present, t.unrecorded, t.required) == (1, 4, 5)


CODES = sorted(PRESENT | ABSENT | EXCUSED)


@given(st.lists(st.sampled_from([*CODES, None]), min_size=0, max_size=60), st.sets(st.integers(0, 59)))
def test_the_figures_always_add_up(codes: list[str | None], closed_at: set[int]) -> None:
    days = [date(2026, 4, 6) + timedelta(i) for i in range(len(codes))]
    marks = {d: c for d, c in zip(days, codes, strict=True) if c is not None}
    closed = [days[i] for i in closed_at if i < len(days)]
    t = tally(days, marks, closed)
    assert t.required == t.school_days - t.excused
    assert t.required == t.present + t.absent + t.unrecorded
    assert t.late + t.left_early + t.deemed_present <= t.present
    assert t.class_closed == len(closed) <= t.excused


SPAN_DAYS = [date(2026, 4, 6) + timedelta(i) for i in range(45)]
spans = st.lists(st.tuples(st.integers(-3, 48), st.integers(-3, 48)), max_size=6)


@given(st.lists(st.sampled_from([*CODES, "a_future_code", None]), min_size=0, max_size=45), st.sets(st.integers(0, 44)),
       st.sets(st.integers(0, 44)), spans, st.booleans())
def test_tallies_over_spans_are_the_tally_of_each_span(codes: list[str | None], closed_at: set[int],
                                                        off_roll: set[int], bounds: list[tuple[int, int]],
                                                        as_text: bool) -> None:
    """The register's month, term and year figures counted at once == tally() of each span, day by day."""
    base = date(2026, 4, 6)
    days = [d for i, d in enumerate(SPAN_DAYS) if i not in off_roll]
    marks = {d: c for d, c in zip(SPAN_DAYS, codes, strict=False) if c is not None}
    closed = [SPAN_DAYS[i] for i in closed_at]
    ranges = [(base + timedelta(a), base + timedelta(b)) for a, b in bounds]
    if as_text:  # the read models hold ISO dates: the same figures either way
        iso = {d: d.isoformat() for d in SPAN_DAYS + [d for r in ranges for d in r]}
        expected = [tally([iso[d] for d in days if a <= d <= b], {iso[d]: c for d, c in marks.items()},
                          [iso[d] for d in closed]) for a, b in ranges]
        got = tallies([iso[d] for d in days], {iso[d]: c for d, c in marks.items()}, [iso[d] for d in closed],
                      [(iso[a], iso[b]) for a, b in ranges])
    else:
        expected = [tally([d for d in days if a <= d <= b], marks, closed) for a, b in ranges]
        got = tallies(days, marks, closed, ranges)
    assert got == expected


periods = st.lists(st.tuples(st.integers(0, 44), st.one_of(st.none(), st.integers(0, 46))), max_size=3)


@given(periods)
def test_on_roll_is_every_day_within_a_period(bounds: list[tuple[int, int | None]]) -> None:
    days = [d.isoformat() for d in SPAN_DAYS]
    placed = [{"number": 1, "joined_on": days[a], **({} if b is None else {"left_on": (SPAN_DAYS[0] + timedelta(b))
                                                                            .isoformat()})} for a, b in bounds]
    assert on_roll(days, placed) == [d for d in days if any(p["joined_on"] <= d < p.get("left_on", "9999")
                                                          for p in placed)]
