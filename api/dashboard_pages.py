"""The dashboards' pages: Japanese, laid out for a screen from a phone to a tablet and a desk (one
column below 40em), with every chart drawn on the server as inline SVG (ADR 0043).

No script, no style sheet, font or image from anywhere else: a page is one HTML document whose charts
are ``<svg>`` elements with their figures as text beside them (a chart is never the only place a figure
is). Like the forms' pages (api/html.py) a page is a pure function of the dashboard's JSON: no clock,
no locale.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from domain.attendance import MARK_CODES
from projections.forms import html as forms_html

LEVELS = ("child", "class", "school", "board")
# The pages' own templates (api/templates/dashboard_*.html), with the forms' date filters.
ENV = Environment(loader=PackageLoader("api", "templates"), autoescape=select_autoescape(["html"]),
                  undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
ENV.filters.update(jdate=forms_html._jdate, jmonth=forms_html._jmonth, jst=forms_html._jst)
ENV.globals.update(MARK_LABELS=MARK_CODES)
BAR, GAP = 6, 2  # a day's bar and the space after it, in SVG units


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def columns(points: Sequence[tuple[str, float | None]], *, height: int = 80, title: str = "") -> Markup:
    """A bar per point (0 to 1: an attendance rate, a ratio), oldest first; a point without a value is a
    thin grey tick (nothing counted that day)."""
    width = max(1, len(points)) * (BAR + GAP)
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height + 12}" preserveAspectRatio="none" role="img" '
             f'aria-label="{escape(title)}"><title>{escape(title)}</title>',
             f'<line x1="0" y1="{height}" x2="{width}" y2="{height}" class="axis"/>']
    for i, (label, value) in enumerate(points):
        x = i * (BAR + GAP)
        if value is None:
            parts.append(f'<rect x="{x}" y="{height - 1}" width="{BAR}" height="1" class="none">'
                         f'<title>{escape(label)}</title></rect>')
            continue
        h = round(value * height, 1)
        parts.append(f'<rect x="{x}" y="{height - h}" width="{BAR}" height="{h}" class="{_band(value)}">'
                     f'<title>{escape(label)} {_pct(value)}</title></rect>')
    parts.append("</svg>")
    return Markup("".join(parts))


def meters(rows: Sequence[tuple[str, float | None]], *, title: str = "") -> Markup:
    """A horizontal bar per row (0 to 1), its label and its figure as text beside it."""
    height = max(1, len(rows)) * 22
    parts = [f'<svg class="meters" viewBox="0 0 320 {height}" role="img" aria-label="{escape(title)}">'
             f'<title>{escape(title)}</title>']
    for i, (label, value) in enumerate(rows):
        y = i * 22
        w = 0 if value is None else round(value * 180, 1)
        parts.append(f'<text x="0" y="{y + 15}" class="label">{escape(label)}</text>'
                     f'<rect x="90" y="{y + 4}" width="180" height="14" class="track"/>'
                     f'<rect x="90" y="{y + 4}" width="{w}" height="14" class="{_band(value)}"/>'
                     f'<text x="276" y="{y + 15}" class="figure">{_pct(value)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _band(value: float | None) -> str:
    if value is None:
        return "none"
    return "good" if value >= 0.95 else "fair" if value >= 0.9 else "poor"


def charts(level: str, doc: dict[str, Any]) -> dict[str, Any]:
    """The charts of a level's page, drawn from its JSON."""
    if level == "child":
        return {"months": meters([(f"{int(m['month'][5:])}月", m["attendance_rate"]) for m in doc["months"]],
                                 title="月別の出席率")}
    if level == "class":
        return {"daily": columns([(d["day"], d["attendance_rate"]) for d in doc["daily"]], title="日ごとの出席率")}
    if level == "school":
        labels = doc["subject_labels"]
        return {"grades": meters([(f"{g['grade']}年", g["attendance_rate"]) for g in doc["grades"]],
                                 title="学年ごとの出席率"),
                "assessments": {term: meters([(labels.get(s, s), v["completion"]) for s, v in subjects.items()],
                                             title=f"{term} 評価の入力率")
                                for term, subjects in doc["assessments"].items()}}
    return {"schools": meters([(s["school_name"][:7], s["attendance_rate"]) for s in doc["schools"]],
                              title="学校ごとの出席率")}


def render(level: str, document: dict[str, Any]) -> str:
    if level not in LEVELS:
        raise ValueError(f"no dashboard {level!r}; one of {', '.join(LEVELS)}")
    return ENV.get_template(f"dashboard_{level}.html").render(doc=document, charts=charts(level, document),
                                                              pct=_pct)
