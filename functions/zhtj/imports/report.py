"""The failure report: the template again, holding only the rows that failed, with a last
column 「失败原因」 (录入操作步骤 §三.5: 下载系统反馈的具有失败原因的Excel表格).

The admin corrects the rows in this very file and uploads it again as is: it has the
template's header, dropdowns and text formats, and the reader ignores 「失败原因」
(``zhtj.imports.headers``). Every value passes through ``generation.write_text``, so text
such as ``=HYPERLINK(...)`` typed into an upload comes back as inert text, never a formula.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from zhtj.imports.definitions import TemplateDefinition
from zhtj.imports.generation import append_rows, build_workbook, save_deterministic
from zhtj.imports.validation import RowResult

REASON_SEPARATOR: Final = "；"


def failure_report_xlsx(definition: TemplateDefinition, results: Iterable[RowResult]) -> bytes:
    """.xlsx bytes with every failed row of ``results`` (in their order) and its reasons."""
    workbook, sheet = build_workbook(definition, with_failure_column=True)
    names = definition.column_names
    append_rows(
        sheet,
        (
            [*(result.values.get(name, "") for name in names), REASON_SEPARATOR.join(e.message for e in result.errors)]
            for result in results
            if result.errors
        ),
    )
    return save_deterministic(workbook)


def failure_report_file_name(definition: TemplateDefinition, failed_rows: int) -> str:
    return f"{definition.title}-导入失败{failed_rows}条.xlsx"
