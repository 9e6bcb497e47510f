"""Batch import of new members and organisations (录入操作步骤 §二–§三): template
definitions and generation, reading and header matching, offline row validation, and the
failure report.

Public API (what the import service and the CLI call)::

    from zhtj.imports import (MEMBER_TEMPLATE, BRANCH_TEMPLATE, TEMPLATES,
                              template_xlsx, check_import, read_import_file, validate_rows,
                              failure_report_xlsx, RowResult, RowError, row_error,
                              member_fields, branch_fields, TemplateRefused)

Importing this package is cheap (no openpyxl, no calamine): those load inside the
functions that parse or write files, and the parse itself runs in a bounded child process.
"""

from __future__ import annotations

from zhtj.imports.check import ImportCheck, check_import
from zhtj.imports.definitions import BRANCH_TEMPLATE, MEMBER_TEMPLATE, TEMPLATES, Column, TemplateDefinition
from zhtj.imports.generation import template_xlsx
from zhtj.imports.reading import ImportFile, ImportRow, TemplateRefused, read_import_file
from zhtj.imports.report import failure_report_file_name, failure_report_xlsx
from zhtj.imports.validation import (
    BranchFields,
    MemberFields,
    RowError,
    RowResult,
    branch_fields,
    member_fields,
    row_error,
    validate_rows,
)

__all__ = [
    "BRANCH_TEMPLATE",
    "MEMBER_TEMPLATE",
    "TEMPLATES",
    "BranchFields",
    "Column",
    "ImportCheck",
    "ImportFile",
    "ImportRow",
    "MemberFields",
    "RowError",
    "RowResult",
    "TemplateDefinition",
    "TemplateRefused",
    "branch_fields",
    "check_import",
    "failure_report_file_name",
    "failure_report_xlsx",
    "member_fields",
    "read_import_file",
    "row_error",
    "template_xlsx",
    "validate_rows",
]
