"""通知表: one term of one child's year, following the school's own term structure.

A school decides its report card (reference/domain-japan.md §5); this one carries what most
print: the term's assessment of each subject (観点別 A/B/C and, where the grade has one, 評定),
the term's 出欠 (授業日数, 出席停止・忌引等, 欠席, 遅刻, 早退), the class and its homeroom teacher, the principal,
and the year record's remarks once entered. Terms are read from the school year's calendar, so
a two-term school gets two report cards and a three-term school three.
"""

from __future__ import annotations

from domain import curriculum
from projections.base import Form
from projections.forms.attendance_record import figures
from projections.forms.cumulative_record import SEX, by_start, results_at
from projections.forms.student_file import StudentFile, place

LABELS = {"title": "通知表", "term": "学期", "subjects": "学習の記録", "rating": "評定", "attendance": "出欠の記録",
          "school_days": "授業日数", "absent": "欠席日数", "present": "出席日数", "late": "遅刻",
          "left_early": "早退", "homeroom_teacher": "学級担任", "principal": "校長",
          "general_remarks": "所見", **curriculum.VIEWPOINTS}


class NoSuchTerm(LookupError):
    """The school year has no such term (or no calendar yet)."""


def compose(file: StudentFile, year: int, term: int, *, excused_label: str,
            school: str | None = None) -> Form | None:
    """The report card of ``term`` of ``year`` at ``school`` (else the child's last school that year);
    None when the child was not placed in a class there that year."""
    places = [p for p in file.places(year) if school is None or p["school_code"] == school]
    if not places:
        return None
    p = places[-1]
    calendar = file.calendars.get(f"{p['school_code']}/{year}")
    terms = {t["number"]: t for t in (calendar["terms"] if calendar else [])}
    if term not in terms:
        raise NoSuchTerm(f"the school year {year} has {len(terms)} terms, not a term {term}")
    t = terms[term]
    at = file.schools.get(p["school_code"])
    kind = at["kind"] if at else "elementary"
    results = results_at(file, year, p["school_code"])
    subjects = []
    for code, (label, grades) in curriculum.SUBJECTS[kind].items():
        if p["grade"] in grades:
            r = results.get(f"{term}/{code}")
            subjects.append({"subject": code, "label": label, "viewpoints": r["viewpoints"] if r else None,
                             "rating": r["rating"] if r else None, "trail": r["trail"] if r else []})
    homeroom = file.homerooms.get(place(p["school_code"], year, p["grade"], p["class_name"]))
    in_term = [x for x in by_start(homeroom["homeroom_teachers"] if homeroom else []) if x["from"] <= t["ends_on"]]
    principals = [x for x in by_start(at.get("principals", []) if at else []) if x["from"] <= t["ends_on"]]
    who = file.student["identity"]
    record = file.year_records.get(year)
    if record is not None and record["school_code"] != p["school_code"]:
        record = None
    final = term == max(terms)
    return {
        "student_id": file.student_id, "name": f"{who['family_name']} {who['given_name']}",
        "sex": SEX.get(who["sex"], who["sex"]), "school_code": p["school_code"],
        "school_name": at["name"] if at else None,
        "year": year, "grade": p["grade"], "class_name": p["class_name"], "number": p["number"],
        "term": t, "terms_in_year": len(terms),
        "homeroom_teacher": in_term[-1]["name"] if in_term else None,
        "principal": principals[-1]["name"] if principals else None,  # in office at the end of the term
        "subjects": subjects, "rated": curriculum.rating_scale(kind, p["grade"]) is not None,
        "attendance": figures(file, year, p["school_code"], t["starts_on"], t["ends_on"]),
        # The year's remarks belong on the last term's card, once the year record is entered.
        "general_remarks": record["record"]["general_remarks"] if record and final else "",
        "labels": {**LABELS, "excused": excused_label},
    }
