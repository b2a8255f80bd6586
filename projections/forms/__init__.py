"""The forms, composed on read (ADR 0038): each form's module beside the templates that print it.

``Forms`` reads them: from today's read models, or replayed from the log as known at a position.
html.py lays a form out as a printable page, pdf.py as a PDF (ADR 0035, 0036).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from uuid import UUID

from domain import school_year as school_years
from domain import streams
from domain.custody import holder  # not the module: a name here is shadowed by the submodule of that name
from projections.attendance_index import codes_key, school_prefix
from projections.attendance_register import calendar_key, month_key
from projections.base import NOW, Cutoff, Form
from projections.board_settings import board_key, excused_label_on
from projections.enrollment_record import school_key
from projections.forms import cumulative_record, health_cards, long_absence, report_card, staff
from projections.forms.attendance_register import DEFAULT_EXCUSED_LABEL, compose
from projections.forms.custody import ORIGINAL, as_it_stood, periods_of, view_for
from projections.forms.roster import compose as roster_of
from projections.forms.student_file import StudentFile, read, student_file
from projections.health_records import HealthYear
from projections.runner import Runner

OPEN_END = "9999-12-31"  # no day given: every school day of the calendar is counted


def counted_through(cutoff: Cutoff, today: date | None, known: date | None = None) -> str:
    """The last day whose school days a form counts (ADR 0024): the earliest of the cutoff's date
    (``on``), the schools' date (JST) at the cutoff's moment (``at``), the date the log was known at
    the cutoff's position (``known``) and today; a day not yet come is not a 授業日 of anyone's yet."""
    at = school_years.school_date(cutoff.at) if cutoff.at else None
    days = [d for d in (cutoff.on, at, known, today) if d]
    return min(days).isoformat() if days else OPEN_END


def _named(doc: Form, file: StudentFile) -> Form:
    """A form whose trails name the staff as the child's schools know them (staff.py)."""
    return staff.named(doc, staff.directory([*file.schools.values(), *file.homerooms.values()]))


