"""The PDF of every form (ADR 0035), typeset by Typst from the same document as its JSON and HTML.

- One ``typst.Compiler`` is kept warm for the life of the process (its font book and caches are
  built once); compiling is serialised by a lock, as the compiler is not shared between threads.
- Fonts: only the font files shipped in projections/forms/fonts (BIZ UD明朝, SIL OFL 1.1); Typst's own embedded
  fonts and the host's system fonts are both left out, so the bytes do not depend on the machine.
- Deterministic bytes: the PDF's creation time is the point in time the form was read as of (a
  log position's recorded time, or the time asked for); a form of today carries no creation time
  at all. The wall clock is never read, so two reads of one form give the same bytes.
- Untagged PDF for every form (ADR 0038; ADR 0035 had tagged the forms about one child or one list):
  the structure tags were four to five times the rest of the typesetting of a six-year 指導要録 and
  four times its size; the text stays selectable and searchable, and the page a screen reader reads
  is the form's HTML view, with its tables and headings, on the same route.
- The 出席簿 has a layout of its own (attendance_register.typ: one A4 landscape sheet per
  class-month). The other forms are typeset from their HTML view (``typeset``): the same items,
  labels, correction trails and grid, so the page and the PDF show one layout. The 指導要録 and the
  健康診断票 pages are laid out as the official forms, the grades side by side (ADR 0036): a table of
  class ``grid`` shares the page's width equally among its grade columns after its
  ``data-labels`` label columns; ``data-widths`` gives a table its own Typst column widths.
"""

from __future__ import annotations

import html as std_html
import json
import re
import threading
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import typst

from domain.attendance import MARK_CODES
from projections.forms import html

FONTS = Path(__file__).parent / "fonts"
TEMPLATES = html.TEMPLATES  # the Typst template is beside the HTML ones
FONT = "BIZ UDMincho"
MEDIA_TYPE = "application/pdf"

# How a mark counts on the sheet's daily totals row (domain/attendance.py has the full rule).
PRESENT = {"present", "late", "left_early", "deemed_present"}
ABSENT = {"absent_illness", "absent_other"}
EXCUSED = {"suspended", "mourning", "other_excused"}


class Printer:
    """A warm Typst compiler with the project's fonts only."""

    def __init__(self) -> None:
        fonts = typst.Fonts(include_system_fonts=False, include_embedded_fonts=False, font_paths=[str(FONTS)])
        self._compiler = typst.Compiler(font_paths=fonts, ignore_system_fonts=True, root=str(TEMPLATES))
        self._lock = threading.Lock()

    def compile(self, source: str, inputs: dict[str, str], at: datetime | None) -> bytes:
        if at is not None:  # a PDF date has whole seconds (Typst refuses a fraction); a recorded time is UTC
            at = (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC).replace(microsecond=0)
        with self._lock:
            out = self._compiler.compile(input=source.encode(), format="pdf", sys_inputs=inputs, timestamp=at,
                                         pdf_tags=False)  # untagged: see the module's note
        assert isinstance(out, bytes)
        return out


_printer: Printer | None = None
_printer_lock = threading.Lock()


def printer() -> Printer:
    """The process's one printer, made on first use (the first PDF pays ~30 ms to load the fonts)."""
    global _printer
    with _printer_lock:
        if _printer is None:
            _printer = Printer()
        return _printer


def render(form: str, document: dict[str, Any], at: datetime | None = None, *, title_suffix: str = "") -> bytes:
    """The PDF of ``document`` (one of html.FORMS), dated ``at`` (None: no creation time)."""
    if form == "attendance_register":
        source = (TEMPLATES / "attendance_register.typ").read_text(encoding="utf-8")
        inputs = {"sheet": json.dumps(sheet(document), ensure_ascii=False), "dated": "yes" if at else ""}
        return printer().compile(source, inputs, at)
    page = html.render(form, document, title_suffix=title_suffix)
    return printer().compile(typeset(page, landscape=False, dated=at is not None), {}, at)


def file_name(form: str, document: dict[str, Any]) -> str:
    """A file name that says what the form is: ``attendance_register-123456-2026-2-1-2026-06.pdf``."""
    parts = [form.replace("_", "-")]
    for key in ("school_code", "year", "grade", "class_name", "month", "student_id"):
        value = document.get(key) if key != "student_id" else (document.get("student_id")
                                                                or (document.get("student") or {}).get("student_id"))
        if value is not None:
            parts.append(str(value))
    if form == "report_card":
        parts += [str(document.get("year", "")), f"term{document.get('term', '')}"]
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "-" for c in "-".join(parts))
    return f"{safe}.pdf"


# ------------------------------------------------------------------ the 出席簿 sheet

