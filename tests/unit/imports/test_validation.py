"""Offline row rules: each failure names the row (the spreadsheet's own number) and the
column, in Chinese, with a stable code."""

from __future__ import annotations

from datetime import date
from typing import cast

import pytest

from tests.unit.imports._support import TODAY, member, resident_id
from zhtj.imports import BRANCH_TEMPLATE, MEMBER_TEMPLATE, ImportRow, RowResult, row_error, validate_rows
from zhtj.imports.validation import RowError
from zhtj.readers.spreadsheet import CellValue


def _rows(*rows: list[object], first_row: int = 2) -> list[ImportRow]:
    names = MEMBER_TEMPLATE.column_names
    return [
        ImportRow(
            first_row + offset,
            {name: cast(CellValue, value if value != "" else None) for name, value in zip(names, row, strict=True)},
        )
        for offset, row in enumerate(rows)
    ]


def _errors(*rows: list[object]) -> list[list[tuple[str, str]]]:
    return [
        [(error.column, error.code) for error in result.errors]
        for result in validate_rows(MEMBER_TEMPLATE, _rows(*rows), TODAY)
    ]


def _only_error(row: list[object]) -> RowError:
    (result,) = validate_rows(MEMBER_TEMPLATE, _rows(row), TODAY)
    assert len(result.errors) == 1, result.errors
    return result.errors[0]


def test_valid_rows_pass_with_canonical_values() -> None:
    (result,) = validate_rows(MEMBER_TEMPLATE, _rows(member(1, 民族="汉", 全日制学历="高中", 入团年月="2023.3")), TODAY)
    assert result.ok, result.errors
    assert result.values["民族"] == "汉族"
    assert result.values["全日制学历"] == "普通高中"
    assert result.values["入团年月"] == "2023-03"


def test_lower_case_x_is_upper_cased() -> None:
    birth = date(2008, 1, 1)
    number = next(
        resident_id(birth, sequence) for sequence in range(1, 999) if resident_id(birth, sequence).endswith("X")
    )
    sequence = int(number[14:17])
    (result,) = validate_rows(
        MEMBER_TEMPLATE, _rows(member(1, 身份证号码=number.lower(), 性别="男" if sequence % 2 else "女")), TODAY
    )
    assert result.ok, result.errors
    assert result.values["身份证号码"] == number


@pytest.mark.parametrize("column", [c.name for c in MEMBER_TEMPLATE.columns if c.required])
def test_required_columns(column: str) -> None:
    error = _only_error(member(1, **{column: ""}))
    assert error.column == column and error.code == "required"
    assert error.message.startswith(f"第2行“{column}”：") and "不能为空" in error.message


def test_optional_columns_may_be_empty() -> None:
    assert _errors(member(1, 在读状况="", 所在团支部="", 备注="")) == [[]]


def test_checksum_and_birth_date() -> None:
    good = member(1)[1]
    assert isinstance(good, str)
    wrong_check = good[:-1] + ("0" if good[-1] != "0" else "1")
    assert _only_error(member(1, 身份证号码=wrong_check)).code == "id_checksum"
    assert _only_error(member(1, 身份证号码="32010220081301" + "0030")).code == "id_birth_date"
    assert _only_error(member(1, 身份证号码="3201022008010100")).code == "id_length"


def test_under_fourteen_on_the_join_month() -> None:
    # born 2009-03-02: not 14 on 2023-03-01 (the first of the join month counts).
    birth = date(2009, 3, 2)
    error = _only_error(member(1, 身份证号码=resident_id(birth, 3)))
    assert error.column == "入团年月" and error.code == "under_age" and "14周岁" in error.message
    assert _errors(member(1, 身份证号码=resident_id(birth, 3), 入团年月="2023-04", 发展团员编号="202332000001")) == [[]]


def test_gender_must_match_the_id() -> None:
    error = _only_error(member(1, 性别="女"))
    assert error.column == "性别" and error.code == "gender_mismatch"


def test_member_number_format_and_year() -> None:
    assert _only_error(member(1, 发展团员编号="20233200001")).code == "number_format"
    error = _only_error(member(1, 发展团员编号="202232000001"))
    assert error.column == "发展团员编号" and error.code == "number_year" and "2023" in error.message
    # the year rule still runs when the join month fails another rule (age)
    too_young = member(1, 身份证号码=resident_id(date(2010, 1, 1), 3), 发展团员编号="202232000001")
    assert _errors(too_young) == [[("入团年月", "under_age"), ("发展团员编号", "number_year")]]


def test_join_month_in_the_future() -> None:
    error = _only_error(member(1, 入团年月="2023-08"))
    assert error.column == "入团年月" and error.code == "join_in_future"


def test_enumerations() -> None:
    assert _only_error(member(1, 民族="汉人")).code == "not_a_choice"
    assert _only_error(member(1, 政治面貌="中共党员")).code == "not_a_choice"
    assert _only_error(member(1, 在读状况="小学在读")).code == "not_a_choice"
    assert _only_error(member(1, 全日制学历="幼儿园")).code == "not_a_choice"
    error = _only_error(member(1, 性别="M"))
    assert error.code == "not_a_choice" and "男、女" in error.message


def test_mobile() -> None:
    assert _only_error(member(1, 手机号码="1234")).code == "mobile_format"
    assert _errors(member(1, 手机号码="+86 138-0000-0001")) == [[]]


def test_name_rules() -> None:
    assert _only_error(member(1, 姓名="张3")).code == "name_digits"
    assert _only_error(member(1, 姓名="张" * 31)).code == "too_long"
    assert _errors(member(1, 姓名="阿依古丽·买买提")) == [[]]


