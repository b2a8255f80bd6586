"""指導要録: 様式1 (学籍に関する記録) and 様式2 (指導に関する記録), composed from the student's file.

様式1 prints the identity and guardian (with the trail of changes), the history before entry,
admission, leave, withdrawal or graduation, the schools, and per year the class, 出席番号, the
principals and the homeroom teachers with the day each took office. 様式2 prints per year the
year-end assessment of every subject taught in the grade, 道徳, 総合, 特別活動, 行動の記録, 総合所見
and 出欠の記録 (per school, when the child moved during the year), each with its correction trail.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from domain import curriculum
from domain import school_year as school_years
from projections.base import Form
from projections.enrollment_record import Appointment, Move, Placement, StudentRecord
from projections.forms.attendance_record import figures
from projections.forms.custody import View, view_for
from projections.forms.student_file import StudentFile, place
from projections.guidance_record import Result

LABELS = {
    "title": "児童生徒指導要録", "form1": "様式1(学籍に関する記録)", "form2": "様式2(指導に関する記録)",
    "name": "氏名", "name_kana": "ふりがな", "sex": "性別", "birth_date": "生年月日", "address": "現住所",
    "guardian": "保護者", "prior_history": "入学前の経歴", "admission": "入学・編入学等", "leave": "休学",
    "withdrawal": "退学等", "graduation": "卒業", "school": "学校名及び所在地", "year": "年度", "grade": "学年",
    "class_name": "学級", "number": "整理番号", "principal": "校長氏名", "homeroom_teacher": "学級担任者氏名",
    "subjects": "各教科の学習の記録", "rating": "評定", "moral_education": "特別の教科 道徳",
    "integrated_study": "総合的な学習の時間の記録", "special_activities": "特別活動の記録",
    "behaviour": "行動の記録", "general_remarks": "総合所見及び指導上参考となる諸事項", "attendance": "出欠の記録",
    "school_days": "授業日数", "required": "出席しなければならない日数", "absent": "欠席日数",
    "present": "出席日数", "remarks": "備考", "entrance": "入学", "admission_kind": "編入学",
    "corrected": "訂正", "transfer_out": "転学・退学等", "transfer_in": "転入学", "advanced_to": "進学先",
    "copy": "写し", "abstract": "抄本", "original": "原本", "received": "受領した指導要録の写し・抄本",
    "earlier_remarks": "各学年の所見", "foreign_language_activities": "外国語活動の記録",
    **curriculum.VIEWPOINTS,
}
SEX = {"male": "男", "female": "女"}


def compose(file: StudentFile, *, excused_label: str, view: View | None = None) -> Form:
    """The record as ``view`` sees it: its own periods as originals, earlier schools' periods as the
    copy (写し) or abstract (抄本) it received, nothing after the child left it (custody.py)."""
    view = view or view_for(file.student, None)
    rows = [row for y in file.years() for row in form2(file, y, view)]
    part = view.abstract_part()
    # A copy received in the part seen as the abstract is left out whole (ADR 0027): the packet is signed whole.
    return {"student_id": file.student_id, "form1": form1(file, view),
            "form2": _abstracts(rows, part[0] if part else None),
            "received": [{k: r[k] for k in ("from_ledger", "packet_id", "kind", "record_kind", "content")}
                         for r in file.student.get("received", [])]
            if view.sees_first_period() and part is None else [],
            "labels": {**LABELS, "excused": excused_label}}


def form1(file: StudentFile, view: View) -> Form:
    s = file.student
    who = s["identity"]
    visible = [p for p in file.places() if view.mode(p["school_code"], p["year"]) is not None]
    trail, admission, leaves = s["identity_trail"], s["admission"], s["leaves"]
    part = view.abstract_part()
    if part is not None:  # the abstract (ADR 0027): nothing of the earlier periods but what §2.3 lists
        graduated_from, since = part[0], part[1].isoformat()
        trail = [t for t in trail if t["changed_on"] >= since]
        leaves = [x for x in leaves if x["began_on"] >= since]
        admission = {**admission, "prior_history": ""}
        visible = [p for p in visible if view.mode(p["school_code"], p["year"]) != "abstract"
                   or p["school_code"] == graduated_from]
    shown = {p["school_code"] for p in visible}
    guardian = {"guardian": who["guardian"]} if part is None or view.holds_a_period() else {}
    return {
        "name": f"{who['family_name']} {who['given_name']}",
        "name_kana": f"{who['family_name_kana']} {who['given_name_kana']}",
        "sex": SEX.get(who["sex"], who["sex"]), "birth_date": who["birth_date"], "address": who["address"],
        **guardian, "identity_trail": trail,
        "prior_history": admission["prior_history"], "admission": admission, "leaves": leaves,
        "withdrawal": s.get("withdrawal"), "graduation": s.get("graduation"),
        "enrollments": [{**e, "school_name": file.school(e["school_code"]).get("name")}
                        for e in s["enrollments"] if e["school_code"] in shown],
        "moves": [_move(file, m, shown) for m in s.get("moves", []) if m["from_school"] in shown],
        # in the order the child attended them (the first day of each school's first period)
        "schools": [{"school_code": c, "name": file.schools[c]["name"], "address": file.schools[c]["address"]}
                    for c in sorted((c for c in file.schools if c in shown), key=lambda c: (_first_day(s, c), c))],
        "years": [{**_year_row(file, p), "source": view.mode(p["school_code"], p["year"])} for p in visible],
    }


def _first_day(student: StudentRecord, school: str) -> str:
    return min((e["began_on"] for e in student["enrollments"] if e["school_code"] == school), default="9999")


def _move(file: StudentFile, move: Move, shown: set[str]) -> Form:
    """A 転学 or 進学 as 様式1 prints it: the schools' names and addresses (a move inside the ledger
    names the receiving school by its code only: its name is the ledger's), and whether the
    receiving school's period is shown (then its 転入学 or 入学 is printed too)."""
    to, at = file.school(move["to_school"]), file.school(move["from_school"])
    return {**move, "to_school_name": move["to_school_name"] or to.get("name", ""),
            "to_school_address": move["to_school_address"] or to.get("address", ""),
            "from_school_name": at.get("name", ""), "from_school_address": at.get("address", ""),
            "arrival_shown": not move["external"] and move["to_school"] in shown}


