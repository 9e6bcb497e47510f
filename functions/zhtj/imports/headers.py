"""Find a template's header row and map its cells to canonical column names.

Users retype headers, paste them from the real system's .xls template (录入操作步骤 §三.2),
or save through WPS: the match tolerates the required mark 「*」 (either side), spaces of
every width, full-width letters and brackets, a trailing colon or a parenthesised note
(「入团年月（如2023-03）」), and the aliases a column declares (身份证号 for 身份证号码).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from zhtj.imports.definitions import FAILURE_COLUMN, REQUIRED_MARK, TemplateDefinition

# Invisible characters that arrive with text copied from web pages and Word.
_INVISIBLE: Final = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
_MARKS: Final = re.compile(r"[*※★☆]")
_TRAILING_NOTE: Final = re.compile(r"\(.*\)$")


def normalise_header(value: object) -> str:
    """The comparable form of a header cell: NFKC (full-width → half-width), no spaces, no
    required marks, no trailing colon."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value)).translate(_INVISIBLE)
    text = "".join(text.split())
    return _MARKS.sub("", text.replace(REQUIRED_MARK, "")).rstrip(":")


@dataclass(frozen=True, slots=True)
class HeaderMatch:
    """Where a definition's columns sit in a sheet.

    ``positions`` maps a canonical column name to its 0-based cell index; ``missing``
    lists required columns not found; ``duplicates`` columns that appear twice.
    """

    definition: TemplateDefinition
    header_row: int  # the spreadsheet's own 1-based row number
    positions: dict[str, int]
    missing: tuple[str, ...]
    duplicates: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return not self.missing and not self.duplicates


def _lookup(definition: TemplateDefinition) -> dict[str, str]:
    table: dict[str, str] = {}
    for column in definition.columns:
        for spelling in (column.name, *column.aliases):
            table.setdefault(normalise_header(spelling), column.name)
    return table


_LOOKUPS: dict[str, dict[str, str]] = {}
_IGNORED: Final = normalise_header(FAILURE_COLUMN)


def canonical_column(definition: TemplateDefinition, value: object) -> str | None:
    """The canonical name a header cell stands for, or None (unknown, or 失败原因)."""
    lookup = _LOOKUPS.get(definition.key)
    if lookup is None:
        lookup = _LOOKUPS[definition.key] = _lookup(definition)
    text = normalise_header(value)
    if not text or text == _IGNORED:
        return None
    found = lookup.get(text)
    if found is None:
        without_note = _TRAILING_NOTE.sub("", text)
        if without_note != text:
            found = lookup.get(without_note)
    return found


def match_header_row(definition: TemplateDefinition, row_number: int, cells: Sequence[object]) -> HeaderMatch:
    positions: dict[str, int] = {}
    duplicates: list[str] = []
    for index, value in enumerate(cells):
        name = canonical_column(definition, value)
        if name is None:
            continue
        if name in positions:
            duplicates.append(name)
            continue
        positions[name] = index
    missing = tuple(name for name in definition.required_names if name not in positions)
    return HeaderMatch(definition, row_number, positions, missing, tuple(dict.fromkeys(duplicates)))


# A header row must name at least this share of the template's required columns before it is
# taken for one (a data row never does: its cells are names and numbers, not headers).
_MIN_SHARE: Final = 0.5


def find_header(definition: TemplateDefinition, rows: Sequence[tuple[int, Sequence[object]]]) -> HeaderMatch | None:
    """The best header row among ``rows`` (the first few of a sheet), or None."""
    best: HeaderMatch | None = None
    needed = max(2, int(len(definition.required_names) * _MIN_SHARE))
    for row_number, cells in rows:
        match = match_header_row(definition, row_number, cells)
        found = len(definition.required_names) - len(match.missing)
        if found >= needed and (best is None or len(match.missing) < len(best.missing)):
            best = match
            if not match.missing:
                break
    return best
