"""The PDF of every form (ADR 0035), typeset by Typst from the same document as its JSON and HTML.

- One ``typst.Compiler`` is kept warm for the life of the process (its font book and caches are
  built once); compiling is serialised by a lock, as the compiler is not shared between threads.
- A form's source is two lines (``_source``, ADR 0055): the import of its template's function (page.typ's
  ``form``, attendance_register.typ's ``register``: modules that never change) and the call with the form's
  data, JSON in a Typst string literal. No ``sys_inputs``: Typst keys its caches on them, so with the data
  there nothing would carry from one compile to the next; as it is, what one form's compile worked out (its
  labels, headings, tables met before) is found again by the next, and the bytes are the same either way.
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
  class-month, its children's rows drawn rather than a table of 1,320 cells, ADR 0044). The other forms
  are typeset from their HTML view: ``typeset`` reads the page into a JSON tree that one constant
  template, page.typ, lays out (ADR 0044): the same items, labels, correction trails and grid, so the
  page and the PDF show one layout. A label column is as wide as its text (``_fitted_widths``), not
  Typst's ``auto``, which lays its cells out twice. A table whose every cell pdf.py can measure is
  drawn, not laid out by Typst (``_drawn``, ADR 0048): its fills, rules and each cell's text at a place
  worked out here, a long text broken into lines here (禁則), a run of marks as one tracked text; a table
  with a correction trail in a cell (or text that cannot be broken) stays a Typst table. The 指導要録 and the
  健康診断票 pages are laid out as the official forms, the grades side by side (ADR 0036): a table of
  class ``grid`` shares the page's width equally among its grade columns after its
  ``data-labels`` label columns; ``data-widths`` gives a table its own Typst column widths.
"""

from __future__ import annotations

