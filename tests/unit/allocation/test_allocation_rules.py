"""Each rule of the notice (§二, §三.1) as the allocation applies and reports it."""

from __future__ import annotations

import pytest

from zhtj.domain.allocation import (
    Allocation,
    DomainFigures,
    Finding,
    InvalidAllocationInput,
    Rule,
    Severity,
    allocate,
    domain_weights,
)
from zhtj.domain.glossary import Domain

from ._builders import plan, unit

JH, HS, SV = Domain.JUNIOR_HIGH, Domain.HIGH_SCHOOL, Domain.SECONDARY_VOCATIONAL
UG, HV, SOCIAL = Domain.UNDERGRADUATE, Domain.HIGHER_VOCATIONAL, Domain.SOCIAL


def findings(allocation: Allocation, rule: Rule, unit_id: str | None = None) -> list[Finding]:
    return [f for f in allocation.findings if f.rule is rule and (unit_id is None or f.unit_id == unit_id)]


def quotas(allocation: Allocation, domain: Domain) -> dict[str, int]:
    return {u.unit_id: u.quotas[domain] for u in allocation.units}


def junior(graduating_youth: int, graduating_members: int, activists: int = 10_000) -> DomainFigures:
    return DomainFigures(
        youth=3 * graduating_youth,
        members=graduating_members,
        activists=activists,
        graduating_youth=graduating_youth,
        graduating_members=graduating_members,
    )


# --- 初中 §二.1 ---------------------------------------------------------------------------


def test_junior_high_weight_is_the_graduating_year_headroom_to_ten_percent() -> None:
    # headrooms: A 10%×1000−40 = 60, B 10%×2000−80 = 120 → B gets twice A's places
    units = [unit("A", {JH: junior(1000, 40)}), unit("B", {JH: junior(2000, 80)})]
    result = allocate(plan(JUNIOR_HIGH=150), units)
    assert quotas(result, JH) == {"A": 50, "B": 100}
    assert not findings(result, Rule.JUNIOR_HIGH_GRADUATING_RATIO)  # both end at 9 %, inside 8 %–12 %
    low = allocate(plan(JUNIOR_HIGH=30), units)  # both end at 5 %
    advisories = findings(low, Rule.JUNIOR_HIGH_GRADUATING_RATIO)
    assert {f.unit_id for f in advisories} == {"A", "B"}
    assert all(f.severity is Severity.ADVISORY and "低于10%左右" in f.message for f in advisories)


def test_junior_high_unit_at_target_gets_no_weight_and_overshoot_is_a_breach() -> None:
    units = [unit("A", {JH: junior(1000, 100)}), unit("B", {JH: junior(1000, 50)})]
    result = allocate(plan(JUNIOR_HIGH=200), units)
    assert quotas(result, JH) == {"A": 0, "B": 200}
    binding = findings(result, Rule.JUNIOR_HIGH_GRADUATING_RATIO, "A")
    assert binding and binding[0].severity is Severity.BINDING and "10.0%" in binding[0].message
    breach = findings(result, Rule.JUNIOR_HIGH_GRADUATING_RATIO, "B")
    assert breach[0].severity is Severity.BREACH and "25.0%" in breach[0].message  # (50+200)/1000


def test_junior_high_without_graduating_figures_is_reported() -> None:
    units = [unit("A", {JH: DomainFigures(youth=900, members=10, activists=50)}), unit("B", {JH: junior(1000, 40)})]
    result = allocate(plan(JUNIOR_HIGH=50), units)
    assert quotas(result, JH) == {"A": 0, "B": 50}
    assert findings(result, Rule.MISSING_FIGURES, "A")[0].domain is JH


# --- 普通高中 §二.2 ------------------------------------------------------------------------


def test_high_school_overall_and_graduating_ceiling() -> None:
    figures = DomainFigures(youth=1000, members=250, activists=500, graduating_youth=300, graduating_members=95)
    result = allocate(plan(HIGH_SCHOOL=80), [unit("A", {HS: figures})])
    overall = findings(result, Rule.HIGH_SCHOOL_RATIO, "A")
    assert overall[0].severity is Severity.BREACH and "33.0%" in overall[0].message
    graduating = findings(result, Rule.HIGH_SCHOOL_GRADUATING_RATIO, "A")
    assert graduating[0].severity is Severity.BREACH and "高一、高二" in graduating[0].message


# --- 中职 §二.3 ----------------------------------------------------------------------------