def sheet(doc: dict[str, Any]) -> dict[str, Any]:
    """What the 出席簿 sheet prints, cell by cell: the template only lays it out."""
    days = doc["instructional_days"]
    symbols = html.MARK_SYMBOLS
    used: set[str] = set()
    rows, notes = [], []
    daily = {d: {"present": 0, "absent": 0, "excused": 0} for d in days}
    for s in doc["students"]:
        cells = []
        for d in days:
            e = s["days"].get(d, "off")
            if e == "off":
                cells.append({"text": "", "shade": True})
            elif e == "closed":
                used.add("閉")
                cells.append({"text": "閉", "shade": True})
            elif e == "on_leave":
                used.add("休")
                cells.append({"text": "休", "shade": True})
            elif e is None:
                used.add("－")
                cells.append({"text": "－", "shade": False})
            else:
                code = e["code"]
                text = symbols.get(code, code) or "出"
                used.add(text)
                trail = e.get("trail") or []
                if trail:
                    used.add("※")
                    before = [symbols.get(t.get("code"), t.get("code")) or "出" for t in trail]
                    notes.append(f"{int(d[8:])}日 {s['number']}番 {'→'.join([*before, text])}")
                cells.append({"text": text + ("※" if trail else ""), "shade": False})
                kind = ("present" if code in PRESENT else "absent" if code in ABSENT
                        else "excused" if code in EXCUSED else None)
                if kind:
                    daily[d][kind] += 1
        name = s.get("name", "")
        f = s["month"]
        rows.append({"number": s["number"], "name": name, "name_size": _fitted(name, 26.0, 7.5), "cells": cells,
                     "totals": [f["school_days"], f["excused"], f["required"], f["absent"], f["present"],
                                f["late"], f["left_early"]],
                     "remarks": "出席扱い" if s.get("deemed_present_at") else ""})
    used.add("出")  # the legend names every symbol, 出 always (a sheet may have no other mark)
    legend = [(sym, MARK_CODES.get(code, code)) for code, sym in [("present", "出"), *symbols.items()]
              if sym and sym in used]
    legend += [(sym, meaning) for sym, meaning in (("閉", "学級閉鎖"), ("休", "休学(授業日数に含む)"),
                                                   ("－", "未記入"), ("※", "訂正あり(原記載は下欄)"))
               if sym in used]
    weekdays = html.WEEKDAYS
    return {
        "title": f"出席簿　{_jmonth(doc['month'])}",
        "head": [("学校", doc.get("school_name") or ""), ("学校番号", doc["school_code"]),
                 ("年度", f"{doc['year']}年度"), ("学年・学級", f"第{doc['grade']}学年 {doc['class_name']}組"),
                 ("学級担任", (doc.get("homeroom_teacher") or {}).get("name") or "")],
        "days": [str(int(d[8:])) for d in days],
        "weekdays": [weekdays[date.fromisoformat(d).weekday()] for d in days],
        "totals_head": ["授業日数", doc["labels"]["excused"], "出席しなければならない日数", "欠席日数", "出席日数",
                        "遅刻", "早退"],
        "rows": rows,
        "daily": [["出席", [str(daily[d]["present"]) for d in days]],
                  ["欠席", [str(daily[d]["absent"]) for d in days]],
                  ["出停・忌引等", [str(daily[d]["excused"]) for d in days]]],
        "legend": [f"{sym} {meaning}" for sym, meaning in legend],
        "notes": notes,
    }


def _fitted(text: str, width_mm: float, size_pt: float) -> float:
    """A font size (pt) at which ``text`` stays on one line ``width_mm`` wide (a CJK glyph is 1 em)."""
    ems = sum(1.0 if ord(c) > 0x2E80 else 0.5 for c in text) or 1.0
    return round(min(size_pt, width_mm / ems * 72 / 25.4), 2)


def _jmonth(value: str) -> str:
    year, month = value.split("-")[:2]
    return f"{int(year)}年{int(month)}月"


# ------------------------------------------------------------------ the other forms, from their HTML