import functools
import html as std_html
import operator
import re
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import msgspec
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

    def compile(self, source: bytes, at: datetime | None) -> bytes:
        """The PDF of ``source``. No ``sys_inputs`` are ever given: they are part of what Typst's caches are
        keyed on (its standard library), so that one changed input would leave nothing of one compile to
        the next (ADR 0055); a form's data is in its source (``_source``)."""
        if at is not None:  # a PDF date has whole seconds (Typst refuses a fraction); a recorded time is UTC
            at = (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC).replace(microsecond=0)
        with self._lock:
            out = self._compiler.compile(input=source, format="pdf", timestamp=at,
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
        return printer().compile(_source("attendance_register.typ", "register", sheet(document), at), at)
    page = typeset(html.render(form, document, title_suffix=title_suffix), landscape=False)
    return printer().compile(_source("page.typ", "form", page, at), at)


def _source(template: str, function: str, data: dict[str, Any], at: datetime | None) -> bytes:
    """A form's Typst source: it imports ``function`` from ``template`` (a module of this package that never
    changes) and calls it with ``data`` (JSON in a string literal) and whether the PDF is dated (ADR 0055).
    The module's functions, and all they lay out for one form, are Typst's to keep from one compile to the
    next: a label, a heading or a table met before is not worked out again."""
    text = _string(msgspec.json.encode(data).decode())  # json.dumps's text, compact (its floats are all short)
    dated = "true" if at else "false"
    return f'#import "/{template}": {function}\n#{function}(json(bytes({text})), {dated})\n'.encode()


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
    shaded: list[list[int]] = []  # [day, first row, rows]: the days without a mark, a run down a column each
    open_runs: dict[int, list[int]] = {}
    for i, s in enumerate(doc["students"]):
        runs: list[list[Any]] = []  # [day, marks]: a run of days with a mark, one glyph a day
        corrected = []
        last = -2
        for col, d in enumerate(days):
            e = s["days"].get(d, "off")
            shade = e in ("off", "closed", "on_leave")
            if e == "off":
                text = ""
            elif e == "closed":
                text = "閉"
            elif e == "on_leave":
                text = "休"
            elif e is None:
                text = "－"
            else:
                code = e["code"]
                text = symbols.get(code, code) or "出"
                trail = e.get("trail") or []
                if trail:
                    used.add("※")
                    corrected.append(col)
                    before = [symbols.get(t.get("code"), t.get("code")) or "出" for t in trail]
                    notes.append(f"{int(d[8:])}日 {s['number']}番 {'→'.join([*before, text])}")
                kind = ("present" if code in PRESENT else "absent" if code in ABSENT
                        else "excused" if code in EXCUSED else None)
                if kind:
                    daily[d][kind] += 1
            if shade:
                run = open_runs.get(col)
                if run is not None and run[1] + run[2] == i:
                    run[2] += 1
                else:
                    open_runs[col] = [col, i, 1]
                    shaded.append(open_runs[col])
            if text:
                used.add(text)
                if last == col - 1 and _katakana(text) == _katakana(runs[-1][1][-1]):
                    runs[-1][1] += text
                else:
                    runs.append([col, text])
                last = col
        name = s.get("name", "")
        f = s["month"]
        rows.append({"number": s["number"], "name": name, "name_size": _fitted(name, 26.0, 7.5), "marks": runs,
                     "corrected": corrected,
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
        "shaded": shaded,
        "daily": [["出席", [str(daily[d]["present"]) for d in days]],
                  ["欠席", [str(daily[d]["absent"]) for d in days]],
                  ["出停・忌引等", [str(daily[d]["excused"]) for d in days]]],
        "legend": [f"{sym} {meaning}" for sym, meaning in legend],
        "notes": notes,
    }


def _katakana(mark: str) -> bool:
    """A run of marks is one script: Typst spaces the last glyph before a change of script without tracking."""
    return "\u30a0" <= mark <= "\u30ff"


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

    def __init__(self, tag: str, attrs: dict[str, str], children: list[Any] | None = None,
                 classes: frozenset[str] | None = None) -> None:
        self.tag, self.attrs = tag, attrs
        self.children: list[Any] = children if children is not None else []
        self.classes = classes if classes is not None else frozenset((attrs.get("class") or "").split())


# The pages are this package's own templates rendered by Jinja2 with autoescape: well-formed, lower-case
# tags, attribute values quoted and escaped (no raw ``<`` or ``>`` in text or values). One regular
# expression reads them as tokens, about three times faster than html.parser and the same tree (ADR 0038).
# Whitespace between two tags is taken with the first (it prints nothing); a comment or doctype is skipped.
_TOKEN = re.compile(r"([^<]+)|<(/?)([a-zA-Z][a-zA-Z0-9]*)([^>]*)>(?:\s+(?=<))?|<!--.*?-->\s*|<![^>]*>\s*", re.S)
_ATTR = re.compile(r"""([^\s=/>]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?""")
_VOID = {"br", "meta", "hr", "img", "link"}
_SKIPPED = {"style", "title", "head"}  # their text is not the form's


def _parse(page: str) -> _Node:
    """The element tree of a page: text (entities decoded) and elements with their attributes. An element's
    attributes are read once per distinct text of them (``_attributes``: a page has a few dozen, a table's
    cells share theirs), and the nodes with the same ones share their dictionary, which nothing changes."""
    root = _Node("root", {})
    stack, skip = [root], 0
    children = root.children
    for text, closing, tag, attrs in _TOKEN.findall(page):  # a group that took no part is ""
        if text:
            if not skip:
                children.append(std_html.unescape(text) if "&" in text else text)
        elif not tag:
            continue
        elif closing:
            if tag in _SKIPPED:
                skip -= 1
                continue
            for i in range(len(stack) - 1, 0, -1):
                if stack[i].tag == tag:
                    del stack[i:]
                    break
            children = stack[-1].children
        elif tag in _SKIPPED:
            skip += 1
        else:
            values, classes = _attributes(attrs)
            node = _Node(tag, values, [], classes)
            children.append(node)
            if tag not in _VOID and not attrs.endswith("/"):
                stack.append(node)
                children = node.children
    return root


@functools.lru_cache(maxsize=1024)
def _attributes(attrs: str) -> tuple[dict[str, str], frozenset[str]]:
    """The attributes of a start tag's text after its name (entities decoded), and its classes. Shared by
    every node whose tag has the same text: read, never changed."""
    values: dict[str, str] = {}
    for name, double, single, bare in _ATTR.findall(attrs) if attrs else ():
        value = double or single or bare
        values[name] = std_html.unescape(value) if "&" in value else value
    return values, frozenset((values.get("class") or "").split())


def typeset(page: str, *, landscape: bool) -> dict[str, Any]:
    """What page.typ lays out of an HTML form view (html.py): its headings, tables, lists, struck-out
    earlier values and notes, in their order, as a JSON tree (ADR 0044: the Typst source stays one)."""
    body = _Body(TEXT_WIDTH[landscape])
    body.blocks(_parse(page))
    return {"title": _title(page), "landscape": landscape, "blocks": body.out}


def _title(page: str) -> str:
    start, end = page.find("<title>"), page.find("</title>")
    if start < 0 or end < 0:
        return ""
    return std_html.unescape(page[start + 7:end]).strip()


_Inline = list[Any]  # a string, or [kind, parts] with kind "br", "del" or "small" (page.typ's ``inline``)


class _Body:
    def __init__(self, width: float | None = None) -> None:
        """``width``: the page's text width in pt, where a table may be drawn (``_drawn``); None inside a
        part whose width the converter does not know (a side-by-side block): its tables stay tables."""
        self.out: list[list[Any]] = []
        self.width = width

    def blocks(self, node: _Node) -> None:
        for child in node.children:
            if isinstance(child, str):
                if child.strip():
                    self.out.append(["text", " ".join(child.split())])
                continue
            tag = child.tag
            if tag in ("h1", "h2", "h3"):
                if "page" in child.classes:
                    self.out.append(["pagebreak"])
                self.out.append(["heading", int(tag[1]), self.inline(child)])
            elif tag == "table":
                self.out.append(["table", self.table(child)])
            elif tag == "p" and "certification" in child.classes:  # a copy's certification, boxed
                self.out.append(["certification", self.inline(child)])
            elif tag == "p":
                self.out.append(["par", self.inline(child)])
            elif "side-by-side" in child.classes:  # tables set beside each other (the 歯式 of each grade)
                boxes = []
                for part in child.children:
                    if isinstance(part, _Node):
                        inner = _Body()
                        inner.blocks(_Node("div", {}, [part]))
                        boxes.append(inner.out)
                if boxes:
                    self.out.append(["side", int(child.attrs.get("data-columns") or 2), boxes])
            elif tag == "ul":
                items = [self.inline(li) for li in child.children if isinstance(li, _Node) and li.tag == "li"]
                if items:
                    self.out.append(["list", "small" in child.classes, items])
            else:  # section, body, html, div: their content in order
                if "page" in child.classes:
                    self.out.append(["pagebreak"])
                self.blocks(child)

    def inline(self, node: _Node) -> _Inline:
        """The parts of an element's text and inline markup (page.typ sets a space between two)."""
        parts: _Inline = []
        for child in node.children:
            if isinstance(child, str):
                text = " ".join(child.split())
                if child[:1].isspace() and parts and text:
                    text = " " + text
                if text:
                    parts.append(text)
            elif child.tag == "br":
                parts.append(["br"])
            elif child.tag == "del":
                parts.append(["del", self.inline(child)])
            elif child.tag in ("span", "small"):
                inner = self.inline(child)
                if child.classes & {"note", "small"}:
                    parts.append(["small", inner])
                else:
                    parts += inner if len(inner) == 1 else [["span", inner]]
            else:
                inner = self.inline(child)
                parts += inner if len(inner) == 1 else [["span", inner]]
        return parts

    def table(self, node: _Node) -> dict[str, Any]:
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
        grid = list(_grid([tr for _, tr in rows]))  # each row's cells where a browser places them
        columns = _column_count(grid)
        plain = "head" in node.classes
        in_heads: list[bool] = []  # each cell (as placed): whether it is the header's
        placed: list[tuple[int, int, int, dict[str, Any], _Inline]] = []  # (row, column, colspan, args, content)
        for r, ((in_head, _), (row, _)) in enumerate(zip(rows, grid, strict=True)):
            for cell, col, _ in row:
                args: dict[str, Any] = {}
                for span in ("colspan", "rowspan"):
                    if cell.attrs.get(span, "1") not in ("", "1"):
                        args[span] = int(cell.attrs[span])
                if cell.tag == "th" and not plain:
                    args["fill"] = "th"
                if "closed" in cell.classes:
                    args["fill"] = "closed"
                if "num" in cell.classes:
                    args["align"] = "right"
                elif "mark" in cell.classes:
                    args["align"] = "center"
                if "small" in cell.classes:
                    args["small"] = True
                content = self.inline(cell)
                placed.append((r, col, args.get("colspan", 1), args, content))
                in_heads.append(in_head)
        # as wide as the page, as the HTML's tables are: the last column takes what the others leave;
        # a grid of grades (class "grid": its first ``data-labels`` columns are labels) shares the rest equally
        widths: int | list[str]
        if node.attrs.get("data-widths"):  # a form's own column widths (the 出欠の記録 of the 指導要録)
            widths = [w.strip() for w in node.attrs["data-widths"].strip("()").split(",") if w.strip()]
        elif "grid" in node.classes:
            labels = int(node.attrs.get("data-labels") or 1)
            widths = ["auto"] * labels + ["1fr"] * (columns - labels)
        else:
            widths = columns if plain else ["auto"] * (columns - 1) + ["1fr"]
        small = "grid" in node.classes or bool(node.attrs.get("data-widths"))  # 7.5pt
        if isinstance(widths, list) and "auto" in widths:  # Typst measures an auto column's cells twice
            widths = _fitted_widths(grid, widths, 7.5 if small else 9.0)
        drawn = (_drawn(placed, len(rows), widths, self.width, 7.5 if small else 9.0)
                 if self.width and isinstance(widths, list) and not plain else None)
        if drawn is not None:
            return {"columns": widths, "small": small, "caption": caption, "drawn": _positioned(drawn)}
        head: list[Any] = []
        cells: list[Any] = []
        for (_, _, _, args, content), in_head in zip(placed, in_heads, strict=True):
            (head if in_head else cells).append({**args, "body": content} if args else content)
        return {"columns": widths, "plain": plain, "small": small, "caption": caption, "head": head, "cells": cells}


def _text_width(node: Any, size: float) -> tuple[float, float]:
    """The widest line of ``node`` in pt (a CJK glyph is 1 em, any other character half an em: BIZ UD明朝's
    figures and most of its Latin; a quarter em between CJK and Latin), and the width of its last, open line."""
    if isinstance(node, str):
        width = _ems(" ".join(node.split())) * size  # with Typst's spacing between CJK and Latin (cjk-latin-spacing)
        return width, width
    if node.tag == "br":
        return 0.0, -1.0  # -1: a line ends here
    inner = 7.0 if node.classes & {"note", "small"} else size
    widest = line = 0.0
    for child in node.children:
        w, last = _text_width(child, inner)
        if last < 0:
            widest, line = max(widest, line), 0.0
            continue
        if isinstance(child, _Node) and w > last:  # the child broke its lines: its first joins ours
            widest, line = max(widest, line + w), last
        else:
            line += w + (0.25 * inner if line and w else 0.0)  # a space between two parts
    return max(widest, line), line


def _fitted_widths(grid: list[tuple[list[tuple[_Node, int, int]], set[int]]], widths: list[str],
                   size: float) -> list[str]:
    """``widths`` with each ``auto`` column as wide as its widest cell (in pt, as Typst would make it,
    without measuring the cells twice): the cells' text at ``size`` and the table's inset of 3pt a side."""
    need = [0.0] * len(widths)
    for placed, _ in grid:
        for cell, col, span in placed:
            if col + span > len(widths):
                continue
            autos = [c for c in range(col, col + span) if widths[c] == "auto"]
            if not autos:
                continue
            width = _text_width(cell, 7.0 if "small" in cell.classes else size)[0] * 1.02 + 7.0
            if span == 1 and autos:
                need[col] = max(need[col], width)
            elif autos and len(autos) == span:  # spanning only auto columns: the last one takes the rest
                short = width - sum(need[c] for c in autos)
                if short > 0:
                    need[autos[-1]] += short
    return [f"{need[i]:.2f}pt" if w == "auto" else w for i, w in enumerate(widths)]


def _grid(rows: list[_Node]) -> Iterator[tuple[list[tuple[_Node, int, int]], set[int]]]:
    """Each row's cells as a browser places them: (cell, the column it starts at, its colspan), with the
    columns the rowspans of the rows above still take in that row."""
    carried: dict[int, int] = {}  # column -> rows it is still taken for
    for tr in rows:
        col = 0
        taken = {c for c, left in carried.items() if left > 0}
        placed = []
        for cell in tr.children:
            if not isinstance(cell, _Node) or cell.tag not in ("td", "th"):
                continue
            while col in taken:
                col += 1
            span, down = int(cell.attrs.get("colspan") or 1), int(cell.attrs.get("rowspan") or 1)
            placed.append((cell, col, span))
            for c in range(col, col + span):
                if down > 1:
                    carried[c] = down
            col += span
        carried = {c: left - 1 for c, left in carried.items() if left > 1}
        yield placed, taken


def _column_count(grid: list[tuple[list[tuple[_Node, int, int]], set[int]]]) -> int:
    """The width of a table in cells (``_grid``'s rows), rowspans counted (as a browser lays it out)."""
    widest = 1
    for placed, taken in grid:
        widest = max([widest, *(col + span for _, col, span in placed), *(c + 1 for c in taken)])
    return widest


# ------------------------------------------------------------------ a table drawn rather than laid out

# The text width of page.typ's A4 page (12 mm margins), portrait and landscape, in pt.
TEXT_WIDTH = {False: (210 - 24) * 72 / 25.4, True: (297 - 24) * 72 / 25.4}
INSET_X, INSET_Y = 3.0, 2.0  # page.typ's table inset
CAP = 0.7655  # BIZ UD明朝's cap height in em: a line's height in Typst (top edge cap height, bottom edge baseline)
LEADING = 0.5  # page.typ's par leading, in em of the cell's size
DRAWN_MAX_HEIGHT = 600.0  # pt; a drawn table does not break across pages: a taller one stays a table
MARKS = frozenset("ABCDEFabcdef0123456789")  # half an em each in BIZ UD明朝 (its ASCII is of one width)
WIDE_MARKS = frozenset("○◎△×")  # one em each

_Placed = tuple[int, int, int, dict[str, Any], _Inline]  # (row, column, colspan, the cell's args, its content)


@functools.lru_cache(maxsize=4096)
def _ems(text: str) -> float:
    """The width of ``text`` in em, as ``_text_width`` reckons it: a CJK glyph 1 em, any other character half
    an em, a quarter em between CJK and Latin (Typst's cjk-latin-spacing; it squeezes CJK punctuation)."""
    ems, before = 0.0, None
    for c in text:
        ems, before = _advance(ems, before, c)
    return ems


def _advance(ems: float, before: str | None, c: str) -> tuple[float, str | None]:
    """``ems`` with ``c`` set after a character of kind ``before`` ("wide", "latin" or None), and c's kind."""
    wide, latin = ord(c) > 0x2E80, c.isascii() and c.isalnum()
    ems += 1.0 if wide else 0.5
    if before is not None and ((wide and before == "latin") or (latin and before == "wide")):
        ems += 0.25
    return ems, "wide" if wide else "latin" if latin else None


def _over(width: float, room: float) -> bool:
    """Whether a line of ``width`` (``_lines``) may not fit in ``room``: the margin ``_fitted_widths`` gives
    a label column."""
    return width * 1.02 + 1.0 > room + 0.01


# Kinsoku (禁則): what may not begin a line, and what may not end one.
_NO_START = frozenset("、。，．・：；？！ー―）」』〕］｝〉》】ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ々"
                      "ゝゞヽヾ〜…‥"
                      ",.)]}:;!?%")
_NO_END = frozenset("（「『〔［｛〈《【([{")


@functools.lru_cache(maxsize=1024)
def _wrapped(text: str, size: float, room: float) -> tuple[str, ...] | None:
    """``text`` broken into lines that fit ``room`` at ``size`` (``_ems``, an upper bound, so Typst breaks
    none of them again): a line ends before a CJK character or after one, or at a space (dropped), never
    inside a run of Latin letters or figures, nor before a closing mark or after an opening one. None when
    some part cannot be broken to fit."""
    lines: list[str] = []
    rest = " ".join(text.split())
    while rest:
        if not _over(_ems(rest) * size, room):
            lines.append(rest)
            break
        cut, ems, before = 0, 0.0, None
        for i in range(1, len(rest)):
            ems, before = _advance(ems, before, rest[i - 1])
            if _over(ems * size, room):
                break
            a, b = rest[i - 1], rest[i]
            if (a == " " or b == " " or ord(a) > 0x2E80 or ord(b) > 0x2E80) and b not in _NO_START and a not in _NO_END:
                cut = i
        if cut == 0:
            return None
        lines.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return tuple(lines)


def _lines(parts: _Inline, size: float) -> list[tuple[float, float]] | None:
    """Each line of a cell's inline parts as (its width, the largest size on it) in pt, as page.typ's
    ``inline`` sets them at ``size`` (a space between two parts, 7pt in a ``small`` part), or None when the
    cell holds what is not measured here (a struck-out earlier value with its note, or an empty line)."""
    if len(parts) == 1 and isinstance(parts[0], str):  # most cells: one text
        return [(_ems(parts[0]) * size, size)]
    lines: list[list[float]] = [[0.0, 0.0]]  # [width, largest size]

    def walk(items: _Inline, at: float) -> bool:
        for n, p in enumerate(items):
            if isinstance(p, str):
                lines[-1][0] += _ems(p) * at + (0.5 * at if n else 0.0)
                lines[-1][1] = max(lines[-1][1], at)
            elif p[0] == "br":
                lines.append([0.0, 0.0])
            elif p[0] == "del":
                return False
            else:
                lines[-1][0] += 0.5 * at if n else 0.0
                if not walk(p[1], 7.0 if p[0] == "small" else at):
                    return False
        return True

    if not walk(parts, size) or any(h == 0.0 for _, h in lines):
        return None
    return [(w, h) for w, h in lines]


def _drawn(placed: list[_Placed], count: int, widths: list[str], width: float, size: float) -> dict[str, Any] | None:
    """A table drawn as the 出席簿's rows are (ADR 0044, 0048): its fills as rectangles, its rules as lines
    and each cell's text at its place, every position worked out here, so that Typst lays out no table.

    Only a table whose columns have fixed or fractional widths and whose every cell's lines are known to
    fit (``_lines``) is drawn; for another one (a cell with a correction trail, text that would wrap) the
    answer is None and page.typ lays it out as a table. A row is as high as a table's row would be: its
    tallest cell's lines and the inset; a cell spanning rows makes the last of them taller if it needs to.
    The answer gives the columns' and rows' edges (``xs``, ``ys``, in pt) and everything else by their
    indices: fills (first column, first row, end column, end row, fill), rules (the edge, from, to, 1 when
    vertical) and texts (column, row, colspan, align, small, parts; align "lines-center" or "lines-right" for
    a cell of several lines), in the page's reading order; a run
    of one-glyph marks in equal columns of a row (A, B, C, 1–5, ○) is one text (column, row, how many,
    "run", the glyph's width, the marks), its glyphs spaced a column apart by tracking."""
    if not all(w.endswith(("pt", "fr")) for w in widths):
        return None
    fixed = sum(float(w[:-2]) for w in widths if w.endswith("pt"))
    fr = sum(float(w[:-2]) for w in widths if w.endswith("fr"))
    if fixed > width:
        return None
    unit = (width - fixed) / fr if fr else 0.0
    xs = [0.0]
    for w in widths:
        xs.append(xs[-1] + float(w[:-2]) * (unit if w.endswith("fr") else 1.0))
    columns = len(widths)
    heights = [0.0] * count
    spanning = []
    cells: list[_Placed] = []  # as placed, a cell's text broken into lines where it would wrap
    for row, col, span, args, content in placed:
        down = args.get("rowspan", 1)
        if col + span > columns or row + down > count:
            return None
        at = 7.0 if args.get("small") else size
        if len(content) == 1 and type(content[0]) is str and not _over(_ems(content[0]) * at, xs[col + span] - xs[col]
                                                                     - 2 * INSET_X):
            need = 2 * INSET_Y + CAP * at  # most cells: one text on one line (as below, with one line)
        elif content:
            lines = _lines(content, at)
            if lines is None:
                return None
            room = xs[col + span] - xs[col] - 2 * INSET_X
            if any(_over(w, room) for w, _ in lines):
                broken = _wrapped(content[0], at, room) if len(content) == 1 and isinstance(content[0], str) else None
                if broken is None:
                    return None
                content = [part for line in broken for part in (["br"], line)][1:]
                lines = [(_ems(line) * at, at) for line in broken]
            need = 2 * INSET_Y + CAP * sum(h for _, h in lines) + LEADING * at * (len(lines) - 1)
        else:  # an empty cell is as high as its inset (Typst's table: a row of empty cells and 7pt labels is lower)
            need = 2 * INSET_Y
        cells.append((row, col, span, args, content))
        if down == 1:
            heights[row] = max(heights[row], need)
        else:
            spanning.append((row, down, need))
    for row, down, need in spanning:  # a cell spanning rows: its last row takes what they lack
        heights[row + down - 1] += max(0.0, need - sum(heights[row:row + down]))
    ys = [0.0]
    for h in heights:
        ys.append(ys[-1] + h)
    if ys[-1] > DRAWN_MAX_HEIGHT:
        return None
    across_h: set[tuple[int, int]] = set()  # (row edge, column): a cell spans it, no rule there
    across_v: set[tuple[int, int]] = set()  # (column edge, row)
    fills: list[list[Any]] = []
    texts: list[list[Any]] = []
    for row, col, span, args, content in cells:
        down = args.get("rowspan", 1)
        if down > 1:
            across_h.update((b, c) for b in range(row + 1, row + down) for c in range(col, col + span))
        if span > 1:
            across_v.update((b, r) for b in range(col + 1, col + span) for r in range(row, row + down))
        if "fill" in args:
            fills.append([col, row, col + span, row + down, args["fill"]])
        if not content:
            continue
        mark = content[0] if len(content) == 1 and isinstance(content[0], str) and len(content[0]) == 1 else ""
        glyph = 0.5 if mark in MARKS else 1.0 if mark in WIDE_MARKS else 0.0
        alone = glyph and span == 1 and down == 1 and args.get("align") == "center" and not args.get("small")
        last = texts[-1] if texts else None
        if (alone and last and last[3] == "run" and last[1] == row and last[0] + last[2] == col
                and last[4] == glyph * size and abs((xs[col + 1] - xs[col]) - (xs[col] - xs[col - 1])) < 1e-6):
            last[2] += 1  # the run goes on into this column, one as wide as the one before
            last[5] += mark
        elif alone:
            texts.append([col, row, 1, "run", glyph * size, mark])
        else:
            align = args.get("align", "")
            if align and any(isinstance(p, list) and p[0] == "br" for p in _flat(content)):
                align = f"lines-{align}"  # lines aligned each: page.typ sets them in a box of the cell's width
            texts.append([col, row, span, align, bool(args.get("small")), content])
    rules: list[list[int]] = []
    every_column, every_row = list(range(columns)), list(range(count))
    for b in range(count + 1):
        _runs(rules, b, [c for c in every_column if (b, c) not in across_h] if across_h else every_column, vertical=0)
    for b in range(columns + 1):
        _runs(rules, b, [r for r in every_row if (b, r) not in across_v] if across_v else every_row, vertical=1)
    return {"xs": xs, "ys": ys, "fills": _merged(fills), "rules": rules, "texts": texts}


_KINDS = {"": 0, "center": 1, "right": 2, "run": 3, "lines-center": 4, "lines-right": 5}


def _positioned(drawn: dict[str, Any]) -> dict[str, Any]:
    """``_drawn``'s table as page.typ draws it: every position in pt (two decimals), so that Typst looks
    nothing up and works nothing out per item (its scripting costs some 10 µs a step). Fills (x, y, width,
    height, fill) and rules (x, y, length, 1 when vertical) from the table's top left; texts (kind, x, y,
    small, extra, parts: inline parts, or the one string of a text of one) where kind 0 is a line set from
    x, 1 one centered at x from the middle of the table, 2 one ending at x from its right edge, 3 a run of
    marks (extra: the tracking), 4 and 5 lines centered or set right in a box (extra: its width) from x; y is
    the top of the text."""
    xs, ys = drawn["xs"], drawn["ys"]
    width = xs[-1]
    texts = []
    for col, row, span, align, small, parts in drawn["texts"]:
        x, y, w = xs[col], ys[row] + INSET_Y, xs[col + span] - xs[col]
        kind = _KINDS[align]
        if kind == 3:  # span: the run's columns, each as wide as the first; small: the glyph's width
            w = xs[col + 1] - xs[col]
            texts.append([3, round(x + (w - small) / 2, 2), round(y, 2), False, round(w - small, 2), parts])
            continue
        at = x + INSET_X if kind in (0, 4, 5) else x + w / 2 - width / 2 if kind == 1 else x + w - INSET_X - width
        if len(parts) == 1 and isinstance(parts[0], str):
            parts = parts[0]  # one string: page.typ sets it as it is, without a call of its ``inline`` (ADR 0055)
        texts.append([kind, round(at, 2), round(y, 2), small, round(w - 2 * INSET_X, 2) if kind > 3 else 0, parts])
    rx, ry = [round(x, 2) for x in xs], [round(y, 2) for y in ys]
    return {"xs": rx, "ys": ry,
            "fills": [[rx[c], ry[r], round(xs[c2] - xs[c], 2), round(ys[r2] - ys[r], 2), f]
                      for c, r, c2, r2, f in drawn["fills"]],
            "rules": [[rx[e], ry[a], round(ys[b] - ys[a], 2), 1] if v else
                      [rx[a], ry[e], round(xs[b] - xs[a], 2), 0] for e, a, b, v in drawn["rules"]],
            "texts": texts}


def _flat(parts: _Inline) -> Iterator[Any]:
    """The parts of inline content, nested parts included."""
    for p in parts:
        yield p
        if isinstance(p, list) and p[0] != "br":
            yield from _flat(p[1])


def _runs(rules: list[list[int]], edge: int, indices: list[int], *, vertical: int) -> None:
    """The rules along one edge: one per run of consecutive ``indices`` (the columns or rows it borders)."""
    start = prev = None
    for i in indices:
        if prev is not None and i == prev + 1:
            prev = i
            continue
        if start is not None and prev is not None:
            rules.append([edge, start, prev + 1, vertical])
        start = prev = i
    if start is not None and prev is not None:
        rules.append([edge, start, prev + 1, vertical])


def _merged(fills: list[list[Any]]) -> list[list[Any]]:
    """Fills of one kind side by side in a row as one rectangle, then those one under the other."""
    return _joined(_joined(fills, (1, 3, 4), 0, 2), (0, 2, 4), 1, 3)


def _joined(fills: list[list[Any]], same: tuple[int, ...], start: int, end: int) -> list[list[Any]]:
    """Fills ([x0, y0, x1, y1, kind]) equal at the indexes ``same`` where one's ``end`` is the next's
    ``start``, joined into one."""
    out: list[list[Any]] = []
    alike = operator.itemgetter(*same)
    for f in sorted(fills, key=operator.itemgetter(*same, start)):
        last = out[-1] if out else None
        if last and alike(last) == alike(f) and last[end] == f[start]:
            last[end] = f[end]
        else:
            out.append(list(f))
    return out
