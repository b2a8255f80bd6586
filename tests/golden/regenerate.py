"""Writes the golden stored events: one or more of every event type, as the real mapper stores them.

The golden file is a frozen contract (events must decode for twenty years), so this script never
overwrites it by accident:

    python tests/golden/regenerate.py            # write events.jsonl if it does not exist yet
    python tests/golden/regenerate.py --missing  # append records only for event types it lacks
    python tests/golden/regenerate.py --new      # append records only for (stream, version) it lacks
    python tests/golden/regenerate.py --stdout   # print what it would write
    python tests/golden/regenerate.py --force    # rewrite the whole file (only for a deliberate break)

The tests read the committed file; they never call this script.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.persistence import JSONTranscoder, StoredEvent

from domain import streams
from domain.alerts import AlertAcknowledged, AlertRaised
from domain.assessment import (
    AssessmentCorrected,
    AssessmentRecorded,
    Viewpoints,
    YearRecord,
    YearRecordCorrected,
    YearRecordEntered,
)
from domain.attendance import AttendanceCorrected, AttendanceMarked, Mark
from domain.board import BoardSettings, BoardSettingsChanged
from domain.event import Event
from domain.health import (
    DentalExamination,
    DentalExaminationCorrected,
    DentalExaminationRecorded,
    HealthExamination,
    HealthExaminationCorrected,
    HealthExaminationRecorded,
    Vision,
)
from domain.mapper import EventMapper
from domain.school import (
    ClassFormed,
    ClassMemberJoined,
    ClassMemberLeft,
    Closure,
    HomeroomTeacherChanged,
    Member,
    PrincipalAppointed,
    SchoolCalendarSet,
    SchoolDetailsChanged,
    SchoolRegistered,
    Term,
    YearSealed,
)
from domain.student import (
    AdmissionIndexed,
    Guardian,
    Identity,
    IdentityDetailsChanged,
    LeaveOfAbsenceBegan,
    LeaveOfAbsenceEnded,
    StudentAdmitted,
    StudentGraduated,
    StudentHandedOver,
    StudentPlacedInClass,
    StudentTransferredIn,
    StudentWithdrew,
)

GOLDEN = Path(__file__).with_name("events.jsonl")

CODE = "B131220000013"
YEAR = 2026
SCHOOL = streams.school(CODE)
SCHOOL_YEAR = streams.school_year(CODE, YEAR)
CLASS = streams.school_class(CODE, YEAR, 3, "1")
S = UUID("5e1f0c3a-7d2b-4a8e-9c61-0b3d2f4e5a61")  # a third-grader admitted mid-course
T = UUID("5e1f0c3a-7d2b-4a8e-9c61-0b3d2f4e5a62")  # a sixth-grader who graduates
V = UUID("5e1f0c3a-7d2b-4a8e-9c61-0b3d2f4e5a63")  # a third-grader who arrives with a transfer packet
DAY = date(2026, 4, 7)
START = datetime(2026, 4, 6, 0, 0, 1, tzinfo=UTC)


def golden_events() -> list[Event]:
    clock = iter(START + timedelta(seconds=n) for n in range(1000))

    def meta(stream: UUID, version: int, on: date, by: str = "admin") -> dict[str, Any]:
        return dict(originator_id=stream, originator_version=version, recorded_at=next(clock), recorded_by=by,
                    effective_on=on)

    identity = Identity(
        family_name="佐藤", given_name="陽翔", family_name_kana="さとう", given_name_kana="はると", sex="male",
        birth_date=date(2017, 6, 1), address="鳥取県鳥取市東町1-220",
        guardian=Guardian(name="佐藤 健", name_kana="さとう けん", relation="父"),
    )
    moved = Identity(
        family_name="佐藤", given_name="陽翔", family_name_kana="さとう", given_name_kana="はると", sex="male",
        birth_date=date(2017, 6, 1), address="鳥取県米子市本町1-1",
        guardian=Guardian(name="佐藤 美咲", name_kana="さとう みさき", relation="母", address="鳥取県米子市本町1-1"),
    )
    exam = HealthExamination(
        height_cm=Decimal("128.4"), weight_kg=Decimal("26.1"), nutrition="normal",
        vision=Vision(right_naked="A", left_naked="B", right_corrected=None, left_corrected=None),
        urine_protein="-", urine_sugar="±", hearing_right="normal", hearing_left="abnormal",
        eye="アレルギー性結膜炎", tuberculosis_guidance="C2", heart_ecg=None, doctor_remarks="要観察",
        follow_up="眼科受診を勧める",
    )
    teeth = DentalExamination(jaw=0, bite=1, plaque=1, gums=0,
                              teeth={"UR6": "/", "UL6": "C", "LR6": "△", "LL6": "CO", "ULC": "○", "LLE": "×"},
                              dentist_remarks="歯みがき指導")
    viewpoints = Viewpoints(knowledge="A", thinking="B", attitude="A")
    t_identity = Identity(
        family_name="高橋", given_name="結衣", family_name_kana="たかはし", given_name_kana="ゆい", sex="female",
        birth_date=date(2014, 11, 30), address="鳥取県鳥取市西町2-5",
        guardian=Guardian(name="高橋 誠", name_kana="たかはし まこと", relation="父"),
    )
    return [
        # the school, its year and a class
        SchoolRegistered(**meta(SCHOOL, 1, date(2026, 4, 1)), school_code=CODE, name="鳥取市立みどり小学校",
                         kind="elementary", board_code="312011", address="鳥取県鳥取市"),
        SchoolDetailsChanged(**meta(SCHOOL, 2, date(2026, 4, 2)), name="鳥取市立みどり学園小学校",
                             board_code="312011", address="鳥取県鳥取市緑町1-1"),
        PrincipalAppointed(**meta(SCHOOL, 3, date(2026, 4, 1)), staff_id="P-0001", name="鈴木 一郎"),
        SchoolCalendarSet(
            **meta(SCHOOL_YEAR, 1, date(2026, 4, 1)), school_code=CODE, year=YEAR,
            terms=(Term(1, date(2026, 4, 6), date(2026, 7, 20)), Term(2, date(2026, 9, 1), date(2026, 12, 24)),
                   Term(3, date(2027, 1, 7), date(2027, 3, 24))),
            instructional_days=(date(2026, 4, 6), DAY, date(2026, 4, 8)),
            closures=(Closure(on=date(2026, 4, 8), scope="class", reason="学級閉鎖", grade=3, class_name="1"),
                      Closure(on=date(2026, 4, 6), scope="school", reason="台風による臨時休業")),
        ),
        YearSealed(**meta(SCHOOL_YEAR, 2, date(2027, 3, 25), "P-0001"), school_code=CODE, year=YEAR),
        ClassFormed(**meta(CLASS, 1, date(2026, 4, 6)), school_code=CODE, year=YEAR, grade=3, class_name="1",
                    homeroom_teacher_id="T-0001", homeroom_teacher_name="山田 花子", members=(Member(T, 1),)),
        HomeroomTeacherChanged(**meta(CLASS, 2, date(2026, 9, 1)), homeroom_teacher_id="T-0002",
                               homeroom_teacher_name="田中 次郎"),
        ClassMemberJoined(**meta(CLASS, 3, DAY, "registrar"), student_id=S, number=2),
        ClassMemberLeft(**meta(CLASS, 4, date(2027, 2, 1), "P-0001"), student_id=S, reason="withdrawal"),
        # a student's record
        StudentAdmitted(**meta(S, 1, DAY, "registrar"), school_code=CODE, admission_kind="admission", year=YEAR,
                        grade=3, class_name="1", number=2, identity=identity, prior_history="米子市立ひかり小学校",
                        reason="市外からの転居に伴う編入学"),
        AdmissionIndexed(**meta(streams.admission_key(CODE, "佐藤", "陽翔", "さとう", "はると", date(2017, 6, 1),
                                                      "佐藤 健", "さとう けん"), 1, DAY, "registrar"),
                         student_id=S, school_code=CODE),
        IdentityDetailsChanged(**meta(S, 2, date(2026, 6, 1), "registrar"), identity=moved, reason="転居"),
        StudentPlacedInClass(**meta(S, 3, date(2027, 4, 6)), school_code=CODE, year=2027, grade=4,
                             class_name="1", number=2),
        LeaveOfAbsenceBegan(**meta(S, 4, date(2026, 10, 1), "P-0001"), reason="長期療養のため"),
        LeaveOfAbsenceEnded(**meta(S, 5, date(2026, 12, 1), "P-0001")),
        StudentWithdrew(**meta(S, 6, date(2027, 2, 1), "P-0001"), reason="海外転出のため"),
        StudentAdmitted(**meta(T, 1, date(2021, 4, 6), "registrar"), school_code=CODE, admission_kind="entrance",
                        year=2021, grade=1, class_name="1", number=1, identity=t_identity),
        StudentGraduated(**meta(T, 2, date(2027, 3, 19), "P-0001")),
        # hand-overs: T advances to a junior high of the ledger; U transfers out of it; V comes in by packet
        StudentHandedOver(**meta(T, 3, date(2027, 4, 7), "board"), kind="advancement", from_school=CODE,
                          to_school="C131220000015", left_on=date(2027, 3, 19), year=2027, grade=1),
        StudentHandedOver(**meta(S, 7, date(2027, 2, 3), "registrar"), kind="transfer", from_school=CODE,
                          to_school="B127210000017", left_on=date(2027, 1, 29), year=YEAR, grade=3,
                          reason="保護者の転勤に伴う転居", external=True, to_school_name="千葉市立あおば小学校",
                          to_school_address="千葉県千葉市中央区1-1", class_name="", number=0),
        StudentTransferredIn(**meta(V, 1, date(2026, 9, 1), "registrar"), school_code=CODE, kind="transfer",
                             year=YEAR, grade=3, identity=t_identity, from_ledger="jp-12-chiba",
                             from_school="B127210000017", left_on=date(2026, 8, 28),
                             packet_id="7b0e1f52-3c4d-4e5f-8a9b-0c1d2e3f4a5b",
                             packet="eyJhbGciOiJFZERTQSJ9.e30.c2ln", from_school_name="千葉市立あおば小学校",
                             reason="保護者の転勤に伴う転居", class_name="1", number=3),
        # a roll, and a correction
        AttendanceMarked(**meta(streams.attendance(S, DAY), 1, DAY, "T-0001"), student_id=S, school_code=CODE,
                         year=YEAR, grade=3, class_name="1", mark=Mark(code="late", reason="通院")),
        AttendanceCorrected(**meta(streams.attendance(S, DAY), 2, DAY, "T-0001"), corrects_version=1,
                            reason="出席停止の報告漏れ", approved_by="P-0001", student_id=S,
                            mark=Mark(code="suspended", reason="インフルエンザ", authority="infection")),
        AttendanceMarked(**meta(streams.attendance(T, DAY), 1, DAY, "T-0001"), student_id=T, school_code=CODE,
                         year=YEAR, grade=3, class_name="1",
                         mark=Mark(code="deemed_present", facility="鳥取市教育支援センター")),
        # assessments and the year record
        AssessmentRecorded(**meta(streams.assessments(S, YEAR), 1, date(2026, 7, 17), "T-0001"), student_id=S,
                           school_code=CODE, year=YEAR, grade=3, term=1, subject="japanese", viewpoints=viewpoints),
        AssessmentRecorded(**meta(streams.assessments(S, YEAR), 2, date(2027, 3, 19), "T-0001"), student_id=S,
                           school_code=CODE, year=YEAR, grade=3, term=None, subject="science",
                           viewpoints=viewpoints, rating=3),
        AssessmentCorrected(**meta(streams.assessments(S, YEAR), 3, date(2027, 3, 26), "T-0001"),
                            corrects_version=2, reason="評定の転記誤り", approved_by="P-0001",
                            viewpoints=Viewpoints(knowledge="B", thinking="B", attitude="C"), rating=2),
        YearRecordEntered(**meta(streams.year_record(S, YEAR), 1, date(2027, 3, 19), "T-0001"), student_id=S,
                          school_code=CODE, year=YEAR, grade=3,
                          record=YearRecord(moral_education="友達の考えを聞き、自分の考えを深めた。",
                                            integrated_study="地域の川の生き物を調べた。",
                                            special_activities=("class_activities", "school_events"),
                                            behaviour=("basic_habits", "responsibility"),
                                            general_remarks="係活動に熱心に取り組んだ。")),
        YearRecordCorrected(**meta(streams.year_record(S, YEAR), 2, date(2027, 3, 23), "T-0001"),
                            corrects_version=1, reason="記入漏れ", approved_by=None,
                            record=YearRecord(behaviour=("basic_habits",))),
        # examinations
        HealthExaminationRecorded(**meta(streams.health(S, YEAR), 1, date(2026, 4, 20), "nurse"), student_id=S,
                                  school_code=CODE, year=YEAR, grade=3, examination=exam),
        DentalExaminationRecorded(**meta(streams.health(S, YEAR), 2, date(2026, 5, 11), "dentist"), student_id=S,
                                  school_code=CODE, year=YEAR, grade=3, examination=teeth),
        HealthExaminationCorrected(**meta(streams.health(S, YEAR), 3, date(2026, 4, 21), "nurse"),
                                   corrects_version=1, reason="身長の転記誤り",
                                   examination=msgspec.structs.replace(exam, height_cm=Decimal("129.4"))),
        DentalExaminationCorrected(**meta(streams.health(S, YEAR), 4, date(2026, 5, 12), "dentist"),
                                   corrects_version=2, reason="処置済の記入漏れ",
                                   examination=DentalExamination(jaw=0, bite=1, plaque=1, gums=0,
                                                                 teeth={"UL6": "○"})),
        # fields added later with defaults (issue 11): 外国語活動 (小3–4), 尿 その他の検査 and 備考; the
        # records above keep their bytes because a field at its default is not stored
        YearRecordCorrected(**meta(streams.year_record(S, YEAR), 3, date(2027, 3, 24), "T-0001"),
                            corrects_version=2, reason="外国語活動の記入漏れ", approved_by=None,
                            record=YearRecord(behaviour=("basic_habits",),
                                              foreign_language_activities="英語の歌や挨拶に親しんだ。")),
        HealthExaminationCorrected(**meta(streams.health(S, YEAR), 5, date(2026, 4, 22), "nurse"),
                                   corrects_version=3, reason="尿検査・備考の記入漏れ",
                                   examination=msgspec.structs.replace(exam, height_cm=Decimal("129.4"),
                                                                       urine_other="潜血 -", remarks="眼鏡使用")),
        # a board's settings (issue 11, ADR 0028): 休学 days counted among 出席停止・忌引等 from 1 October,
        # and back to the default (stored as no setting at all: a field at its default is not stored)
        BoardSettingsChanged(**meta(streams.board("312011"), 1, date(2026, 10, 1), "E-0001"), board_code="312011",
                             settings=BoardSettings(leave_days="excused")),
        BoardSettingsChanged(**meta(streams.board("312011"), 2, date(2027, 4, 1), "E-0001"), board_code="312011",
                             settings=BoardSettings()),
        BoardSettingsChanged(**meta(streams.board("312011"), 3, date(2028, 4, 1), "E-0001"), board_code="312011",
                             settings=BoardSettings(excused_label="オンラインを活用した特例の授業・出席停止・忌引等の日数")),
        # alerts (issue 14, ADR 0042): a run of three days absent crossed for S, followed up by the homeroom
        # teacher; the health examination not done by 30 June; a board watching runs of two days
        AlertRaised(**meta(streams.alert(S, "absence-run", YEAR, "2026-04-07"), 1, date(2026, 4, 9),
                           "gakuseki-alerts"), student_id=S, rule="absence-run", school_code=CODE, year=YEAR,
                    grade=3, class_name="1", first_day=date(2026, 4, 7), last_day=date(2026, 4, 9), days=3,
                    threshold=3),
        AlertAcknowledged(**meta(streams.alert(S, "absence-run", YEAR, "2026-04-07"), 2, date(2026, 4, 10),
                                 "T-0001"), student_id=S, rule="absence-run", school_code=CODE, year=YEAR,
                          action="家庭に電話連絡", note="発熱のため。週明けに登校予定"),
        AlertRaised(**meta(streams.alert(S, "health-exam-overdue", YEAR, ""), 1, date(2026, 7, 1),
                           "gakuseki-alerts"), student_id=S, rule="health-exam-overdue", school_code=CODE,
                    year=YEAR, grade=3, class_name="1", first_day=date(2026, 6, 30), last_day=date(2026, 6, 30),
                    days=0, threshold=0),
        BoardSettingsChanged(**meta(streams.board("312029"), 1, date(2026, 4, 1), "E-0002"), board_code="312029",
                             settings=BoardSettings(alert_absence_run_days=2, alert_notice_run_days=5,
                                                    alert_long_absence_days=20)),
    ]


def to_line(stored: StoredEvent) -> str:
    return json.dumps({
        "topic": stored.topic,
        "originator_id": str(stored.originator_id),
        "originator_version": stored.originator_version,
        "state": stored.state.decode("utf-8"),
    }, ensure_ascii=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--stdout", action="store_true", help="print the records instead of writing them")
    mode.add_argument("--missing", action="store_true", help="append records for event types the file lacks")
    mode.add_argument("--new", action="store_true", help="append records for (stream, version) pairs the file lacks")
    mode.add_argument("--force", action="store_true", help="rewrite the whole file")
    args = parser.parse_args(argv)

    mapper = EventMapper(transcoder=JSONTranscoder())
    records = [mapper.to_stored_event(event) for event in golden_events()]

    if args.stdout:
        sys.stdout.writelines(to_line(r) + "\n" for r in records)
        return 0
    if args.missing:
        present = {json.loads(line)["topic"] for line in GOLDEN.read_text(encoding="utf-8").splitlines() if line}
        new = [r for r in records if r.topic not in present]
        with GOLDEN.open("a", encoding="utf-8") as f:
            f.writelines(to_line(r) + "\n" for r in new)
        print(f"appended {len(new)} records to {GOLDEN}")
        return 0
    if args.new:
        held = {(json.loads(line)["originator_id"], json.loads(line)["originator_version"])
                for line in GOLDEN.read_text(encoding="utf-8").splitlines() if line}
        new = [r for r in records if (str(r.originator_id), r.originator_version) not in held]
        with GOLDEN.open("a", encoding="utf-8") as f:
            f.writelines(to_line(r) + "\n" for r in new)
        print(f"appended {len(new)} records to {GOLDEN}")
        return 0
    if GOLDEN.exists() and not args.force:
        print(f"{GOLDEN} exists: golden events are frozen (use --missing for new event types)", file=sys.stderr)
        return 1
    GOLDEN.write_text("".join(to_line(r) + "\n" for r in records), encoding="utf-8")
    print(f"wrote {len(records)} records to {GOLDEN}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
