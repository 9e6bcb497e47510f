"""The allocation table: .xlsx and JSON show the same numbers, bytes are stable, no formula
survives, and the input formats round-trip."""

from __future__ import annotations

import hashlib
import io
import json
import time
import zipfile
from dataclasses import replace
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from infra.demo import jiangsu_2023 as demo
from zhtj.domain.allocation import Allocation, DomainFigures, InvalidAllocationInput, allocate
from zhtj.domain.glossary import Domain
from zhtj.services.allocation_table import (
    ILLUSTRATIVE_FOOTNOTE,
    AllocationInput,
    input_to_dict,
    neutralise,
    parse_input,
    read_input_xlsx,
    render_input_xlsx,
    render_xlsx,
    table_dict,
    table_json,
)

from ._builders import plan, provinces, unit

DOMAIN_COUNT = len(Domain)
FIRST_DATA_ROW = 4


@pytest.fixture(scope="module")
def demo_allocation() -> Allocation:
    return demo.demo_allocation()


def read_table(content: bytes) -> list[list[object]]:
    sheet = load_workbook(io.BytesIO(content))["分配表"]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_title_header_and_layout(demo_allocation: Allocation) -> None:
    workbook = load_workbook(io.BytesIO(render_xlsx(demo_allocation)))
    assert workbook.sheetnames == ["分配表", "规则检查", "测算方法"]
    sheet = workbook["分配表"]
    assert sheet["A1"].value == "2023年发展团员名额及编号号段分配表"
    merged = {str(r) for r in sheet.merged_cells.ranges}
    last_column = get_column_letter(4 + 3 * DOMAIN_COUNT)
    assert f"A1:{last_column}1" in merged
    assert {"E2:G2", "A2:A3"} <= merged
    assert [sheet.cell(row=2, column=5 + 3 * i).value for i in range(DOMAIN_COUNT)] == [d.value for d in Domain]
    assert [sheet.cell(row=3, column=c).value for c in (5, 6, 7)] == ["名额", "号段起始编号", "号段终止编号"]
    assert sheet.freeze_panes == "E4"
    assert sheet.column_dimensions["C"].width >= 20
    total_row = FIRST_DATA_ROW + len(demo_allocation.units)
    assert sheet.cell(row=total_row, column=3).value == "合计"
    assert sheet.cell(row=total_row + 1, column=1).value == ILLUSTRATIVE_FOOTNOTE
    number_cell = sheet.cell(row=FIRST_DATA_ROW, column=6)
    assert number_cell.data_type == "s" and number_cell.number_format == "@"
    assert number_cell.value == "202332000001"
    assert workbook.properties.created == datetime(2023, 1, 1) == workbook.properties.modified


def test_no_footnote_when_the_data_is_not_illustrative() -> None:
    result = allocate(plan(HIGH_SCHOOL=10), [unit("A", {Domain.HIGH_SCHOOL: DomainFigures(youth=100, activists=50)})])
    rows = read_table(render_xlsx(result))
    assert all(ILLUSTRATIVE_FOOTNOTE not in str(row[0]) for row in rows)
    assert table_dict(result)["footnote"] is None


def test_xlsx_and_json_show_the_same_numbers(demo_allocation: Allocation) -> None:
    table = json.loads(table_json(demo_allocation))
    rows = read_table(render_xlsx(demo_allocation))
    data_rows = rows[FIRST_DATA_ROW - 1 : FIRST_DATA_ROW - 1 + len(table["units"])]
    for position, (row, entry) in enumerate(zip(data_rows, table["units"], strict=True), start=1):
        assert row[:4] == [position, entry["unit_id"], entry["name"], entry["total"]]
        for index, domain in enumerate(table["domains"]):
            cell = entry["domains"][domain]
            assert row[4 + 3 * index : 7 + 3 * index] == [cell["quota"], cell["first_number"], cell["last_number"]]
    total = rows[FIRST_DATA_ROW - 1 + len(table["units"])]
    assert total[2] == "合计" and total[3] == table["totals"]["total"] == 182_000
    for index, domain in enumerate(table["domains"]):
        cell = table["totals"]["domains"][domain]
        assert total[4 + 3 * index : 7 + 3 * index] == [cell["quota"], cell["first_number"], cell["last_number"]]
    assert [cell["quota"] for cell in table["totals"]["domains"].values()] == [
        42_000,
        57_000,
        22_000,
        10_800,
        26_200,
        24_000,
    ]


def test_json_keys_are_in_a_stable_order(demo_allocation: Allocation) -> None:
    table = table_dict(demo_allocation)
    assert list(table) == [
        "title",
        "year",
        "province_code",
        "owner_id",
        "owner_name",
        "illustrative",
        "footnote",
        "domains",
        "units",
        "totals",
        "higher_vocational_share_percent",
        "findings",
    ]
    assert table["higher_vocational_share_percent"] == 70.8
    assert list(table["units"][0]) == ["unit_id", "name", "total", "domains"]
    assert table_json(demo_allocation) == table_json(demo.demo_allocation())


