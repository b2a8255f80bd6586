"""Checks on single values: codes, names, kana, dates of the school year.

Pure functions that raise the specific error of the rule they check and return the value,
normalised where the register has one spelling (NFC text, stripped names).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Annotated

from msgspec import Meta

from domain import errors
from domain import school_year as school_years

# A small number of a value record (a term, a grade, a coded finding): bounded by its type, so no
# decoder takes an integer of any size; what it may be in a school is checked by the rules below.
SmallNumber = Annotated[int, Meta(ge=0, le=99)]

SCHOOL_KINDS = {"B1": "elementary", "C1": "junior_high"}
GRADES = {"elementary": range(1, 7), "junior_high": range(1, 4)}

# 学校コード: 学校種(2) + 都道府県番号(2) + 設置区分(1) + 学校番号(7) + 検査数字(1).
_SCHOOL_CODE = re.compile(r"^(?P<kind>[A-G][1-9])(?P<pref>0[1-9]|[1-3][0-9]|4[0-7])[1-3][0-9]{7}[0-9]$")
_BOARD_CODE = re.compile(r"^(0[1-9]|[1-3][0-9]|4[0-7])[0-9]{4}$")
# Kana names: hiragana or katakana, the long-vowel mark, the middle dot and spaces.
_KANA = re.compile(r"^[\u3041-\u3096\u309d\u309e\u30a1-\u30fa\u30fc-\u30fe\u30fb 　]+$")
_CLASS_NAME = re.compile(r"^[0-9A-Za-z\u3040-\u30ff\u4e00-\u9fff]{1,8}$")


def school_code(value: str, field: str = "school_code") -> str:
    if not _SCHOOL_CODE.match(value):
        raise errors.InvalidSchoolCode(
            f"{value!r} is not a 13-character MEXT school code (e.g. B131220000013)", field=field
        )
    return value


def school_kind_of(code: str, field: str = "school_code") -> str:
    """The kind of school a code names; only kinds the register keeps are accepted."""
    kind = SCHOOL_KINDS.get(code[:2])
    if kind is None:
        raise errors.InvalidSchoolKind(
            f"school code {code} is of kind {code[:2]}; the register keeps B1 (小学校) and C1 (中学校)",
            field=field,
        )
    return kind


def board_code(value: str, field: str = "board_code") -> str:
    if not _BOARD_CODE.match(value):
        raise errors.InvalidBoardCode(f"{value!r} is not a 6-digit board of education code", field=field)
    return value


def text(value: str, field: str, *, max_length: int = 200, required: bool = True) -> str:
    value = unicodedata.normalize("NFC", value).strip()
    if required and not value:
        raise errors.BlankText(f"{field} must not be blank", field=field)
    if len(value) > max_length:
        raise errors.TextTooLong(f"{field} is {len(value)} characters; at most {max_length}", field=field)
    return value


def kana(value: str, field: str) -> str:
    value = text(value, field, max_length=100)
    if not _KANA.match(value):
        raise errors.KanaNotKana(f"{field} must be written in kana (ひらがな or カタカナ): {value!r}", field=field)
    return value


def sex(value: str, field: str = "sex") -> str:
    if value not in ("male", "female"):
        raise errors.InvalidSex(f"{field} must be 'male' or 'female'", field=field)
    return value


def grade(value: int, kind: str, field: str = "grade") -> int:
    allowed = GRADES[kind]
    if value not in allowed:
        raise errors.GradeOutOfRange(
            f"grade {value} does not exist at a {kind} school ({allowed.start}–{allowed.stop - 1})", field=field
        )
    return value


def class_name(value: str, field: str = "class_name") -> str:
    if not _CLASS_NAME.match(value):
        raise errors.InvalidClassName(f"{value!r} is not a class name (1–8 letters, digits or kanji)", field=field)
    return value


def attendance_number(value: int, field: str = "number") -> int:
    if not 1 <= value <= 99:
        raise errors.InvalidAttendanceNumber(f"出席番号 {value} must be 1–99", field=field)
    return value


def school_year(value: int, field: str = "year") -> int:
    if not 2000 <= value <= 2100:
        raise errors.SchoolYearOutOfRange(f"school year {value} is outside 2000–2100", field=field)
    return value


JST = timezone(timedelta(hours=9), "JST")  # a school's day is Japan's


def day_not_after_today(day: date, now: datetime, field: str) -> date:
    """A day that has come at the school: not after the day of ``now`` (the time the write is recorded) in Japan."""
    today = now.astimezone(JST).date()
    if day > today:
        raise errors.DateInTheFuture(f"{day.isoformat()} has not come yet at the school (today is "
                                     f"{today.isoformat()}): nothing can be recorded of it", field=field)
    return day


def day_in_school_year(day: date, year: int, field: str) -> date:
    if school_years.year_of(day) != year:
        raise errors.DateOutsideSchoolYear(
            f"{day.isoformat()} is outside school year {year} ({year}-04-01 to {year + 1}-03-31)", field=field
        )
    return day


def one_decimal(value: Decimal, field: str, low: Decimal, high: Decimal, unit: str) -> Decimal:
    """A measurement to at most one decimal place, inside a plausible range."""
    if not value.is_finite():
        raise errors.MeasurementOutOfRange(f"{field} must be a number of {unit}", field=field)
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -1:
        raise errors.TooPrecise(f"{field} is recorded in {unit} to one decimal place: {value}", field=field)
    if not low <= value <= high:
        raise errors.MeasurementOutOfRange(f"{field} {value} {unit} is outside {low}–{high} {unit}", field=field)
    return value
