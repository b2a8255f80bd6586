"""`gakuseki print`: the PDFs of a class or of one child, written to a folder (a registrar printing a
term's registers, ADR 0035).

The forms are asked of the app itself, in this process, with the caller's token: the same routes,
the same access rules and the same access log as over HTTP, and the same bytes as a download. A
form the token may not read is reported and left out; the others are still written.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from domain import school_year as school_years

Get = Callable[[str], Any]  # path -> the response (status_code, headers, content, json())


@dataclass
class Printed:
    written: list[Path] = field(default_factory=list)
    refused: list[tuple[str, int, str]] = field(default_factory=list)  # (path, status, why)


class Printer:
    """Writes each form's PDF under ``folder``, by the file name the server gives it."""

    def __init__(self, get: Get, folder: Path, wait_for: int) -> None:
        self.get, self.folder, self.wait_for = get, folder, wait_for
        self.printed = Printed()
        folder.mkdir(parents=True, exist_ok=True)

    def form(self, path: str, *, quiet_404: bool = False) -> bool:
        """One form as PDF; False when refused (kept in ``printed.refused``)."""
        sep = "&" if "?" in path else "?"
        response = self.get(f"{path}{sep}wait_for={self.wait_for}&format=pdf")
        if response.status_code != 200:
            if not (quiet_404 and response.status_code in (404, 422)):
                why = _detail(response)
                self.printed.refused.append((path, response.status_code, why))
            return False
        name = re.search(r'filename="([^"]+)"', response.headers.get("content-disposition", ""))
        target = self.folder / (name.group(1) if name else f"form-{len(self.printed.written) + 1}.pdf")
        target.write_bytes(response.content)
        self.printed.written.append(target)
        return True

    def json(self, path: str) -> Any:
        sep = "&" if "?" in path else "?"
        response = self.get(f"{path}{sep}wait_for={self.wait_for}")
        if response.status_code != 200:
            self.printed.refused.append((path, response.status_code, _detail(response)))
            return None
        return response.json()

    def student(self, student_id: str, year: int) -> None:
        """A child's 指導要録, 健康診断票 (一般, 歯・口腔) and the 通知表 of each term of ``year``."""
        base = f"/v1/students/{student_id}/forms"
        for form in ("cumulative-record", "health-card", "dental-card"):
            self.form(f"{base}/{form}")
        for term in (1, 2, 3):  # a school with two terms answers 422 for the third: not an error
            self.form(f"{base}/report-card?year={year}&term={term}", quiet_404=True)

    def klass(self, school: str, year: int, grade: int, name: str, through: date) -> None:
        """A class's 名簿, its 出席簿 of each month from April up to ``through``, and each child's forms."""
        base = f"/v1/schools/{school}/years/{year}/classes/{grade}/{name}"
        roster = self.json(f"{base}/roster")
        if roster is None:
            return
        self.form(f"{base}/roster")
        for month in months(year, through):
            self.form(f"{base}/attendance-register?month={month}")
        for child in roster["students"]:
            self.student(child["student_id"], year)


def months(year: int, through: date) -> Iterator[str]:
    """The months (YYYY-MM) of school year ``year`` that have begun by ``through``."""
    for first in school_years.month_firsts(year):
        if first <= through:
            yield first.isoformat()[:7]


def _detail(response: Any) -> str:
    try:
        body = response.json()
        return str(body.get("detail") or body.get("title") or "")
    except ValueError:
        return ""
