"""The 2023 Jiangsu demo data set (illustrative): totals, units, counties, reproducibility."""

from __future__ import annotations

import json

import pytest

from infra.demo import jiangsu_2023 as demo
from zhtj.domain.allocation import InvalidAllocationInput
from zhtj.domain.glossary import Domain
from zhtj.domain.numbers import check_disjoint
from zhtj.services.allocation_table import parse_input

EXPECTED_DOMAIN_TOTALS = {
    Domain.JUNIOR_HIGH: 42_000,
    Domain.HIGH_SCHOOL: 57_000,
    Domain.SECONDARY_VOCATIONAL: 22_000,
    Domain.UNDERGRADUATE: 10_800,
    Domain.HIGHER_VOCATIONAL: 26_200,
    Domain.SOCIAL: 24_000,
}
CITY_NAMES = "南京 无锡 徐州 常州 苏州 南通 连云港 淮安 盐城 扬州 镇江 泰州 宿迁".split()


def test_demo_2023_table_sums_to_182000_and_matches_the_domain_totals() -> None:
    allocation = demo.demo_allocation()
    assert allocation.total == 182_000 == sum(u.total for u in allocation.units)
    assert {d: allocation.domain_total(d) for d in Domain} == EXPECTED_DOMAIN_TOTALS
    # notice §二.4: 高职 26,200 / 高校 37,000 = 70.8 % ≥ 70 %
    assert 26_200 * 100 >= 70 * 37_000
    assert allocation.illustrative


def test_demo_units_are_the_13_cities_and_the_provincial_units() -> None:
    units = demo.demo_units()
    cities = [u for u in units if not u.unit_id.startswith("32P")]
    assert [u.unit_id for u in cities] == [f"32{n:02d}" for n in range(1, 14)]
    assert [u.name for u in cities] == [f"{name}市团委" for name in CITY_NAMES]
    assert sum(len(u.counties) for u in cities) == 95  # Jiangsu's county-level divisions
    nanjing = cities[0].counties
    assert [
        c.name for c in nanjing
    ] == "玄武区 秦淮区 建邺区 鼓楼区 浦口区 栖霞区 雨花台区 江宁区 六合区 溧水区 高淳区".split()
    assert all(c.county_id.startswith(city.unit_id) and len(c.county_id) == 6 for city in cities for c in city.counties)
    provincial = [u.name for u in units if u.unit_id.startswith("32P")]
    assert provincial[:2] == ["省级机关团工委", "省直有关单位团委"]
    assert any("高校" in name for name in provincial)


def test_every_city_has_at_least_one_social_place_per_county() -> None:
    allocation = demo.demo_allocation()
    counties = {u.unit_id: len(u.counties) for u in demo.demo_units()}
    for allocated in allocation.units:
        assert allocated.quotas[Domain.SOCIAL] >= counties[allocated.unit_id]


@pytest.mark.parametrize("city", [city.code for city in demo.CITIES])
def test_each_city_splits_among_its_counties_within_its_segments(city: str) -> None:
    province = demo.demo_allocation()
    parent = province.unit(city)
    split = demo.demo_county_allocation(city, allocation=province)
    assert len(split.units) == len(demo.CITIES[int(city[2:]) - 1].counties)
    for domain in Domain:
        assert split.domain_total(domain) == parent.quotas[domain]
        for county in split.units:
            if domain in county.segments:
                assert parent.segments[domain].covers(county.segments[domain])
    assert all(county.quotas[Domain.SOCIAL] >= 1 for county in split.units)  # notice §二.5
    check_disjoint([s for county in split.units for s in county.segments.values()])


def test_demo_is_reproducible_and_marked_illustrative() -> None:
    first = json.dumps(demo.demo_input_dict(), ensure_ascii=False)
    demo._generated.cache_clear()
    second = json.dumps(demo.demo_input_dict(), ensure_ascii=False)
    assert first == second
    data = json.loads(first)
    assert data["illustrative"] is True and all(u["illustrative"] is True for u in data["units"])
    assert data["plan_total"] == 182_000
    # the JSON form is a valid input and gives the same allocation
    assert parse_input(data, year=2023).allocate() == demo.demo_allocation()


def test_demo_exists_for_2023_only() -> None:
    with pytest.raises(InvalidAllocationInput) as caught:
        demo.demo_allocation(2024)
    assert "2023" in caught.value.message
