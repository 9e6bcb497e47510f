"""Reading uploads written by other programs: openpyxl, LibreOffice (.xls, as the real
system's template is .xls), and CSV in GB18030 and UTF-8 with a BOM."""

from __future__ import annotations

import io
from datetime import date, datetime

import openpyxl
import pytest

from tests.unit.imports._support import TODAY, LibreOffice, filled_template, member, resident_id
from zhtj.imports import BRANCH_TEMPLATE, MEMBER_TEMPLATE, TemplateRefused, check_import, read_import_file
from zhtj.readers.spreadsheet import SpreadsheetRefused, decode_csv_bytes, read_spreadsheet


def _csv(rows: list[list[object]], header: list[str] | None = None) -> str:
    header = header or [column.header for column in MEMBER_TEMPLATE.columns]
    lines = [",".join(header)] + [",".join("" if value is None else str(value) for value in row) for row in rows]
    return "\r\n".join(lines) + "\r\n"


def test_xlsx_rows_are_dicts_with_own_row_numbers() -> None:
    data = filled_template([member(1), member(2)])
    imported = read_import_file(data, "团员.xlsx")
    assert imported.definition is MEMBER_TEMPLATE
    assert imported.sheet_name == "团员信息" and imported.header_row == 1 and imported.format == "xlsx"
    assert [row.row for row in imported.rows] == [2, 3]
    first = imported.rows[0].values
    assert set(first) == set(MEMBER_TEMPLATE.column_names)
    assert first["姓名"] == member(1)[0] and first["身份证号码"] == member(1)[1]
    assert first["备注"] is None


def test_blank_and_merged_rows_are_skipped_and_numbers_kept() -> None:
    workbook = openpyxl.load_workbook(io.BytesIO(filled_template([member(1)])))
    sheet = workbook["团员信息"]
    sheet.cell(row=3, column=1, value="一、初三（2）班")
    sheet.merge_cells("A3:L3")  # a section title across the table
    # row 4 left blank; row 5 has only spaces
    sheet.cell(row=5, column=1, value="   ")
    for column, value in enumerate(member(2), start=1):
        sheet.cell(row=6, column=column, value=value or None)
    buffer = io.BytesIO()
    workbook.save(buffer)
    imported = read_import_file(buffer.getvalue(), "x.xlsx")
    assert [row.row for row in imported.rows] == [2, 6]


def test_vertically_merged_branch_fills_down() -> None:
    rows = [member(1), member(2, 所在团支部=""), member(3, 所在团支部="")]
    workbook = openpyxl.load_workbook(io.BytesIO(filled_template(rows)))
    workbook["团员信息"].merge_cells("K2:K4")
    buffer = io.BytesIO()
    workbook.save(buffer)
    imported = read_import_file(buffer.getvalue(), "x.xlsx")
    assert {row.values["所在团支部"] for row in imported.rows} == {member(1)[10]}


def test_header_may_sit_below_a_title_and_columns_may_be_reordered() -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Sheet1"
    sheet.append(["2023年新发展团员"])
    names = list(MEMBER_TEMPLATE.column_names)
    order = [names.index(name) for name in reversed(names)]
    sheet.append([f" {names[i]} " for i in order])
    sheet.append([member(1)[i] or None for i in order])
    buffer = io.BytesIO()
    workbook.save(buffer)
    imported = read_import_file(buffer.getvalue(), "名单.xlsx")
    assert imported.header_row == 2 and [row.row for row in imported.rows] == [3]
    assert imported.rows[0].values["身份证号码"] == member(1)[1]


def test_date_forms_in_cells() -> None:
    forms: list[object] = [44986, datetime(2023, 3, 1), "2023-03", "2023.3", 2023.3, "2023年3月", "202303", 202303]
    rows = [member(i + 1, 入团年月=form) for i, form in enumerate(forms)]
    checked = check_import(filled_template(rows), "x.xlsx", today=TODAY)
    assert checked.failed == []
    assert {result.values["入团年月"] for result in checked.results} == {"2023-03"}


