"""Cell values in every shape Excel, WPS and CSV give them; header cells as users type them."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from zhtj.imports import BRANCH_TEMPLATE, MEMBER_TEMPLATE
from zhtj.imports.cells import (
    CellProblem,
    clean_text,
    digits_text,
    neutralise_for_export,
    parse_year_month,
    resident_id_text,
)
from zhtj.imports.headers import canonical_column, find_header, normalise_header


@pytest.mark.parametrize(
    "value",
    [
        "2023-03", "2023-3", "2023.3", "2023.03", "2023/3", "2023年3月", "2023年03月", "2023 年 3 月",
        "202303", "２０２３－０３", "2023-03-15", "2023/3/15", "2023年3月15日", "20230315",
        "2023-03-01 00:00:00", " 2023-03 ", "Mar-23", "23-Mar",
        datetime(2023, 3, 1), datetime(2023, 3, 31, 12, 30), date(2023, 3, 5),
        44986.0, 44986, 44986.5,  # Excel serials (1900 system) of 2023-03-01 and 2023-03-01 12:00
        202303, 202303.0, 2023.3, 2023.03, 20230315,
    ],
)  # fmt: skip
def test_join_month_forms(value: object) -> None:
    assert parse_year_month(value) == (2023, 3)  # type: ignore[arg-type]


def test_october_as_text_and_december_as_number() -> None:
    assert parse_year_month("2023.10") == (2023, 10)
    assert parse_year_month(2023.12) == (2023, 12)
    assert parse_year_month("2023.1") == (2023, 1)  # text keeps what the admin typed


def test_number_2023_1_is_ambiguous() -> None:
    # 2023.10 typed into a General cell is stored as the number 2023.1.
    with pytest.raises(CellProblem) as caught:
        parse_year_month(2023.1)
    assert caught.value.code == "date_ambiguous"
    assert "2023-01" in caught.value.reason and "2023-10" in caught.value.reason


@pytest.mark.parametrize(
    "value", ["2023", 2023, "2023-13", "2023年0月", "三月", "2023-02-30", 12.5, time(10, 0), "1899-01", 202313]
)
def test_bad_join_months(value: object) -> None:
    with pytest.raises(CellProblem) as caught:
        parse_year_month(value)  # type: ignore[arg-type]
    assert caught.value.code == "date_format"


def test_clean_text() -> None:
    assert clean_text("\u3000张三 \u200b") == "张三"
    assert clean_text(13800000000.0) == "13800000000"
    assert clean_text(None) == ""
    assert clean_text(datetime(2023, 3, 1, 8)) == "2023-03-01"
    assert clean_text("'=1+1") == "=1+1"  # our own neutralisation read back


def test_digits_text_keeps_exact_numbers_and_full_width() -> None:
    assert digits_text(202332000001.0, column="发展团员编号") == "202332000001"
    assert digits_text("２０２３ ３２００ ０００１", column="发展团员编号") == "202332000001"
    assert digits_text(13800000000, column="手机号码") == "13800000000"


@pytest.mark.parametrize(
    "value", [1.101051986020912e17, 110105198602091234, "1.10105E+17", "3.20102E+17", " 1.101051986020912e+17"]
)
def test_resident_id_stored_as_number_is_refused(value: object) -> None:
    with pytest.raises(CellProblem) as caught:
        resident_id_text(value, column="身份证号码")  # type: ignore[arg-type]
    assert "请将身份证号码列设置为文本格式" in caught.value.reason


def test_member_number_in_scientific_notation_is_refused() -> None:
    with pytest.raises(CellProblem) as caught:
        digits_text("2.02332E+11", column="发展团员编号")
    assert "请将发展团员编号列设置为文本格式" in caught.value.reason


@pytest.mark.parametrize("text", ['=HYPERLINK("http://evil","x")', "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_formula_like_text_is_neutralised(text: str) -> None:
    assert neutralise_for_export(text) == "'" + text
    assert neutralise_for_export("张三") == "张三"
    assert neutralise_for_export(5) == 5


@pytest.mark.parametrize(
    "header",
    [
        "身份证号码",
        "*身份证号码",
        "身份证号码*",
        " * 身份证 号码 ",
        "＊身份证号码",
        "身份证号码：",
        "身份证号码（18位）",
        "身份证号",
        "\u3000身份证号码\n",
    ],
)
def test_header_tolerance(header: str) -> None:
    assert canonical_column(MEMBER_TEMPLATE, header) == "身份证号码"


def test_header_full_width_letters_and_aliases() -> None:
    assert normalise_header("ＡＢＣ（１）") == "ABC(1)"
    assert canonical_column(MEMBER_TEMPLATE, "入团时间") == "入团年月"
    assert canonical_column(MEMBER_TEMPLATE, "失败原因") is None
    assert canonical_column(MEMBER_TEMPLATE, "籍贯") is None
    assert canonical_column(BRANCH_TEMPLATE, "行业类别") == "单位所属行业类别"


def test_find_header_below_a_title_row() -> None:
    rows = [(1, ["2023年新发展团员名单"]), (2, [h for h in MEMBER_TEMPLATE.column_names]), (3, ["张三"])]
    match = find_header(MEMBER_TEMPLATE, rows)
    assert match is not None and match.header_row == 2 and match.complete
    assert find_header(MEMBER_TEMPLATE, [(1, ["张三", "320102200801010031", "男"])]) is None
