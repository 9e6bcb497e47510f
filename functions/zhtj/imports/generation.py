"""Generate the downloadable import templates (.xlsx bytes) from their definitions.

Never hand-made binaries (DESIGN "Shape": downloads come from build-time hooks): the site
regenerates them on every build, so the bytes must be deterministic — fixed document
timestamps and fixed zip entry times, otherwise every build would publish a "new" file.

What the workbook carries (录入操作步骤 §三.2: 按照导入模板的格式要求填写):
* the data sheet: the header row (required columns marked 「*」), frozen; text number
  format "@" on ID, phone, member-number and join-month columns so Excel keeps 18 digits
  instead of showing 3.20102E+17; list validations (dropdowns) for every enumeration, each
  with an input prompt holding the column's hint;
* 「填写说明」: the instructions and a table of every column's rule;
* a hidden 「下拉选项」 sheet with the lists, referred to through defined names (a list of
  56 民族 exceeds the 255 characters an inline list may hold, and a named range also works
  in the .xls the real system uses).

openpyxl is imported inside the functions (cold start of the API Lambda).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Final

from zhtj.imports.cells import neutralise_for_export
from zhtj.imports.definitions import (
    CHOICES_SHEET,
    FAILURE_COLUMN,
    FORMATTED_ROWS,
    INSTRUCTIONS_SHEET,
    TemplateDefinition,
)

if TYPE_CHECKING:
    from openpyxl.workbook import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

# The moment every generated file claims to be from (docProps/core.xml). Fixed so that two
# builds give identical bytes; the template's version is in its content, not its date.
FIXED_TIMESTAMP: Final = datetime(2023, 3, 14)  # the notice's date (团苏组字〔2023〕2号)
_ZIP_EPOCH: Final = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can hold
TEXT_FORMAT: Final = "@"

_HEADER_FILL: Final = "FFDDEBF7"
_REQUIRED_FONT_COLOUR: Final = "FFC00000"
_FAILURE_FILL: Final = "FFFCE4D6"


def template_xlsx(definition: TemplateDefinition) -> bytes:
    """The empty template as .xlsx bytes (identical on every call)."""
    workbook, _ = build_workbook(definition)
    return save_deterministic(workbook)


def build_workbook(definition: TemplateDefinition, *, with_failure_column: bool = False) -> tuple[Workbook, Worksheet]:
    """The template workbook and its data sheet (row 1 = header), ready for data rows."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    workbook = Workbook()
    workbook.properties.creator = "zhtj"
    workbook.properties.lastModifiedBy = "zhtj"
    workbook.properties.title = definition.title
    workbook.properties.created = FIXED_TIMESTAMP
    workbook.properties.modified = FIXED_TIMESTAMP

    sheet = workbook.active
    assert sheet is not None
    sheet.title = definition.sheet_name
    header_fill = PatternFill("solid", fgColor=_HEADER_FILL)
    for index, column in enumerate(definition.columns, start=1):
        cell = sheet.cell(row=1, column=index)
        write_text(cell, column.header)
        cell.font = Font(bold=True, color=_REQUIRED_FONT_COLOUR if column.required else None)
        cell.fill = header_fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        letter = cell.column_letter
        dimension = sheet.column_dimensions[letter]
        dimension.width = column.width
        if column.text_format:
            dimension.number_format = TEXT_FORMAT
    if with_failure_column:
        cell = sheet.cell(row=1, column=len(definition.columns) + 1)
        write_text(cell, FAILURE_COLUMN)
        cell.font = Font(bold=True, color=_REQUIRED_FONT_COLOUR)
        cell.fill = PatternFill("solid", fgColor=_FAILURE_FILL)
        sheet.column_dimensions[cell.column_letter].width = 60
    sheet.freeze_panes = "A2"
    sheet.row_dimensions[1].height = 30

    _add_instructions(workbook, definition)
    _add_choices(workbook, sheet, definition)
    return workbook, sheet