def test_resident_id_that_excel_stored_as_a_number() -> None:
    rows = [member(1, 身份证号码=1.101051986020912e17), member(2, 身份证号码=110105198602091234)]
    checked = check_import(filled_template(rows), "x.xlsx", today=TODAY)
    assert [result.row for result in checked.failed] == [2, 3]
    for result in checked.failed:
        (error,) = result.errors
        assert error.column == "身份证号码"
        assert "请将身份证号码列设置为文本格式" in error.message
        assert error.message.startswith(f"第{result.row}行")


def test_resident_id_as_scientific_text_in_csv() -> None:
    text = _csv([member(1, 身份证号码="1.10105E+17")])
    checked = check_import(text.encode("gb18030"), "x.csv", today=TODAY)
    (failed,) = checked.failed
    assert "请将身份证号码列设置为文本格式" in failed.errors[0].message


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8-sig", "utf-8"])
def test_csv_encodings(encoding: str) -> None:
    rows = [
        member(1, 民族="维吾尔族"),
        member(2, 姓名="欧阳·娜娜", 性别="女", 身份证号码=resident_id(TODAY.replace(year=2008), 4)),
    ]
    data = _csv(rows).encode(encoding)
    imported = read_import_file(data, "名单.csv")
    assert imported.format == "csv" and [row.row for row in imported.rows] == [2, 3]
    assert imported.rows[0].values["民族"] == "维吾尔族"
    assert imported.rows[1].values["姓名"] == "欧阳·娜娜"
    assert check_import(data, "名单.csv", today=TODAY).failed == []


def test_csv_decoding_prefers_utf8_then_gb18030() -> None:
    assert decode_csv_bytes("团员".encode("gb18030")) == "团员"
    assert decode_csv_bytes("\ufeff团员".encode()) == "团员"
    assert decode_csv_bytes("团员".encode()) == "团员"


def test_full_width_digits_and_spaces_are_normalised() -> None:
    rows = [
        member(
            1,
            身份证号码=" ".join(str(member(1)[1])).translate(str.maketrans("0123456789", "０１２３４５６７８９")),
            发展团员编号="２０２３ ３２００ ０００１",
            手机号码="138 0000 0001",
            姓名=" 钱伟\u3000伟 ",
        )
    ]
    checked = check_import(filled_template(rows), "x.xlsx", today=TODAY)
    assert checked.failed == []
    (result,) = checked.results
    assert result.values["身份证号码"] == member(1)[1]
    assert result.values["发展团员编号"] == "202332000001"
    assert result.values["手机号码"] == "13800000001"
    assert result.values["姓名"] == "钱伟伟"


def test_non_template_sheet_is_refused_in_chinese() -> None:
    workbook = openpyxl.Workbook()
    workbook.active.append(["序号", "项目", "金额"])
    workbook.active.append([1, "办公用品", 300])
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(TemplateRefused) as caught:
        read_import_file(buffer.getvalue(), "报销.xlsx")
    assert caught.value.code == "not_template"
    assert "这不是导入模板" in caught.value.message and "序号、项目、金额" in caught.value.message


def test_missing_required_column_is_named() -> None:
    header = [column.header for column in MEMBER_TEMPLATE.columns if column.name != "发展团员编号"]
    with pytest.raises(TemplateRefused) as caught:
        read_import_file(_csv([], header).encode() + "张三\r\n".encode(), "x.csv")
    assert caught.value.code == "missing_columns" and "发展团员编号" in caught.value.message


