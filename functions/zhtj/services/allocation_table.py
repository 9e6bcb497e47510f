"""The allocation table (附件1 「发展团员名额及编号号段分配表」) as data: reading the unit
figures it is computed from (JSON or .xlsx), and writing the table as JSON-able dicts and as a
formatted .xlsx. Bytes in, bytes out — no storage, no network; the caller decides where
things live (CLI: files; API: S3 through the adapters).

Two properties every output keeps:

* **Stable bytes.** The same allocation gives the same JSON and the same .xlsx byte for byte:
  keys and rows in a fixed order, and the .xlsx's two clocks pinned to 1 January of the plan
  year — the document properties (openpyxl's ``save`` stamps ``modified`` with now, so the
  workbook is written through ``ExcelWriter`` directly) and every zip entry's date (zipfile
  stamps entries with now).
* **No live formula.** Every string cell that a spreadsheet program would read as a formula
  or a DDE payload (starting with =, +, -, @, tab or CR) gets a leading apostrophe, and
  characters XML cannot carry are dropped (``neutralise``). The JSON keeps the text as is: it
  is data, not a spreadsheet.

openpyxl is imported inside the functions that need it: importing this module for the JSON
alone costs nothing at cold start (DESIGN "Cold start").
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from zhtj.domain.allocation import (
    FIGURE_FIELDS,
    FIGURE_LABELS,
    MAX_UNITS,
    Allocation,
    County,
    DomainFigures,
    Finding,
    InvalidAllocationInput,
    ProvincePlan,
    UnitAllocation,
    UnitFigures,
    allocate,
    applicable_fields,
    higher_vocational_share_percent,
)
from zhtj.domain.glossary import Domain
from zhtj.domain.ids import normalise_digit_string
from zhtj.domain.numbers import Segment

if TYPE_CHECKING:  # pragma: no cover
    from openpyxl.workbook.workbook import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

INPUT_FORMAT: Final = "zhtj-allocation-input/1"
ILLUSTRATIVE_FOOTNOTE: Final = "本表为演示数据，仅作示意，非官方附件1"
SEGMENT_NOTE: Final = (
    "注：号段为发展团员编号起止（含两端），编号12位＝入团年份4位＋省份代码2位＋序号6位；"
    "名额为0的领域不分配号段。分领域指标及号段不得相互挤占、挪用（通知§三.2）。"
)
MAX_INPUT_BYTES: Final = 20 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES: Final = 200 * 1024 * 1024  # a 20 MB .xlsx that unpacks beyond this is a bomb
MAX_INPUT_ROWS: Final = MAX_UNITS * len(Domain)

# --- input: the JSON shape ----------------------------------------------------------------

_TOP_KEYS: Final = frozenset(
    {"format", "illustrative", "note", "year", "province_code", "province_name", "plan", "plan_total", "units"}
)
_UNIT_KEYS: Final = frozenset({"unit_id", "name", "counties", "figures", "illustrative", "note"})
_COUNTY_KEYS: Final = frozenset({"county_id", "name"})

# --- input: the .xlsx shape (sheet → columns); --help prints these ------------------------

PLAN_SHEET: Final = "计划"
UNITS_SHEET: Final = "单位"
COUNTIES_SHEET: Final = "县区"
README_SHEET: Final = "填表说明"
PLAN_COLUMNS: Final = ("年度", "省份代码", "省份名称", "演示数据", *(domain.value for domain in Domain))
UNIT_ID_HEADER: Final = "单位代码"
UNIT_NAME_HEADER: Final = "单位名称"
DOMAIN_HEADER: Final = "领域"
FIGURE_HEADERS: Final[Mapping[str, str]] = {
    "youth": "学生数（社会领域填适龄青年数）",
    "members": "团员数",
    "activists": "入团积极分子数",
    "graduating_youth": "毕业年级学生数（初中、普通高中）",
    "graduating_members": "毕业年级团员数（初中、普通高中）",
    "freshman_youth": "新生年级学生数（高校本科、高职）",
    "freshman_members": "新生年级团员数（高校本科、高职）",
    "organisations": "社会领域团组织数（社会）",
}
UNIT_COLUMNS: Final = (
    UNIT_ID_HEADER,
    UNIT_NAME_HEADER,
    DOMAIN_HEADER,
    *(FIGURE_HEADERS[name] for name in FIGURE_FIELDS),
)
COUNTY_COLUMNS: Final = (UNIT_ID_HEADER, "县区代码", "县区名称")
_YES: Final = frozenset({"是", "true", "yes", "1", "y"})

_DOMAIN_ALIASES: Final[Mapping[str, Domain]] = {
    **{domain.value: domain for domain in Domain},
    **{domain.name: domain for domain in Domain},
    "高职": Domain.HIGHER_VOCATIONAL,
    "高职(专科)": Domain.HIGHER_VOCATIONAL,
    "本科": Domain.UNDERGRADUATE,
    "高中": Domain.HIGH_SCHOOL,
}


@dataclass(frozen=True, slots=True)
class AllocationInput:
    """Everything ``allocate`` needs, as read from a file."""

    plan: ProvincePlan
    units: tuple[UnitFigures, ...]
    illustrative: bool = False

    def allocate(self) -> Allocation:
        return allocate(self.plan, self.units, illustrative=self.illustrative)


def parse_domain(raw: object, *, where: str) -> Domain:
    """A domain as users write it: 初中 … 社会, 高职（专科） with either parentheses, or the
    enum name."""
    text = str(raw).strip().replace("（", "(").replace("）", ")").replace(" ", "")
    domain = _DOMAIN_ALIASES.get(text) or _DOMAIN_ALIASES.get(text.upper())
    if domain is None:
        names = "、".join(domain.value for domain in Domain)
        raise InvalidAllocationInput("domain_unknown", f"{where}领域“{raw}”无法识别，应为：{names}", "domain")
    return domain


def parse_input(data: object, *, year: int | None = None) -> AllocationInput:
    """The JSON input format (see ``zhtj allocate --help``) → domain objects. ``year`` (from
    the command line) must agree with the file's ``year`` when both are given."""
    if not isinstance(data, Mapping):
        raise InvalidAllocationInput("input_shape", "输入数据应为一个JSON对象（{…}）", None)
    _reject_unknown(data, _TOP_KEYS, "输入数据")
    plan_year = _resolve_year(data.get("year"), year, where="输入数据")
    province_code = _text(data.get("province_code", "32"), "province_code（省份代码）")
    province_name = _text(data.get("province_name", "江苏省"), "province_name（省份名称）")
    raw_plan = data.get("plan")
    if not isinstance(raw_plan, Mapping):
        raise InvalidAllocationInput("plan_missing", '缺少plan（各领域计划数），应为 {"初中": 42000, …}', "plan")
    quotas: dict[Domain, int] = {}
    for key, value in raw_plan.items():
        domain = parse_domain(key, where="plan（计划）中")
        if domain in quotas:
            raise InvalidAllocationInput("plan_duplicate", f"plan（计划）中{domain.value}领域重复", "plan")
        quotas[domain] = _count(value, f"plan（计划）中{domain.value}领域计划数", f"plan.{domain.value}")
    plan = ProvincePlan(plan_year, province_code, province_name, quotas)
    if "plan_total" in data:
        expected = _count(data["plan_total"], "plan_total（计划总数）", "plan_total")
        if expected != plan.total:
            raise InvalidAllocationInput(
                "plan_total_mismatch",
                f"plan_total（计划总数）为{expected}，但各领域计划之和为{plan.total}，请核对",
                "plan_total",
            )
    raw_units = data.get("units")
    if not isinstance(raw_units, list) or not raw_units:
        raise InvalidAllocationInput("units_missing", "缺少units（单位列表），应为非空数组", "units")
    if len(raw_units) > MAX_UNITS:
        raise InvalidAllocationInput("too_many_units", f"单位数{len(raw_units)}超过上限{MAX_UNITS}", "units")
    units = tuple(_parse_unit(index, raw) for index, raw in enumerate(raw_units))
    illustrative = data.get("illustrative", False)
    if not isinstance(illustrative, bool):
        raise InvalidAllocationInput("illustrative_invalid", "illustrative（演示数据）应为 true 或 false", None)
    return AllocationInput(plan, units, illustrative)


