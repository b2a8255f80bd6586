"""指導要録 様式2 contents (reference/domain-japan.md §2.2): what each grade's record carries and prints."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest

from domain import errors
from domain.backend import Backend
from domain.ledger import Ledger
from projections import runner_for
from projections.forms import Forms, html
from tests import builders as b
from tests.projections.forms.test_html import page

ACTIVITIES = "英語の歌や挨拶に親しみ、友達と進んで自己紹介をした。"
CORRECTED = "英語の歌や挨拶に親しみ、ALTと進んで自己紹介をした。"
LABEL = "外国語活動の記録"


def _enter(ledger: Ledger, child: UUID, **record: str) -> None:
    ledger.enter_year_record(child, b.YEAR, record={"general_remarks": "よく発言した。", **record},
                             on=date(2027, 3, 19), recorded_by=b.STAFF)


def test_foreign_language_activities_are_recorded_and_printed_for_grades_3_and_4_of_elementary_only(
        backend: Backend, ledger: Ledger) -> None:
    # §2.2: 外国語活動の記録 is a 様式2 section of 小学校 3–4年 only (5–6年 have 外国語 as a 教科; 中学校 none).
    b.school_with_calendar(ledger)
    b.school_with_calendar(ledger, b.JUNIOR_HIGH, name="鳥取市立みどり中学校")
    (third,) = b.class_with_students(ledger, grade=3, count=1)
    (fourth,) = b.class_with_students(ledger, grade=4, count=1)
    (fifth,) = b.class_with_students(ledger, grade=5, count=1)
    (second,) = b.class_with_students(ledger, grade=2, count=1)
    (junior,) = b.class_with_students(ledger, b.JUNIOR_HIGH, grade=1, count=1)
    _enter(ledger, third, foreign_language_activities=ACTIVITIES)
    _enter(ledger, fourth, foreign_language_activities=ACTIVITIES)
    ledger.correct_year_record(third, b.YEAR, corrects_version=1, reason="記入誤り", recorded_by=b.STAFF,
                               record={"general_remarks": "よく発言した。", "foreign_language_activities": CORRECTED})
    for child in (fifth, second, junior):
        with pytest.raises(errors.ForeignLanguageActivitiesNotInGrade) as refused:
            _enter(ledger, child, foreign_language_activities=ACTIVITIES)
        assert refused.value.field == "record.foreign_language_activities"
        _enter(ledger, child)  # the same record without it is taken
    runner = runner_for(ledger, backend)
    runner.catch_up()
    forms = Forms(runner)
    docs = {child: forms.cumulative_record(child) for child in (third, fourth, fifth, second, junior)}

    rows = {child: doc["form2"][0] for child, doc in docs.items() if doc is not None}
    assert rows[third]["foreign_language_activities"] == CORRECTED
    assert [t["record"]["foreign_language_activities"] for t in rows[third]["year_record_trail"]] == [ACTIVITIES]
    assert rows[fourth]["foreign_language_activities"] == ACTIVITIES
    assert all("foreign_language_activities" not in rows[c] for c in (fifth, second, junior))
    pages = {child: html.render("cumulative_record", doc) for child, doc in docs.items() if doc is not None}
    assert LABEL in pages[third]
    assert ACTIVITIES in page(pages[third]).struck  # the original, struck through beside the correction
    assert CORRECTED in pages[third]
    assert LABEL in pages[fourth]
    assert ACTIVITIES in pages[fourth]
    # The 小's form has the section whatever the grade (its rows 第3学年, 第4学年 blank until then); the 中's has none.
    assert LABEL not in pages[junior]
    for c in (fifth, second):
        assert page(pages[c]).tables["foreign_language"] == [["第3学年", ""], ["第4学年", ""]]