def _string(text: str) -> str:
    """A Typst string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class _Node:
    __slots__ = ("attrs", "children", "classes", "tag")

    def __init__(self, tag: str, attrs: dict[str, str], children: list[Any] | None = None) -> None:
        self.tag, self.attrs = tag, attrs
        self.children: list[Any] = children if children is not None else []
        self.classes = set((attrs.get("class") or "").split())


# The pages are this package's own templates rendered by Jinja2 with autoescape: well-formed, lower-case
# tags, attribute values quoted and escaped (no raw ``<`` or ``>`` in text or values). One regular
# expression reads them as tokens, about three times faster than html.parser and the same tree (ADR 0038).
# Whitespace between two tags is taken with the first (it prints nothing); a comment or doctype is skipped.
_TOKEN = re.compile(r"([^<]+)|<(/?)([a-zA-Z][a-zA-Z0-9]*)([^>]*)>(?:\s+(?=<))?|<!--.*?-->\s*|<![^>]*>\s*", re.S)
_ATTR = re.compile(r"""([^\s=/>]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?""")
_VOID = {"br", "meta", "hr", "img", "link"}
_SKIPPED = {"style", "title", "head"}  # their text is not the form's


def _parse(page: str) -> _Node:
    """The element tree of a page: text (entities decoded) and elements with their attributes."""
    root = _Node("root", {})
    stack, skip = [root], 0
    for text, closing, tag, attrs in (m.groups() for m in _TOKEN.finditer(page)):
        if text is not None:
            if not skip:
                stack[-1].children.append(std_html.unescape(text) if "&" in text else text)
        elif tag is None:
            continue
        elif closing:
            if tag in _SKIPPED:
                skip -= 1
                continue
            for i in range(len(stack) - 1, 0, -1):
                if stack[i].tag == tag:
                    del stack[i:]
                    break
        elif tag in _SKIPPED:
            skip += 1
        else:
            values: dict[str, str] = {}
            for a in _ATTR.finditer(attrs) if attrs else ():
                name, double, single, bare = a.groups()
                value = double if double is not None else single if single is not None else bare or ""
                values[name] = std_html.unescape(value) if "&" in value else value
            node = _Node(tag, values)
            stack[-1].children.append(node)
            if tag not in _VOID and not attrs.endswith("/"):
                stack.append(node)
    return root


PREAMBLE = """#set document(title: {title}{date})
#set page(paper: "a4", flipped: {landscape}, margin: 12mm,
  footer: context align(center, text(size: 7pt,
    str(counter(page).get().first()) + " / " + str(counter(page).final().first()))))
#set text(font: "{font}", size: 9pt, lang: "ja")
#set par(leading: 0.5em, spacing: 0.8em)
#set table(stroke: 0.5pt, inset: (x: 3pt, y: 2pt))
#show heading.where(level: 1): it => align(center, text(size: 14pt, it.body))
#show heading.where(level: 2): it => block(above: 5mm, below: 2mm, width: 100%,
  stroke: (bottom: 0.5pt), inset: (bottom: 1mm), text(size: 11pt, it.body))
