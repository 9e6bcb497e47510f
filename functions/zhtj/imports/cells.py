"""Turn raw cell values (what Excel, WPS or a CSV put in a cell) into canonical text, and
make exported text inert.

The same value reaches us in many shapes: an ID number as text, as a float that lost its
last digits, or as “1.10105E+17” in a CSV; a join month as an Excel date, an Excel serial
number, 2023.3 typed into a General cell, or the text 「2023年3月」. These functions accept
every unambiguous shape and refuse the rest with a reason the admin can act on.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time, timedelta
from typing import Final

from zhtj.readers.spreadsheet import CellValue

_INVISIBLE: Final = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
_HAS_INVISIBLE: Final = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
# Excel's day 0 in the 1900 date system (its fictitious 1900-02-29 makes serials from 61 on
# count from 1899-12-30).
_EXCEL_EPOCH: Final = date(1899, 12, 30)
# Serials of dates between 1950 and 2100: anything outside is not a join month.
_SERIAL_RANGE: Final = range(18_264, 73_051)
_SCIENTIFIC: Final = re.compile(r"[+-]?\d+(?:\.\d+)?[eE][+-]?\d+")


class CellProblem(ValueError):
    """A value that cannot be read as what its column holds; ``reason`` is Chinese and
    does not name the row or column (the caller adds both)."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(code, reason)
        self.code = code
        self.reason = reason


def clean_text(value: CellValue) -> str:
    """Text as the admin meant it: surrounding spaces (also U+3000) and invisible
    characters removed; numbers without a spurious “.0”; dates as ISO text."""
    if type(value) is str:  # the common case first: this runs for every cell of an import
        text = value.strip()
        if not text.isascii() and _HAS_INVISIBLE.search(text):
            text = text.translate(_INVISIBLE).strip()
        # A leading apostrophe is how our own exports neutralise formula-like text
        # (neutralise_for_export); reading it back gives the admin's text again.
        if len(text) > 1 and text[0] == "'" and text[1] in _FORMULA_TRIGGERS:
            text = text[1:]
        return text
    if value is None:
        return ""
    if isinstance(value, str):  # a str subclass
        return clean_text(str(value))
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def digits_text(value: CellValue, *, column: str) -> str:
    """A digit string (ID number, member number, phone) from a cell that must be text.

    A float cell is fine while it holds every digit (Excel keeps 15 significant digits:
    12-digit member numbers and 11-digit phones survive); scientific notation in text (a
    CSV saved from a General-format cell) means digits are already gone.
    """
    if type(value) is str:
        text = value.strip()
        if text.isascii() and text.isdigit():  # the common case, and the fast path
            return text
    if isinstance(value, float) and not value.is_integer():
        raise _not_text(column, value)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) >= 10**15:
        raise _not_text(column, value)
    text = clean_text(value)
    text = unicodedata.normalize("NFKC", text)
    if _SCIENTIFIC.fullmatch(text.replace(" ", "")):
        raise _not_text(column, text)
    return "".join(text.split())


