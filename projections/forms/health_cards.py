"""The 健康診断票 (一般, 様式第二号) and (歯・口腔, 様式第三号) of a child, composed when read.

A card spans the child's years at a school kind (小1–6 or 中1–3) and travels with the child, one
column per school year (per_school_kind: the junior high's card starts afresh at 中1, with the
elementary card sent along), so it is composed from the student-year documents of
projections/health_records.py rather than stored: a correction shows in every card at once.
These are pure functions of their arguments (no store, no clock), so an HTML form, a PDF and a
test all see the same card; ``labels`` carries the Japanese wording for the template.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from domain.health import ECG_REQUIRED, HEARING_OPTIONAL, PERMANENT_TEETH, PRIMARY_TEETH
from domain.values import SCHOOL_KINDS

# The rows of 様式第二号, in the order of the form.
HEALTH_LABELS: dict[str, str] = {
    "height_cm": "身長 (cm)", "weight_kg": "体重 (kg)", "nutrition": "栄養状態",
    "spine_chest_limbs": "脊柱・胸郭・四肢",
    "vision_right_naked": "視力 右 裸眼", "vision_right_corrected": "視力 右 矯正",
    "vision_left_naked": "視力 左 裸眼", "vision_left_corrected": "視力 左 矯正",
    "eye": "眼の疾病及び異常", "hearing_right": "聴力 右", "hearing_left": "聴力 左",
    "ear_nose_throat": "耳鼻咽頭疾患", "skin": "皮膚疾患",
    "tuberculosis": "結核 疾病及び異常", "tuberculosis_guidance": "結核 指導区分",
    "heart_ecg": "心臓 臨床医学的検査(心電図等)", "heart": "心臓 疾病及び異常",
    "urine_protein": "尿 蛋白 第1次", "urine_sugar": "尿 糖 第1次", "urine_other": "尿 その他の検査",
    "other": "その他の疾病及び異常", "doctor_remarks": "学校医 所見", "follow_up": "事後措置", "remarks": "備考",
}
HEADER_LABELS = {"name": "氏名", "name_kana": "ふりがな", "sex": "性別", "birth_date": "生年月日",
                 "school_name": "学校の名称", "year": "年度", "grade": "学年", "age": "年齢",
                 "examined_on": "月日"}
HEALTH_MEANINGS = {
    "nutrition": {"normal": "異常なし", "attention": "要注意"},
    "hearing": {"normal": "異常なし", "abnormal": "異常あり"},
    "vision": {"A": "1.0以上", "B": "0.9〜0.7", "C": "0.6〜0.3", "D": "0.3未満"},
}

_OBSERVE = {0: "異常なし", 1: "定期的観察が必要", 2: "専門医(歯科医師)による診断が必要"}
DENTAL_MEANINGS: dict[str, dict[int, str]] = {
    "jaw": _OBSERVE, "bite": _OBSERVE,
    "plaque": {0: "ほとんど付着なし", 1: "若干の付着あり", 2: "相当の付着あり"},
    "gums": {0: "異常なし", 1: "定期的観察が必要 (GO)", 2: "専門医(歯科医師)による診断が必要 (G)"},
}
TOOTH_MEANINGS = {"/": "現在歯", "C": "未処置歯", "○": "処置歯", "△": "喪失歯", "×": "要注意乳歯", "CO": "要観察歯"}
DENTAL_LABELS: dict[str, str] = {
    "jaw": "顎関節", "bite": "歯列・咬合", "plaque": "歯垢の状態", "gums": "歯肉の状態", "teeth": "歯式",
    "primary_present": "乳歯 現在数", "primary_untreated": "乳歯 未処置数", "primary_treated": "乳歯 処置数",
    "permanent_present": "永久歯 現在数", "permanent_untreated": "永久歯 未処置数",
    "permanent_treated": "永久歯 処置数", "permanent_lost": "永久歯 喪失数",
    "other": "その他の疾病及び異常", "dentist_remarks": "学校歯科医 所見", "follow_up": "事後措置",
}
# The 歯式 as printed, viewed facing the child: upper permanent, upper primary, lower primary, lower permanent.
CHART_ROWS: list[list[str]] = [
    [f"UR{n}" for n in "87654321"] + [f"UL{n}" for n in "12345678"],
    [f"UR{n}" for n in "EDCBA"] + [f"UL{n}" for n in "ABCDE"],
    [f"LR{n}" for n in "EDCBA"] + [f"LL{n}" for n in "ABCDE"],
    [f"LR{n}" for n in "87654321"] + [f"LL{n}" for n in "12345678"],
]
# Which codes count as 現在歯 (see tooth_counts).
PRESENT_PERMANENT = frozenset({"/", "C", "○", "CO"})
PRESENT_PRIMARY = frozenset({"/", "C", "○", "×", "CO"})


def age_on_april_first(birth_date: str, year: int) -> int:
    """年齢 as the card and 学校保健統計 write it: 満年齢 on 1 April of the school year, so a class shares
    one age (小1 = 6). A birthday on 1 April counts as reached; the legal reckoning (a year is reached
    the day before the birthday) would make children born on 2 April a year older than their class."""
    born = date.fromisoformat(birth_date)
    return year - born.year - (1 if (born.month, born.day) > (4, 1) else 0)


def school_kind(code: str, schools: dict[str, dict[str, Any]]) -> str | None:
    """The school's kind: its own ``kind`` if given, else from the code (B1 小学校, C1 中学校)."""
    kind = schools.get(code, {}).get("kind")
    return str(kind) if kind else SCHOOL_KINDS.get(code[:2])