def test_empty_template_is_refused() -> None:
    with pytest.raises(TemplateRefused) as caught:
        read_import_file(filled_template([]), "x.xlsx")
    assert caught.value.code == "no_rows"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "file_empty"),
        (b"<html><table><tr><td>1</td></tr></table></html>", "file_format"),
        (b"PK\x03\x04garbage", "file_corrupt"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "file_corrupt"),
        (b"%PDF-1.7\n\x00\x01\x02binary", "file_corrupt"),
    ],
)
def test_unreadable_files_are_refused_in_chinese(data: bytes, code: str) -> None:
    with pytest.raises(TemplateRefused) as caught:
        read_import_file(data, "x.xls")
    assert caught.value.code == code
    assert any("\u4e00" <= character <= "\u9fff" for character in caught.value.message)


def test_text_named_xls_is_read_as_csv() -> None:
    # other systems' “导出Excel” writes tab-separated text with an .xls name
    header = "\t".join(column.header for column in MEMBER_TEMPLATE.columns)
    line = "\t".join(str(value) for value in member(1))
    checked = check_import(f"{header}\r\n{line}\r\n".encode("gb18030"), "导出.xls", today=TODAY)
    assert checked.file.format == "csv" and checked.failed == [] and len(checked.results) == 1


def test_branch_template_is_recognised() -> None:
    row = ["团支部", "初三（1）班团支部", "南京市第一中学初三（1）班团支部", "初中", "", "李四", "", "13900000000", ""]
    imported = read_import_file(filled_template([row], BRANCH_TEMPLATE), "组织.xlsx")
    assert imported.definition is BRANCH_TEMPLATE
    assert imported.rows[0].values["组织全称"] == "南京市第一中学初三（1）班团支部"


def test_reader_is_format_neutral() -> None:
    sheet = read_spreadsheet(filled_template([member(1)]), "x.xlsx", preferred_sheets=["团员信息"])
    assert sheet.sheet_name == "团员信息" and sheet.rows[0][0] == 1 and sheet.rows[1][0] == 2
    assert sheet.sheet_names == ("团员信息", "填写说明", "下拉选项")
    with pytest.raises(SpreadsheetRefused):
        read_spreadsheet(b"", "x.csv")


# --- files written by LibreOffice ------------------------------------------------------


def test_xls_written_by_libreoffice(libreoffice: LibreOffice) -> None:
    rows = [
        member(1),
        member(2, 入团年月=datetime(2023, 3, 1)),
        member(3, 入团年月="2023年3月", 民族="回族"),
        member(4, 身份证号码=1.101051986020912e17),
    ]
    xls = libreoffice.convert(filled_template(rows), ".xlsx", "xls")
    assert xls.startswith(b"\xd0\xcf\x11\xe0")
    checked = check_import(xls, "智慧团建导入团员团干部导入模板.xls", today=TODAY)
    assert checked.file.format == "xls" and checked.file.sheet_name == "团员信息"
    assert [result.row for result in checked.results] == [2, 3, 4, 5]
    assert [result.row for result in checked.failed] == [5]
    assert "请将身份证号码列设置为文本格式" in checked.failed[0].errors[0].message
    assert checked.results[0].values["身份证号码"] == member(1)[1]
    assert {result.values["入团年月"] for result in checked.results} == {"2023-03"}


def test_empty_template_converted_to_xls_keeps_header(libreoffice: LibreOffice) -> None:
    from zhtj.imports import template_xlsx

    xls = libreoffice.convert(template_xlsx(MEMBER_TEMPLATE), ".xlsx", "xls")
    sheet = read_spreadsheet(xls, "t.xls", preferred_sheets=["团员信息"])
    assert sheet.format == "xls" and [str(v) for v in sheet.rows[0][1]] == [c.header for c in MEMBER_TEMPLATE.columns]


def test_xlsx_resaved_by_libreoffice(libreoffice: LibreOffice) -> None:
    resaved = libreoffice.convert(filled_template([member(1), member(2)]), ".xlsx", "xlsx")
    checked = check_import(resaved, "x.xlsx", today=TODAY)
    assert checked.failed == [] and len(checked.results) == 2


