"""健康診断票 (一般 and 歯・口腔) from the ledger's events, on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain import streams
from domain.backend import Backend
from domain.health import PERMANENT_TEETH, PRIMARY_TEETH
from domain.ledger import Ledger
from projections import runner_for
from projections.base import canonical
from projections.forms import Forms, html
from projections.forms.health_cards import age_on_april_first, dental_card, grade_rules, health_card, tooth_counts
from projections.health_records import HealthRecords
from projections.runner import Runner
from projections.store import DocumentStore
from tests import builders as b
from tests.conftest import Clock
from tests.projections.forms.test_html import page

HEALTH: dict[str, Any] = {
    "height_cm": "116.4", "weight_kg": "21.1", "nutrition": "normal",
    "vision": {"right_naked": "A", "left_naked": "B", "left_corrected": "A"}, "urine_protein": "-",
    "urine_sugar": "±", "hearing_right": "normal", "hearing_left": "abnormal", "heart_ecg": "異常なし",
}
DENTAL: dict[str, Any] = {"jaw": 0, "bite": 1, "plaque": 2, "gums": 1, "dentist_remarks": "歯みがき指導",
          "teeth": {"UR6": "/", "UL6": "C", "LR6": "○", "LL6": "CO", "URE": "×", "ULE": "C", "LRE": "○",
                    "LLE": "/", "LRD": "CO"}}
SCHOOLS = {b.ELEMENTARY: {"name": "鳥取市立みどり小学校"}}


def _runner(backend: Backend, ledger: Ledger) -> Runner:
    return Runner(ledger, DocumentStore(ledger.storage), [HealthRecords()])


def _key(student_id: UUID, year: int = b.YEAR) -> str:
    return f"health/{streams.health(student_id, year)}"


def _doc(runner: Runner, student_id: UUID, year: int = b.YEAR) -> dict[str, Any]:
    runner.catch_up()
    doc = runner.store.get("health_records", _key(student_id, year))
    assert doc is not None
    return doc


def _student(student_id: UUID, n: int = 1, born: str = "2019-06-01") -> dict[str, Any]:
    return {"student_id": str(student_id), "name": f"佐藤 陽翔{n}", "name_kana": "さとう はると", "sex": "female",
            "birth_date": born}


def _first_grader(ledger: Ledger) -> UUID:
    b.school_with_calendar(ledger)
    (child,) = b.class_with_students(ledger, count=1)
    return child


def test_a_health_and_a_dental_examination_of_one_year_make_one_document(backend: Backend, ledger: Ledger) -> None:
    child = _first_grader(ledger)
    ledger.record_health_exam(child, b.YEAR, examination=HEALTH, examined_on=date(2026, 4, 20), recorded_by="nurse")
    ledger.record_dental_exam(child, b.YEAR, examination=DENTAL, examined_on=date(2026, 5, 11), recorded_by="dentist")
    events = ledger.stream(streams.health(child, b.YEAR))

    doc = _doc(_runner(backend, ledger), child)

    assert {k: doc[k] for k in ("student_id", "school_code", "year", "grade", "versions")} == {
        "student_id": str(child), "school_code": b.ELEMENTARY, "year": b.YEAR, "grade": 1,
        "versions": {"1": "health", "2": "dental"}}
    health = doc["health"]
    assert health["values"]["height_cm"] == "116.4"  # Decimal as text, exactly as measured
    assert health["values"]["vision"] == {"right_naked": "A", "left_naked": "B", "right_corrected": None,
                                          "left_corrected": "A"}
    assert health["values"]["skin"] == ""  # every field, defaults included
    assert {k: health[k] for k in ("examined_on", "recorded_by", "recorded_at", "version", "trail")} == {
        "examined_on": "2026-04-20", "recorded_by": "nurse", "recorded_at": events[0].recorded_at.isoformat(),
        "version": 1, "trail": []}
    assert doc["dental"]["values"]["teeth"] == DENTAL["teeth"]
    assert (doc["dental"]["examined_on"], doc["dental"]["version"]) == ("2026-05-11", 2)


def test_a_correction_shows_the_current_value_with_the_original_who_when_and_why(backend: Backend,
                                                                                 ledger: Ledger) -> None:
    child = _first_grader(ledger)
    ledger.record_health_exam(child, b.YEAR, examination=HEALTH, examined_on=date(2026, 4, 20), recorded_by="nurse")
    ledger.record_dental_exam(child, b.YEAR, examination=DENTAL, examined_on=date(2026, 5, 11), recorded_by="dentist")
    ledger.correct_examination(child, b.YEAR, corrects_version=1, examination={**HEALTH, "height_cm": "118.4"},
                               reason="身長の転記誤り", recorded_by="nurse2")
    ledger.correct_examination(child, b.YEAR, corrects_version=2, dental=True, reason="処置済の記入漏れ",
                               examination={**DENTAL, "teeth": {**DENTAL["teeth"], "UL6": "○"}},
                               recorded_by="dentist")
    ledger.correct_examination(child, b.YEAR, corrects_version=3, examination={**HEALTH, "height_cm": "118.5"},
                               reason="再計測", recorded_by="nurse")
    events = ledger.stream(streams.health(child, b.YEAR))

    doc = _doc(_runner(backend, ledger), child)

    assert doc["versions"] == {"1": "health", "2": "dental", "3": "health", "4": "dental", "5": "health"}
    health = doc["health"]
    assert (health["values"]["height_cm"], health["version"], health["recorded_by"]) == ("118.5", 5, "nurse")
    assert health["examined_on"] == "2026-04-20"  # the examination's day, not the correction's
    assert [t["values"]["height_cm"] for t in health["trail"]] == ["116.4", "118.4"]
    assert {k: v for k, v in health["trail"][0].items() if k != "values"} == {
        "version": 1, "recorded_by": "nurse", "recorded_at": events[0].recorded_at.isoformat(),
        "corrected_by": "nurse2", "corrected_at": events[2].recorded_at.isoformat(), "why": "身長の転記誤り",
        "approved_by": None}
    assert doc["dental"]["values"]["teeth"]["UL6"] == "○"
    assert doc["dental"]["trail"][0]["values"]["teeth"]["UL6"] == "C"

    column = health_card(_student(child), [doc], SCHOOLS)["columns"][0]
    assert column["items"]["height_cm"] == "118.5"
    assert [t["items"]["height_cm"] for t in column["trail"]] == ["116.4", "118.4"]
    assert column["trail"][1]["why"] == "再計測"
    teeth = dental_card(_student(child), [doc], SCHOOLS)["columns"][0]
    assert (teeth["counts"]["permanent_treated"], teeth["trail"][0]["counts"]["permanent_treated"]) == (2, 1)


def test_a_replay_before_the_correction_shows_the_examination_as_first_recorded(backend: Backend,
                                                                                ledger: Ledger) -> None:
    child = _first_grader(ledger)
    ledger.record_health_exam(child, b.YEAR, examination=HEALTH, examined_on=date(2026, 4, 20), recorded_by="nurse")
    before = ledger.position()
    ledger.correct_examination(child, b.YEAR, corrects_version=1, examination={**HEALTH, "height_cm": "118.4"},
                               reason="身長の転記誤り", recorded_by="nurse")

    then = _runner(backend, ledger).replay("health_records", _key(child), before)

    assert then is not None
    assert (then["health"]["values"]["height_cm"], then["health"]["trail"]) == ("116.4", [])


def test_a_child_examined_in_two_school_years_has_one_column_per_year(backend: Backend, ledger: Ledger) -> None:
    child = _first_grader(ledger)
    ledger.form_class(b.ELEMENTARY, 2027, 2, "1", homeroom_teacher_id=b.STAFF, homeroom_teacher_name="山田 花子",
                      students=[(child, 1)], on=date(2027, 4, 6), recorded_by="admin")
    ledger.record_health_exam(child, b.YEAR, examination=HEALTH, examined_on=date(2026, 4, 20), recorded_by="nurse")
    second = {**HEALTH, "height_cm": "122.0", "heart_ecg": None}  # the ECG may be left out in 小2
    ledger.record_health_exam(child, 2027, examination=second, examined_on=date(2027, 4, 19), recorded_by="nurse")
    runner = _runner(backend, ledger)
    years = [_doc(runner, child, 2027), _doc(runner, child, b.YEAR)]

    card = health_card(_student(child), years, SCHOOLS)

    assert [(c["year"], c["grade"], c["age"], c["school_name"]) for c in card["columns"]] == [
        (2026, 1, 6, "鳥取市立みどり小学校"), (2027, 2, 7, "鳥取市立みどり小学校")]
    assert [c["items"]["height_cm"] for c in card["columns"]] == ["116.4", "122.0"]
    assert [c["rules"]["heart_ecg"] for c in card["columns"]] == ["required", "may_omit"]
    assert card["columns"][1]["omitted"] == ["heart_ecg"]
    assert card["student"]["school_names"] == ["鳥取市立みどり小学校"]
    assert card["labels"]["heart_ecg"] == "心臓 臨床医学的検査(心電図等)"
    assert all(k in card["labels"] for k in card["items"])


def test_hearing_may_be_omitted_in_grade_4_and_the_ecg_is_required_in_grade_1(backend: Backend,
                                                                             ledger: Ledger) -> None:
    first = _first_grader(ledger)
    (fourth,) = b.class_with_students(ledger, grade=4, count=1)
    quiet = {**HEALTH, "hearing_right": None, "hearing_left": None, "heart_ecg": None}
    ledger.record_health_exam(first, b.YEAR, examination=HEALTH, examined_on=date(2026, 4, 20), recorded_by="nurse")
    ledger.record_health_exam(fourth, b.YEAR, examination=quiet, examined_on=date(2026, 4, 20), recorded_by="nurse")
    runner = _runner(backend, ledger)

    grade_1 = health_card(_student(first), [_doc(runner, first)], SCHOOLS)["columns"][0]
    grade_4 = health_card(_student(fourth, born="2016-06-01"), [_doc(runner, fourth)], SCHOOLS)["columns"][0]

    assert (grade_1["rules"], grade_1["omitted"]) == ({"hearing": "required", "heart_ecg": "required"}, [])
    assert (grade_4["rules"], grade_4["omitted"]) == ({"hearing": "may_omit", "heart_ecg": "may_omit"},
                                                      ["hearing", "heart_ecg"])
    assert (grade_4["age"], grade_4["items"]["hearing_right"]) == (9, None)
    # A school's own kind wins over its code: 中2 may leave 聴力 out, 中1 takes the ECG.
    as_junior = health_card(_student(fourth), [_doc(runner, fourth)], {b.ELEMENTARY: {"kind": "junior_high"}})
    assert as_junior["columns"][0]["rules"] == {"hearing": "required", "heart_ecg": "may_omit"}
    assert grade_rules("junior_high", 2) == {"hearing": "may_omit", "heart_ecg": "may_omit"}
    assert grade_rules("junior_high", 1) == {"hearing": "required", "heart_ecg": "required"}
    assert grade_rules(None, 1) == {"hearing": None, "heart_ecg": None}


def test_the_dental_counts_are_computed_from_the_chart(backend: Backend, ledger: Ledger) -> None:
    child = _first_grader(ledger)
    teeth = {"UR6": "/", "UL6": "C", "LR6": "○", "LL6": "△", "UR1": "CO", "UL1": "C",
             "URE": "×", "ULE": "C", "LRE": "○", "LLE": "/", "LRD": "CO", "LLD": "C"}
    ledger.record_dental_exam(child, b.YEAR, examination={**DENTAL, "teeth": teeth}, examined_on=date(2026, 5, 11),
                              recorded_by="dentist")

    card = dental_card(_student(child), [_doc(_runner(backend, ledger), child)], SCHOOLS)
    column = card["columns"][0]

    assert column["counts"] == {"primary_present": 6, "primary_untreated": 2, "primary_treated": 1,
                                "permanent_present": 5, "permanent_untreated": 2, "permanent_treated": 1,
                                "permanent_lost": 1}
    assert column["gums"] == {"code": 1, "meaning": "定期的観察が必要 (GO)"}
    assert column["plaque"] == {"code": 2, "meaning": "相当の付着あり"}
    assert column["teeth"] == teeth
    assert column["chart"][0][2] == "/"  # UR8 UR7 UR6 …
    assert column["chart"][3][8 + 5] == "△"  # … LL1 … LL6
    assert (column["dentist_remarks"], column["examined_on"]) == ("歯みがき指導", "2026-05-11")
    assert card["meanings"]["teeth"]["×"] == "要注意乳歯"
    assert card["labels"]["permanent_lost"] == "永久歯 喪失数"
    assert health_card(_student(child), [_doc(_runner(backend, ledger), child)], SCHOOLS)["columns"][0][
        "examined"] is False  # a dental-only year still has its column on the general card


def test_incremental_rebuilt_and_replayed_documents_are_the_same_bytes(backend: Backend, ledger: Ledger) -> None:
    child = _first_grader(ledger)
    runner = _runner(backend, ledger)
    ledger.record_health_exam(child, b.YEAR, examination=HEALTH, examined_on=date(2026, 4, 20), recorded_by="nurse")
    runner.catch_up()  # part of the history now...
    ledger.record_dental_exam(child, b.YEAR, examination=DENTAL, examined_on=date(2026, 5, 11), recorded_by="dentist")
    ledger.correct_examination(child, b.YEAR, corrects_version=1, examination={**HEALTH, "weight_kg": "21.9"},
                               reason="体重の転記誤り", recorded_by="nurse")
    incremental = _doc(runner, child)  # ...and the rest incrementally

    runner.rebuild("health_records")
    rebuilt = runner.store.get("health_records", _key(child))
    replayed = runner.replay("health_records", _key(child), ledger.position())

    assert rebuilt is not None
    assert replayed is not None
    assert canonical(incremental) == canonical(rebuilt) == canonical(replayed)
    assert runner.store.documents("health_records")[_key(child)] == canonical(incremental)


def test_applying_an_event_never_changes_the_document_it_is_given(ledger: Ledger) -> None:
    child = _first_grader(ledger)
    ledger.record_health_exam(child, b.YEAR, examination=HEALTH, examined_on=date(2026, 4, 20), recorded_by="nurse")
    ledger.correct_examination(child, b.YEAR, corrects_version=1, examination={**HEALTH, "weight_kg": "21.9"},
                               reason="体重の転記誤り", recorded_by="nurse")
    projection, doc = HealthRecords(), None
    for event in ledger.stream(streams.health(child, b.YEAR)):
        before = copy.deepcopy(doc)
        after = projection.apply(doc, event)
        assert doc == before
        assert after is not doc
        doc = after
    assert projection.sources(_key(child)) == [streams.health(child, b.YEAR)]


@pytest.mark.parametrize(("born", "year", "age"), [
    ("2019-06-01", 2026, 6), ("2019-04-02", 2026, 6), ("2020-04-01", 2026, 6), ("2019-04-01", 2026, 7),
    ("2016-02-29", 2026, 10), ("2013-12-31", 2027, 13),
])
def test_the_age_is_the_age_on_1_april_so_a_class_shares_one_age(born: str, year: int, age: int) -> None:
    assert age_on_april_first(born, year) == age


PERMANENT_CODES = st.sampled_from(["/", "C", "○", "△", "CO"])
PRIMARY_CODES = st.sampled_from(["/", "C", "○", "×", "CO"])
CHARTS = st.builds(lambda a, b_: {**a, **b_},
                   st.dictionaries(st.sampled_from(sorted(PERMANENT_TEETH)), PERMANENT_CODES),
                   st.dictionaries(st.sampled_from(sorted(PRIMARY_TEETH)), PRIMARY_CODES))


@given(CHARTS)
def test_every_charted_tooth_is_counted_once_as_present_or_lost(teeth: dict[str, str]) -> None:
    counts = tooth_counts(teeth)
    permanent = [c for t, c in teeth.items() if t in PERMANENT_TEETH]
    primary = [c for t, c in teeth.items() if t in PRIMARY_TEETH]

    assert counts["permanent_present"] + counts["permanent_lost"] == len(permanent)
    assert counts["primary_present"] == len(primary)  # a shed primary tooth is not charted
    for kind in ("primary", "permanent"):
        assert counts[f"{kind}_untreated"] + counts[f"{kind}_treated"] <= counts[f"{kind}_present"]
    assert counts["primary_untreated"] + counts["permanent_untreated"] == list(teeth.values()).count("C")
    assert counts["primary_treated"] + counts["permanent_treated"] == list(teeth.values()).count("○")
    assert tooth_counts(dict(reversed(teeth.items()))) == counts  # the order of the chart does not matter


def test_each_school_kind_has_its_own_card_and_the_junior_high_card_starts_afresh_at_grade_1(
        backend: Backend, ledger: Ledger, clock: Clock) -> None:
    # §4.3: a card spans 小1–6 or 中1–3, one column per grade; 施行規則 §8②: at 進学 the elementary
    # card is sent to the junior high, which starts its own card at 中1. The 尿 その他の検査 and 備考
    # rows of 様式第二号 are printed from the examination.
    b.school_with_calendar(ledger)
    ledger.register_school(b.JUNIOR_HIGH, "鳥取市立あおば中学校", b.BOARD, "鳥取県鳥取市青葉町", recorded_by="admin")
    (child,) = b.class_with_students(ledger, grade=6, count=1)
    sixth = {**HEALTH, "hearing_right": None, "hearing_left": None, "heart_ecg": None}  # both may be left out in 小6
    ledger.record_health_exam(child, b.YEAR, examination=sixth, examined_on=date(2026, 4, 20), recorded_by="nurse")
    ledger.record_dental_exam(child, b.YEAR, examination=DENTAL, examined_on=date(2026, 5, 11), recorded_by="dentist")
    clock.current = datetime(2027, 3, 19, 3, tzinfo=UTC)
    ledger.graduate(child, on=date(2027, 3, 19), recorded_by=b.PRINCIPAL)
    ledger.form_class(b.JUNIOR_HIGH, 2027, 1, "1", homeroom_teacher_id="T-0007", homeroom_teacher_name="小林 七海",
                      on=date(2027, 4, 1), recorded_by="admin")
    ledger.hand_over(child, kind="advancement", to_school=b.JUNIOR_HIGH, left_on=date(2027, 3, 19),
                     accepted_on=date(2027, 4, 1), year=2027, grade=1, class_name="1", number=3, recorded_by="board")
    first = {**HEALTH, "height_cm": "152.3", "urine_other": "潜血 -", "remarks": "眼鏡使用"}
    ledger.record_health_exam(child, 2027, examination=first, examined_on=date(2027, 4, 21), recorded_by="nurse")
    ledger.record_dental_exam(child, 2027, examination=DENTAL, examined_on=date(2027, 5, 12), recorded_by="dentist")
    runner = runner_for(ledger, backend)
    runner.catch_up()
    forms = Forms(runner)

    for reader in (b.JUNIOR_HIGH, None):  # the junior high, and a reader of the whole record
        card = forms.health_card(child, school=reader)
        assert card is not None
        assert (card["school_kind"], card["sent_along"]) == ("junior_high", False)
        assert [(c["year"], c["grade"], c["school_code"]) for c in card["columns"]] == [(2027, 1, b.JUNIOR_HIGH)]
        assert card["student"]["school_names"] == ["鳥取市立あおば中学校"]
        [earlier] = card["earlier_cards"]
        assert (earlier["school_kind"], earlier["sent_along"]) == ("elementary", True)
        assert [(c["year"], c["grade"]) for c in earlier["columns"]] == [(2026, 6)]
        assert earlier["student"]["school_names"] == ["鳥取市立みどり小学校"]
        items = card["columns"][0]["items"]
        assert (items["height_cm"], items["urine_other"], items["remarks"]) == ("152.3", "潜血 -", "眼鏡使用")
        assert (card["labels"]["urine_other"], card["labels"]["remarks"]) == ("尿 その他の検査", "備考")
        assert earlier["columns"][0]["items"]["urine_other"] == ""  # examined, nothing written
        dental = forms.dental_card(child, school=reader)
        assert dental is not None
        assert [c["year"] for c in dental["columns"]] == [2027]
        assert [[c["year"] for c in d["columns"]] for d in dental["earlier_cards"]] == [[2026]]
    # The elementary school holds its own card alone: the junior high's years are not its to see.
    mine = forms.health_card(child, school=b.ELEMENTARY)
    assert mine is not None
    assert (mine["school_kind"], [c["year"] for c in mine["columns"]], mine["earlier_cards"]) == (
        "elementary", [2026], [])

    text = html.render("health_card", forms.health_card(child, school=b.JUNIOR_HIGH))  # type: ignore[arg-type]
    parsed = page(text)
    # a column per grade of the card's school kind (中1–3, 小1–6), the grades not examined blank
    assert parsed.row("health", "尿 その他の検査", 0)[1:] == ["潜血 -", "", ""]
    assert parsed.row("health", "備考", 0)[1:] == ["眼鏡使用", "", ""]
    assert parsed.row("health", "学年", 0)[1:] == ["第1学年", "第2学年", "第3学年"]
    assert parsed.row("health-elementary", "学年", 0)[1:] == [f"第{g}学年" for g in range(1, 7)]
    assert parsed.row("health-elementary", "身長 (cm)", 0)[1:] == ["", "", "", "", "", HEALTH["height_cm"]]
    dental_page = html.render("dental_card", forms.dental_card(child, school=b.JUNIOR_HIGH))  # type: ignore[arg-type]
    assert {"dental", "dental-elementary", "chart-2027", "chart-2026"} <= set(page(dental_page).tables)
    assert "小学校の児童生徒健康診断票(歯・口腔)(進学時に送付を受けたもの)" in dental_page
