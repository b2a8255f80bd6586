"""Generators of the demo children's records: assessments, year records, health and dental
examinations, plausible for the grade and repeatable (every value comes from a seeded Random)."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal
from typing import Any

from domain import curriculum
from domain.assessment import ABC, Viewpoints, YearRecord
from domain.health import ECG_REQUIRED, HEARING_OPTIONAL
from domain.student import Identity


def assessments_of(key: str, kind: str, grade: int) -> dict[str, tuple[Viewpoints, int | None]]:
    """One term's assessments of every subject taught in the grade (``key`` names the child and,
    after term 1, the term): mostly B, about a quarter A and a tenth C."""
    rng = random.Random(f"demo/assessments/{key}")
    ability = rng.gauss(0, 1)
    out = {}
    for subject, (_, grades) in curriculum.SUBJECTS[kind].items():
        if grade in grades:
            level = 0.8 * ability + rng.gauss(0, 0.6)
            abc = [_abc(level + rng.gauss(0, 0.5)) for _ in curriculum.VIEWPOINTS]
            viewpoints = Viewpoints(*abc)
            out[subject] = (viewpoints, rating_of(viewpoints, kind, grade))
    return out


def _abc(x: float) -> ABC:
    return "A" if x > 0.7 else "C" if x < -1.4 else "B"


def rating_of(v: Viewpoints, kind: str, grade: int) -> int | None:
    """評定 in line with the viewpoints (none in 小1–2, 3 levels in 小3–6, 5 in 中学校)."""
    scale = curriculum.rating_scale(kind, grade)
    if scale is None:
        return None
    points = sum("CBA".index(x) for x in (v.knowledge, v.thinking, v.attitude))  # CCC 0 .. AAA 6
    return (1, 1, 2, 2, 2, 3, 3)[points] if len(scale) == 3 else (1, 2, 3, 3, 4, 4, 5)[points]


def year_record(key: str, number: int) -> YearRecord:
    rng = random.Random(f"demo/year-record/{key}")
    return YearRecord(
        moral_education=("友達の立場に立って考え、自分の生き方について考えを深めている。",
                         "きまりを守ることの大切さについて、自分の経験と結び付けて考えている。",
                         "家族や地域の人への感謝の気持ちを、自分の言葉で表している。")[number % 3],
        integrated_study="「湖山池の自然と暮らし」をテーマに水質を調べ、分かったことを地域の方に発表した。",
        special_activities=("class_activities", "club_activities", "school_events"),
        behaviour=tuple(rng.sample(sorted(curriculum.BEHAVIOUR_ITEMS), 3)),
        general_remarks=("最高学年として下級生に優しく接し、委員会活動に責任をもって取り組んだ。",
                         "算数の学習に粘り強く取り組み、考え方を図や式で分かりやすく説明できた。",
                         "運動会の応援団長を務め、学級をまとめる力を発揮した。")[number % 3],
    )


# ---------------------------------------------------------------- examinations

# National means (学校保健統計, rounded) by age on April 1: ((boys cm, kg), (girls cm, kg)).
GROWTH = {
    6: ((116.7, 21.8), (115.8, 21.2)), 7: ((122.6, 24.3), (121.8, 23.8)), 8: ((128.1, 27.3), (127.3, 26.6)),
    9: ((133.7, 30.7), (133.3, 30.1)), 10: ((139.1, 34.6), (140.1, 34.4)), 11: ((146.0, 39.6), (147.3, 40.0)),
    12: ((152.8, 45.0), (151.9, 43.7)), 13: ((160.0, 49.9), (154.8, 47.3)), 14: ((165.4, 54.7), (156.5, 50.1)),
}
# Mean age (years) at which permanent teeth 1–7 come in; lower incisors and canines a little earlier.
ERUPTION = {1: 6.8, 2: 7.8, 3: 10.8, 4: 10.2, 5: 11.2, 6: 6.3, 7: 12.3}


def health_exam(rng: random.Random, sex: str, kind: str, grade: int) -> dict[str, Any]:
    age = grade + (5 if kind == "elementary" else 11)
    h0, w0 = GROWTH[age][0 if sex == "male" else 1]
    height = rng.gauss(h0, 0.042 * h0)
    expected = w0 * (height / h0) ** 2.6
    weight = expected * rng.lognormvariate(0, 0.12)
    vision, eye_follow_up = _vision(rng, age)
    hearing = None if grade in HEARING_OPTIONAL[kind] else "normal"
    ecg = None
    if grade in ECG_REQUIRED[kind]:
        ecg = "不完全右脚ブロック（管理不要）" if rng.random() < 0.03 else "異常なし"
    return {
        "height_cm": Decimal(f"{height:.1f}"), "weight_kg": Decimal(f"{weight:.1f}"),
        "nutrition": "attention" if weight > 1.3 * expected else "normal", "vision": vision,
        "urine_protein": "±" if rng.random() < 0.03 else "-", "urine_sugar": "-",
        "hearing_right": hearing, "hearing_left": hearing, "heart_ecg": ecg,
        "eye": "アレルギー性結膜炎" if rng.random() < 0.05 else "",
        "ear_nose_throat": "アレルギー性鼻炎" if rng.random() < 0.1 else "",
        "skin": "アトピー性皮膚炎" if rng.random() < 0.05 else "",
        "follow_up": eye_follow_up,
    }


def _vision(rng: random.Random, age: int) -> tuple[dict[str, str], str]:
    """裸眼視力 1.0 未満 grows with age; some children wear glasses (矯正 A)."""
    if rng.random() > 0.2 + 0.04 * (age - 6):
        return {"right_naked": "A", "left_naked": "A"}, ""
    right = rng.choices((1, 2, 3), weights=(45, 35, 20))[0]
    left = min(3, max(0, right + rng.choice((-1, 0, 0, 1))))
    vision = {"right_naked": "ABCD"[right], "left_naked": "ABCD"[left]}
    if max(right, left) >= 2 and rng.random() < 0.5:
        return vision | {"right_corrected": "A", "left_corrected": "A"}, ""
    return vision, "眼科受診勧告" if max(right, left) >= 2 else ""


def dental_exam(rng: random.Random, identity: Identity, on: date) -> dict[str, Any]:
    """A tooth chart: primary teeth (A–E) until the permanent ones (1–7) come in."""
    age = (on - identity.birth_date).days / 365.25
    risk = rng.choice((0.0, 0.0, 0.0, 0.01, 0.03, 0.06))  # most children have no caries at all
    teeth = {}
    for quadrant in ("UR", "UL", "LR", "LL"):
        for n in range(1, 8):
            early = 0.6 if quadrant[0] == "L" and n in (1, 2, 3) else 0.0
            if age + rng.gauss(0, 0.7) >= ERUPTION[n] - early:
                teeth[f"{quadrant}{n}"] = _tooth(rng, risk, ("C", "○", "CO", "△"))
            elif n <= 5:
                teeth[f"{quadrant}{'ABCDE'[n - 1]}"] = _tooth(rng, 2 * risk, ("C", "○", "CO", "×"))
    codes = set(teeth.values())
    return {
        "jaw": 0, "bite": 1 if rng.random() < 0.08 else 0,
        "plaque": rng.choices((0, 1, 2), weights=(70, 27, 3))[0],
        "gums": rng.choices((0, 1, 2), weights=(80, 18, 2))[0],
        "teeth": teeth, "dentist_remarks": "CO 要観察" if "CO" in codes else "",
        "follow_up": "歯科受診勧告" if codes & {"C", "×"} else "",
    }


def _tooth(rng: random.Random, risk: float, findings: tuple[str, ...]) -> str:
    """'/' (sound) or, with the child's risk, a finding; '△'/'×' (lost / to extract) rarely."""
    if rng.random() >= risk:
        return "/"
    return rng.choices(findings, weights=(40, 35, 22, 3))[0]


# ---------------------------------------------------------------- seeding