def test_in_file_duplicates_name_both_rows() -> None:
    first, second, third = member(1), member(2), member(3)
    second[1] = first[1]  # same ID number as row 2
    third[6] = first[6]  # same member number as row 2
    results = validate_rows(MEMBER_TEMPLATE, _rows(first, second, third), TODAY)
    by_row = {result.row: result for result in results}
    assert [(e.column, e.code) for e in by_row[2].errors] == [
        ("身份证号码", "duplicate_in_file"),
        ("发展团员编号", "duplicate_in_file"),
    ]
    assert "与第3行重复" in by_row[2].errors[0].message and "与第4行重复" in by_row[2].errors[1].message
    assert "与第2行重复" in by_row[3].errors[0].message
    assert "与第2行重复" in by_row[4].errors[0].message


def test_three_rows_with_one_id_each_name_the_others() -> None:
    rows = [member(1), member(2), member(3)]
    rows[1][1] = rows[2][1] = rows[0][1]
    results = validate_rows(MEMBER_TEMPLATE, _rows(*rows, first_row=5), TODAY)
    assert "与第6行、第7行重复" in results[0].errors[0].message


def test_row_result_is_extensible_by_the_service() -> None:
    (result,) = validate_rows(MEMBER_TEMPLATE, _rows(member(1)), TODAY)
    assert result.ok
    result.add("发展团员编号", "number_not_in_segment", "不在本组织的号段内")
    result.errors.append(row_error(result.row, "身份证号码", "id_registered", "已在系统中登记"))
    assert not result.ok
    assert result.to_dict() == {
        "row": 2,
        "errors": [
            {
                "column": "发展团员编号",
                "code": "number_not_in_segment",
                "message": "第2行“发展团员编号”：不在本组织的号段内",
            },
            {"column": "身份证号码", "code": "id_registered", "message": "第2行“身份证号码”：已在系统中登记"},
        ],
    }
    assert isinstance(result, RowResult)


def _branch(**values: object) -> ImportRow:
    base: dict[str, object] = {
        "组织类别": "团支部", "组织简称": "初三（1）班团支部", "组织全称": "南京市第一中学初三（1）班团支部",
        "单位所属行业类别": "初中", "上级组织全称": None, "书记姓名": None, "书记身份证号码": None,
        "书记手机号码": None, "备注": None,
    }  # fmt: skip
    base.update(values)
    return ImportRow(2, base)  # type: ignore[arg-type]


def _branch_errors(*rows: ImportRow) -> list[list[tuple[str, str]]]:
    return [[(e.column, e.code) for e in result.errors] for result in validate_rows(BRANCH_TEMPLATE, rows, TODAY)]


def test_branch_rows() -> None:
    assert _branch_errors(_branch()) == [[]]
    assert _branch_errors(_branch(单位所属行业类别=None)) == [[("单位所属行业类别", "industry_required")]]
    assert _branch_errors(_branch(组织类别="团总支", 单位所属行业类别=None)) == [[]]
    assert _branch_errors(_branch(单位所属行业类别="学校")) == [[("单位所属行业类别", "not_a_choice")]]
    assert _branch_errors(_branch(组织类别="团省委")) == [[("组织类别", "not_a_choice")]]
    assert _branch_errors(_branch(组织简称="很" * 21)) == [[("组织简称", "too_long")]]
    assert _branch_errors(_branch(书记身份证号码="123")) == [
        [("书记身份证号码", "id_length"), ("书记姓名", "required")]
    ]
    assert _branch_errors(
        _branch(书记姓名="李四", 书记身份证号码=resident_id(date(1995, 5, 5), 11), 书记手机号码="13900000000")
    ) == [[]]
    assert _branch_errors(_branch(上级组织全称="南京市第一中学初三（1）班团支部")) == [
        [("上级组织全称", "parent_is_self")]
    ]


def test_branch_industry_full_width_brackets_match() -> None:
    (result,) = validate_rows(BRANCH_TEMPLATE, [_branch(单位所属行业类别="职业教育学校（高职）")], TODAY)
    assert result.ok and result.values["单位所属行业类别"] == "职业教育学校(高职)"


def test_branch_duplicate_full_names() -> None:
    first, second = _branch(), _branch()
    second = ImportRow(3, second.values)
    results = validate_rows(BRANCH_TEMPLATE, [first, second], TODAY)
    assert [e.code for e in results[0].errors] == ["duplicate_in_file"]
    assert "与第3行重复" in results[0].errors[0].message


def test_typed_fields_of_passing_rows() -> None:
    from zhtj.domain.glossary import Industry, OrgKind, StudyStatus
    from zhtj.imports import branch_fields, member_fields

    (result,) = validate_rows(MEMBER_TEMPLATE, _rows(member(1, 入团年月="2023年3月", 所在团支部="")), TODAY)
    fields = member_fields(result)
    assert (fields.join_year, fields.join_month) == (2023, 3)
    assert fields.study_status is StudyStatus.JUNIOR_HIGH and fields.branch_name is None
    assert fields.member_number == "202332000001" and fields.row == 2
    (branch,) = validate_rows(BRANCH_TEMPLATE, [_branch()], TODAY)
    typed = branch_fields(branch)
    assert typed.kind is OrgKind.BRANCH and typed.industry is Industry.JUNIOR_HIGH and typed.parent_name is None
    result.add("身份证号码", "id_registered", "已在系统中登记")
    with pytest.raises(ValueError):
        member_fields(result)
