"""The 2023 Jiangsu demo allocation (演示数据，仅作示意，非官方附件1).

What is real: the province total 18.2万 and its change on 2022 (notice §二); the 13 cities
and their 95 县（市、区） with their GB/T 2260 codes (as of 2023); the provincial units the
notice is addressed to (省级机关团工委, 省直有关单位, 省部属高校、独立学院团委).

What is invented: the per-domain split of the total (DESIGN's suggestion, which satisfies
every rule — 高职 26,200 / 高校 37,000 = 70.8 % ≥ 70 %, notice §二.4), every unit figure
(students, members, activists, organisations — drawn from a seeded RNG around plausible
magnitudes, so they are the same on every run and machine, with no network), and the
provincial universities, which are generic (「部属高校A团委」, 「省属高职院校B团委」…).
Everything generated says so: ``illustrative: true`` in the data and the footnote
``DEMO_FOOTNOTE`` on the table.

The province-level table has one row per city (figures = the sum of its counties) and per
provincial unit; ``demo_county_allocation`` splits a city's row among its counties with the
same method (``zhtj.domain.allocation.split_unit_quota``).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from functools import lru_cache
from typing import Final

from zhtj.domain.allocation import (
    Allocation,
    County,
    DomainFigures,
    InvalidAllocationInput,
    ProvincePlan,
    UnitFigures,
    split_unit_quota,
)
from zhtj.domain.glossary import Domain
from zhtj.services.allocation_table import ILLUSTRATIVE_FOOTNOTE, AllocationInput, input_to_dict

DEMO_YEAR: Final = 2023
DEMO_SEED: Final = 20230314  # the notice's date; any fixed seed would do
PROVINCE_CODE: Final = "32"
PROVINCE_NAME: Final = "江苏省"
DEMO_FOOTNOTE: Final = ILLUSTRATIVE_FOOTNOTE  # 本表为演示数据，仅作示意，非官方附件1

# Notice §二: 18.2万 in total. The split is DESIGN's suggestion (the notice gives only the
# change on 2022: 初中 +2,000, 高中 +12,000, 中职 −3,000, 本科 +800, 高职 +6,200, 社会 −1,000).
PLAN_2023: Final[Mapping[Domain, int]] = {
    Domain.JUNIOR_HIGH: 42_000,
    Domain.HIGH_SCHOOL: 57_000,
    Domain.SECONDARY_VOCATIONAL: 22_000,
    Domain.UNDERGRADUATE: 10_800,
    Domain.HIGHER_VOCATIONAL: 26_200,
    Domain.SOCIAL: 24_000,
}
PLAN_2023_TOTAL: Final = 182_000


@dataclass(frozen=True, slots=True)
class City:
    code: str  # GB/T 2260 4-digit prefix
    name: str
    size_index: float  # rough relative scale, only to make the invented figures plausible
    counties: tuple[County, ...]

    @property
    def committee_name(self) -> str:
        return f"{self.name}团委"


def _counties(*pairs: tuple[str, str]) -> tuple[County, ...]:
    return tuple(County(code, name) for code, name in pairs)


# GB/T 2260 codes of Jiangsu's county-level divisions as of 2023 (55 区, 21 县级市, 19 县).
CITIES: Final[tuple[City, ...]] = (
    City("3201", "南京市", 9.4, _counties(
        ("320102", "玄武区"), ("320104", "秦淮区"), ("320105", "建邺区"), ("320106", "鼓楼区"),
        ("320111", "浦口区"), ("320113", "栖霞区"), ("320114", "雨花台区"), ("320115", "江宁区"),
        ("320116", "六合区"), ("320117", "溧水区"), ("320118", "高淳区"),
    )),
    City("3202", "无锡市", 7.5, _counties(
        ("320205", "锡山区"), ("320206", "惠山区"), ("320211", "滨湖区"), ("320213", "梁溪区"),
        ("320214", "新吴区"), ("320281", "江阴市"), ("320282", "宜兴市"),
    )),
    City("3203", "徐州市", 9.0, _counties(
        ("320302", "鼓楼区"), ("320303", "云龙区"), ("320305", "贾汪区"), ("320311", "泉山区"),
        ("320312", "铜山区"), ("320321", "丰县"), ("320322", "沛县"), ("320324", "睢宁县"),
        ("320381", "新沂市"), ("320382", "邳州市"),
    )),
    City("3204", "常州市", 5.4, _counties(
        ("320402", "天宁区"), ("320404", "钟楼区"), ("320411", "新北区"), ("320412", "武进区"),
        ("320413", "金坛区"), ("320481", "溧阳市"),
    )),
    City("3205", "苏州市", 12.9, _counties(
        ("320505", "虎丘区"), ("320506", "吴中区"), ("320507", "相城区"), ("320508", "姑苏区"),
        ("320509", "吴江区"), ("320581", "常熟市"), ("320582", "张家港市"), ("320583", "昆山市"),
        ("320585", "太仓市"),
    )),
    City("3206", "南通市", 7.7, _counties(
        ("320612", "通州区"), ("320613", "崇川区"), ("320614", "海门区"), ("320623", "如东县"),
        ("320681", "启东市"), ("320682", "如皋市"), ("320685", "海安市"),
    )),
    City("3207", "连云港市", 4.6, _counties(
        ("320703", "连云区"), ("320706", "海州区"), ("320707", "赣榆区"), ("320722", "东海县"),
        ("320723", "灌云县"), ("320724", "灌南县"),
    )),
    City("3208", "淮安市", 4.6, _counties(
        ("320803", "淮安区"), ("320804", "淮阴区"), ("320812", "清江浦区"), ("320813", "洪泽区"),
        ("320826", "涟水县"), ("320830", "盱眙县"), ("320831", "金湖县"),
    )),
    City("3209", "盐城市", 6.7, _counties(
        ("320902", "亭湖区"), ("320903", "盐都区"), ("320904", "大丰区"), ("320921", "响水县"),
        ("320922", "滨海县"), ("320923", "阜宁县"), ("320924", "射阳县"), ("320925", "建湖县"),
        ("320981", "东台市"),
    )),
    City("3210", "扬州市", 4.6, _counties(
        ("321002", "广陵区"), ("321003", "邗江区"), ("321012", "江都区"), ("321023", "宝应县"),
        ("321081", "仪征市"), ("321084", "高邮市"),
    )),
    City("3211", "镇江市", 3.2, _counties(
        ("321102", "京口区"), ("321111", "润州区"), ("321112", "丹徒区"), ("321181", "丹阳市"),
        ("321182", "扬中市"), ("321183", "句容市"),
    )),
    City("3212", "泰州市", 4.5, _counties(
        ("321202", "海陵区"), ("321203", "高港区"), ("321204", "姜堰区"), ("321281", "兴化市"),
        ("321282", "靖江市"), ("321283", "泰兴市"),
    )),
    City("3213", "宿迁市", 5.0, _counties(
        ("321302", "宿城区"), ("321311", "宿豫区"), ("321322", "沭阳县"), ("321323", "泗阳县"),
        ("321324", "泗洪县"),
    )),
)  # fmt: skip

# Cities whose invented figures include city-run 本科 colleges (市属本科院校); every city has
# city-run 高职. Both sit in the city's first-listed (central) district.
_CITIES_WITH_UNDERGRADUATE: Final = frozenset({"3201", "3202", "3203", "3204", "3205", "3206", "3209"})


@dataclass(frozen=True, slots=True)
class ProvincialUnit:
    unit_id: str
    name: str
    domain_sizes: Mapping[Domain, int]  # rough student / member scale per domain it has
    # freshman member ratio range for universities, chosen so the demo shows both §二.4 cases
    freshman_ratio: tuple[float, float] = (0.40, 0.55)


# Provincial units (notice's addressees). University names are generic on purpose.
PROVINCIAL_UNITS: Final[tuple[ProvincialUnit, ...]] = (
    ProvincialUnit("32P01", "省级机关团工委", {Domain.SOCIAL: 2_000}),
    ProvincialUnit("32P02", "省直有关单位团委", {Domain.SOCIAL: 4_000, Domain.SECONDARY_VOCATIONAL: 24_000}),
    ProvincialUnit("32P03", "部属高校A团委", {Domain.UNDERGRADUATE: 42_000}, (0.61, 0.68)),
    ProvincialUnit("32P04", "部属高校B团委", {Domain.UNDERGRADUATE: 36_000}, (0.50, 0.58)),
    ProvincialUnit("32P05", "省属本科高校A团委", {Domain.UNDERGRADUATE: 30_000}, (0.45, 0.55)),
    ProvincialUnit("32P06", "省属本科高校B团委", {Domain.UNDERGRADUATE: 27_000}, (0.62, 0.70)),
    ProvincialUnit("32P07", "省属本科高校C团委", {Domain.UNDERGRADUATE: 24_000}, (0.20, 0.24)),
    ProvincialUnit("32P08", "独立学院A团委", {Domain.UNDERGRADUATE: 15_000}, (0.30, 0.40)),
    ProvincialUnit("32P09", "省属高职院校A团委", {Domain.HIGHER_VOCATIONAL: 22_000}, (0.18, 0.24)),
    ProvincialUnit("32P10", "省属高职院校B团委", {Domain.HIGHER_VOCATIONAL: 19_000}, (0.30, 0.40)),
    ProvincialUnit("32P11", "省属高职院校C团委", {Domain.HIGHER_VOCATIONAL: 17_000}, (0.26, 0.34)),
    ProvincialUnit("32P12", "省属高职院校D团委", {Domain.HIGHER_VOCATIONAL: 15_000}, (0.35, 0.45)),
    ProvincialUnit("32P13", "省属高职院校E团委", {Domain.HIGHER_VOCATIONAL: 13_000}, (0.15, 0.22)),
    ProvincialUnit("32P14", "省属高职院校F团委", {Domain.HIGHER_VOCATIONAL: 12_000}, (0.28, 0.38)),
)


def demo_plan(year: int = DEMO_YEAR) -> ProvincePlan:
    _check_year(year)
    return ProvincePlan(year, PROVINCE_CODE, PROVINCE_NAME, dict(PLAN_2023))


def demo_units(year: int = DEMO_YEAR) -> tuple[UnitFigures, ...]:
    """Province-level rows: the 13 city committees, then the provincial units."""
    _check_year(year)
    counties, provincial = _generated()
    cities = tuple(
        UnitFigures(
            city.code,
            city.committee_name,
            _sum_figures(counties[county.county_id].figures for county in city.counties),
            city.counties,
        )
        for city in CITIES
    )
    return cities + provincial


def demo_county_units(city_code: str, year: int = DEMO_YEAR) -> tuple[UnitFigures, ...]:
    """The counties of one city, each listing itself (one social place each, notice §二.5)."""
    _check_year(year)
    counties, _ = _generated()
    return tuple(counties[county.county_id] for county in _city(city_code).counties)


def demo_allocation(year: int = DEMO_YEAR) -> Allocation:
    return demo_input(year).allocate()


def demo_county_allocation(city_code: str, year: int = DEMO_YEAR, allocation: Allocation | None = None) -> Allocation:
    province = allocation if allocation is not None else demo_allocation(year)
    return split_unit_quota(province, city_code, demo_county_units(city_code, year))


def demo_input(year: int = DEMO_YEAR) -> AllocationInput:
    """The province-level demo data, as the CLI reads an input file."""
    return AllocationInput(demo_plan(year), demo_units(year), illustrative=True)


def demo_input_dict(year: int = DEMO_YEAR) -> dict[str, object]:
    """The province-level demo data in the JSON input format (``zhtj allocate --help``);
    every unit carries ``illustrative: true``."""
    return input_to_dict(demo_input(year), note=DEMO_FOOTNOTE)


# --- generation ---------------------------------------------------------------------------


def _check_year(year: int) -> None:
    if year != DEMO_YEAR:
        raise InvalidAllocationInput(
            "demo_year", f"演示数据仅提供{DEMO_YEAR}年（团苏组字〔2023〕2号），没有{year}年的演示数据", "year"
        )


def _city(city_code: str) -> City:
    for city in CITIES:
        if city.code == city_code:
            return city
    raise InvalidAllocationInput("demo_city", f"演示数据中没有代码为“{city_code}”的设区市", "unit_id")


@lru_cache(maxsize=1)
def _generated() -> tuple[dict[str, UnitFigures], tuple[UnitFigures, ...]]:
    """(counties by id, provincial units). One RNG, one fixed order of draws: the same data on
    every run and machine (random.Random's Mersenne Twister with an int seed is stable)."""
    rng = random.Random(DEMO_SEED)  # noqa: S311 — reproducible demo figures, not a secret
    raw: dict[str, dict[Domain, dict[str, int]]] = {}
    names: dict[str, str] = {}
    for city in CITIES:
        shares = [rng.uniform(0.6, 1.6) for _ in city.counties]
        for index, county in enumerate(city.counties):
            scale = city.size_index * shares[index] / sum(shares)
            central = index == 0
            raw[county.county_id] = _county_raw(rng, scale, city, central)
            names[county.county_id] = f"{county.name}团委"
    for unit in PROVINCIAL_UNITS:
        raw[unit.unit_id] = _provincial_raw(rng, unit)
        names[unit.unit_id] = unit.name
    _add_activists(rng, raw)
    counties = {
        county.county_id: UnitFigures(
            county.county_id, names[county.county_id], _figures(raw[county.county_id]), (county,)
        )
        for city in CITIES
        for county in city.counties
    }
    provincial = tuple(UnitFigures(unit.unit_id, unit.name, _figures(raw[unit.unit_id])) for unit in PROVINCIAL_UNITS)
    return counties, provincial


def _county_raw(rng: random.Random, scale: float, city: City, central: bool) -> dict[Domain, dict[str, int]]:
    def around(base: float, spread: float) -> int:
        return round(base * rng.uniform(1 - spread, 1 + spread))

    figures: dict[Domain, dict[str, int]] = {}
    # 初中: ~30k students per size point; the 毕业年级 (初三) is about a third, few members yet.
    youth = around(scale * 30_000, 0.1)
    graduating_youth = round(youth * rng.uniform(0.31, 0.35))
    graduating_members = round(graduating_youth * rng.uniform(0.015, 0.05))
    members = graduating_members + round((youth - graduating_youth) * rng.uniform(0.002, 0.01))
    figures[Domain.JUNIOR_HIGH] = {
        "youth": youth,
        "members": members,
        "graduating_youth": graduating_youth,
        "graduating_members": graduating_members,
    }
    # 普通高中: ratios around the 30 % ceiling of §二.2, a few 毕业年级 above it.
    youth = around(scale * 14_500, 0.15)
    members = round(youth * rng.uniform(0.17, 0.27))
    graduating_youth = round(youth * rng.uniform(0.32, 0.34))
    graduating_members = min(members, round(graduating_youth * rng.uniform(0.24, 0.31)))
    figures[Domain.HIGH_SCHOOL] = {
        "youth": youth,
        "members": members,
        "graduating_youth": graduating_youth,
        "graduating_members": graduating_members,
    }
    # 中职: below or inside the 15 %–20 % band of §二.3.
    youth = around(scale * 7_500, 0.3)
    figures[Domain.SECONDARY_VOCATIONAL] = {"youth": youth, "members": round(youth * rng.uniform(0.09, 0.16))}
    if central:
        figures[Domain.HIGHER_VOCATIONAL] = _university_raw(rng, around(city.size_index * 2_500, 0.4), (0.18, 0.45))
        if city.code in _CITIES_WITH_UNDERGRADUATE:
            figures[Domain.UNDERGRADUATE] = _university_raw(rng, around(city.size_index * 1_500, 0.4), (0.45, 0.65))
    # 社会: members at the end of 2022 and organisations (the density measure of §二.5).
    members = around(scale * 3_000, 0.3)
    figures[Domain.SOCIAL] = {
        "youth": around(scale * 60_000, 0.2),
        "members": members,
        "organisations": max(1, round(members / rng.uniform(6, 14))),
    }
    return figures


def _provincial_raw(rng: random.Random, unit: ProvincialUnit) -> dict[Domain, dict[str, int]]:
    figures: dict[Domain, dict[str, int]] = {}
    for domain, size in unit.domain_sizes.items():
        if domain is Domain.SOCIAL:
            members = round(size * rng.uniform(0.8, 1.2))
            figures[domain] = {
                "youth": round(members * rng.uniform(8, 12)),
                "members": members,
                "organisations": round(members / rng.uniform(5, 9)),
            }
        elif domain is Domain.SECONDARY_VOCATIONAL:
            youth = round(size * rng.uniform(0.9, 1.1))
            figures[domain] = {"youth": youth, "members": round(youth * rng.uniform(0.10, 0.14))}
        else:
            figures[domain] = _university_raw(rng, round(size * rng.uniform(0.9, 1.1)), unit.freshman_ratio)
    return figures


def _university_raw(rng: random.Random, youth: int, freshman_ratio: tuple[float, float]) -> dict[str, int]:
    freshman_youth = round(youth * rng.uniform(0.24, 0.30))
    freshman_members = round(freshman_youth * rng.uniform(*freshman_ratio))
    # Upper years were mostly admitted at school already: members well above the freshmen's.
    members = freshman_members + round((youth - freshman_youth) * rng.uniform(0.55, 0.75))
    return {
        "youth": youth,
        "members": members,
        "freshman_youth": freshman_youth,
        "freshman_members": freshman_members,
    }


def _add_activists(rng: random.Random, raw: dict[str, dict[Domain, dict[str, int]]]) -> None:
    """入团积极分子 around twice each unit's expected share of the plan (notice §三.1
    两倍左右), with a few units short of it so the demo shows that check too."""
    for domain in Domain:
        bases = {
            unit_id: _activist_base(domain, by_domain[domain])
            for unit_id, by_domain in raw.items()
            if domain in by_domain
        }
        base_sum = sum(bases.values()) or 1
        for unit_id, base in bases.items():
            expected = PLAN_2023[domain] * base / base_sum
            factor = rng.uniform(0.75, 1.35) if rng.random() < 0.93 else rng.uniform(0.3, 0.6)
            raw[unit_id][domain]["activists"] = round(2 * expected * factor)


def _activist_base(domain: Domain, figures: Mapping[str, int]) -> float:
    if domain is Domain.JUNIOR_HIGH:
        return max(0.0, 0.10 * figures["graduating_youth"] - figures["graduating_members"])
    if domain is Domain.HIGH_SCHOOL:
        return max(0.0, 0.30 * figures["youth"] - figures["members"])
    if domain is Domain.SECONDARY_VOCATIONAL:
        return max(0.0, 0.20 * figures["youth"] - figures["members"])
    return float(figures["members"] if domain is Domain.SOCIAL else figures["youth"] - figures["members"])


def _figures(raw: Mapping[Domain, Mapping[str, int]]) -> dict[Domain, DomainFigures]:
    return {domain: DomainFigures(**raw[domain]) for domain in Domain if domain in raw}


def _sum_figures(parts: Iterable[Mapping[Domain, DomainFigures]]) -> dict[Domain, DomainFigures]:
    totals: dict[Domain, dict[str, int]] = {}
    for figures in parts:
        for domain, values in figures.items():
            into = totals.setdefault(domain, {})
            for item in fields(DomainFigures):
                into[item.name] = into.get(item.name, 0) + getattr(values, item.name)
    return {domain: DomainFigures(**totals[domain]) for domain in Domain if domain in totals}
