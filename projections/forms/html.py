"""Printable HTML of the forms (名簿, 出席簿, 指導要録, 通知表, 長期欠席, 健康診断票), from Jinja2 templates.

The JSON documents composed in this package are the forms; this module only lays them out for paper: A4,
bordered tables, the Japanese labels each document carries (``labels``) and, as on paper, every
correction readable (訂正は原文が読めるように): the current value, with each value it replaced
struck through (``<del>``) and a small note of who, when and why. The templates are beside this
module, one per form, named as the form (base.html, which the others extend, and macros.html). The
page is a pure function of the document: no clock, no locale, so the same document gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from types import BuiltinMethodType, FunctionType
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from jinja2.runtime import Context, Macro
from markupsafe import Markup, escape

from domain import curriculum
from domain.attendance import MARK_CODES
from projections.forms.health_cards import COUNTS, TOOTH_MEANINGS
from projections.forms.health_cards import school_kind as kind_of_school

TEMPLATES = Path(__file__).parent  # the forms' templates are installed beside their modules
FORMS = ("roster", "attendance_register", "cumulative_record", "report_card", "long_absence", "health_card",
         "dental_card")
JST = timezone(timedelta(hours=9), "JST")
WEEKDAYS = "月火水木金土日"
# The one-character marks of a register's day cells (MARK_CODES gives the full labels).
MARK_SYMBOLS = {"present": "", "late": "チ", "left_early": "早", "absent_illness": "病", "absent_other": "事",
                "suspended": "停", "mourning": "忌", "deemed_present": "扱", "online_special": "オ",
                "other_excused": "認"}
SEX = {"male": "男", "female": "女"}
LEFT_BECAUSE = {"withdrawal": "退学等", "graduation": "卒業", "leave": "休学", "transfer": "異動"}
KIND_LABELS = {"elementary": "小学校", "junior_high": "中学校"}
# The grades a 指導要録 or 健康診断票 has a column for, by school kind (小1–6, 中1–3), and its title.
GRADES = {"elementary": range(1, 7), "junior_high": range(1, 4)}
RECORD_TITLES = {"elementary": "児童指導要録", "junior_high": "生徒指導要録"}


def _jdate(value: str | None) -> str:
    """An ISO date (or the date of an ISO time) as 2026年6月10日; blank for none."""
    if not value:
        return ""
    d = date.fromisoformat(value[:10])
    return f"{d.year}年{d.month}月{d.day}日"


def _jmonth(value: str) -> str:
    year, month = value.split("-")[:2]
    return f"{int(year)}年{int(month)}月"


def _day(value: str) -> str:
    """The day of the month and its weekday: 10(水)."""
    d = date.fromisoformat(value)
    return f"{d.day}({WEEKDAYS[d.weekday()]})"


def _jst(value: str | None) -> str:
    """A recorded time, in Japan time to the minute (how a note on paper is dated)."""
    if not value:
        return ""
    t = datetime.fromisoformat(value)
    return (t.astimezone(JST) if t.tzinfo else t).strftime("%Y-%m-%d %H:%M")


def _dig(node: Any, path: Sequence[Any]) -> Any:
    """The value at ``path``; a string key into a list asks whether the list holds it (a marked item)."""
    for key in path:
        if node is None:
            return None
        if isinstance(node, list):
            node = key in node
        else:
            node = node.get(key)
    return node


def _changes(trail: list[dict[str, Any]], current: Any, *path: Any) -> list[tuple[Any, dict[str, Any]]]:
    """The earlier values of one field, oldest first, each with the trail entry that replaced it.

    ``trail[i]`` holds the value before correction i, so the value it was replaced with is the
    next entry's (or the current one); an entry that left this field as it was is skipped.
    """
    values = [_dig(entry, path) for entry in trail] + [current]
    return [(values[i], entry) for i, entry in enumerate(trail) if values[i] != values[i + 1]]


def _identity_view(identity: dict[str, Any]) -> dict[str, Any]:
    """An identity as 様式1 prints it: whole names, 性別 in Japanese, dates in Japanese, the guardian's fields flat."""
    guardian = identity.get("guardian") or {}
    return {"name": f"{identity['family_name']} {identity['given_name']}",
            "name_kana": f"{identity['family_name_kana']} {identity['given_name_kana']}",
            "sex": SEX.get(identity["sex"], identity["sex"]), "birth_date": _jdate(identity["birth_date"]),
            "address": identity["address"], "guardian_name": guardian.get("name"),
            "guardian_name_kana": guardian.get("name_kana"), "guardian_relation": guardian.get("relation"),
            "guardian_address": guardian.get("address")}