def input_to_dict(source: AllocationInput, *, note: str | None = None) -> dict[str, object]:
    """The inverse of ``parse_input``: the JSON input format, keys in a fixed order, only
    the figures that apply to each domain."""
    result: dict[str, object] = {"format": INPUT_FORMAT, "illustrative": source.illustrative}
    if note is not None:
        result["note"] = note
    result.update(
        {
            "year": source.plan.year,
            "province_code": source.plan.province_code,
            "province_name": source.plan.province_name,
            "plan": {domain.value: source.plan.quotas.get(domain, 0) for domain in Domain},
            "plan_total": source.plan.total,
            "units": [_unit_to_dict(unit, source.illustrative) for unit in source.units],
        }
    )
    return result


def _unit_to_dict(unit: UnitFigures, illustrative: bool) -> dict[str, object]:
    result: dict[str, object] = {"unit_id": unit.unit_id, "name": unit.name}
    if illustrative:
        result["illustrative"] = True
    result["counties"] = [{"county_id": county.county_id, "name": county.name} for county in unit.counties]
    result["figures"] = {
        domain.value: {name: getattr(unit.figures[domain], name) for name in applicable_fields(domain)}
        for domain in Domain
        if domain in unit.figures
    }
    return result


def _parse_unit(index: int, raw: object) -> UnitFigures:
    where = f"units[{index}]"
    if not isinstance(raw, Mapping):
        raise InvalidAllocationInput("unit_shape", f"{where}应为一个JSON对象", where)
    unit_id = _identifier(raw.get("unit_id"), f"{where}.unit_id（单位代码）", f"{where}.unit_id")
    name = _text(raw.get("name"), f"{where}（单位“{unit_id}”）的name（单位名称）")
    who = f"{where}（单位“{name}”，{unit_id}）"
    _reject_unknown(raw, _UNIT_KEYS, who)
    raw_counties = raw.get("counties", [])
    if not isinstance(raw_counties, list):
        raise InvalidAllocationInput("counties_shape", f"{who}的counties（所辖县区）应为数组", f"{where}.counties")
    counties = []
    for position, county in enumerate(raw_counties):
        place = f"{who}的counties[{position}]"
        if not isinstance(county, Mapping):
            raise InvalidAllocationInput("county_shape", f'{place}应为 {{"county_id": …, "name": …}}', place)
        _reject_unknown(county, _COUNTY_KEYS, place)
        counties.append(
            County(
                _identifier(county.get("county_id"), f"{place}.county_id（县区代码）", place),
                _text(county.get("name"), f"{place}.name（县区名称）"),
            )
        )
    raw_figures = raw.get("figures", {})
    if not isinstance(raw_figures, Mapping):
        raise InvalidAllocationInput("figures_shape", f"{who}的figures（各领域数据）应为JSON对象", f"{where}.figures")
    figures: dict[Domain, DomainFigures] = {}
    for key, values in raw_figures.items():
        domain = parse_domain(key, where=f"{who}的figures中")
        if domain in figures:
            raise InvalidAllocationInput("figures_duplicate", f"{who}的{domain.value}领域数据重复", f"{where}.figures")
        place = f"{who}{domain.value}领域的"
        if not isinstance(values, Mapping):
            raise InvalidAllocationInput("figures_shape", f"{place}数据应为JSON对象", f"{where}.figures.{key}")
        unknown = sorted(str(name) for name in values if name not in FIGURE_FIELDS)
        if unknown:
            raise InvalidAllocationInput(
                "figure_unknown",
                f"{place}字段“{unknown[0]}”无法识别，可用字段：{'、'.join(applicable_fields(domain))}",
                f"{where}.figures.{key}.{unknown[0]}",
            )
        figures[domain] = DomainFigures(
            **{
                name: _count(value, f"{place}{name}（{FIGURE_LABELS[name]}）", f"{where}.figures.{key}.{name}")
                for name, value in values.items()
            }
        )
    return UnitFigures(unit_id, name, figures, tuple(counties))