def test_csv_written_by_libreoffice(libreoffice: LibreOffice) -> None:
    # 44,34,76: comma-separated, double quotes, UTF-8 (LibreOffice's CSV filter options).
    csv_bytes = libreoffice.convert(
        filled_template([member(1), member(2)]), ".xlsx", "csv:Text - txt - csv (StarCalc):44,34,76"
    )
    checked = check_import(csv_bytes, "x.csv", today=TODAY)
    assert checked.failed == [] and [result.row for result in checked.results] == [2, 3]


def _varied_workbook() -> bytes:
    """A file with everything that spans rows, below the first HEAD_ROWS rows (the reader's
    first part): a merge over a class's 所在团支部, a section title merged across, blank rows,
    the header pasted again, a duplicate ID, a date cell."""
    rows = [member(i) for i in range(1, 21)]
    rows[11] = member(12, 所在团支部=_OTHER_CLASS)
    for index in (12, 13, 14):
        rows[index] = member(index + 1, 所在团支部="")
    rows[17] = member(18, 身份证号码=member(2)[1])  # the same person twice
    workbook = openpyxl.load_workbook(io.BytesIO(filled_template(rows)))
    sheet = workbook["团员信息"]
    sheet.insert_rows(9, 3)  # members 8–20 now on rows 12–24
    sheet.cell(row=9, column=1, value="二、初二年级")
    sheet.merge_cells("A9:L9")
    for column, name in enumerate(MEMBER_TEMPLATE.column_names, start=1):
        sheet.cell(row=11, column=column, value=name)  # the header again, below a blank row
    sheet.merge_cells("K16:K19")  # members 12–15: one class, its branch in the top cell
    sheet.cell(row=20, column=6, value=datetime(2023, 3, 1))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


_OTHER_CLASS = "南京市第一中学初三（2）班团支部"


@pytest.mark.parametrize("part_rows", [1, 2, 3, 5, 1000])
def test_rows_read_in_parts_are_read_exactly_as_in_one(part_rows: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The reader's child streams a sheet in parts of PART_ROWS rows (the caller validates
    part n while the child converts n + 1). Merges, skipped rows and in-file duplicates that
    straddle a part boundary come out as from a file read in one part."""
    from zhtj.readers import spreadsheet

    data = _varied_workbook()
    monkeypatch.setattr(spreadsheet, "PART_ROWS", 100_000)
    whole = check_import(data, "x.xlsx", today=TODAY)
    monkeypatch.setattr(spreadsheet, "PART_ROWS", part_rows)  # the forked child inherits it
    parts = check_import(data, "x.xlsx", today=TODAY)
    assert parts.file == whole.file and parts.results == whole.results
    # what the whole read finds, so that the comparison is about something
    assert [row.row for row in whole.file.rows] == [*range(2, 9), *range(12, 25)]
    assert [row.values["所在团支部"] for row in whole.file.rows[10:15]] == [member(1)[10]] + [_OTHER_CLASS] * 4
    assert [result.row for result in whole.failed] == [3, 22]  # member 2 and member 18: one ID
    assert whole.file.rows[15].values["入团年月"] == date(2023, 3, 1)  # a date cell crosses the pipe too


def test_a_sheet_whose_column_a_is_empty_keeps_its_columns() -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "团员信息"
    sheet.cell(row=3, column=2, value="说明：从B列起填写")
    for column, name in enumerate(MEMBER_TEMPLATE.column_names, start=3):
        sheet.cell(row=4, column=column, value=name)
    for column, value in enumerate(member(1), start=3):
        sheet.cell(row=5, column=column, value=value or None)
    buffer = io.BytesIO()
    workbook.save(buffer)
    sheet_rows = read_spreadsheet(buffer.getvalue(), "x.xlsx")
    assert [(number, cells[:4]) for number, cells in sheet_rows.rows][:2] == [
        (3, ["", "说明：从B列起填写"]), (4, ["", "", "姓名", "身份证号码"])]
    imported = read_import_file(buffer.getvalue(), "x.xlsx")
    assert imported.header_row == 4 and imported.rows[0].values["身份证号码"] == member(1)[1]