def _identity_trail(trail: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**entry, "identity": _identity_view(entry["identity"])} for entry in trail]


def _certification(doc: dict[str, Any], school_code: str) -> dict[str, str]:
    """The certification under a copy (写し) or abstract (抄本) a school received from ``school_code``:
    that school's name, the day custody passed (the receiving school's acceptance, when the copy is
    due, 学校教育法施行規則 §24) and the principal who served there then (原本と相違ないことを証明する)."""
    f = doc["form1"]
    move = next((m for m in f.get("moves", []) if m["from_school"] == school_code), None)
    on = move["accepted_on"] if move else ""
    school = (move or {}).get("from_school_name") or next(
        (s["name"] for s in f.get("schools", []) if s["school_code"] == school_code), school_code)
    served = [p for y in f.get("years", []) if y["school_code"] == school_code for p in y["principals"]
              if not on or p["from"] < on]
    return {"on": on, "school": school, "principal": served[-1]["name"] if served else ""}


def _record_kind(doc: dict[str, Any]) -> str:
    """The school kind a 指導要録 is kept by: that of the school of its latest year (小 unless a 中)."""
    codes = [y["school_code"] for y in doc["form1"].get("years", [])] + [g["school_code"] for g in doc.get("form2", [])]
    return (kind_of_school(codes[-1], {}) if codes else None) or "elementary"