def _reject_unknown(data: Mapping[Any, Any], allowed: frozenset[str], where: str) -> None:
    unknown = sorted(str(key) for key in data if key not in allowed)
    if unknown:
        raise InvalidAllocationInput(
            "key_unknown",
            f"{where}中的字段“{unknown[0]}”无法识别，可用字段：{'、'.join(sorted(allowed))}",
            unknown[0],
        )


def _resolve_year(raw: object, requested: int | None, *, where: str) -> int:
    if raw is None or raw == "":
        if requested is None:
            raise InvalidAllocationInput("year_missing", f"{where}缺少年度，请用 --year 指定", "year")
        return requested
    found = _count(raw, f"{where}中的年度", "year")
    if requested is not None and found != requested:
        raise InvalidAllocationInput(
            "year_mismatch", f"{where}中的年度为{found}，与 --year {requested} 不一致，请核对", "year"
        )
    return found


def _count(raw: object, what: str, field: str) -> int:
    """A non-negative whole number, as JSON or a spreadsheet gives it (1200, 1200.0, "1,200",
    "１２００"); a blank spreadsheet cell is 0."""
    value: object = raw
    if isinstance(raw, str):
        text = normalise_digit_string(raw).replace(",", "").replace("，", "")
        value = int(text) if text.isascii() and text.isdigit() else raw
        if text == "":
            value = 0
    elif isinstance(raw, float) and raw.is_integer():
        value = int(raw)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidAllocationInput("count_invalid", f"{what}应为非负整数，当前为“{raw}”", field)
    return value


def _identifier(raw: object, what: str, field: str) -> str:
    if isinstance(raw, bool) or raw is None:
        raise InvalidAllocationInput("id_missing", f"{what}不能为空", field)
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)  # a code typed into a numeric spreadsheet cell
    text = str(raw).strip()
    if not text:
        raise InvalidAllocationInput("id_missing", f"{what}不能为空", field)
    return text


def _text(raw: object, what: str) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidAllocationInput("text_missing", f"{what}不能为空", None)
    return raw.strip()


# --- input: .xlsx -------------------------------------------------------------------------


def read_input_xlsx(content: bytes, *, year: int | None = None) -> AllocationInput:
    """The spreadsheet input format (sheets 计划, 单位, 县区; see ``zhtj allocate --help``)."""
    from openpyxl import load_workbook

    _check_xlsx_container(content)
    workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    try:
        sheets = {sheet.title.strip(): sheet for sheet in workbook.worksheets}
        for required in (PLAN_SHEET, UNITS_SHEET):
            if required not in sheets:
                raise InvalidAllocationInput(
                    "sheet_missing", f"工作簿中缺少“{required}”工作表（可用 --export-input 生成模板）", required
                )
        plan, illustrative = _read_plan_sheet(sheets[PLAN_SHEET], year)
        counties = _read_county_sheet(sheets[COUNTIES_SHEET]) if COUNTIES_SHEET in sheets else {}
        units = _read_unit_sheet(sheets[UNITS_SHEET], counties)
    finally:
        workbook.close()
    return AllocationInput(plan, units, illustrative)


