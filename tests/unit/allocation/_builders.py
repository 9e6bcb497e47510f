"""Builders and hypothesis strategies shared by the allocation tests."""

from __future__ import annotations

from collections.abc import Mapping

from hypothesis import strategies as st

from zhtj.domain.allocation import County, DomainFigures, ProvincePlan, UnitFigures
from zhtj.domain.glossary import Domain

YEAR = 2023
PROVINCE = "32"


def plan(**quotas: int) -> ProvincePlan:
    """A plan from keyword domains: plan(JUNIOR_HIGH=100, SOCIAL=20)."""
    return ProvincePlan(YEAR, PROVINCE, "江苏省", {Domain[name]: count for name, count in quotas.items()})


def unit(unit_id: str, figures: Mapping[Domain, DomainFigures] | None = None, counties: int = 0) -> UnitFigures:
    return UnitFigures(
        unit_id,
        f"单位{unit_id}",
        dict(figures or {}),
        tuple(County(f"{unit_id}{index:02d}", f"县{unit_id}{index:02d}") for index in range(1, counties + 1)),
    )


@st.composite
def domain_figures(draw: st.DrawFn, domain: Domain) -> DomainFigures:
    youth = draw(st.integers(0, 5_000))
    members = draw(st.integers(0, youth))
    activists = draw(st.integers(0, 3_000))
    if domain in (Domain.JUNIOR_HIGH, Domain.HIGH_SCHOOL):
        graduating_youth = draw(st.integers(0, youth))
        graduating_members = draw(st.integers(0, min(graduating_youth, members)))
        return DomainFigures(
            youth, members, activists, graduating_youth=graduating_youth, graduating_members=graduating_members
        )
    if domain.is_university:
        freshman_youth = draw(st.integers(0, youth))
        freshman_members = draw(st.integers(0, min(freshman_youth, members)))
        return DomainFigures(
            youth, members, activists, freshman_youth=freshman_youth, freshman_members=freshman_members
        )
    if domain is Domain.SOCIAL:
        return DomainFigures(youth, draw(st.integers(0, 5_000)), activists, organisations=draw(st.integers(0, 500)))
    return DomainFigures(youth, members, activists)


@st.composite
def unit_figures(draw: st.DrawFn, unit_id: str) -> UnitFigures:
    figures = {}
    for domain in Domain:
        if draw(st.booleans()) or draw(st.booleans()):  # present 3 times in 4
            figures[domain] = draw(domain_figures(domain))
    return unit(unit_id, figures, counties=draw(st.integers(0, 4)))


@st.composite
def provinces(draw: st.DrawFn, max_units: int = 8) -> tuple[ProvincePlan, list[UnitFigures]]:
    """A plan and units for which the plan can always be allocated: a domain gets places only
    when some unit has students (or, for 社会, counties) there."""
    count = draw(st.integers(1, max_units))
    ids = draw(st.lists(st.from_regex(r"[0-9A-Z]{2,6}", fullmatch=True), min_size=count, max_size=count, unique=True))
    units = [draw(unit_figures(unit_id)) for unit_id in ids]
    quotas = {}
    for domain in Domain:
        allocatable = any(u.of(domain).youth for u in units) or (
            domain is Domain.SOCIAL
            and any(u.counties or u.of(domain).members or u.of(domain).organisations for u in units)
        )
        quotas[domain] = draw(st.integers(0, 5_000)) if allocatable else 0
    return ProvincePlan(YEAR, PROVINCE, "江苏省", quotas), units
