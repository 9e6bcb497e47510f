"""Read an uploaded file as one of the import templates: rows as dicts keyed by canonical
column names, each with the spreadsheet's own row number (header = row 1).

A file is refused as a whole (``TemplateRefused``, Chinese message) when it cannot be read
or is not a template — the admin then fixes the file, not rows. Everything row-level is
left to ``zhtj.imports.validation``.
"""

from __future__ import annotations

import operator
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from zhtj.domain.errors import DomainError
from zhtj.imports.definitions import INSTRUCTIONS_SHEET, TEMPLATES, TemplateDefinition
from zhtj.imports.gcpause import paused_gc
from zhtj.imports.headers import HeaderMatch, find_header, normalise_header
from zhtj.readers.spreadsheet import (
    DEFAULT_LIMITS,
    HEAD_ROWS,
    CellValue,
    ReadLimits,
    Row,
    SheetRows,
    SpreadsheetRefused,
    read_spreadsheet,
)


class TemplateRefused(DomainError):
    """The file cannot be imported as a template (unreadable, or not the template)."""


class ImportRow:
    """One data row. ``row`` is the spreadsheet's own row number (header = row 1); ``values``
    maps canonical column names to raw cell values (None when blank).

    A row read from a file that has every column of its template also keeps ``cells``: the
    raw values in the template's column order, blank cells as the reader gave them ("" or
    spaces). The bulk path of validation reads those directly; ``values`` is then built on
    first use — for the rows that need the full checks, a small share of a real file."""

    __slots__ = ("_names", "_values", "cells", "row")

    def __init__(self, row: int, values: dict[str, CellValue] | None = None, *,
                 cells: tuple[CellValue, ...] | None = None, names: tuple[str, ...] = ()) -> None:
        if (values is None) == (cells is None):
            raise ValueError("give either values or cells (with their names)")
        if cells is not None and len(cells) != len(names):
            raise ValueError("one name per cell")
        self.row = row
        self.cells = cells
        self._names = names
        self._values = values

    @property
    def values(self) -> dict[str, CellValue]:
        if self._values is None:
            assert self.cells is not None
            self._values = {name: None if _blank(value) else value
                            for name, value in zip(self._names, self.cells, strict=True)}
        return self._values

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ImportRow):
            return NotImplemented
        return self.row == other.row and self.values == other.values

    __hash__ = None  # type: ignore[assignment]  # mutable cache inside: compared by value, never hashed

    def __repr__(self) -> str:
        return f"ImportRow(row={self.row!r}, values={self.values!r})"


def _blank(value: CellValue) -> bool:
    return value is None or (type(value) is str and (not value or value.isspace()))


@dataclass(frozen=True, slots=True)
class ImportFile:
    definition: TemplateDefinition
    format: str  # "xlsx" | "xls" | "csv"
    sheet_name: str
    header_row: int
    rows: list[ImportRow]
    ignored_headers: tuple[str, ...]  # header cells that are no template column (失败原因, notes)


# Receives a read file's rows part by part, in file order, while the file is still being read
# (check_import validates them meanwhile); the definition is the template the header matched.
ImportRowsReceiver = Callable[[TemplateDefinition, list[ImportRow]], None]


def read_import_file(
    data: bytes,
    filename: str = "",
    *,
    definitions: Sequence[TemplateDefinition] = tuple(TEMPLATES.values()),
    limits: ReadLimits = DEFAULT_LIMITS,
    on_rows: ImportRowsReceiver | None = None,
) -> ImportFile:
    """Read ``data`` as whichever of ``definitions`` its header row matches best.

    The header is matched on the first part the reader delivers, so a file that is not the
    template is refused before the rest of it has been converted."""
    candidates = tuple(definitions)
    rows = _TemplateRows(candidates, on_rows)
    try:
        sheet = read_spreadsheet(
            data,
            filename,
            select=partial(_looks_like_a_template, candidates),
            preferred_sheets=[definition.sheet_name for definition in candidates],
            limits=limits,
            on_rows=rows.receive,
        )
    except SpreadsheetRefused as refused:
        raise TemplateRefused(refused.code, refused.message) from None
    match = rows.match or _header_match(candidates, sheet)  # no part came: the sheet was refused
    if not rows.rows:
        raise TemplateRefused(
            "no_rows",
            f"工作表“{sheet.sheet_name}”中没有填写任何数据，请从第{match.header_row + 1}行起逐行填写后再上传",
        )
    return ImportFile(match.definition, sheet.format, sheet.sheet_name, match.header_row, rows.rows, rows.ignored)