def test_secondary_vocational_band_fifteen_to_twenty_percent() -> None:
    low = DomainFigures(youth=1000, members=100, activists=1000)  # headroom 100
    high = DomainFigures(youth=1000, members=190, activists=1000)  # headroom 10
    result = allocate(plan(SECONDARY_VOCATIONAL=22), [unit("L", {SV: low}), unit("H", {SV: high})])
    assert quotas(result, SV) == {"L": 20, "H": 2}
    assert findings(result, Rule.SECONDARY_VOCATIONAL_RATIO, "L")[0].severity is Severity.ADVISORY  # 12 %
    assert not findings(result, Rule.SECONDARY_VOCATIONAL_RATIO, "H")  # 19.2 %
    over = allocate(plan(SECONDARY_VOCATIONAL=30), [unit("H", {SV: high})])
    assert findings(over, Rule.SECONDARY_VOCATIONAL_RATIO, "H")[0].severity is Severity.BREACH  # 22 %


def test_activists_cap_the_headroom_weight_so_the_quota_stays_within_them() -> None:
    capped = DomainFigures(youth=1000, members=100, activists=30)  # headroom 100, capped at 30
    free = DomainFigures(youth=1000, members=100, activists=500)
    result = allocate(plan(SECONDARY_VOCATIONAL=26), [unit("C", {SV: capped}), unit("F", {SV: free})])
    assert quotas(result, SV) == {"C": 6, "F": 20}  # weights 30 : 100
    assert not findings(result, Rule.ACTIVISTS_BELOW_QUOTA)
    cap = findings(result, Rule.ACTIVIST_CAP, "C")
    assert cap[0].severity is Severity.BINDING and "封顶" in cap[0].message


# --- 高校 §二.4 ----------------------------------------------------------------------------


def university(freshman_ratio_percent: int, activists: int = 5_000) -> DomainFigures:
    return DomainFigures(
        youth=10_000,
        members=6_000,
        activists=activists,
        freshman_youth=1_000,
        freshman_members=10 * freshman_ratio_percent,
    )


def test_undergraduate_freshman_ratio_above_sixty_percent_halves_the_weight() -> None:
    units = [unit("N", {UG: university(50)}), unit("S", {UG: university(61)})]
    normal, strict = domain_weights(UG, units)
    assert strict * 2 == normal
    result = allocate(plan(UNDERGRADUATE=300), units)
    assert quotas(result, UG) == {"N": 200, "S": 100}
    assert findings(result, Rule.UNDERGRADUATE_FRESHMAN_STRICT, "S")[0].severity is Severity.BINDING
    # exactly 60 % is not "超过60%"
    assert domain_weights(UG, [unit("E", {UG: university(60)})]) == [normal]


def test_freshman_ratio_below_twenty_five_percent_tilts_both_university_domains() -> None:
    for domain in (UG, HV):
        units = [unit("N", {domain: university(30)}), unit("T", {domain: university(24)})]
        normal, tilted = domain_weights(domain, units)
        assert tilted * 2 == normal * 3
        result = allocate(plan(**{domain.name: 50}), units)
        assert findings(result, Rule.FRESHMAN_TILT, "T")
    # the 60 % rule is for 本科 only
    assert len(set(domain_weights(HV, [unit("A", {HV: university(50)}), unit("B", {HV: university(70)})]))) == 1


def test_higher_vocational_share_below_seventy_percent_is_a_province_breach() -> None:
    units = [unit("A", {UG: university(50), HV: university(50)})]
    fine = allocate(plan(UNDERGRADUATE=30, HIGHER_VOCATIONAL=70), units)
    assert not findings(fine, Rule.HIGHER_VOCATIONAL_SHARE)
    short = allocate(plan(UNDERGRADUATE=31, HIGHER_VOCATIONAL=69), units)
    (breach,) = findings(short, Rule.HIGHER_VOCATIONAL_SHARE)
    assert breach.unit_id == "32" and breach.severity is Severity.BREACH and "69.0%" in breach.message


# --- 社会 §二.5 ----------------------------------------------------------------------------


def social(members: int, organisations: int, activists: int = 1_000) -> DomainFigures:
    return DomainFigures(youth=0, members=members, activists=activists, organisations=organisations)


def test_social_weight_is_half_members_share_half_organisations_share() -> None:
    units = [unit("A", {SOCIAL: social(300, 10)}), unit("B", {SOCIAL: social(100, 30)})]
    # A: ½·¾ + ½·¼ = ½, B: ½·¼ + ½·¾ = ½
    assert allocate(plan(SOCIAL=40), units).units[0].quotas[SOCIAL] == 20


def test_every_county_gets_a_social_place() -> None:
    units = [
        unit("BIG", {SOCIAL: social(10_000, 1_000)}, counties=1),
        unit("SMALL", {SOCIAL: social(1, 1)}, counties=5),
    ]
    result = allocate(plan(SOCIAL=20), units)
    assert quotas(result, SOCIAL) == {"BIG": 15, "SMALL": 5}
    binding = findings(result, Rule.SOCIAL_COUNTY_COVERAGE, "SMALL")
    assert binding[0].severity is Severity.BINDING and "5个县" in binding[0].message


