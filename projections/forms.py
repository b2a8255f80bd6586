"""Reading the forms: from today's read models, or replayed from the log as known at a position."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from uuid import UUID

from domain import streams
from projections import cumulative_record, health_cards, long_absence, report_card, staff
from projections.attendance_index import codes_key, school_prefix
from projections.attendance_register import DEFAULT_EXCUSED_LABEL, calendar_key, compose, month_key
from projections.base import NOW, Cutoff, Document
from projections.custody import ORIGINAL, view_for
from projections.enrollment_record import school_key
from projections.roster import compose as roster_of
from projections.runner import Runner
from projections.student_file import StudentFile, read, student_file


def _named(doc: Document, file: StudentFile) -> Document:
    """A form whose trails name the staff as the child's schools know them (projections/staff.py)."""
    return staff.named(doc, staff.directory([*file.schools.values(), *file.homerooms.values()]))


class Forms:
    def __init__(self, runner: Runner, excused_labels: dict[str, str] | None = None) -> None:
        self.runner = runner
        self.excused_labels = excused_labels or {}  # by board code: the 2021 MEXT renaming

    def label(self, board: str | None) -> str:
        return self.excused_labels.get(board or "", DEFAULT_EXCUSED_LABEL)

    def cumulative_record(self, student_id: UUID | str, *, board: str | None = None, as_of: Cutoff = NOW,
                          school: str | None = None) -> Document | None:
        """指導要録 (様式1 and 様式2) as a reader at ``school`` holds it (None: the whole record), as it
        stands or as known at a past point."""
        file = student_file(self.runner, student_id, as_of)
        if file is None:
            return None
        return _named(cumulative_record.compose(file, excused_label=self.label(board),
                                                view=view_for(file.student, school)), file)

    def report_card(self, student_id: UUID | str, year: int, term: int, *, board: str | None = None,
                    as_of: Cutoff = NOW, school: str | None = None) -> Document | None:
        """通知表 of one term at ``school`` (a school's own period only: it is never part of a copy);
        raises report_card.NoSuchTerm for a term the school year does not have."""
        file = student_file(self.runner, student_id, as_of)
        if file is None:
            return None
        if school is not None and view_for(file.student, school).mode(school, year) != ORIGINAL:
            return None
        card = report_card.compose(file, year, term, excused_label=self.label(board), school=school)
        return _named(card, file) if card is not None else None

    def health_card(self, student_id: UUID | str, *, as_of: Cutoff = NOW, school: str | None = None) -> Document | None:
        """健康診断票(一般): the card of the child's school kind, one column per school year, with the
        card of an earlier school kind sent along (health_cards.per_school_kind)."""
        file = student_file(self.runner, student_id, as_of, health=True)
        return _named(self.cards(health_cards.health_card, file, school), file) if file else None

    def dental_card(self, student_id: UUID | str, *, as_of: Cutoff = NOW, school: str | None = None) -> Document | None:
        """健康診断票(歯・口腔), with the counts computed from each year's tooth chart."""
        file = student_file(self.runner, student_id, as_of, health=True)
        return _named(self.cards(health_cards.dental_card, file, school), file) if file else None

    def cards(self, card: Callable[[Document, list[Document], dict[str, Document]], Document],
              file: StudentFile, school: str | None) -> Document:
        """A card as a reader at ``school`` holds it: the years of the schools it saw the child through."""
        view = view_for(file.student, school)
        who = file.student["identity"]
        student = {"student_id": file.student_id, "name": f"{who['family_name']} {who['given_name']}",
                   "name_kana": f"{who['family_name_kana']} {who['given_name_kana']}", "sex": who["sex"],
                   "birth_date": who["birth_date"]}
        schools = {c: {"name": d["name"], "kind": d["kind"]} for c, d in file.schools.items()}
        years = [file.health[y] for y in sorted(file.health) if view.mode(file.health[y]["school_code"], y)]
        return health_cards.per_school_kind(card, student, years, schools)

    def long_absence(self, school: str, year: int, *, as_of: Cutoff = NOW) -> Document:
        """The school year's children absent 30 days or more, or seven school days in a row."""
        # Who has marks at the school that year: the children of its class-months' codes (a key
        # known at a past point is a key today: documents are never removed).
        keys = self.runner.store.keys_with_prefix("attendance_index", school_prefix(school, year))
        found = read(self.runner, {"attendance_index": keys}, as_of)["attendance_index"] if keys else {}
        ids = sorted({sid for doc in found.values() for sid in doc["days"]})
        files = [f for sid in ids if (f := student_file(self.runner, sid, as_of)) is not None]
        return {**long_absence.compose(school, year, files), "school_name": self._school_name(school, as_of)}

    def _school_name(self, school: str, as_of: Cutoff) -> str | None:
        """The school's name as the register knows it at the cutoff (None: no such school)."""
        doc = read(self.runner, {"enrollment_record": [school_key(school)]}, as_of)["enrollment_record"]
        return next((str(d["name"]) for d in doc.values()), None)

    def roster(self, school: str, year: int, grade: int, class_name: str, on: date | None = None, *,
               as_of: Cutoff = NOW) -> Document | None:
        """名簿 of a class (those on the roll ``on`` a day, if given), as it stands or as known at a past point."""
        key = f"class/{streams.school_class(school, year, grade, class_name)}"
        klass = read(self.runner, {"roster": [key]}, as_of)["roster"].get(key)
        if klass is None:
            return None
        students = read(self.runner, {"roster": [f"student/{sid}" for sid in klass["placements"]]}, as_of)["roster"]
        return {**roster_of(klass, students, on), "school_name": self._school_name(school, as_of)}

    def attendance_register(self, school: str, year: int, grade: int, class_name: str, month: str, *,
                            board: str | None = None, as_of: int | Cutoff | None = None) -> Document | None:
        """出席簿 of a class for a month (YYYY-MM), with term and year totals.

        Reads the month's marks document and the year's mark codes (projections/attendance_index.py).
        As of a past point, they are replayed from the student-day streams of the children the class
        had then (the documents name no streams of their own).
        """
        cutoff = as_of if isinstance(as_of, Cutoff) else Cutoff(position=as_of) if as_of else NOW
        class_key = f"class/{streams.school_class(school, year, grade, class_name)}"
        cal_key = calendar_key(school, year)
        first = read(self.runner, {"roster": [class_key], "attendance_register": [cal_key]}, cutoff)
        klass, calendar = first["roster"].get(class_key), first["attendance_register"].get(cal_key)
        if klass is None or calendar is None:
            return None
        firsts = {f.isoformat()[:7]: f for f in (date(year + (m + 3) // 12, (m + 3) % 12 + 1, 1) for m in range(12))}
        codes = {ym: codes_key(school, year, grade, class_name, f) for ym, f in firsts.items()}
        marks = [month_key(school, year, grade, class_name, firsts[month])] if month in firsts else []
        wanted = {"roster": [f"student/{sid}" for sid in klass["placements"]],
                  "attendance_register": marks, "attendance_index": list(codes.values())}
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
        found = docs["attendance_index"]
        register = compose(klass, docs["roster"], calendar,
                           docs["attendance_register"].get(marks[0]) if marks else None,
                           {ym: found[key] for ym, key in codes.items() if key in found}, month,
                           excused_label=self.label(board))
        # the marks' correction trails name the staff as the school knows them (projections/staff.py)
        offices = read(self.runner, {"enrollment_record": [school_key(school), class_key]}, cutoff)["enrollment_record"]
        named = staff.named(register, staff.directory(offices.values()))
        return {**named, "school_name": next((d["name"] for k, d in offices.items() if k.startswith("school/")), None)}