def _check_xlsx_container(content: bytes) -> None:
    if len(content) > MAX_INPUT_BYTES:
        raise InvalidAllocationInput("input_too_large", f"输入文件超过{MAX_INPUT_BYTES // (1024 * 1024)}MB", None)
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(entry.file_size for entry in archive.infolist())
    except zipfile.BadZipFile as error:
        raise InvalidAllocationInput(
            "input_not_xlsx", "输入文件不是有效的.xlsx工作簿（请另存为Excel工作簿）", None
        ) from error
    if unpacked > MAX_UNCOMPRESSED_BYTES:
        raise InvalidAllocationInput("input_too_large", "输入工作簿解压后过大，请删除无关内容后重试", None)


def _rows(sheet: Any, name: str) -> Iterator[tuple[int, dict[str, object]]]:
    """(row number, {header key: value}) for each non-blank row under the header row."""
    header: list[str] | None = None
    for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        if number > MAX_INPUT_ROWS + 1:
            raise InvalidAllocationInput("input_too_many_rows", f"“{name}”表超过{MAX_INPUT_ROWS}行", name)
        values = ["" if value is None else value for value in row]
        if header is None:
            if any(str(value).strip() for value in values):
                header = [_header_key(value) for value in values]
            continue
        if not any(str(value).strip() for value in values):
            continue
        yield number, {key: value for key, value in zip(header, values, strict=False) if key}


def _header_key(raw: object) -> str:
    # "学生数（社会领域填适龄青年数）" and "学生数" are the same column: match on the part
    # before the explanation in brackets; a domain column keeps its whole name.
    text = str(raw).strip().replace(" ", "").replace("（", "(").replace("）", ")")
    if text in _DOMAIN_ALIASES:
        return text
    return text.split("(", 1)[0]


def _cell(row: Mapping[str, object], header: str) -> object:
    return row.get(_header_key(header), "")


def _read_plan_sheet(sheet: Any, year: int | None) -> tuple[ProvincePlan, bool]:
    rows = list(_rows(sheet, PLAN_SHEET))
    if len(rows) != 1:
        raise InvalidAllocationInput(
            "plan_rows", f"“{PLAN_SHEET}”表应在表头下恰好填写1行，当前为{len(rows)}行", PLAN_SHEET
        )
    number, row = rows[0]
    where = f"“{PLAN_SHEET}”表第{number}行"
    plan_year = _resolve_year(_cell(row, "年度"), year, where=where)
    code = _identifier(_cell(row, "省份代码") or "32", f"{where}省份代码", "province_code")
    name = str(_cell(row, "省份名称") or "江苏省").strip()
    illustrative = str(_cell(row, "演示数据")).strip().lower() in _YES
    quotas: dict[Domain, int] = {}
    for key, value in row.items():
        if key in _DOMAIN_ALIASES:
            domain = _DOMAIN_ALIASES[key]
            quotas[domain] = _count(value, f"{where}“{domain.value}”计划数", f"plan.{domain.value}")
    if not quotas:
        raise InvalidAllocationInput(
            "plan_missing", f"{where}没有领域计划列（应为：{'、'.join(d.value for d in Domain)}）", "plan"
        )
    return ProvincePlan(plan_year, code, name, quotas), illustrative


def _read_county_sheet(sheet: Any) -> dict[str, list[County]]:
    counties: dict[str, list[County]] = {}
    for number, row in _rows(sheet, COUNTIES_SHEET):
        where = f"“{COUNTIES_SHEET}”表第{number}行"
        unit_id = _identifier(_cell(row, UNIT_ID_HEADER), f"{where}单位代码", "unit_id")
        county_id = _identifier(_cell(row, "县区代码"), f"{where}县区代码", "county_id")
        name = _cell(row, "县区名称")
        counties.setdefault(unit_id, []).append(County(county_id, _text(name, f"{where}县区名称")))
    return counties