def grade_rules(kind: str | None, grade: int) -> dict[str, str | None]:
    """Whether 聴力 and the ECG are ``required`` or ``may_omit`` in a grade (施行規則 §6–§7; the domain
    refuses an examination without them when required); None for a school kind without rules."""
    if kind not in HEARING_OPTIONAL:
        return {"hearing": None, "heart_ecg": None}
    return {"hearing": "may_omit" if grade in HEARING_OPTIONAL[kind] else "required",
            "heart_ecg": "required" if grade in ECG_REQUIRED.get(kind, set()) else "may_omit"}


def health_items(values: dict[str, Any] | None) -> dict[str, Any]:
    """The examination's values as the form's rows (blank when not examined)."""
    if values is None:
        return dict.fromkeys(HEALTH_LABELS)
    vision = values.get("vision") or {}
    return {k: (vision.get(k.removeprefix("vision_")) if k.startswith("vision_") else values.get(k))
            for k in HEALTH_LABELS}


# The counts of 歯の状態, in the order of the form (a card's ``counts`` holds them by name).
COUNTS = ("primary_present", "primary_untreated", "primary_treated", "permanent_present", "permanent_untreated",
          "permanent_treated", "permanent_lost")


def tooth_counts(teeth: dict[str, str]) -> dict[str, int]:
    """歯の状態 from the 歯式. 現在歯 are the teeth in the mouth: a permanent tooth coded / C ○ CO and a
    primary tooth coded / C ○ × CO (要注意乳歯 is still there). 未処置 is C, 処置 is ○; CO (要観察歯) is
    sound for the counts, as in 学校保健統計. 喪失 is △, permanent only; an uncharted tooth (not erupted,
    or a primary tooth shed) is not counted at all."""
    primary = [c for t, c in teeth.items() if t in PRIMARY_TEETH]
    permanent = [c for t, c in teeth.items() if t in PERMANENT_TEETH]
    return {
        "primary_present": sum(c in PRESENT_PRIMARY for c in primary),
        "primary_untreated": primary.count("C"), "primary_treated": primary.count("○"),
        "permanent_present": sum(c in PRESENT_PERMANENT for c in permanent),
        "permanent_untreated": permanent.count("C"), "permanent_treated": permanent.count("○"),
        "permanent_lost": permanent.count("△"),
    }


def _header(student: dict[str, Any], docs: Sequence[Mapping[str, Any]],
            schools: dict[str, dict[str, Any]]) -> dict[str, Any]:
    names = [schools.get(d["school_code"], {}).get("name", d["school_code"]) for d in docs]
    return {**{k: student.get(k) for k in ("student_id", "name", "name_kana", "sex", "birth_date")},
            "school_names": list(dict.fromkeys(names))}


def _column(student: dict[str, Any], doc: Mapping[str, Any], exam: Mapping[str, Any] | None,
            schools: dict[str, dict[str, Any]]) -> dict[str, Any]:
    code = doc["school_code"]
    return {"year": doc["year"], "grade": doc["grade"], "school_code": code,
            "school_name": schools.get(code, {}).get("name", code),
            "age": age_on_april_first(student["birth_date"], doc["year"]) if student.get("birth_date") else None,
            "examined": exam is not None,
            **{k: (exam or {}).get(k) for k in ("examined_on", "recorded_by", "recorded_at", "version")}}