def _header_match(candidates: tuple[TemplateDefinition, ...], sheet: SheetRows) -> HeaderMatch:
    """The template whose header the sheet's first rows hold, or the refusal that says why not."""
    head = sheet.rows[:HEAD_ROWS]
    matches = [match for definition in candidates if (match := find_header(definition, head)) is not None]
    if not sheet.selected or not matches:
        raise TemplateRefused("not_template", _not_a_template_message(candidates, sheet.sheet_name, head))
    best = min(matches, key=lambda match: (len(match.missing) + len(match.duplicates), -len(match.positions)))
    if best.duplicates:
        raise TemplateRefused(
            "duplicate_columns",
            f"工作表“{sheet.sheet_name}”第{best.header_row}行表头中“{'”“'.join(best.duplicates)}”出现了不止一次，"
            "请删除重复的列后再上传",
        )
    if best.missing:
        raise TemplateRefused(
            "missing_columns",
            f"工作表“{sheet.sheet_name}”缺少必填列“{'”“'.join(best.missing)}”。"
            f"请使用最新的“{best.definition.title}”，不要删除或修改表头",
        )
    return best


def _looks_like_a_template(definitions: tuple[TemplateDefinition, ...], sheet_name: str, head: Sequence[Row]) -> bool:
    """The sheet selector (module level, so it pickles should the child be spawned)."""
    if sheet_name == INSTRUCTIONS_SHEET:
        return False
    numbered = list(enumerate(head, start=1))
    return any(find_header(definition, numbered) is not None for definition in definitions)