def _grade_columns(entries: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    """The grade columns of a form kept by a school of ``kind``, as on paper: 学年 1–6 (小) or 1–3 (中),
    each column one entry (a year of 様式1 or 様式2, a card's examination); a grade with two entries
    (a child who moved during the year: one per school) has two columns, a grade not reached yet an
    empty one. Entries of the other school kind (a 小's 抄本 kept at the 中) come first, labelled so."""
    def kind_of(e: dict[str, Any]) -> str:
        return kind_of_school(e["school_code"], {}) or kind if e.get("school_code") else kind

    out = [{"grade": e["grade"], "entry": e, "kind": kind_of(e)} for e in entries if kind_of(e) != kind]
    for grade in GRADES.get(kind, range(1, 7)):
        mine = [e for e in entries if kind_of(e) == kind and e["grade"] == grade]
        out += [{"grade": grade, "entry": e, "kind": kind} for e in mine] or [{"grade": grade, "entry": None,
                                                                               "kind": kind}]
    out += [{"grade": e["grade"], "entry": e, "kind": kind} for e in entries
            if kind_of(e) == kind and e["grade"] not in GRADES.get(kind, range(1, 7))]
    for c in out:
        c["other_kind"] = c["kind"] != kind
    return out


def _rows(columns: list[dict[str, Any]], part: str, kind: str) -> list[tuple[str, str]]:
    """The rows of a part of 様式2 (``subjects``, ``special_activities``): every item of the school
    kind's curriculum, in its order, and any other item a column carries (a 小's year at the 中)."""
    table = {"subjects": curriculum.SUBJECTS, "special_activities": curriculum.SPECIAL_ACTIVITIES}[part]
    labels = {code: label for code, (label, _) in table.get(kind, table["elementary"]).items()}
    key = "subject" if part == "subjects" else "item"
    for c in columns:
        for item in (c["entry"] or {}).get(part, []):
            labels.setdefault(item[key], item["label"])
    order = [*table["elementary"], *table["junior_high"]]
    return [(code, labels[code]) for code in dict.fromkeys([*order, *labels]) if code in labels]


def _find(items: list[dict[str, Any]], key: str, code: str) -> dict[str, Any] | None:
    return next((i for i in items if i.get(key) == code), None)


def _corrected(current: Any, changes: list[tuple[Any, dict[str, Any]]], shown: dict[Any, str] | None = None) -> Markup:
    """macros.html's ``corrected``, the same text: a value without a correction (most cells of a form) is
    printed here, without the cost of calling two macros (a six-year 指導要録 has some 270 such cells); one
    with its trail, by the macro."""
    if changes:
        return Markup(ENV.get_template("macros.html").module.corrected(current, changes, shown))  # type: ignore[attr-defined]
    if shown is not None and current in shown:
        return escape(shown[current])
    if shown is not None and current is not None and str(current) in shown:
        return escape(shown[str(current)])
    return escape(current) if current is not None else Markup("")


_DICT_ATTRIBUTES = frozenset(dir(dict))


class _Context(Context):
    """Jinja2's context, with a call of a template's macro, of one of this module's functions or of a built-in
    method (``t.get(…)``) made at once: Jinja2's ``Context.call`` first asks whether the callable wants the
    context or the environment passed (``pass_context`` and the like: of these only a macro wants one, the eval
    context, given here as Jinja2 gives it), some 800 times a 指導要録 (a quarter of its page's time). Anything
    else is called as Jinja2 calls it, and every call gets the same arguments as before, so every template
    renders what it rendered before (ADR 0060)."""

    def call(__self, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 (Jinja2's own signature)
        kind = type(__obj)
        if kind is Macro or kind is BuiltinMethodType or (kind is FunctionType
                                                          and not hasattr(__obj, "jinja_pass_arg")):
            if kwargs:
                kwargs.pop("_block_vars", None)
                kwargs.pop("_loop_vars", None)
            if kind is Macro:  # its ``__call__`` takes the eval context (``pass_eval_context``), as Jinja2 passes it
                args = (__self.eval_ctx, *args)
            try:
                return __obj(*args, **kwargs)
            except StopIteration:
                return __self.environment.undefined(
                    "value was undefined because a callable raised a StopIteration exception")
        return super().call(__obj, *args, **kwargs)


class _Environment(Environment):
    """Jinja2's environment, with ``value.name`` on a form's JSON object read as its member first: Jinja2 asks
    Python's ``getattr`` first and takes the member only once that has failed with an AttributeError, some
    3,000 times a 指導要録 (a third of its page's time, ADR 0055). A name a dict has as an attribute
    (``items``, ``get``, …) is still looked up as Jinja2 does, so every template reads what it read before."""

    context_class = _Context

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


def _environment() -> Environment:
    env = _Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(jdate=_jdate, jmonth=_jmonth, day=_day, jst=_jst, changes=_changes,
                       identity_trail=_identity_trail, sex=lambda v: SEX.get(v, v))
    env.globals.update(certification=_certification, record_kind=_record_kind, grade_columns=_grade_columns,
                       form_rows=_rows, find=_find, corrected=_corrected, RECORD_TITLES=RECORD_TITLES,
                       BEHAVIOUR=list(curriculum.BEHAVIOUR_ITEMS.items()))
    # The order things are printed in is the template's (a form's JSON objects arrive in sorted order).
    env.globals.update(MARK_LABELS=MARK_CODES, MARK_SYMBOLS=MARK_SYMBOLS, LEFT_BECAUSE=LEFT_BECAUSE,
                       DENTAL_COUNTS=COUNTS, TOOTH_CODES=tuple(TOOTH_MEANINGS),
                       KIND_LABELS=KIND_LABELS)
    return env


ENV = _environment()


def render(form: str, document: dict[str, Any], *, title_suffix: str = "") -> str:
    """The printable page of ``document``, one of FORMS (``title_suffix``, e.g. an as-of note, follows the title)."""
    if form not in FORMS:
        raise ValueError(f"no printable form {form!r}; one of {', '.join(FORMS)}")
    return ENV.get_template(f"{form}.html").render(doc=document, title_suffix=title_suffix)