def by_start(people: list[Appointment]) -> list[Appointment]:
    """Principals or homeroom teachers in the order they took office (an appointment may be entered
    after its successor's)."""
    return sorted(people, key=lambda x: x["from"])


def _year_row(file: StudentFile, p: Placement) -> Form:
    first, last = school_years.bounds(p["year"])
    teachers = file.homeroom(place(p["school_code"], p["year"], p["grade"], p["class_name"]))
    return {"year": p["year"], "grade": p["grade"], "school_code": p["school_code"], "class_name": p["class_name"],
            "number": p["number"],
            "principals": _served(file.school(p["school_code"]).get("principals", []), first, last),
            "homeroom_teachers": _served(teachers.get("homeroom_teachers", []), first, last)}


def _served(people: list[Appointment], first: str, last: str) -> list[Form]:
    """Who held the office during the school year (``first`` to ``last``), each with the day they took
    office and, when a successor took over within the year, their last day (様式1: the period served)."""
    ordered = by_start(people)
    out = []
    for i, x in enumerate(ordered):
        after = ordered[i + 1]["from"] if i + 1 < len(ordered) else None
        if x["from"] <= last and (after is None or after > first):
            to = (date.fromisoformat(after) - timedelta(days=1)).isoformat() if after and after <= last else None
            out.append({"name": x["name"], "from": x["from"], "to": to})
    return out