class Forms:
    def __init__(self, runner: Runner, *, clock: Callable[[], datetime] | None = None) -> None:
        """``clock``: the moment of a read, whose date in Japan is "today" for the forms (the app's
        clock); without one (tools reading a finished year), only a cutoff's date limits the days."""
        self.runner = runner
        self.clock = clock

    def through(self, cutoff: Cutoff) -> str:
        """The last day counted by a read at ``cutoff`` now (``counted_through``). A position names the
        moment its last whole transaction was recorded, so a form read as of a position counts the same
        days whenever it is read (the same bytes, ADR 0020, 0021)."""
        known = None
        if cutoff.position is not None:
            moment = self.runner.ledger.known_time(self.runner.ledger.settled(cutoff.position))
            known = school_years.school_date(moment) if moment is not None else None
        return counted_through(cutoff, school_years.school_date(self.clock()) if self.clock else None, known)

    def file(self, student_id: UUID | str, school: str | None, as_of: Cutoff, *,
             health: bool = False) -> StudentFile | None:
        """The child's file as a reader at ``school`` holds it, counting the days up to ``through``: a
        school the child has left reads it as it stood when custody passed (domain/custody.py); the
        school that holds the child, as asked."""
        file = student_file(self.runner, student_id, as_of, health=health)
        if file is not None and school is not None and holder(periods_of(file.student)) != school:
            cut = as_it_stood(self.runner.ledger, student_id, school, as_of)
            if cut != as_of:
                file = student_file(self.runner, student_id, cut, health=health)
        if file is not None:
            file.through = self.through(as_of)
        return file

    def label(self, board: str | None, as_of: Cutoff, day: str) -> str:
        """The name of the 出席停止・忌引等 column (ADR 0038): the setting of ``board`` in force on ``day``,
        the day the form is read for (its ``through``), as the board's record stood at ``as_of``."""
        if not board:
            return DEFAULT_EXCUSED_LABEL
        key = board_key(board)
        return excused_label_on(read(self.runner, {"board_settings": [key]}, as_of)["board_settings"].get(key), day)

    @staticmethod
    def board_of(file: StudentFile, school: str | None, board: str | None) -> str | None:
        """The board of ``school`` as the register knew it at the file's cutoff (else ``board``: the
        board of the school the form is kept at, as the caller found it)."""
        found = file.schools.get(school) if school else None
        return str(found["board_code"]) if found and found.get("board_code") else board

    def cumulative_record(self, student_id: UUID | str, *, board: str | None = None, as_of: Cutoff = NOW,
                          school: str | None = None) -> Form | None:
        """指導要録 (様式1 and 様式2) as a reader at ``school`` holds it (None: the whole record), as it
        stands or as known at a past point."""
        file = self.file(student_id, school, as_of)
        if file is None:
            return None
        label = self.label(self.board_of(file, school, board), as_of, file.through)
        return _named(cumulative_record.compose(file, excused_label=label, view=view_for(file.student, school)), file)

    def report_card(self, student_id: UUID | str, year: int, term: int, *, board: str | None = None,
                    as_of: Cutoff = NOW, school: str | None = None) -> Form | None:
        """通知表 of one term at ``school`` (a school's own period only: it is never part of a copy);
        raises report_card.NoSuchTerm for a term the school year does not have."""
        file = self.file(student_id, school, as_of)
        if file is None:
            return None
        if school is not None and view_for(file.student, school).mode(school, year) != ORIGINAL:
            return None
        label = self.label(self.board_of(file, school, board), as_of, file.through)
        card = report_card.compose(file, year, term, excused_label=label, school=school)
        return _named(card, file) if card is not None else None

    def health_card(self, student_id: UUID | str, *, as_of: Cutoff = NOW, school: str | None = None) -> Form | None:
        """健康診断票(一般): the card of the child's school kind, one column per school year, with the
        card of an earlier school kind sent along (health_cards.per_school_kind)."""
        file = self.file(student_id, school, as_of, health=True)
        return _named(self.cards(health_cards.health_card, file, school), file) if file else None

    def dental_card(self, student_id: UUID | str, *, as_of: Cutoff = NOW, school: str | None = None) -> Form | None:
        """健康診断票(歯・口腔), with the counts computed from each year's tooth chart."""
        file = self.file(student_id, school, as_of, health=True)
        return _named(self.cards(health_cards.dental_card, file, school), file) if file else None

    def cards(self, card: Callable[[dict[str, Any], list[HealthYear], dict[str, dict[str, Any]]], Form],
              file: StudentFile, school: str | None) -> Form:
        """A card as a reader at ``school`` holds it: the years of the schools it saw the child through."""
        view = view_for(file.student, school)
        who = file.student["identity"]
        student = {"student_id": file.student_id, "name": f"{who['family_name']} {who['given_name']}",
                   "name_kana": f"{who['family_name_kana']} {who['given_name_kana']}", "sex": who["sex"],
                   "birth_date": who["birth_date"]}
        schools = {c: {"name": d["name"], "kind": d["kind"]} for c, d in file.schools.items()}
        years = [file.health[y] for y in sorted(file.health) if view.mode(file.health[y]["school_code"], y)]
        return health_cards.per_school_kind(card, student, years, schools)

    def long_absence(self, school: str, year: int, *, as_of: Cutoff = NOW) -> Form:
        """The school year's children absent 30 days or more, or seven school days in a row."""
        # Who has marks at the school that year: the children of its class-months' codes (a key
        # known at a past point is a key today: documents are never removed).
        keys = self.runner.store.keys_with_prefix("attendance_index", school_prefix(school, year))
        found = read(self.runner, {"attendance_index": keys}, as_of)["attendance_index"] if keys else {}
        ids = sorted({sid for doc in found.values() for sid in doc["days"]})
        files = [f for sid in ids if (f := self.file(sid, school, as_of)) is not None]
        return {**long_absence.compose(school, year, files), "school_name": self._school_name(school, as_of)}

    def _school_name(self, school: str, as_of: Cutoff) -> str | None:
        """The school's name as the register knows it at the cutoff (None: no such school)."""
        doc = read(self.runner, {"enrollment_record": [school_key(school)]}, as_of)["enrollment_record"]
        return next((str(d["name"]) for d in doc.values()), None)

    def roster(self, school: str, year: int, grade: int, class_name: str, on: date | None = None, *,
               as_of: Cutoff = NOW) -> Form | None:
        """名簿 of a class (those on the roll ``on`` a day, if given), as it stands or as known at a past point."""
        key = f"class/{streams.school_class(school, year, grade, class_name)}"
        klass = read(self.runner, {"roster": [key]}, as_of)["roster"].get(key)
        if klass is None:
            return None
        students = read(self.runner, {"roster": [f"student/{sid}" for sid in klass["placements"]]}, as_of)["roster"]
        return {**roster_of(klass, students, on), "school_name": self._school_name(school, as_of)}

    def attendance_register(self, school: str, year: int, grade: int, class_name: str, month: str, *,
                            as_of: int | Cutoff | None = None) -> Form | None:
        """出席簿 of a class for a month (YYYY-MM), with term and year totals.

        Reads the month's marks document and the year's mark codes (projections/attendance_index.py).
        As of a past point, they are replayed from the student-day streams of the children the class
        had then (the documents name no streams of their own).
        """
        cutoff = as_of if isinstance(as_of, Cutoff) else Cutoff(position=as_of) if as_of else NOW
        class_key = f"class/{streams.school_class(school, year, grade, class_name)}"
        cal_key = calendar_key(school, year)
        # the school's and the class's offices (their principals, homeroom teachers) read with the class
        first = read(self.runner, {"roster": [class_key], "attendance_register": [cal_key],
                                   "enrollment_record": [school_key(school), class_key]}, cutoff)
        klass, calendar = first["roster"].get(class_key), first["attendance_register"].get(cal_key)
        if klass is None or calendar is None:
            return None
        offices = first["enrollment_record"]
        # how a 休学 day counts and the name of the excused column are the school's board's settings (ADR 0028,
        # 0038): read with the month's documents
        board_code = next((d["board_code"] for k, d in offices.items() if k.startswith("school/")), None)
        boards = [board_key(board_code)] if board_code else []
        firsts = {f.isoformat()[:7]: f for f in school_years.month_firsts(year)}
        codes = {ym: codes_key(school, year, grade, class_name, f) for ym, f in firsts.items()}
        marks = [month_key(school, year, grade, class_name, firsts[month])] if month in firsts else []
        wanted = {"roster": [f"student/{sid}" for sid in klass["placements"]],
                  "attendance_register": marks, "attendance_index": list(codes.values()), "board_settings": boards}
        if cutoff.today:
            docs = read(self.runner, wanted, cutoff)
        else:
            by_month: dict[str, list[str]] = {}
            for d in calendar["instructional_days"]:
                by_month.setdefault(d[:7], []).append(d)
            ids = {ym: [i for sid in klass["placements"]
                        for i in streams.attendance_days(UUID(sid), by_month.get(ym, []))] for ym in codes}
            known = {("attendance_index", key): ids[ym] for ym, key in codes.items()}
            known.update({("attendance_register", key): ids[month] for key in marks})
            docs = self.runner.replay_documents(wanted, cutoff, known)
        found, through = docs["attendance_index"], self.through(cutoff)
        board = docs["board_settings"].get(boards[0]) if boards else None
        register = compose(klass, docs["roster"], calendar,
                           docs["attendance_register"].get(marks[0]) if marks else None,
                           {ym: found[key] for ym, key in codes.items() if key in found}, month,
                           excused_label=excused_label_on(board, through), through=through, board=board)
        # the marks' correction trails name the staff as the school knows them (staff.py)
        named = staff.named(register, staff.directory(offices.values()))
        return {**named, "school_name": next((d["name"] for k, d in offices.items() if k.startswith("school/")), None)}