def per_school_kind(card: Callable[..., dict[str, Any]], student: dict[str, Any], years: Sequence[Mapping[str, Any]],
                    schools: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """One card per school kind (小1–6, 中1–3; §4.3): the card of the child's latest school kind, with
    ``earlier_cards`` the cards of the earlier kinds, oldest first, as they were sent along at 進学
    (施行規則 §8②). ``school_kind`` names each card's kind; ``sent_along`` marks a card sent along."""
    kinds: dict[str | None, list[Mapping[str, Any]]] = {}
    for doc in _by_year(years):
        kinds.setdefault(school_kind(doc["school_code"], schools), []).append(doc)
    cards = [{**card(student, docs, schools), "school_kind": kind} for kind, docs in kinds.items()]
    *earlier, current = cards or [{**card(student, [], schools), "school_kind": None}]
    return {**current, "sent_along": False, "earlier_cards": [{**c, "sent_along": True} for c in earlier]}


def _by_year(years: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return sorted(years, key=lambda d: (d["year"], d["school_code"]))


def health_card(student: dict[str, Any], years: Sequence[Mapping[str, Any]],
                schools: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """様式第二号: the header and one column per school year (sorted), with the grade rules and the trail."""
    docs = _by_year(years)
    columns = []
    for doc in docs:
        exam = doc.get("health")
        rules = grade_rules(school_kind(doc["school_code"], schools), doc["grade"])
        items = health_items(exam["values"] if exam else None)
        omitted = [k for k, r in (("hearing", rules["hearing"]), ("heart_ecg", rules["heart_ecg"]))
                   if exam and r == "may_omit" and all(items[i] is None for i in _RULE_ITEMS[k])]
        trail = [{**{k: v for k, v in t.items() if k != "values"}, "items": health_items(t["values"])}
                 for t in (exam["trail"] if exam else [])]
        columns.append({**_column(student, doc, exam, schools), "items": items, "rules": rules,
                        "omitted": omitted, "trail": trail})
    return {"form": "様式第二号", "title": "児童生徒健康診断票(一般)", "student": _header(student, docs, schools),
            "columns": columns, "items": list(HEALTH_LABELS),
            "labels": {**HEADER_LABELS, **HEALTH_LABELS},
            "meanings": {k: dict(v) for k, v in HEALTH_MEANINGS.items()}}


_RULE_ITEMS = {"hearing": ("hearing_right", "hearing_left"), "heart_ecg": ("heart_ecg",)}


def dental_card(student: dict[str, Any], years: Sequence[Mapping[str, Any]],
                schools: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """様式第三号: per school year the four coded findings with their meanings, the 歯式 as recorded
    (and laid out in CHART_ROWS), the counts computed from it (tooth_counts), findings and the trail."""
    docs = _by_year(years)
    columns = []
    for doc in docs:
        exam = doc.get("dental")
        values: dict[str, Any] = exam["values"] if exam else {}
        teeth: dict[str, str] = values.get("teeth", {})
        findings = {k: ({"code": values[k], "meaning": DENTAL_MEANINGS[k].get(values[k])} if k in values else None)
                    for k in DENTAL_MEANINGS}
        trail = [{**t, "counts": tooth_counts(t["values"].get("teeth", {}))} for t in (exam["trail"] if exam else [])]
        columns.append({**_column(student, doc, exam, schools), **findings, "teeth": dict(teeth),
                        "chart": [[teeth.get(t) for t in row] for row in CHART_ROWS],
                        "counts": tooth_counts(teeth) if exam else None,
                        **{k: values.get(k) for k in ("other", "dentist_remarks", "follow_up")},
                        "trail": trail})
    return {"form": "様式第三号", "title": "児童生徒健康診断票(歯・口腔)", "student": _header(student, docs, schools),
            "columns": columns, "chart_rows": [list(r) for r in CHART_ROWS],
            "labels": {**HEADER_LABELS, **DENTAL_LABELS},
            "meanings": {**{k: {str(c): m for c, m in v.items()} for k, v in DENTAL_MEANINGS.items()},
                         "teeth": dict(TOOTH_MEANINGS)}}