def write_text(cell: object, value: object) -> None:
    """Write ``value`` so that it can never be a formula: formula-like text is neutralised
    (cells.neutralise_for_export), characters XML cannot carry are dropped, and the cell
    is typed as a string whatever openpyxl guessed."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if value is None or value == "":
        cell.value = None  # type: ignore[attr-defined]
        return
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    cell.value = neutralise_for_export(text)  # type: ignore[attr-defined]
    cell.data_type = "s"  # type: ignore[attr-defined]


def _add_instructions(workbook: Workbook, definition: TemplateDefinition) -> None:
    from openpyxl.styles import Alignment, Font

    sheet = workbook.create_sheet(INSTRUCTIONS_SHEET)
    wrap = Alignment(wrap_text=True, vertical="top")
    write_text(sheet.cell(row=1, column=1), f"{definition.title} — 填写说明")
    sheet.cell(row=1, column=1).font = Font(bold=True, size=14)
    row = 3
    for paragraph in definition.instructions:
        cell = sheet.cell(row=row, column=1)
        write_text(cell, paragraph)
        cell.alignment = wrap
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=5)
        sheet.row_dimensions[row].height = 15 * (1 + len(paragraph) // 60)
        row += 1
    row += 1
    for index, title in enumerate(("列名", "是否必填", "填写要求", "示例", "可选值"), start=1):
        cell = sheet.cell(row=row, column=index)
        write_text(cell, title)
        cell.font = Font(bold=True)
    for column in definition.columns:
        row += 1
        choices = "、".join(column.choices) if column.choices else ""
        for index, value in enumerate(
            (column.name, "必填" if column.required else "选填", column.hint, column.example, choices), start=1
        ):
            cell = sheet.cell(row=row, column=index)
            write_text(cell, value)
            cell.alignment = wrap
            if index == 4:
                cell.number_format = TEXT_FORMAT
    for letter, width in zip("ABCDE", (16, 10, 60, 24, 40), strict=True):
        sheet.column_dimensions[letter].width = width


def choice_range_name(column_name: str) -> str:
    """The defined name of a column's dropdown list (Chinese names are valid Excel names)."""
    return f"选项_{column_name}"


def _add_choices(workbook: Workbook, data_sheet: Worksheet, definition: TemplateDefinition) -> None:
    from openpyxl.utils import get_column_letter, quote_sheetname
    from openpyxl.workbook.defined_name import DefinedName
    from openpyxl.worksheet.datavalidation import DataValidation

    listed = [(index, column) for index, column in enumerate(definition.columns, start=1) if column.choices]
    if not listed:
        return
    sheet = workbook.create_sheet(CHOICES_SHEET)
    sheet.sheet_state = "hidden"
    last_row = FORMATTED_ROWS + 1
    for list_index, (data_index, column) in enumerate(listed, start=1):
        write_text(sheet.cell(row=1, column=list_index), column.name)
        for offset, choice in enumerate(column.choices, start=2):
            write_text(sheet.cell(row=offset, column=list_index), choice)
        letter = get_column_letter(list_index)
        name = choice_range_name(column.name)
        reference = f"{quote_sheetname(CHOICES_SHEET)}!${letter}$2:${letter}${len(column.choices) + 1}"
        workbook.defined_names[name] = DefinedName(name, attr_text=reference)
        validation = DataValidation(
            type="list",
            formula1=name,
            allow_blank=not column.required,
            showDropDown=False,  # (sic) False *shows* the in-cell arrow in OOXML
            showErrorMessage=True,
            errorStyle="stop",
            errorTitle="请从下拉选项中选择",
            error=f"“{column.name}”只能从下拉选项中选择",
            showInputMessage=True,
            promptTitle=column.name[:32],
            prompt=column.hint[:250],
        )
        data_letter = get_column_letter(data_index)
        validation.add(f"{data_letter}2:{data_letter}{last_row}")
        data_sheet.add_data_validation(validation)


def append_rows(sheet: Worksheet, rows: Iterable[Sequence[object]], *, first_row: int = 2) -> None:
    """Write data rows as text cells (every value goes through ``write_text``)."""
    for row_number, values in enumerate(rows, start=first_row):
        for column_number, value in enumerate(values, start=1):
            write_text(sheet.cell(row=row_number, column=column_number), value)


_CORE_TIMES: Final = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:(?:created|modified)>)")


def save_deterministic(workbook: Workbook) -> bytes:
    """Save, then rewrite the zip with fixed entry times and fixed core-property dates
    (openpyxl stamps ``modified`` with the current time on every save)."""
    buffer = io.BytesIO()
    workbook.save(buffer)
    stamp = FIXED_TIMESTAMP.strftime("%Y-%m-%dT%H:%M:%SZ").encode("ascii")
    output = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source,
        zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for member in source.infolist():
            content = source.read(member)
            if member.filename == "docProps/core.xml":
                content = _CORE_TIMES.sub(lambda match: match.group(1) + stamp + match.group(2), content)
            entry = zipfile.ZipInfo(member.filename, date_time=_ZIP_EPOCH)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            target.writestr(entry, content, compresslevel=9)
    return output.getvalue()
