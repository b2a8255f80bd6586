"""Request bodies of the v1 API: msgspec Structs that refuse unknown fields."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import msgspec
from litestar.params import PathParameter, QueryParameter
from msgspec import Meta

from domain.assessment import Viewpoints, YearRecord
from domain.attendance import Mark
from domain.board import BoardSettings
from domain.health import DentalExamination, HealthExamination
from domain.school import Closure, Term
from domain.student import Identity

SchoolCode = Annotated[str, Meta(min_length=13, max_length=13, examples=["B131220000013"],
                                 description="13-character MEXT 学校コード")]
Text = Annotated[str, Meta(max_length=2000)]
Short = Annotated[str, Meta(max_length=200)]
# Every integer has bounds (ADR 0023): what a value of its kind can ever be in any school. A value
# outside them is 400 out-of-range; the rules that depend on the school (its kind's grades, its
# number of terms, a grade's rating scale) answer 422 with their own rule.
Year = Annotated[int, Meta(ge=2000, le=2100, description="school year (年度), 2000–2100")]
Grade = Annotated[int, Meta(ge=1, le=9, description="grade (学年); a school's kind allows fewer")]
Number = Annotated[int, Meta(ge=1, le=99, description="出席番号, 1–99")]
NumberOrNone = Annotated[int, Meta(ge=0, le=99, description="出席番号, 1–99; 0: not given")]
TermNumber = Annotated[int, Meta(ge=1, le=3, description="学期, 1–3")]
Rating = Annotated[int, Meta(ge=1, le=5, description="評定; a grade's scale allows fewer")]
Version = Annotated[int, Meta(ge=1, le=2**31 - 1, description="a version (position) in the record's stream")]
# The same bounds on the integers of paths and queries.
YearPath = Annotated[int, PathParameter(ge=2000, le=2100, description="school year (年度), 2000–2100")]
GradePath = Annotated[int, PathParameter(ge=1, le=9, description="grade (学年); a school's kind allows fewer")]
# A transfer packet carries the inclusion proof of every event it was built from (about 1 KB each: a
# school year of marks is some 250 KB), and the packets received before, as received (ADR 0033).
PACKET_MAX = 8 * 1024 * 1024
LAST_POSITION = 2**53 - 1  # a log position: the largest integer every JSON reader reads exactly
After = Annotated[int, QueryParameter(ge=0, le=LAST_POSITION, description="the position (id) to read after")]
Limit = Annotated[int, QueryParameter(ge=1, le=1000, description="at most this many")]


class Body(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    pass


class SchoolIn(Body, frozen=True):
    name: Short
    board_code: Annotated[str, Meta(examples=["312011"], description="6-digit 教育委員会コード")]
    address: Short = ""


class PrincipalIn(Body, frozen=True):
    staff_id: Short
    name: Short
    appointed_on: date


class CalendarIn(Body, frozen=True):
    terms: Annotated[list[Term], Meta(max_length=3)]
    instructional_days: Annotated[list[date], Meta(max_length=366)]
    closures: Annotated[list[Closure], Meta(max_length=366)] = []


class MemberIn(Body, frozen=True):
    student_id: str
    number: Number


class ClassIn(Body, frozen=True):
    homeroom_teacher_id: Short
    homeroom_teacher_name: Short
    formed_on: date
    students: Annotated[list[MemberIn], Meta(max_length=60)] = []


class AdmissionIn(Body, frozen=True):
    school_code: SchoolCode
    year: Year
    grade: Grade
    class_name: Short
    number: Number
    identity: Identity
    admitted_on: date
    admission_kind: Annotated[str, Meta(examples=["entrance"], description="entrance (入学) or admission (編入学)")]
    prior_history: Text = ""
    reason: Text = ""
    different_child: Annotated[bool, Meta(description=(
        "true when a child of the same name, kana, birth date and guardian is already enrolled at the school "
        "and this is another child (twins' guardians aside, rare); otherwise that admission is refused with "
        "409 possible-duplicate"))] = False


class IdentityChangeIn(Body, frozen=True):
    identity: Identity
    reason: Short
    effective_on: date | None = None


class LeaveIn(Body, frozen=True):
    on: date
    reason: Short


class ReturnIn(Body, frozen=True):
    on: date
    number: Number | None = None


class WithdrawalIn(Body, frozen=True):
    on: date
    reason: Short


class GraduationIn(Body, frozen=True):
    on: date


class HandoverIn(Body, frozen=True):
    """転学 or 進学 of one child: custody passes to the receiving school in one event."""

    kind: Annotated[str, Meta(examples=["transfer"], description="transfer (転学) or advancement (進学)")]
    to_school: SchoolCode
    left_on: Annotated[date, Meta(description="the day the child left (学校を去った年月日); "
                                              "for 進学 the graduation day")]
    accepted_on: Annotated[date, Meta(description="the day the receiving school accepts the child; the record "
                                                  "prints the day before as the end of enrollment here")]
    year: Annotated[int, Meta(ge=2000, le=2100, description="the school year at the receiving school")]
    grade: Annotated[int, Meta(ge=1, le=9, description="the grade the receiving school takes the child into")]
    reason: Short = ""
    external: Annotated[bool, Meta(description="the receiving school is outside this ledger: a signed transfer "
                                               "packet carries the record")] = False
    to_school_name: Short = ""
    to_school_address: Short = ""
    class_name: Annotated[str, Meta(max_length=8, description="the receiving class, if already known")] = ""
    number: NumberOrNone = 0


class Advancee(Body, frozen=True):
    student_id: str
    to_school: SchoolCode | None = None  # else the request's to_school
    class_name: Annotated[str, Meta(max_length=8)] = ""
    number: NumberOrNone = 0


class AdvancementIn(Body, frozen=True):
    """進学 of many children at once: the whole final grade of some classes, or a list."""

    accepted_on: Annotated[date, Meta(description="the junior high's entrance day")]
    to_school: SchoolCode | None = None  # the junior high of every child not given their own
    classes: list[str] = []  # every child who graduated from these final-grade classes
    students: list[Advancee] = []


class PacketIn(Body, frozen=True):
    """A transfer packet to import into a school of this ledger (the receiving school's registrar)."""

    school_code: SchoolCode  # the importing school: the packet must be addressed to it
    packet: Annotated[str, Meta(max_length=PACKET_MAX, description="the JWS compact serialization, as received")]
    class_name: Annotated[str, Meta(max_length=8)] = ""
    number: NumberOrNone = 0


class RollMark(Body, frozen=True):
    student_id: str
    code: Annotated[str, Meta(examples=["present"])]
    reason: Short = ""
    authority: str | None = None
    facility: str | None = None


class RollIn(Body, frozen=True):
    school_code: SchoolCode
    year: Year
    grade: Grade
    class_name: Short
    date: date
    marks: Annotated[list[RollMark], Meta(max_length=60)]


class MarkCorrectionIn(Body, frozen=True):
    date: date
    mark: Mark
    reason: Short


class AssessmentIn(Body, frozen=True):
    year: Year
    subject: Short
    viewpoints: Viewpoints
    assessed_on: date
    term: TermNumber | None = None
    rating: Rating | None = None


class YearRecordIn(Body, frozen=True):
    year: Year
    record: YearRecord
    entered_on: date


class HealthExamIn(Body, frozen=True):
    year: Year
    examination: HealthExamination
    examined_on: date


class DentalExamIn(Body, frozen=True):
    year: Year
    examination: DentalExamination
    examined_on: date


class CorrectionIn(Body, frozen=True):
    """A correction of an assessment, year record, health or dental examination, naming the event."""

    record: Annotated[str, Meta(examples=["assessment"],
                                description="assessment, year-record, health-exam or dental-exam")]
    year: Year
    corrects_version: Version
    reason: Short
    value: dict[str, Any]


class BoardSettingsIn(Body, frozen=True):
    """A board's whole settings, in force from ``effective_on`` (a setting left out is its default)."""

    settings: BoardSettings
    effective_on: Annotated[date, Meta(description=(
        "the first day the settings count by: on or after the day the board's latest change takes effect, "
        "and after the last school day of every year its schools sealed when it counts a day differently"))]


class SealIn(Body, frozen=True):
    pass


class CosignatureIn(Body, frozen=True):
    """A witness's cosignature of a signed checkpoint (api/transparency.py)."""

    tree_size: Annotated[int, Meta(ge=1, le=LAST_POSITION, description="the size of the signed checkpoint cosigned")]
    cosignature: Annotated[str, Meta(min_length=10, max_length=1000, description=(
        "the C2SP cosignature/v1 signature line: an em dash, a space, the witness's key name, a space, "
        "base64(key ID || timestamp || Ed25519 signature)"))]


_IDENTITY = {"family_name": "佐藤", "given_name": "陽翔", "family_name_kana": "さとう", "given_name_kana": "はると",
             "sex": "male", "birth_date": "2019-06-01", "address": "鳥取県鳥取市東町1-220",
             "guardian": {"name": "佐藤 健", "name_kana": "さとう けん", "relation": "父"}}
_STUDENT = "3f2b8c1e-5a4d-4e6f-9b7a-2c1d0e9f8a7b"

# One whole, valid request body per Struct: the OpenAPI shows it (api/app.py), tests decode each one.
class AcknowledgementIn(Body, frozen=True):
    """What was done about an alert (ADR 0042): the action taken, and a note."""

    action: Annotated[str, Meta(max_length=200, examples=["家庭に電話連絡"],
                                description="what was done (a call home, a meeting, a referral …)")]
    note: Annotated[str, Meta(max_length=2000, examples=["発熱が続いているとのこと。週明けに登校予定"])] = ""


EXAMPLES: dict[type[Body], dict[str, Any]] = {
    SchoolIn: {"name": "鳥取市立みどり小学校", "board_code": "312011", "address": "鳥取県鳥取市東町1-220"},
    PrincipalIn: {"staff_id": "P-0001", "name": "田中 一郎", "appointed_on": "2026-04-01"},
    CalendarIn: {"terms": [{"number": 1, "starts_on": "2026-04-06", "ends_on": "2026-07-20"},
                           {"number": 2, "starts_on": "2026-09-01", "ends_on": "2026-12-24"},
                           {"number": 3, "starts_on": "2027-01-07", "ends_on": "2027-03-24"}],
                 "instructional_days": ["2026-04-06", "2026-04-07", "2026-04-08"],
                 "closures": [{"on": "2026-04-08", "scope": "class", "reason": "インフルエンザによる学級閉鎖",
                               "grade": 1, "class_name": "1"}]},
    ClassIn: {"homeroom_teacher_id": "T-0001", "homeroom_teacher_name": "山田 花子", "formed_on": "2026-04-06",
              "students": [{"student_id": _STUDENT, "number": 1}]},
    AdmissionIn: {"school_code": "B131220000013", "year": 2026, "grade": 1, "class_name": "1", "number": 31,
                  "identity": _IDENTITY, "admitted_on": "2026-04-06", "admission_kind": "entrance"},
    IdentityChangeIn: {"identity": {**_IDENTITY, "address": "鳥取県鳥取市西町2-15"}, "reason": "転居",
                       "effective_on": "2026-05-01"},
    LeaveIn: {"on": "2026-06-01", "reason": "病気療養のため"},
    ReturnIn: {"on": "2026-09-01", "number": 12},
    WithdrawalIn: {"on": "2026-07-20", "reason": "海外転出のため"},
    GraduationIn: {"on": "2027-03-24"},
    BoardSettingsIn: {"settings": {"leave_days": "excused"}, "effective_on": "2027-04-01"},
    AcknowledgementIn: {"action": "家庭に電話連絡", "note": "発熱が続いているとのこと。週明けに登校予定"},
    RollIn: {"school_code": "B131220000013", "year": 2026, "grade": 1, "class_name": "1", "date": "2026-04-07",
             "marks": [{"student_id": _STUDENT, "code": "present"}]},
    MarkCorrectionIn: {"date": "2026-04-07", "mark": {"code": "absent_illness", "reason": "発熱"},
                       "reason": "保護者からの連絡が遅れて届いたため"},
    AssessmentIn: {"year": 2026, "subject": "japanese", "term": 1, "assessed_on": "2026-07-17",
                   "viewpoints": {"knowledge": "A", "thinking": "B", "attitude": "B"}},
    YearRecordIn: {"year": 2026, "entered_on": "2027-03-19",
                   "record": {"moral_education": "友達のよさに気付き、認め合おうとする姿が見られた。",
                              "special_activities": ["class_activities", "school_events"],
                              "behaviour": ["basic_habits", "responsibility"],
                              "general_remarks": "朝の会の司会を進んで務めた。"}},
    HealthExamIn: {"year": 2026, "examined_on": "2026-05-12",
                   "examination": {"height_cm": "117.2", "weight_kg": "21.6", "nutrition": "normal",
                                   "vision": {"right_naked": "A", "left_naked": "B"}, "urine_protein": "-",
                                   "urine_sugar": "-", "hearing_right": "normal", "hearing_left": "normal",
                                   "heart_ecg": "異常なし"}},
    DentalExamIn: {"year": 2026, "examined_on": "2026-05-19",
                   "examination": {"jaw": 0, "bite": 0, "plaque": 1, "gums": 0,
                                   "teeth": {"UR6": "/", "ULD": "C", "LRE": "○"}}},
    CorrectionIn: {"record": "assessment", "year": 2026, "corrects_version": 1, "reason": "転記誤りの訂正",
                   "value": {"viewpoints": {"knowledge": "A", "thinking": "A", "attitude": "B"}}},
    SealIn: {},
    HandoverIn: {"kind": "transfer", "to_school": "B131220000021", "left_on": "2026-06-05",
                 "accepted_on": "2026-06-08", "year": 2026, "grade": 1, "reason": "保護者の転勤に伴う転居",
                 "class_name": "1", "number": 31},
    CosignatureIn: {"tree_size": 1042,
                    "cosignature": "\u2014 board-312011 3Yc9xAAAAABpdhXVkP+0jFxx0Ww6N7Vb5yFdFhsmOpMNZ1Ib0ZlJXKmknYz0ErT"
                                   "0dWmmSn2rEy5qn1QK4bKmGcGczX6B1Z9t4YkMJhTH4sr0Bw==\n"},
    AdvancementIn: {"accepted_on": "2027-04-07", "to_school": "C131220000015", "classes": ["1"]},
    PacketIn: {"school_code": "B131220000021", "class_name": "1", "number": 12,
               "packet": "eyJhbGciOiJFZERTQSIsImlzcyI6ImpwLTEyLWNoaWJhIiwia2lkIjoiLi4uIiwidHlwIjoiZ2FrdXNla2ktdHJhbn"
                         "NmZXItcGFja2V0K2p3cyJ9.eyJmb3JtYXQiOiIuLi4ifQ.c2lnbmF0dXJl"},
}