class _TemplateRows:
    """Turns the reader's parts into ImportRows as they arrive: the header is matched on the
    first part; merged cells are filled down across parts (a merge's top row always comes
    before the rows it covers)."""

    def __init__(self, candidates: tuple[TemplateDefinition, ...], on_rows: ImportRowsReceiver | None) -> None:
        self.candidates = candidates
        self.on_rows = on_rows
        self.match: HeaderMatch | None = None
        self.rows: list[ImportRow] = []
        self.ignored: tuple[str, ...] = ()

    def receive(self, part: SheetRows) -> None:
        if not part.selected:
            return  # read_import_file refuses the sheet once the read is over
        if self.match is None:
            self._start(_header_match(self.candidates, part), part)
        with paused_gc():
            imported = self._map(part.rows)
        self.rows.extend(imported)
        if self.on_rows is not None and imported:
            assert self.match is not None
            self.on_rows(self.match.definition, imported)

    def _start(self, match: HeaderMatch, first: SheetRows) -> None:
        self.match = match
        positions = match.positions
        header_cells = next(cells for number, cells in first.rows if number == match.header_row)
        known = set(positions.values())
        self.ignored = tuple(
            str(value).strip() for index, value in enumerate(header_cells)
            if index not in known and normalise_header(value)
        )
        self.merged_rows = _rows_covered_by_wide_merges(first.merged, len(header_cells))
        # Vertical merges below the header, by top row: (first column, last row) of each.
        self.merge_tops: dict[int, list[tuple[int, int]]] = {}
        for top, left, bottom, _right in first.merged:
            if bottom > top > match.header_row:
                self.merge_tops.setdefault(top, []).append((left, bottom))
        self.filled_down: dict[tuple[int, int], CellValue] = {}
        definition = match.definition
        self.complete = all(name in positions for name in definition.column_names)
        # With every column present, rows keep their cells in the template's order (ImportRow.cells).
        self.names = definition.column_names if self.complete else tuple(positions)
        indexes = tuple(positions[name] for name in self.names)
        self.width = max(indexes) + 1
        self.probe_index = indexes[0]
        self.probe_header = normalise_header(self.names[0])
        self.pick = operator.itemgetter(*indexes) if len(indexes) > 1 else lambda cells: (cells[indexes[0]],)

    def _fill_down_from(self, rows: list[tuple[int, Row]]) -> None:
        """Cells under a vertically merged cell take its value: admins merge 「所在团支部」
        over a whole class, and Excel stores the value in the top cell only. Only the
        merge's first column is filled — its value belongs to that column, not to the ones
        beside it."""
        for number, cells in rows:
            for left, bottom in self.merge_tops.get(number, ()):
                value = cells[left - 1] if left - 1 < len(cells) else None
                if value is None or value == "":
                    continue
                for covered in range(number + 1, min(bottom, number + 10_000) + 1):
                    self.filled_down[(covered, left - 1)] = value

    def _map(self, rows: list[tuple[int, Row]]) -> list[ImportRow]:
        assert self.match is not None
        header_row, merged_rows, names, width = self.match.header_row, self.merged_rows, self.names, self.width
        probe_index, probe_header, pick, complete = self.probe_index, self.probe_header, self.pick, self.complete
        probe_first = probe_header[:1]
        if self.merge_tops:
            self._fill_down_from(rows)
        filled_down = self.filled_down
        result: list[ImportRow] = []
        for number, cells in rows:
            if number <= header_row or number in merged_rows:
                continue
            if len(cells) < width:
                cells = cells + [None] * (width - len(cells))
            if filled_down:
                cells = [
                    filled_down.get((number, index), value) if value is None or value == "" else value
                    for index, value in enumerate(cells)
                ]
            picked = pick(cells)
            probe = cells[probe_index]
            # The header repeated (two files pasted one under the other). normalise_header only
            # removes characters from NFKC-normal text, so a probe without the header's first
            # character cannot match it: most rows skip the normalisation.
            repeats_header = (isinstance(probe, str)
                              and (probe_first in probe or not unicodedata.is_normalized("NFKC", probe))
                              and normalise_header(probe) == probe_header)
            if complete and not repeats_header and type(probe) is str and probe and not probe.isspace():
                result.append(ImportRow(number, cells=picked, names=names))  # filled: its first column is
                continue
            values: dict[str, CellValue] = {name: None if _blank(value) else value
                                            for name, value in zip(names, picked, strict=True)}
            if list(values.values()).count(None) == len(values):
                continue  # only cells outside the template's columns are filled: not a member
            if repeats_header and _repeats_header(values):
                continue
            result.append(ImportRow(number, values))
        return result


def _repeats_header(values: dict[str, CellValue]) -> bool:
    return all(normalise_header(value) == normalise_header(name) for name, value in values.items() if value is not None)


def _rows_covered_by_wide_merges(merged: list[tuple[int, int, int, int]], width: int) -> set[int]:
    """Rows that are one merged cell across (most of) the table: section titles such as
    「一、初三年级」, not members. Narrower merges (one value over two cells) are data."""
    covered: set[int] = set()
    for top, left, bottom, right in merged:
        if right - left + 1 >= max(3, width // 2):
            covered.update(range(top, min(bottom, top + 10_000) + 1))
    return covered


def _not_a_template_message(
    definitions: Sequence[TemplateDefinition], sheet_name: str, head: Sequence[tuple[int, Row]]
) -> str:
    titles = "或".join(f"“{definition.title}”" for definition in definitions)
    first = next((cells for _, cells in head), [])
    shown = "、".join(str(value).strip() for value in first[:6] if str(value or "").strip())
    found = f"，工作表“{sheet_name}”的第一行是“{shown}”" if shown else f"，工作表“{sheet_name}”是空的"
    expected = "、".join(definitions[0].column_names[:4]) if definitions else ""
    return f"这不是导入模板{found}。请下载{titles}，在第1行表头（{expected}……）下逐行填写后再上传"
