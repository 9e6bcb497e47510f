"""Properties of ``allocate`` over generated provinces (hypothesis): exact sums, segments that
tile the quotas, rules that hold or are reported, order independence."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhtj.domain.allocation import (
    HIGH_SCHOOL_CEILING_PERCENT,
    JUNIOR_HIGH_GRADUATING_TARGET_PERCENT,
    JUNIOR_HIGH_TOLERANCE_POINTS,
    SECONDARY_VOCATIONAL_CEILING_PERCENT,
    Allocation,
    ProvincePlan,
    Rule,
    Severity,
    UnitFigures,
    allocate,
    domain_weights,
    split_unit_quota,
)
from zhtj.domain.glossary import Domain
from zhtj.domain.numbers import check_disjoint

from ._builders import provinces, unit, unit_figures

PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def breaches(allocation: Allocation, rule: Rule) -> set[tuple[str, Domain | None]]:
    return {(f.unit_id, f.domain) for f in allocation.findings if f.rule is rule and f.severity is Severity.BREACH}


@PROPERTY_SETTINGS
@given(provinces())
def test_every_domain_sums_exactly_to_its_plan_and_nobody_goes_negative(
    province: tuple[ProvincePlan, list[UnitFigures]],
) -> None:
    plan, units = province
    result = allocate(plan, units)
    for domain in Domain:
        assert result.domain_total(domain) == plan.quotas.get(domain, 0)
        assert all(u.quotas[domain] >= 0 for u in result.units)
    assert sum(u.total for u in result.units) == plan.total == result.total


@PROPERTY_SETTINGS
@given(provinces())
def test_segments_never_overlap_and_exactly_cover_each_quota(province: tuple[ProvincePlan, list[UnitFigures]]) -> None:
    plan, units = province
    result = allocate(plan, units)
    segments = [s for u in result.units for s in u.segments.values()]
    check_disjoint(segments)
    for u in result.units:
        for domain in Domain:
            if u.quotas[domain] == 0:
                assert domain not in u.segments
            else:
                segment = u.segments[domain]
                assert segment.size == u.quotas[domain]
                assert (segment.year, segment.domain, segment.province_code) == (2023, domain, "32")
    # one run of sequences from 1: domains in enum order, units in id order
    ordered = sorted(segments, key=lambda s: s.first)
    expected_next = 1
    for segment in ordered:
        assert segment.first == expected_next
        expected_next = segment.last + 1
    assert expected_next - 1 == plan.total
    keys = [(list(Domain).index(s.domain), s.first) for s in ordered]
    assert keys == sorted(keys)


@PROPERTY_SETTINGS
@given(provinces(), st.randoms(use_true_random=False))
def test_the_result_does_not_depend_on_the_order_of_the_units(
    province: tuple[ProvincePlan, list[UnitFigures]], rng: object
) -> None:
    plan, units = province
    shuffled = list(units)
    rng.shuffle(shuffled)  # type: ignore[attr-defined]
    assert allocate(plan, units) == allocate(plan, shuffled)


@PROPERTY_SETTINGS
@given(provinces())
def test_ratio_rules_hold_or_are_reported(province: tuple[ProvincePlan, list[UnitFigures]]) -> None:
    plan, units = province
    result = allocate(plan, units)
    figures = {u.unit_id: u for u in units}
    for allocated in result.units:
        source = figures[allocated.unit_id]
        jh = source.of(Domain.JUNIOR_HIGH)
        quota = allocated.quotas[Domain.JUNIOR_HIGH]
        high = JUNIOR_HIGH_GRADUATING_TARGET_PERCENT + JUNIOR_HIGH_TOLERANCE_POINTS
        if jh.graduating_youth and 100 * (jh.graduating_members + quota) > high * jh.graduating_youth:
            assert (allocated.unit_id, Domain.JUNIOR_HIGH) in breaches(result, Rule.JUNIOR_HIGH_GRADUATING_RATIO)
        hs = source.of(Domain.HIGH_SCHOOL)
        quota = allocated.quotas[Domain.HIGH_SCHOOL]
        if hs.youth and 100 * (hs.members + quota) > HIGH_SCHOOL_CEILING_PERCENT * hs.youth:
            assert (allocated.unit_id, Domain.HIGH_SCHOOL) in breaches(result, Rule.HIGH_SCHOOL_RATIO)
        if hs.graduating_youth and 100 * hs.graduating_members > HIGH_SCHOOL_CEILING_PERCENT * hs.graduating_youth:
            assert (allocated.unit_id, Domain.HIGH_SCHOOL) in breaches(result, Rule.HIGH_SCHOOL_GRADUATING_RATIO)
        sv = source.of(Domain.SECONDARY_VOCATIONAL)
        quota = allocated.quotas[Domain.SECONDARY_VOCATIONAL]
        if sv.youth and 100 * (sv.members + quota) > SECONDARY_VOCATIONAL_CEILING_PERCENT * sv.youth:
            assert (allocated.unit_id, Domain.SECONDARY_VOCATIONAL) in breaches(result, Rule.SECONDARY_VOCATIONAL_RATIO)


@PROPERTY_SETTINGS
@given(provinces())
def test_counties_activists_and_the_university_split_hold_or_are_reported(
    province: tuple[ProvincePlan, list[UnitFigures]],
) -> None:
    plan, units = province
    result = allocate(plan, units)
    figures = {u.unit_id: u for u in units}
    county_breaches = breaches(result, Rule.SOCIAL_COUNTY_COVERAGE)
    activist_breaches = breaches(result, Rule.ACTIVISTS_BELOW_QUOTA)
    for allocated in result.units:
        source = figures[allocated.unit_id]
        if allocated.quotas[Domain.SOCIAL] < len(source.counties):
            assert (allocated.unit_id, Domain.SOCIAL) in county_breaches
            assert plan.quotas[Domain.SOCIAL] < sum(len(u.counties) for u in units)  # only when unavoidable
        for domain in Domain:
            if source.of(domain).activists < allocated.quotas[domain]:
                assert (allocated.unit_id, domain) in activist_breaches
    university = plan.quotas[Domain.UNDERGRADUATE] + plan.quotas[Domain.HIGHER_VOCATIONAL]
    if 100 * plan.quotas[Domain.HIGHER_VOCATIONAL] < 70 * university:
        assert ("32", Domain.HIGHER_VOCATIONAL) in breaches(result, Rule.HIGHER_VOCATIONAL_SHARE)
    else:
        assert not breaches(result, Rule.HIGHER_VOCATIONAL_SHARE)


@PROPERTY_SETTINGS
@given(st.data())
def test_strict_freshman_units_never_weigh_more_than_half_their_normal_weight(data: st.DataObject) -> None:
    source = data.draw(unit_figures("U"))
    figures = source.of(Domain.UNDERGRADUATE)
    (weight,) = domain_weights(Domain.UNDERGRADUATE, [source])
    normal_weight = 2 * max(0, figures.youth - figures.members)  # weights count halves (× 2/2)
    if figures.freshman_youth and 100 * figures.freshman_members > 60 * figures.freshman_youth:
        assert 2 * weight == normal_weight
    else:
        assert weight >= normal_weight


@PROPERTY_SETTINGS
@given(provinces(max_units=4), st.data())
def test_splitting_a_unit_keeps_its_totals_and_carves_its_segments(
    province: tuple[ProvincePlan, list[UnitFigures]], data: st.DataObject
) -> None:
    plan, units = province
    result = allocate(plan, units)
    parent = result.units[0]
    children = [data.draw(unit_figures(f"{parent.unit_id}-{index}")) for index in range(data.draw(st.integers(1, 5)))]
    children = [unit(child.unit_id, child.figures, counties=1) for child in children]  # each a county
    needs = {d for d in Domain if parent.quotas[d] and not any(c.of(d).youth for c in children)}
    needs.discard(Domain.SOCIAL)  # counties are a social fallback
    if needs:
        return  # nobody to give that domain to: refused, tested elsewhere
    split = split_unit_quota(result, parent.unit_id, children)
    for domain in Domain:
        assert split.domain_total(domain) == parent.quotas[domain]
        pieces = [c.segments[domain] for c in split.units if domain in c.segments]
        for piece in pieces:
            assert parent.segments[domain].covers(piece)
        assert sum(p.size for p in pieces) == parent.quotas[domain]
    check_disjoint([s for c in split.units for s in c.segments.values()])