def _read_unit_sheet(sheet: Any, counties: Mapping[str, list[County]]) -> tuple[UnitFigures, ...]:
    names: dict[str, str] = {}
    figures: dict[str, dict[Domain, DomainFigures]] = {}
    for number, row in _rows(sheet, UNITS_SHEET):
        where = f"“{UNITS_SHEET}”表第{number}行"
        unit_id = _identifier(_cell(row, UNIT_ID_HEADER), f"{where}单位代码", "unit_id")
        name = _text(_cell(row, UNIT_NAME_HEADER), f"{where}（单位“{unit_id}”）单位名称")
        who = f"{where}（单位“{name}”，{unit_id}）"
        if names.setdefault(unit_id, name) != name:
            raise InvalidAllocationInput(
                "unit_name_mismatch",
                f"{who}的单位名称与前面行中的“{names[unit_id]}”不一致，同一单位代码须使用同一名称",
                "name",
            )
        by_domain = figures.setdefault(unit_id, {})
        if str(_cell(row, DOMAIN_HEADER)).strip() == "":
            # A unit with no figures yet (e.g. listed for its counties only) is one row with
            # code and name alone; figures without a domain are a mistake.
            if any(str(_cell(row, FIGURE_HEADERS[field])).strip() for field in FIGURE_FIELDS):
                raise InvalidAllocationInput("domain_missing", f"{who}未填写领域", "domain")
            continue
        domain = parse_domain(_cell(row, DOMAIN_HEADER), where=who)
        if domain in by_domain:
            raise InvalidAllocationInput(
                "figures_duplicate", f"{who}的{domain.value}领域重复填报，每个单位每个领域只填一行", "domain"
            )
        by_domain[domain] = DomainFigures(
            **{
                field: _count(
                    _cell(row, FIGURE_HEADERS[field]), f"{who}{domain.value}领域的“{FIGURE_LABELS[field]}”", field
                )
                for field in FIGURE_FIELDS
            }
        )
    unknown = sorted(set(counties) - set(names))
    if unknown:
        raise InvalidAllocationInput(
            "county_unit_unknown",
            f"“{COUNTIES_SHEET}”表中的单位代码“{unknown[0]}”在“{UNITS_SHEET}”表中不存在",
            "unit_id",
        )
    if not names:
        raise InvalidAllocationInput("units_missing", f"“{UNITS_SHEET}”表没有任何单位数据", UNITS_SHEET)
    return tuple(
        UnitFigures(unit_id, names[unit_id], figures[unit_id], tuple(counties.get(unit_id, ()))) for unit_id in names
    )