def resident_id_text(value: CellValue, *, column: str) -> str:
    """An ID number may never come from a number cell: 18 digits exceed Excel's 15
    significant digits, and an ID ending in X cannot be a number at all."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise _not_text(column, value)
    return digits_text(value, column=column)


def _not_text(column: str, shown: object) -> CellProblem:
    if isinstance(shown, float):
        shown = f"{shown:.6g}".replace("e+", "E+")
    return CellProblem(
        "not_text",
        f"单元格为数值格式（显示为{shown}），数字已经丢失。请将{column}列设置为文本格式，重新填写后再上传",
    )


# 2023-03, 2023.3, 2023/3, 2023年3月, 2023-03-15, 2023年3月15日, 2023-03-15 00:00:00
_YEAR_MONTH_TEXT: Final = re.compile(
    r"(\d{4})\s*[-./年]\s*(\d{1,2})\s*月?(?:\s*[-./]?\s*(\d{1,2})\s*日?)?(?:[\sT]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
)
_COMPACT: Final = re.compile(r"(\d{4})(\d{2})(\d{2})?")  # 202303, 20230315
_ENGLISH_MONTHS: Final = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1
    )
}
_ENGLISH: Final = re.compile(r"([A-Za-z]{3})[-\s](\d{2}|\d{4})|(\d{2}|\d{4})[-\s]([A-Za-z]{3})")  # Mar-23


def parse_year_month(value: CellValue) -> tuple[int, int]:
    """(year, month) of a join month in any unambiguous shape; CellProblem otherwise."""
    if type(value) is str and len(value) == 7 and value[4] == "-" and value.isascii():
        year_text, month_text = value[:4], value[5:]  # “2023-03”, as the template asks
        if year_text.isdigit() and month_text.isdigit():
            return _checked(int(year_text), int(month_text), None, value)
    if isinstance(value, datetime):
        return value.year, value.month
    if isinstance(value, date):
        return value.year, value.month
    if isinstance(value, (time, timedelta)):
        raise CellProblem("date_format", "填写的是时间而不是年月，请填写如 2023-03 的入团年月")
    if isinstance(value, bool):
        raise CellProblem("date_format", "请填写如 2023-03 的入团年月")
    if isinstance(value, (int, float)):
        return _year_month_from_number(value)
    text = unicodedata.normalize("NFKC", clean_text(value))
    if not text:
        raise CellProblem("required", "不能为空")
    compact = "".join(text.split())
    for pattern in (_YEAR_MONTH_TEXT, _COMPACT):
        match = pattern.fullmatch(compact if pattern is _COMPACT else text)
        if match:
            year, month = int(match.group(1)), int(match.group(2))
            day = match.group(3)
            return _checked(year, month, int(day) if day else None, text)
    match = _ENGLISH.fullmatch(text)
    if match:
        name, year_text = (match.group(1), match.group(2)) if match.group(1) else (match.group(4), match.group(3))
        english_month = _ENGLISH_MONTHS.get(name.lower())
        if english_month is not None:
            year = int(year_text)
            return _checked(year + 2000 if year < 100 else year, english_month, None, text)
    if re.fullmatch(r"\d{4}", compact):
        raise CellProblem("date_format", f"“{text}”只有年份，请写成年月，如 {compact}-03")
    raise CellProblem("date_format", f"“{text}”不是有效的年月，请写成如 2023-03 的格式")


def _year_month_from_number(value: float) -> tuple[int, int]:
    shown = clean_text(value)
    if isinstance(value, float) and not value.is_integer():
        whole, _, fraction = repr(value).partition(".")
        if 1900 <= int(whole) <= 2999 and len(fraction) <= 2:
            # 2023.3 typed into a General cell is a number; 2023.10 becomes 2023.1 there,
            # so a one-digit “1” is January or October and only the admin knows which.
            if fraction == "1":
                raise CellProblem(
                    "date_ambiguous",
                    f"“{shown}”无法区分是1月还是10月（Excel把2023.10存成了2023.1），请写成 {whole}-01 或 {whole}-10",
                )
            return _checked(int(whole), int(fraction), None, shown)
        if int(value) in _SERIAL_RANGE:  # a date-time serial: the fraction is the time
            day = _EXCEL_EPOCH + timedelta(days=int(value))
            return day.year, day.month
        raise CellProblem("date_format", f"“{shown}”不是有效的年月，请写成如 2023-03 的格式")
    number = int(value)
    if 190_001 <= number <= 299_912:  # 202303
        return _checked(number // 100, number % 100, None, shown)
    if 19_000_101 <= number <= 29_991_231:  # 20230315
        return _checked(number // 10_000, number // 100 % 100, number % 100, shown)
    if number in _SERIAL_RANGE:
        day = _EXCEL_EPOCH + timedelta(days=number)
        return day.year, day.month
    if 1900 <= number <= 2999:
        raise CellProblem("date_format", f"“{number}”只有年份，请写成年月，如 {number}-03")
    raise CellProblem("date_format", f"“{shown}”不是有效的年月，请写成如 2023-03 的格式")


def _checked(year: int, month: int, day: int | None, shown: str) -> tuple[int, int]:
    if not 1900 <= year <= 2999 or not 1 <= month <= 12:
        raise CellProblem("date_format", f"“{shown}”不是有效的年月，请写成如 2023-03 的格式")
    if day is not None:
        try:
            date(year, month, day)
        except ValueError:
            raise CellProblem("date_format", f"“{shown}”不是有效的日期，请写成如 2023-03 的年月") from None
    return year, month


def format_year_month(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


# OWASP “CSV injection”: a cell starting with one of these is a formula (or becomes one when
# the admin edits it) in Excel, WPS and LibreOffice.
_FORMULA_TRIGGERS: Final = ("=", "+", "-", "@", "\t", "\r")


def neutralise_for_export(value: object) -> object:
    """A value safe to write into an exported cell: text that could start a formula gets a
    leading apostrophe (shown as text everywhere, and it stays text when re-saved as .csv);
    everything else is returned unchanged. Callers must still write the result as a string
    cell (openpyxl turns any str starting with “=” into a live formula)."""
    if isinstance(value, str) and value.startswith(_FORMULA_TRIGGERS):
        return "'" + value
    return value