def form2(file: StudentFile, year: int, view: View) -> list[Form]:
    """様式2 of a school year, one row per school the child was at that year and the view shows."""
    schools = list(dict.fromkeys(p["school_code"] for p in file.places(year)))
    return [_form2(file, year, school, mode) for school in schools
            if (mode := view.mode(school, year)) is not None]


def _abstracts(rows: list[Form], graduated_from: str | None) -> list[Form]:
    """An abstract (抄本) keeps the final year of the school the child advanced from, with that school's
    earlier years' 所見; an earlier school's rows reached it as a received copy and are left out (ADR 0027)."""
    out: list[Form] = []
    for i, row in enumerate(rows):
        later = [r for r in rows[i + 1:] if r["school_code"] == row["school_code"] and r["source"] == "abstract"]
        if row["source"] == "abstract" and (later or row["school_code"] != graduated_from):
            continue
        if row["source"] == "abstract":
            earlier = [{"year": r["year"], "grade": r["grade"], "general_remarks": r["general_remarks"]}
                       for r in rows[:i] if r["school_code"] == row["school_code"] and r["general_remarks"]]
            row = {**row, "earlier_remarks": earlier}
        out.append(row)
    return out


def _form2(file: StudentFile, year: int, school: str, mode: str) -> Form:
    places = [p for p in file.places(year) if p["school_code"] == school]
    grade = places[-1]["grade"]
    kind = file.school(places[-1]["school_code"]).get("kind", "elementary")
    results = results_at(file, year, school)
    subjects = [{"subject": code, "label": label, **_result(results.get(f"year/{code}"))}
                for code, (label, grades) in curriculum.SUBJECTS[kind].items() if grade in grades]
    record_doc = file.year_records.get(year)
    if record_doc is not None and record_doc["school_code"] != school:
        record_doc = None  # entered by the school the child moved to (or from) that year
    record: Mapping[str, Any] = record_doc["record"] if record_doc else {}
    activities = curriculum.SPECIAL_ACTIVITIES[kind]
    return {
        "year": year, "grade": grade, "school_code": school, "source": mode, "subjects": subjects,
        # 評定 from 小3 (none in 小1–2), 総合的な学習の時間 from 小3: the form prints neither before.
        "rated": curriculum.rating_scale(kind, grade) is not None,
        "integrated_study_taught": grade in curriculum.INTEGRATED_STUDY_GRADES[kind],
        "moral_education": record.get("moral_education", ""), "integrated_study": record.get("integrated_study", ""),
        "special_activities": [{"item": a, "label": label, "marked": a in record.get("special_activities", [])}
                               for a, (label, grades) in activities.items() if grade in grades],
        "behaviour": [{"item": b, "label": label, "marked": b in record.get("behaviour", [])}
                      for b, label in curriculum.BEHAVIOUR_ITEMS.items()],
        "general_remarks": record.get("general_remarks", ""),
        # 外国語活動の記録: a section of 小3–4 only (§2.2), so other grades' rows do not carry it.
        **({"foreign_language_activities": record.get("foreign_language_activities", "")}
           if grade in curriculum.FOREIGN_LANGUAGE_ACTIVITIES_GRADES[kind] else {}),
        "year_record_trail": record_doc["trail"] if record_doc else [],
        "attendance": [{"school_code": school, "school_name": file.school(school).get("name"),
                        **figures(file, year, school)}],
    }


def results_at(file: StudentFile, year: int, school: str) -> dict[str, Result]:
    """The year's assessments recorded by one school (a child who moved has results at both)."""
    doc = file.assessments.get(year)
    if doc is None:
        return {}
    return {k: r for k, r in doc["results"].items() if r.get("school_code", doc["school_code"]) == school}


def _result(result: Result | None) -> Form:
    if result is None:
        return {"viewpoints": None, "rating": None, "trail": []}
    return {"viewpoints": result["viewpoints"], "rating": result["rating"], "trail": result["trail"]}