#show heading.where(level: 3): it => block(above: 3mm, below: 1.5mm, text(size: 10pt, it.body))
"""


def typeset(page: str, *, landscape: bool, dated: bool = True) -> str:
    """The Typst source of an HTML form view (html.py): its headings, tables, lists, struck-out
    earlier values and notes, in their order."""
    body = _Body()
    body.blocks(_parse(page))
    title = _title(page)
    return PREAMBLE.format(title=_string(title), date="" if dated else ", date: none",
                           landscape="true" if landscape else "false", font=FONT) + "\n".join(body.out) + "\n"


def _title(page: str) -> str:
    start, end = page.find("<title>"), page.find("</title>")
    if start < 0 or end < 0:
        return ""
    return std_html.unescape(page[start + 7:end]).strip()


class _Body:
    def __init__(self) -> None:
        self.out: list[str] = []
        self.page_breaks = 0

    def blocks(self, node: _Node) -> None:
        for child in node.children:
            if isinstance(child, str):
                if child.strip():
                    self.out.append(f"#{_string(' '.join(child.split()))}")
                continue
            tag = child.tag
            if tag in ("h1", "h2", "h3"):
                if "page" in child.classes:
                    self.out.append("#pagebreak(weak: true)")
                self.out.append(f"#heading(level: {tag[1]}, {self.inline(child)})")
            elif tag == "table":
                self.out.append("#" + self.table(child))
            elif tag == "p" and "certification" in child.classes:  # a copy's certification, boxed
                self.out.append(f"#block(stroke: 0.5pt, inset: 2mm, above: 3mm, below: 5mm, {self.inline(child)})")
            elif tag == "p":
                self.out.append(f"#par({self.inline(child)})")
            elif "side-by-side" in child.classes:  # tables set beside each other (the 歯式 of each grade)
                boxes = []
                for part in child.children:
                    if isinstance(part, _Node):
                        inner = _Body()
                        inner.blocks(_Node("div", {}, [part]))
                        boxes.append("[" + "\n".join(inner.out) + "]")
                if boxes:
                    columns = int(child.attrs.get("data-columns") or 2)
                    self.out.append(f"#grid(columns: {columns}, column-gutter: 4mm, {', '.join(boxes)})")
            elif tag == "ul":
                items = [self.inline(li) for li in child.children if isinstance(li, _Node) and li.tag == "li"]
                size = "7.5pt" if "small" in child.classes else "9pt"
                self.out.append(f"#text(size: {size}, list({', '.join(items)}))" if items else "")
            else:  # section, body, html, div: their content in order
                if "page" in child.classes:
                    self.out.append("#pagebreak(weak: true)")
                self.blocks(child)

    def inline(self, node: _Node) -> str:
        """Typst content of an element's text and inline markup."""
        parts: list[str] = []
        for child in node.children:
            if isinstance(child, str):
                text = " ".join(child.split())
                if child[:1].isspace() and parts and text:
                    text = " " + text
                if text:
                    parts.append(_string(text))
            elif child.tag == "br":
                parts.append("linebreak()")
            elif child.tag == "del":
                parts.append(f"strike({self.inline(child)})")
            elif child.tag in ("span", "small"):
                inner = self.inline(child)
                small = child.classes & {"note", "small"}
                parts.append(f"text(size: 7pt, {inner})" if small else inner)
            else:
                parts.append(self.inline(child))
        return "[#" + " #".join(f"{p}" for p in parts) + "]" if parts else "[]"

    def table(self, node: _Node) -> str:
        rows: list[tuple[bool, _Node]] = []  # (in the header, tr)
        caption = None
        for part in node.children:
            if not isinstance(part, _Node):
                continue
            if part.tag == "caption":
                caption = self.inline(part)
            elif part.tag == "tr":
                rows.append((False, part))
            elif part.tag in ("thead", "tbody", "tfoot"):
                rows += [(part.tag == "thead", tr) for tr in part.children if isinstance(tr, _Node) and tr.tag == "tr"]
        columns = _column_count([tr for _, tr in rows])
        plain = "head" in node.classes
        head: list[str] = []
        cells: list[str] = []
        for in_head, tr in rows:
            for cell in tr.children:
                if not isinstance(cell, _Node) or cell.tag not in ("td", "th"):
                    continue
                args = []
                for span in ("colspan", "rowspan"):
                    if cell.attrs.get(span, "1") not in ("", "1"):
                        args.append(f"{span}: {int(cell.attrs[span])}")
                if cell.tag == "th" and not plain:
                    args.append("fill: luma(235)")
                if "closed" in cell.classes:
                    args.append("fill: luma(215)")
                if cell.classes & {"num"}:
                    args.append("align: right")
                elif cell.classes & {"mark"}:
                    args.append("align: center")
                content = self.inline(cell)
                if cell.classes & {"small"}:
                    content = f"text(size: 7pt, {content})"
                text = f"table.cell({', '.join(args)}, {content})" if args else content
                (head if in_head else cells).append(text)
        stroke = ", stroke: none, inset: (x: 0pt, right: 8pt, y: 1pt)" if plain else ""
        header = f"table.header({', '.join(head)}), " if head else ""
        # as wide as the page, as the HTML's tables are: the last column takes what the others leave;
        # a grid of grades (class "grid": its first ``data-labels`` columns are labels) shares the rest equally
        if node.attrs.get("data-widths"):  # a form's own column widths (the 出欠の記録 of the 指導要録)
            widths = node.attrs["data-widths"]
        elif "grid" in node.classes:
            labels = int(node.attrs.get("data-labels") or 1)
            widths = "(" + "auto, " * labels + "1fr, " * (columns - labels) + ")"
        else:
            widths = str(columns) if plain else "(" + "auto, " * (columns - 1) + "1fr)"
        table = f"table(columns: {widths}{stroke}, {header}{', '.join(cells)})"
        if "grid" in node.classes or node.attrs.get("data-widths"):
            table = f"text(size: 7.5pt, {table})"
        if caption:
            table = f"block(above: 2mm, below: 3mm, {{ text(size: 9pt, {caption}); v(1mm, weak: true); {table} }})"
        else:
            table = f"block(above: 2mm, below: 3mm, {table})"
        return table


def _column_count(rows: list[_Node]) -> int:
    """The width of a table in cells, rowspans counted (as a browser lays it out)."""
    carried: dict[int, int] = {}  # column -> rows it is still taken for
    widest = 1
    for tr in rows:
        col = 0
        taken = {c for c, left in carried.items() if left > 0}
        for cell in tr.children:
            if not isinstance(cell, _Node) or cell.tag not in ("td", "th"):
                continue
            while col in taken:
                col += 1
            span, down = int(cell.attrs.get("colspan") or 1), int(cell.attrs.get("rowspan") or 1)
            for c in range(col, col + span):
                if down > 1:
                    carried[c] = down
            col += span
        width = max([col, *(c + 1 for c in taken)])
        carried = {c: left - 1 for c, left in carried.items() if left > 1}
        widest = max(widest, width)
    return widest
