"""What is taught and assessed in which grade, with the labels the forms print.

From the 2017 学習指導要領 and the 2019 指導要録 notice (reference/domain-japan.md §2.2).
"""

from __future__ import annotations

# subject code -> (label, grades taught) per kind of school
SUBJECTS: dict[str, dict[str, tuple[str, range]]] = {
    "elementary": {
        "japanese": ("国語", range(1, 7)),
        "social_studies": ("社会", range(3, 7)),
        "arithmetic": ("算数", range(1, 7)),
        "science": ("理科", range(3, 7)),
        "life_environment": ("生活", range(1, 3)),
        "music": ("音楽", range(1, 7)),
        "arts_and_crafts": ("図画工作", range(1, 7)),
        "home_economics": ("家庭", range(5, 7)),
        "physical_education": ("体育", range(1, 7)),
        "foreign_language": ("外国語", range(5, 7)),
    },
    "junior_high": {
        "japanese": ("国語", range(1, 4)),
        "social_studies": ("社会", range(1, 4)),
        "mathematics": ("数学", range(1, 4)),
        "science": ("理科", range(1, 4)),
        "music": ("音楽", range(1, 4)),
        "fine_arts": ("美術", range(1, 4)),
        "health_physical_education": ("保健体育", range(1, 4)),
        "technology_home_economics": ("技術・家庭", range(1, 4)),
        "foreign_language": ("外国語", range(1, 4)),
    },
}

VIEWPOINTS = {
    "knowledge": "知識・技能",
    "thinking": "思考・判断・表現",
    "attitude": "主体的に学習に取り組む態度",
}
VIEWPOINT_GRADES = ("A", "B", "C")

BEHAVIOUR_ITEMS = {
    "basic_habits": "基本的な生活習慣",
    "health_fitness": "健康・体力の向上",
    "independence": "自主・自律",
    "responsibility": "責任感",
    "creativity": "創意工夫",
    "consideration_cooperation": "思いやり・協力",
    "respect_for_life_nature": "生命尊重・自然愛護",
    "labour_service": "勤労・奉仕",
    "fairness": "公正・公平",
    "public_spirit": "公共心・公徳心",
}

SPECIAL_ACTIVITIES: dict[str, dict[str, tuple[str, range]]] = {
    "elementary": {
        "class_activities": ("学級活動", range(1, 7)),
        "student_council": ("児童会活動", range(1, 7)),
        "club_activities": ("クラブ活動", range(4, 7)),
        "school_events": ("学校行事", range(1, 7)),
    },
    "junior_high": {
        "class_activities": ("学級活動", range(1, 4)),
        "student_council": ("生徒会活動", range(1, 4)),
        "school_events": ("学校行事", range(1, 4)),
    },
}

# 総合的な学習の時間: from grade 3 at elementary school, every grade at junior high.
INTEGRATED_STUDY_GRADES = {"elementary": range(3, 7), "junior_high": range(1, 4)}
# 外国語活動: grades 3–4 at elementary school only (5–6 have 外国語 as a 教科; §2.2).
FOREIGN_LANGUAGE_ACTIVITIES_GRADES = {"elementary": range(3, 5), "junior_high": range(0)}


def rating_scale(kind: str, grade: int) -> range | None:
    """評定: none for 小1–2, 3-point for 小3–6, 5-point for 中学校."""
    if kind == "junior_high":
        return range(1, 6)
    return range(1, 4) if grade >= 3 else None


FINAL_GRADE = {"elementary": 6, "junior_high": 3}
