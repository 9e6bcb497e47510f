"""The templates are generated from the definitions, deterministically, with the header,
required marks, dropdowns, text formats and the 「填写说明」 sheet the brief asks for."""

from __future__ import annotations

import io
import time
import zipfile

import openpyxl
import pytest

from zhtj.domain.glossary import Industry, OrgKind, StudyStatus
from zhtj.imports import BRANCH_TEMPLATE, MEMBER_TEMPLATE, TEMPLATES, TemplateDefinition, template_xlsx
from zhtj.imports.definitions import CHOICES_SHEET, ETHNIC_GROUPS, INSTRUCTIONS_SHEET

MEMBER_COLUMNS = (
    "姓名", "身份证号码", "性别", "民族", "政治面貌", "入团年月", "发展团员编号",
    "在读状况", "全日制学历", "手机号码", "所在团支部", "备注",
)  # fmt: skip


def _load(definition: TemplateDefinition = MEMBER_TEMPLATE) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(template_xlsx(definition)))


def test_member_template_columns_in_order_with_required_marks() -> None:
    sheet = _load()["团员信息"]
    headers = [cell.value for cell in sheet[1]]
    assert [header.lstrip("*") for header in headers] == list(MEMBER_COLUMNS)
    required = {header.lstrip("*") for header in headers if header.startswith("*")}
    assert {"姓名", "身份证号码", "性别", "入团年月", "发展团员编号"} <= required
    assert "备注" not in required and "在读状况" not in required  # Q&A §5.8: 在读状况 may be empty


def test_template_title_and_sheets() -> None:
    workbook = _load()
    assert MEMBER_TEMPLATE.title == "智慧团建导入团员团干部数据模板"
    assert workbook.sheetnames == ["团员信息", INSTRUCTIONS_SHEET, CHOICES_SHEET]
    assert workbook[CHOICES_SHEET].sheet_state == "hidden"
    assert workbook.active.title == "团员信息"
    instructions = " ".join(
        str(cell.value) for row in workbook[INSTRUCTIONS_SHEET].iter_rows() for cell in row if cell.value
    )
    assert "文本格式" in instructions and "失败原因" in instructions
    for column in MEMBER_COLUMNS:
        assert column in instructions


def _dropdowns(workbook: openpyxl.Workbook, sheet_name: str) -> dict[str, list[str]]:
    """Header → the list a data-validation dropdown offers (resolved through its defined name)."""
    sheet = workbook[sheet_name]
    headers = {cell.column_letter: str(cell.value).lstrip("*") for cell in sheet[1]}
    found: dict[str, list[str]] = {}
    for validation in sheet.data_validations.dataValidation:
        assert validation.type == "list"
        assert validation.showErrorMessage
        letter = str(validation.sqref).split(":")[0].rstrip("0123456789")
        assert str(validation.sqref).startswith(f"{letter}2:")
        defined = workbook.defined_names[validation.formula1]
        ((target_sheet, cells),) = defined.destinations
        values = [cell.value for row in workbook[target_sheet][cells.replace("$", "")] for cell in row]
        found[headers[letter]] = values
    return found


def test_member_dropdowns() -> None:
    dropdowns = _dropdowns(_load(), "团员信息")
    assert dropdowns["性别"] == ["男", "女"]
    assert dropdowns["民族"] == list(ETHNIC_GROUPS)
    assert len(dropdowns["民族"]) == 56 and "汉族" in dropdowns["民族"] and "基诺族" in dropdowns["民族"]
    assert dropdowns["政治面貌"] == ["共青团员"]
    assert dropdowns["在读状况"] == [status.value for status in StudyStatus]
    assert "初中" in dropdowns["全日制学历"]
    assert set(dropdowns) == {"性别", "民族", "政治面貌", "在读状况", "全日制学历"}


def test_text_format_on_number_like_columns() -> None:
    sheet = _load()["团员信息"]
    letters = {str(cell.value).lstrip("*"): cell.column_letter for cell in sheet[1]}
    for column in ("身份证号码", "手机号码", "发展团员编号", "入团年月"):
        assert sheet.column_dimensions[letters[column]].number_format == "@", column
    assert sheet.column_dimensions[letters["姓名"]].number_format == "General"
    assert sheet.freeze_panes == "A2"


def test_branch_template_dropdowns_from_glossary() -> None:
    workbook = _load(BRANCH_TEMPLATE)
    headers = [str(cell.value).lstrip("*") for cell in workbook[BRANCH_TEMPLATE.sheet_name][1]]
    assert headers[:8] == [
        "组织类别",
        "组织简称",
        "组织全称",
        "单位所属行业类别",
        "上级组织全称",
        "书记姓名",
        "书记身份证号码",
        "书记手机号码",
    ]
    dropdowns = _dropdowns(workbook, BRANCH_TEMPLATE.sheet_name)
    assert dropdowns["单位所属行业类别"] == [industry.value for industry in Industry]
    assert dropdowns["组织类别"] == [kind.value for kind in OrgKind if kind is not OrgKind.PROVINCE]
    sheet = workbook[BRANCH_TEMPLATE.sheet_name]
    letters = {str(cell.value).lstrip("*"): cell.column_letter for cell in sheet[1]}
    assert sheet.column_dimensions[letters["书记身份证号码"]].number_format == "@"


@pytest.mark.parametrize("key", sorted(TEMPLATES))
def test_bytes_are_deterministic(key: str) -> None:
    first = template_xlsx(TEMPLATES[key])
    time.sleep(1.1)  # zip entry times have a 2-second resolution; core.xml has seconds
    assert template_xlsx(TEMPLATES[key]) == first
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        core = archive.read("docProps/core.xml").decode()
        assert "2023-03-14T00:00:00Z" in core
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_generated_template_has_no_formula() -> None:
    for definition in TEMPLATES.values():
        workbook = _load(definition)
        for sheet in workbook.worksheets:
            assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_templates_folder_re_exports_the_one_definition() -> None:
    import templates.branches
    import templates.members
    from templates import markdown_table

    assert templates.members.MEMBER_TEMPLATE is MEMBER_TEMPLATE
    assert templates.branches.BRANCH_TEMPLATE is BRANCH_TEMPLATE
    assert "| 身份证号码 | 是 |" in markdown_table(MEMBER_TEMPLATE)
