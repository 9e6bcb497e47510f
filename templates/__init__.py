"""Import-template definitions — where to find them.

DESIGN "Shape" puts the import-template definitions under ``templates/``. Their one source
of truth is ``functions/zhtj/imports/definitions.py`` instead, because the Lambda functions
ship only ``functions/`` (one shared CodeUri) and the API's template download, the import
worker and the CLI all need them. The modules here are thin re-exports, so that a reader
who starts from DESIGN finds the columns, and so that

    PYTHONPATH=functions python -m templates.members     # or templates.branches

prints a template's columns as a Markdown table. Nothing may be defined here: edit
``zhtj.imports.definitions`` and every download, the header matching, the validation and
the failure report follow. (This folder also holds sample data files for other parts.)
"""

from __future__ import annotations

from zhtj.imports.definitions import TemplateDefinition


def markdown_table(definition: TemplateDefinition) -> str:
    """The template's columns as a Markdown table (列名 | 必填 | 填写要求 | 可选值)."""
    lines = [f"### {definition.title}（工作表“{definition.sheet_name}”）", "", "| 列名 | 必填 | 填写要求 | 可选值 |",
             "|---|---|---|---|"]  # fmt: skip
    for column in definition.columns:
        choices = "、".join(column.choices) if len(column.choices) <= 12 else f"{len(column.choices)}项，见模板"
        lines.append(f"| {column.name} | {'是' if column.required else '否'} | {column.hint} | {choices} |")
    return "\n".join(lines)