def test_fewer_social_places_than_counties_is_reported() -> None:
    units = [unit("A", {SOCIAL: social(10, 1)}, counties=3), unit("B", {SOCIAL: social(10, 1)}, counties=2)]
    result = allocate(plan(SOCIAL=4), units)
    assert sum(quotas(result, SOCIAL).values()) == 4
    breaches = findings(result, Rule.SOCIAL_COUNTY_COVERAGE)
    assert {(f.unit_id, f.severity) for f in breaches} >= {("32", Severity.BREACH)}
    assert any(f.unit_id in {"A", "B"} and f.severity is Severity.BREACH for f in breaches)


# --- 入团积极分子 §三.1 -------------------------------------------------------------------


def test_activists_below_quota_and_far_from_twice() -> None:
    # universities: no activist cap on the weight, so a quota can exceed the activists
    units = [
        unit("FEW", {UG: university(50, activists=5)}),
        unit("OK", {UG: university(50, activists=200)}),
        unit("MANY", {UG: university(50, activists=1000)}),
    ]
    result = allocate(plan(UNDERGRADUATE=300), units)
    assert findings(result, Rule.ACTIVISTS_BELOW_QUOTA, "FEW")[0].severity is Severity.BREACH
    assert not findings(result, Rule.ACTIVISTS_GUIDANCE, "OK") and not findings(
        result, Rule.ACTIVISTS_BELOW_QUOTA, "OK"
    )
    guidance = findings(result, Rule.ACTIVISTS_GUIDANCE, "MANY")
    assert guidance[0].severity is Severity.ADVISORY and "两倍左右" in guidance[0].message


# --- fallbacks and refusals -----------------------------------------------------------------


def test_no_headroom_anywhere_falls_back_to_students_and_says_so() -> None:
    full = DomainFigures(youth=1000, members=300, activists=100)
    units = [unit("A", {HS: full}), unit("B", {HS: DomainFigures(youth=3000, members=900, activists=100)})]
    result = allocate(plan(HIGH_SCHOOL=40), units)
    assert quotas(result, HS) == {"A": 10, "B": 30}
    assert findings(result, Rule.WEIGHT_FALLBACK)[0].unit_id == "32"


def test_a_plan_nobody_can_take_is_refused_in_chinese() -> None:
    with pytest.raises(InvalidAllocationInput) as caught:
        allocate(plan(JUNIOR_HIGH=10), [unit("A", {HS: DomainFigures(youth=10)})])
    assert caught.value.code == "domain_without_figures" and "初中" in caught.value.message


@pytest.mark.parametrize(
    ("units", "code", "words"),
    [
        ([unit("A"), unit("A")], "unit_duplicate", "“A”重复"),
        ([unit("A/B")], "unit_id_invalid", "单位代码"),
        ([unit("A", {HS: DomainFigures(youth=10, members=11)})], "figure_inconsistent", "团员数（11）不能大于"),
        ([unit("A", {HS: DomainFigures(youth=-1)})], "figure_invalid", "非负整数"),
        ([unit("A", {SV: DomainFigures(youth=10, graduating_youth=5)})], "figure_not_applicable", "不适用于中职"),
    ],
)
def test_invalid_figures_name_the_unit_and_field(units: list, code: str, words: str) -> None:
    with pytest.raises(InvalidAllocationInput) as caught:
        allocate(plan(), units)
    assert caught.value.code == code
    assert words in caught.value.message
    assert "A" in caught.value.message


def test_plan_must_fit_the_six_digit_sequence_space() -> None:
    with pytest.raises(InvalidAllocationInput) as caught:
        allocate(plan(SOCIAL=1_000_000), [unit("A", {SOCIAL: social(1, 1)})])
    assert caught.value.code == "plan_too_large"


def test_a_ratio_just_under_a_bound_never_reads_as_the_bound() -> None:
    # (400 + 396) / 10,000 = 7.96 %: below the band's 8 %, so it must not read "8.0%"
    result = allocate(plan(JUNIOR_HIGH=396), [unit("A", {JH: junior(10_000, 400)})])
    (advisory,) = findings(result, Rule.JUNIOR_HIGH_GRADUATING_RATIO, "A")
    assert "7.9%" in advisory.message
    # and just over a ceiling reads above it: (2,500 + 501) / 10,000 = 30.01 % > 30 %, not "30.0%"
    over = allocate(plan(HIGH_SCHOOL=501), [unit("H", {HS: DomainFigures(youth=10_000, members=2_500, activists=900)})])
    assert "30.1%" in findings(over, Rule.HIGH_SCHOOL_RATIO, "H")[0].message