def test_reruns_are_byte_identical_even_at_another_time(
    demo_allocation: Allocation, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = hashlib.sha256(render_xlsx(demo_allocation)).hexdigest()
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 86_400 * 400)  # zipfile stamps entries with this
    second = hashlib.sha256(render_xlsx(demo.demo_allocation())).hexdigest()
    assert first == second
    with zipfile.ZipFile(io.BytesIO(render_xlsx(demo_allocation))) as archive:
        assert {info.date_time for info in archive.infolist()} == {(2023, 1, 1, 0, 0, 0)}
        core = archive.read("docProps/core.xml").decode()
    assert "2023-01-01T00:00:00Z" in core


HOSTILE = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx", '=HYPERLINK("http://x")', "正常单位", "a\x01b"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(names=st.lists(st.sampled_from(HOSTILE) | st.text(min_size=1, max_size=12), min_size=1, max_size=5))
def test_no_formula_survives_in_any_exported_cell(names: list[str]) -> None:
    units = [
        unit(f"U{index}", {Domain.SOCIAL: DomainFigures(members=10, activists=5, organisations=1)})
        for index in range(len(names))
    ]
    result = allocate(plan(SOCIAL=30), units)
    # The domain refuses control characters in names (test below); the renderer must be safe
    # on its own, so give it the hostile names directly.
    hostile = replace(
        result,
        units=tuple(replace(allocated, name=name) for allocated, name in zip(result.units, names, strict=True)),
        owner_name="=cmd|' /C calc'!A0",
    )
    workbook = load_workbook(io.BytesIO(render_xlsx(hostile)))
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_neutralise() -> None:
    assert neutralise("=1+1") == "'=1+1"
    assert neutralise("-5") == "'-5"
    assert neutralise("南京市团委") == "南京市团委"
    assert neutralise("a\x00b\x0bc") == "abc"
    assert neutralise("\x01=x") == "'=x"  # dropping a character cannot uncover a formula


def test_domain_refuses_control_characters_in_names() -> None:
    with pytest.raises(InvalidAllocationInput) as caught:
        allocate(plan(), [type(unit("A"))("A", "南京\n市团委")])
    assert caught.value.code == "name_control_character"


# --- input formats ------------------------------------------------------------------------


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(provinces(max_units=5))
def test_input_round_trips_through_json_and_xlsx(province: tuple) -> None:
    plan_, units = province
    source = AllocationInput(plan_, tuple(units), illustrative=False)
    via_json = parse_input(json.loads(json.dumps(input_to_dict(source))), year=2023)
    via_xlsx = read_input_xlsx(render_input_xlsx(source), year=2023)
    expected = allocate(plan_, units)
    assert via_json.allocate() == expected
    assert via_xlsx.allocate() == expected


def test_sample_input_template_is_valid() -> None:
    from tests.conftest import ROOT

    data = json.loads((ROOT / "templates" / "allocation_input_sample.json").read_text(encoding="utf-8"))
    source = parse_input(data, year=2023)
    result = source.allocate()
    assert result.total == data["plan_total"]
    assert result.illustrative


@pytest.mark.parametrize(
    ("mutate", "words"),
    [
        (lambda d: d.update(year=2022), "与 --year 2023 不一致"),
        (lambda d: d["units"][0]["figures"]["初中"].update(members="很多"), "示例甲市团委"),
        (lambda d: d["units"][0]["figures"]["初中"].update(member=1), "字段“member”无法识别"),
        (lambda d: d["units"][1].update(unit_id=""), "unit_id（单位代码）不能为空"),
        (lambda d: d["plan"].update({"大学": 5}), "领域“大学”无法识别"),
        (lambda d: d.update(plan_total=1), "各领域计划之和为1180"),
        (lambda d: d.update(units=[]), "units"),
    ],
)
def test_json_input_errors_are_chinese_and_name_the_unit_and_field(mutate: object, words: str) -> None:
    from tests.conftest import ROOT

    data = json.loads((ROOT / "templates" / "allocation_input_sample.json").read_text(encoding="utf-8"))
    mutate(data)  # type: ignore[operator]
    with pytest.raises(InvalidAllocationInput) as caught:
        parse_input(data, year=2023).allocate()
    assert words in caught.value.message


def test_xlsx_input_errors_name_sheet_row_and_unit() -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    plan_sheet = workbook.active
    plan_sheet.title = "计划"
    plan_sheet.append(["年度", "省份代码", "初中"])
    plan_sheet.append([2023, "32", 10])
    units = workbook.create_sheet("单位")
    units.append(["单位代码", "单位名称", "领域", "学生数", "团员数", "入团积极分子数", "毕业年级学生数"])
    units.append(["3201", "南京市团委", "初中", 100, 5, 30, 40])
    units.append(["3202", "无锡市团委", "初中", 100, "x", 30, 40])
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(InvalidAllocationInput) as caught:
        read_input_xlsx(buffer.getvalue(), year=2023)
    message = caught.value.message
    assert "“单位”表第3行" in message and "无锡市团委" in message and "团员数" in message


def test_a_file_that_is_not_a_workbook_is_refused() -> None:
    with pytest.raises(InvalidAllocationInput) as caught:
        read_input_xlsx(b"not a zip", year=2023)
    assert caught.value.code == "input_not_xlsx"