def render_input_xlsx(source: AllocationInput) -> bytes:
    """The spreadsheet input format filled with ``source`` — the sample/template workbook
    (generated on demand, never checked in)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    workbook = Workbook()
    readme = workbook.active
    assert readme is not None
    readme.title = README_SHEET
    readme.column_dimensions["A"].width = 110
    for line in input_instructions():
        _append(readme, [line])
    readme["A1"].font = Font(bold=True, size=14)
    header_font, header_fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")

    def sheet(title: str, columns: Sequence[str], rows: Iterable[Sequence[object]], text_columns: int) -> None:
        worksheet = workbook.create_sheet(title)
        _append(worksheet, list(columns))
        for cell in worksheet[1]:
            cell.font, cell.fill = header_font, header_fill
            cell.alignment = Alignment(wrap_text=True, vertical="center")
        for row in rows:
            _append(worksheet, list(row))
        for index, _ in enumerate(columns, start=1):
            letter = worksheet.cell(row=1, column=index).column_letter
            worksheet.column_dimensions[letter].width = 14 if index > text_columns else 18
            if index <= text_columns:  # codes are text: 3201 must not become 3201.0 or lose a 0
                for row_cells in worksheet.iter_rows(min_row=2, min_col=index, max_col=index):
                    for cell in row_cells:
                        cell.number_format = "@"
        worksheet.freeze_panes = "A2"

    plan = source.plan
    sheet(
        PLAN_SHEET,
        PLAN_COLUMNS,
        [
            [plan.year, plan.province_code, plan.province_name, "是" if source.illustrative else "否"]
            + [plan.quotas.get(domain, 0) for domain in Domain]
        ],
        text_columns=0,
    )
    unit_rows: list[list[object]] = []
    for unit in source.units:
        applicable = [domain for domain in Domain if domain in unit.figures]
        if not applicable:
            unit_rows.append([unit.unit_id, unit.name, None])
        for domain in applicable:
            figures = unit.figures[domain]
            # only the columns that apply to the domain; the others stay blank (not 0)
            unit_rows.append(
                [unit.unit_id, unit.name, domain.value]
                + [getattr(figures, name) if name in applicable_fields(domain) else None for name in FIGURE_FIELDS]
            )
    sheet(UNITS_SHEET, UNIT_COLUMNS, unit_rows, text_columns=3)
    county_rows = [[unit.unit_id, county.county_id, county.name] for unit in source.units for county in unit.counties]
    sheet(COUNTIES_SHEET, COUNTY_COLUMNS, county_rows, text_columns=3)
    return _workbook_bytes(workbook, plan.year)


def input_instructions(*, with_field_list: bool = True) -> list[str]:
    """The input format in Chinese: the 填表说明 sheet and ``zhtj allocate --help`` (which lists
    the fields itself, hence ``with_field_list``)."""
    figure_lines = [
        f"  {FIGURE_HEADERS[name]}  ← JSON字段 {name}；适用领域："
        + "、".join(domain.value for domain in Domain if name in applicable_fields(domain))
        for name in FIGURE_FIELDS
    ]
    return [
        "发展团员名额测算输入数据 填表说明",
        "",
        f"工作表“{PLAN_SHEET}”：表头下填1行，列为 " + "｜".join(PLAN_COLUMNS) + "。",
        "  年度为计划年度（四位数）；省份代码为GB/T 2260省级代码（江苏32）；演示数据填“是”时，分配表加注“"
        + ILLUSTRATIVE_FOOTNOTE
        + "”；各领域列填该领域全省计划数。",
        f"工作表“{UNITS_SHEET}”：每个单位每个领域1行，列为 " + "｜".join(UNIT_COLUMNS) + "。",
        "  单位代码：设区市用GB/T 2260四位代码（如3201），省级单位如32P01；领域："
        + "、".join(domain.value for domain in Domain)
        + "。数字须为非负整数，不适用的列留空。",
        *(figure_lines if with_field_list else []),
        "  毕业年级：2023年计划为2024届（初三、高三）；新生年级：2023年计划为2022级（大一）。",
        f"工作表“{COUNTIES_SHEET}”（可选）：列为 " + "｜".join(COUNTY_COLUMNS) + "，列出每个单位所辖县（市、区），"
        "每个县（市、区）至少安排1个社会领域名额（通知§二.5）。",
        "",
        "测算方法：各领域分别按测算权重以最大余数法分配，合计严格等于计划数；权重为距团青比目标的余量"
        "（初中毕业年级10%、普通高中30%、中职20%，以入团积极分子数封顶）、高校非团员学生数"
        "（新生年级团青比低于25%×3/2，本科大一超过60%×1/2）、社会领域团员数与团组织数各占一半；"
        "余数相同时单位代码小者优先。号段按领域顺序、单位代码顺序从序号1起连续分配。",
    ]


# --- output: JSON -------------------------------------------------------------------------


def table_title(allocation: Allocation) -> str:
    if allocation.owner_id == allocation.province_code:
        return f"{allocation.year}年发展团员名额及编号号段分配表"
    return f"{allocation.year}年{allocation.owner_name}发展团员名额及编号号段分配表"


def table_dict(allocation: Allocation) -> dict[str, object]:
    """The table as JSON-able dicts, keys and rows in a fixed order (units by id, domains in
    ``Domain`` order, findings as ``allocate`` orders them)."""
    share = higher_vocational_share_percent(allocation.plan)
    return {
        "title": table_title(allocation),
        "year": allocation.year,
        "province_code": allocation.province_code,
        "owner_id": allocation.owner_id,
        "owner_name": allocation.owner_name,
        "illustrative": allocation.illustrative,
        "footnote": ILLUSTRATIVE_FOOTNOTE if allocation.illustrative else None,
        "domains": [domain.value for domain in Domain],
        "units": [_unit_row(unit) for unit in allocation.units],
        "totals": {
            "total": allocation.total,
            "domains": {
                domain.value: _quota_cell(allocation.plan[domain], allocation.domain_segment(domain))
                for domain in Domain
            },
        },
        "higher_vocational_share_percent": None if share is None else round(share, 1),
        "findings": [finding_dict(finding) for finding in allocation.findings],
    }


def table_json(allocation: Allocation) -> str:
    return json.dumps(table_dict(allocation), ensure_ascii=False, indent=2) + "\n"


def finding_dict(finding: Finding) -> dict[str, object]:
    return {
        "unit_id": finding.unit_id,
        "unit_name": finding.unit_name,
        "domain": None if finding.domain is None else finding.domain.value,
        "rule": finding.rule.value,
        "rule_label": finding.rule.label,
        "severity": finding.severity.value,
        "message": finding.message,
    }


def _unit_row(unit: UnitAllocation) -> dict[str, object]:
    return {
        "unit_id": unit.unit_id,
        "name": unit.name,
        "total": unit.total,
        "domains": {domain.value: _quota_cell(unit.quotas[domain], unit.segments.get(domain)) for domain in Domain},
    }


def _quota_cell(quota: int, segment: Segment | None) -> dict[str, object]:
    return {
        "quota": quota,
        "first_number": None if segment is None else segment.first_number,
        "last_number": None if segment is None else segment.last_number,
    }


# --- output: .xlsx ------------------------------------------------------------------------

_FORMULA_TRIGGERS: Final = ("=", "+", "-", "@", "\t", "\r")
# XML 1.0 cannot carry these; openpyxl refuses them (IllegalCharacterError).
_XML_ILLEGAL: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
TABLE_SHEET: Final = "分配表"
FINDINGS_SHEET: Final = "规则检查"
METHOD_SHEET: Final = "测算方法"
_FIXED_COLUMNS: Final = ("序号", "单位代码", "单位名称", "合计名额")
_DOMAIN_COLUMNS: Final = ("名额", "号段起始编号", "号段终止编号")


def neutralise(text: str) -> str:
    """A string safe for a spreadsheet cell: never read as a formula (OWASP CSV injection —
    a leading apostrophe), and no character XML cannot carry."""
    text = _XML_ILLEGAL.sub("", text)
    if text.startswith(_FORMULA_TRIGGERS):
        return "'" + text
    return text


def render_xlsx(allocation: Allocation) -> bytes:
    """The formatted table (sheet 分配表), the findings (规则检查) and the method (测算方法)."""
    from openpyxl import Workbook

    workbook = Workbook()
    table = workbook.active
    assert table is not None
    table.title = TABLE_SHEET
    _write_table_sheet(table, allocation)
    _write_findings_sheet(workbook.create_sheet(FINDINGS_SHEET), allocation)
    _write_method_sheet(workbook.create_sheet(METHOD_SHEET), allocation)
    workbook.properties.title = table_title(allocation)
    workbook.properties.creator = "zhtj"
    workbook.properties.lastModifiedBy = "zhtj"
    return _workbook_bytes(workbook, allocation.year)


def _write_table_sheet(sheet: Worksheet, allocation: Allocation) -> None:
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    domain_count = len(Domain)
    width = len(_FIXED_COLUMNS) + len(_DOMAIN_COLUMNS) * domain_count
    last = get_column_letter(width)
    thin = Side(style="thin", color="808080")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    total_fill = PatternFill("solid", fgColor="F2F2F2")

    # Row 1: the title, as 附件1 is titled. Rows 2–3: header with one group per domain.
    _put(sheet, 1, 1, table_title(allocation))
    sheet.merge_cells(f"A1:{last}1")
    sheet["A1"].font = Font(bold=True, size=16)
    sheet["A1"].alignment = centre
    sheet.row_dimensions[1].height = 32
    for column, label in enumerate(_FIXED_COLUMNS, start=1):
        _put(sheet, 2, column, label)
        sheet.merge_cells(start_row=2, start_column=column, end_row=3, end_column=column)
    for index, domain in enumerate(Domain):
        first = len(_FIXED_COLUMNS) + 1 + index * len(_DOMAIN_COLUMNS)
        _put(sheet, 2, first, domain.value)
        sheet.merge_cells(start_row=2, start_column=first, end_row=2, end_column=first + len(_DOMAIN_COLUMNS) - 1)
        for offset, label in enumerate(_DOMAIN_COLUMNS):
            _put(sheet, 3, first + offset, label)
    for row in sheet.iter_rows(min_row=2, max_row=3, max_col=width):
        for cell in row:
            cell.font, cell.fill, cell.alignment, cell.border = Font(bold=True), header_fill, centre, border

    # One row per unit, then 合计. Quotas are numbers; codes and member numbers are text
    # cells (format "@"), so a 12-digit number is never shown as 2.02332E+11.
    rows: list[tuple[int | None, str | None, str, int, list[tuple[int, Segment | None]]]] = [
        (
            position,
            unit.unit_id,
            unit.name,
            unit.total,
            [(unit.quotas[domain], unit.segments.get(domain)) for domain in Domain],
        )
        for position, unit in enumerate(allocation.units, start=1)
    ]
    rows.append(
        (
            None,
            None,
            "合计",
            allocation.total,
            [(allocation.plan[domain], allocation.domain_segment(domain)) for domain in Domain],
        )
    )
    for offset, (position, unit_id, name, total, cells) in enumerate(rows):
        row_number = 4 + offset
        _put(sheet, row_number, 1, position)
        _put(sheet, row_number, 2, unit_id).number_format = "@"
        _put(sheet, row_number, 3, name)
        _put(sheet, row_number, 4, total).number_format = "#,##0"
        for index, (quota, segment) in enumerate(cells):
            first = len(_FIXED_COLUMNS) + 1 + index * len(_DOMAIN_COLUMNS)
            _put(sheet, row_number, first, quota).number_format = "#,##0"
            for column, text in (
                (first + 1, segment and segment.first_number),
                (first + 2, segment and segment.last_number),
            ):
                _put(sheet, row_number, column, text or None).number_format = "@"
        for cell in sheet[row_number][:width]:
            cell.border = border
            if cell.column != 3:
                cell.alignment = Alignment(horizontal="center", vertical="center")
    total_row = 4 + len(rows) - 1
    for cell in sheet[total_row][:width]:
        cell.font, cell.fill = Font(bold=True), total_fill

    notes = [SEGMENT_NOTE]
    if allocation.illustrative:
        notes.insert(0, ILLUSTRATIVE_FOOTNOTE)
    for offset, note in enumerate(notes, start=1):
        row_number = total_row + offset
        _put(sheet, row_number, 1, note)
        sheet.merge_cells(start_row=row_number, start_column=1, end_row=row_number, end_column=width)
        sheet.cell(row=row_number, column=1).alignment = Alignment(wrap_text=True, vertical="top")
        sheet.row_dimensions[row_number].height = 30
    if allocation.illustrative:
        sheet.cell(row=total_row + 1, column=1).font = Font(bold=True, color="C00000")

    widths = [6, 10, 24, 11] + [8, 15, 15] * domain_count
    for column, column_width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = column_width
    sheet.freeze_panes = "E4"  # title + header rows and the unit columns stay in view
    sheet.print_title_rows = "1:3"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A3
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def _write_findings_sheet(sheet: Worksheet, allocation: Allocation) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    _put(sheet, 1, 1, f"{table_title(allocation)} — 规则检查（通知§二、§三）")
    sheet["A1"].font = Font(bold=True, size=14)
    headers = ("单位代码", "单位名称", "领域", "规则", "级别", "说明")
    for column, label in enumerate(headers, start=1):
        cell = _put(sheet, 2, column, label)
        cell.font, cell.fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    share = higher_vocational_share_percent(allocation.plan)
    row_number = 3
    if share is not None and allocation.owner_id == allocation.province_code:
        summary = (
            "",
            allocation.owner_name,
            Domain.HIGHER_VOCATIONAL.value,
            "高职（专科）指标不少于高校指标70%（通知§二.4）",
            "核对",
            f"高职（专科）计划占高校计划{share:.1f}%",
        )
        for column, value in enumerate(summary, start=1):
            _put(sheet, row_number, column, value)
        row_number += 1
    for finding in allocation.findings:
        values = (
            finding.unit_id,
            finding.unit_name,
            "" if finding.domain is None else finding.domain.value,
            finding.rule.label,
            finding.severity.value,
            finding.message,
        )
        for column, value in enumerate(values, start=1):
            cell = _put(sheet, row_number, column, value)
            if column == 1:
                cell.number_format = "@"
        row_number += 1
    if not allocation.findings:
        _put(sheet, row_number, 1, "各单位均未触及约束或未达要求的规则。")
        row_number += 1
    if allocation.illustrative:
        _put(sheet, row_number + 1, 1, ILLUSTRATIVE_FOOTNOTE).font = Font(bold=True, color="C00000")
    for letter, column_width in zip("ABCDEF", (10, 22, 10, 40, 10, 90), strict=True):
        sheet.column_dimensions[letter].width = column_width
    for row in sheet.iter_rows(min_row=3, min_col=6, max_col=6):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A3"


def _write_method_sheet(sheet: Worksheet, allocation: Allocation) -> None:
    from openpyxl.styles import Alignment, Font

    lines = [f"{table_title(allocation)} — 测算方法", *input_instructions()[-1:]]
    lines += [
        "初中：权重＝10%×毕业年级学生数－毕业年级团员数（通知§二.1），以入团积极分子数封顶。",
        "普通高中：权重＝30%×学生数－团员数（通知§二.2），以入团积极分子数封顶；毕业年级团青比已超30%的单位单列提示。",
        "中职：权重＝20%×学生数－团员数（通知§二.3、§三.3），以入团积极分子数封顶。",
        "高校本科、高职（专科）：权重＝学生数－团员数；新生年级团青比低于25%的×3/2，本科大一新生团青比超过60%的×1/2（通知§二.4）。",
        "社会：权重＝该单位社会领域团员数占比与团组织数占比各占一半（通知§二.5），先为每个县（市、区）保底1个。",
        "所有领域均不跨领域、跨年度调剂（通知§三.2）；入团积极分子按计划数两倍左右掌握（通知§三.1）。",
    ]
    if allocation.illustrative:
        lines.append(ILLUSTRATIVE_FOOTNOTE)
    for row_number, line in enumerate(lines, start=1):
        _put(sheet, row_number, 1, line).alignment = Alignment(wrap_text=True, vertical="top")
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.column_dimensions["A"].width = 120


def _put(sheet: Worksheet, row: int, column: int, value: object) -> Any:
    """Write one cell; every string goes through ``neutralise``."""
    cell = sheet.cell(row=row, column=column)
    cell.value = neutralise(value) if isinstance(value, str) else value
    return cell


def _append(sheet: Worksheet, values: list[object]) -> None:
    sheet.append([neutralise(value) if isinstance(value, str) else value for value in values])


class _PinnedClockZipFile(zipfile.ZipFile):
    """A ZipFile whose entries all carry one fixed date. zipfile stamps an entry written by
    name with the current time, and one copied from a file (openpyxl writes each worksheet
    to a temporary file first) with that file's mtime — either way two runs would differ."""

    def __init__(self, file: io.BytesIO, date_time: tuple[int, int, int, int, int, int]) -> None:
        super().__init__(file, "w", zipfile.ZIP_DEFLATED)
        self._pinned_date_time = date_time

    def writestr(self, zinfo_or_arcname: Any, data: Any, *args: Any, **kwargs: Any) -> None:
        if isinstance(zinfo_or_arcname, str):
            info = zipfile.ZipInfo(zinfo_or_arcname, date_time=self._pinned_date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16  # what zipfile gives an entry written by name
            zinfo_or_arcname = info
        super().writestr(zinfo_or_arcname, data, *args, **kwargs)

    def write(self, filename: Any, arcname: Any = None, *args: Any, **kwargs: Any) -> None:
        with open(filename, "rb") as source:
            self.writestr(str(arcname if arcname is not None else filename), source.read())


def _workbook_bytes(workbook: Workbook, year: int) -> bytes:
    from openpyxl.writer.excel import ExcelWriter

    # zip dates run 1980–2107; a plan year is always inside, clamp anyway.
    pinned = datetime(min(max(year, 1980), 2107), 1, 1)
    workbook.properties.created = pinned
    workbook.properties.modified = pinned
    buffer = io.BytesIO()
    archive = _PinnedClockZipFile(buffer, (pinned.year, 1, 1, 0, 0, 0))
    ExcelWriter(workbook, archive).save()  # not workbook.save(): that stamps modified = now
    return buffer.getvalue()
