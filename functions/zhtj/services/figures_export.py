"""The figures table as .xlsx (console 导出). Every text cell is neutralised like the
allocation table's (a leading =, +, -, @, tab or CR would make a spreadsheet run a formula)."""

from __future__ import annotations

from collections.abc import Mapping
from io import BytesIO
from typing import Any

from zhtj.services.allocation_table import neutralise

COLUMNS = (
    ("领域", "domain"), ("计划数", "plan"), ("已使用编号", "used"), ("编号使用率(%)", "usage_percent"),
    ("已录入团员", "entered"), ("已上传档案", "uploaded"), ("未上传", "not_uploaded"), ("待审批", "pending"),
    ("认证不通过", "rejected"), ("已认证", "certified"), ("新发展团员", "new_members"),
    ("电子档案录入完整率(%)", "completeness_percent"), ("逾期未上传", "overdue"),
)


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        return neutralise(value)
    return value


def render_xlsx(figures: Mapping[str, Any]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "进度统计"
    org = figures["org"]
    sheet.append([_cell(f"{org['name']} {figures['year']}年发展团员进度统计（截至{figures['as_of']}）")])
    sheet.append([label for label, _ in COLUMNS])
    for row in [*figures["domains"], {**figures["total"], "domain": "合计"}]:
        sheet.append([_cell(row.get(key)) for _, key in COLUMNS])
    notes = workbook.create_sheet("口径说明")
    for key, text in figures.get("definitions", {}).items():
        notes.append([_cell(key), _cell(text)])
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()
