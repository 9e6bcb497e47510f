"""发展团员计划测算与号段分配 — the year's plan divided among units, with number segments
(notice §二, whose result is 附件1 「发展团员名额及编号号段分配表」).

The province committee sets one plan per domain (notice §二: 18.2万 in 2023). Quotas never
move across domains (notice §三.2: 分领域分类别指标及新发展团员编号号段不得相互挤占、挪用), so
every domain is apportioned on its own, and the same method splits a city's quota among its
counties (``split_unit_quota``) — 县域统筹、市域补充、省控总量 (notice §一.1).

Method, for one domain with plan P among units sorted by id
------------------------------------------------------------
1. **Floors.** 0, except in 社会: one place per 县（市、区） the unit lists (notice §二.5:
   原则上每个县（市、区）均应安排社会领域发展团员计划). A county, split from its city, lists
   itself.
2. **Weights**, all integers so that step 3 is exact arithmetic (no float ever decides a
   place). For the school domains the weight is the *headroom* to the notice's ratio
   target (团青比基准, §二), counted in people:

   ======================  ==============================================================
   初中 (§二.1, §三.3)     10 % × 毕业年级（2024届，初三）学生数 − 毕业年级团员数
   普通高中 (§二.2)        30 % × 学生数 − 团员数 (the whole-school ceiling)
   中职 (§二.3, §三.3)     20 % × 学生数 − 团员数 (the ceiling of the 15 %–20 % band; a school
                           below 15 % has the most headroom: 团青比过低的增加指标)
   高校本科, 高职 (§二.4)  学生数 − 团员数 (students not yet members), times a factor
   ======================  ==============================================================

   A negative headroom counts as 0, and the headroom is capped by the unit's 入团积极分子
   count: every new member comes from the activists (§三.1), so a unit gets no more weight
   than people it has ready. The university weight has no such cap: a university's
   non-members outnumber any quota many times over, so the cap would always bind and the
   weight would become the activist count, erasing the §二.4 factors; the activists are
   still checked against the quota afterwards. The factors: × 3/2 when the 新生年级 (2022级
   in 2023) ratio is below 25 % (§二.4 适当倾斜), × 1/2 for 高校本科 when the 新生年级 ratio is
   above 60 % (§二.4 从严掌握 — such a unit weighs exactly half what it would otherwise),
   × 1 otherwise.

   社会 (§二.5: 以2022年底各地社会领域团员数为基础，重点结合社会领域组织密度): half the
   unit's share of the social members plus half its share of the social organisations
   (团组织数, the density measure), as the integer m·O + o·M (M, O the sums).
3. **Largest remainder (Hamilton).** The R = P − Σfloors places left after the floors go in
   proportion to the weights w (sum W): each unit gets ⌊R·w/W⌋, and the places still left go
   one each to the units with the largest remainders R·w mod W; equal remainders go to the
   smaller unit id first. So the parts always sum to the whole, a unit never drops below its
   floor (nor zero), a unit of weight 0 gets nothing beyond its floor, and the result
   depends on the set of units only, never on their input order.
4. **Fallbacks**, each reported: every weight 0 while places remain → weights = 学生数 (or
   适龄青年数); still 0 → county counts; still 0 → refused (no unit to give the plan to).
   Floors above the plan (fewer social places than counties) → the plan is split by county
   counts alone, and every unit left below one per county is reported as a breach.

Checks after the quotas are fixed (each one a ``Finding``: unit, domain, rule, severity, a
Chinese message). The projected year-end ratio is (团员数 + 名额) / 学生数 — the whole
year's quota counted in, nobody leaving: the upper bound of what the notice controls.

* 初中 (§二.1): projected 毕业年级 ratio outside 8 %–12 % (this project's reading of
  "10 %左右": ± 2 points). Above → breach, below → advisory.
* 普通高中 (§二.2): projected whole-school ratio above 30 % → breach; the 毕业年级's current
  ratio already above 30 % → breach (严禁毕业前突击发展: the quota must go to 高一、高二).
* 中职 (§二.3, §三.3): projected ratio above 20 % → breach, below 15 % → advisory.
* 高职 share (§二.4 省份内高职（专科）院校分配指标数不少于70%): a province-level check of the
  plan itself, 高职 / (本科 + 高职) ≥ 70 %.
* 社会 (§二.5): a floor that raised a unit's quota → binding; a unit below one per county →
  breach.
* 入团积极分子 (§三.1 一般应当按照年度发展团员计划数量的两倍左右掌握入团积极分子数量):
  fewer activists than the quota → breach; outside 1.5 × – 3 × the quota ("两倍左右", this
  project's band) → advisory. A cap that bound a weight (step 2) → binding.

Segments
--------
After the quotas, ``assign_segments`` gives every (unit, domain) with a quota one contiguous
segment: domains in ``Domain`` order, units in id order, sequences from 1 in the province's
6-digit space (``numbers``), so all segments of a year are disjoint and each is exactly as
long as its quota; a zero quota has no segment. A split gives children consecutive pieces of
the parent's segment, in the same order.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from zhtj.domain.errors import DomainError, SegmentError
from zhtj.domain.glossary import Domain
from zhtj.domain.numbers import MAX_SEQUENCE, MAX_YEAR, MEMBER_NUMBER_PROVINCE_CODES, MIN_YEAR, Segment
from zhtj.domain.orgs import NAME_MAX_LENGTH, ORG_ID_MAX_LENGTH, PATH_SEPARATOR

# --- ratio targets (团青比基准), whole percent ----------------------------------------------
JUNIOR_HIGH_GRADUATING_TARGET_PERCENT: Final = 10  # §二.1 毕业年级团青比控制在10%左右
JUNIOR_HIGH_TOLERANCE_POINTS: Final = 2  # "左右": this project's reading, 8 %–12 %
HIGH_SCHOOL_CEILING_PERCENT: Final = 30  # §二.2 整体、2024届均控制在30%以内
SECONDARY_VOCATIONAL_FLOOR_PERCENT: Final = 15  # §二.3 15%—20%
SECONDARY_VOCATIONAL_CEILING_PERCENT: Final = 20  # §二.3, §三.3 控制在20%以下
HIGHER_VOCATIONAL_MIN_SHARE_PERCENT: Final = 70  # §二.4 高职（专科）不少于70%
FRESHMAN_TILT_BELOW_PERCENT: Final = 25  # §二.4 向新生年级团青比低于25%的学校适当倾斜
UNDERGRADUATE_FRESHMAN_STRICT_ABOVE_PERCENT: Final = 60  # §二.4 超过60%的须从严掌握

# University weight factors as (numerator, denominator); all share the denominator 2 so the
# weights stay integers (the weight is numerator × non-member students).
FACTOR_DENOMINATOR: Final = 2
NORMAL_FACTOR: Final = 2  # × 1
TILT_FACTOR: Final = 3  # × 3/2
STRICT_FACTOR: Final = 1  # × 1/2

# §三.1 两倍左右: this project's band around 2 × the quota, in halves (1.5 × – 3 ×).
ACTIVISTS_GUIDANCE_LOW_HALVES: Final = 3
ACTIVISTS_GUIDANCE_HIGH_HALVES: Final = 6

# Whole percent → people: weights of the ratio domains are kept in hundredths of a person.
PERCENT: Final = 100
MAX_UNITS: Final = 100_000  # far above any province; bounds the work a bad input can ask for


class Severity(StrEnum):
    """How a finding bears on the table."""

    BINDING = "约束"  # the rule shaped this unit's quota
    BREACH = "未达要求"  # figures or result break the rule: someone must decide
    ADVISORY = "提示"  # worth a look; nothing is broken


class Rule(StrEnum):
    """The rule a finding is about. Values are stable codes for programs; ``label`` is the
    Chinese name shown to people."""

    JUNIOR_HIGH_GRADUATING_RATIO = "junior_high_graduating_ratio"
    HIGH_SCHOOL_RATIO = "high_school_ratio"
    HIGH_SCHOOL_GRADUATING_RATIO = "high_school_graduating_ratio"
    SECONDARY_VOCATIONAL_RATIO = "secondary_vocational_ratio"
    HIGHER_VOCATIONAL_SHARE = "higher_vocational_share"
    FRESHMAN_TILT = "freshman_tilt"
    UNDERGRADUATE_FRESHMAN_STRICT = "undergraduate_freshman_strict"
    SOCIAL_COUNTY_COVERAGE = "social_county_coverage"
    ACTIVIST_CAP = "activist_cap"
    ACTIVISTS_BELOW_QUOTA = "activists_below_quota"
    ACTIVISTS_GUIDANCE = "activists_guidance"
    MISSING_FIGURES = "missing_figures"
    WEIGHT_FALLBACK = "weight_fallback"

    @property
    def label(self) -> str:
        return _RULE_LABELS[self]


_RULE_LABELS: Final[Mapping[Rule, str]] = MappingProxyType(
    {
        Rule.JUNIOR_HIGH_GRADUATING_RATIO: "初中毕业年级团青比10%左右（通知§二.1）",
        Rule.HIGH_SCHOOL_RATIO: "普通高中整体团青比30%以内（通知§二.2）",
        Rule.HIGH_SCHOOL_GRADUATING_RATIO: "普通高中毕业年级团青比30%以内（通知§二.2）",
        Rule.SECONDARY_VOCATIONAL_RATIO: "中职团青比15%—20%（通知§二.3、§三.3）",
        Rule.HIGHER_VOCATIONAL_SHARE: "高职（专科）指标不少于高校指标70%（通知§二.4）",
        Rule.FRESHMAN_TILT: "新生年级团青比低于25%适当倾斜（通知§二.4）",
        Rule.UNDERGRADUATE_FRESHMAN_STRICT: "本科大一新生团青比超过60%从严掌握（通知§二.4）",
        Rule.SOCIAL_COUNTY_COVERAGE: "每个县（市、区）均安排社会领域计划（通知§二.5）",
        Rule.ACTIVIST_CAP: "测算权重以入团积极分子数封顶（通知§三.1）",
        Rule.ACTIVISTS_BELOW_QUOTA: "入团积极分子数不少于计划数（通知§三.1）",
        Rule.ACTIVISTS_GUIDANCE: "入团积极分子数为计划数两倍左右（通知§三.1）",
        Rule.MISSING_FIGURES: "测算所需数据缺失",
        Rule.WEIGHT_FALLBACK: "测算权重退回备用口径",
    }
)


class InvalidAllocationInput(DomainError):
    """Plan or unit figures that cannot be allocated as given."""


# --- input --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DomainFigures:
    """One unit's figures for one domain: the bases the notice allocates on (§二, §三.3
    各单位团委要对本单位学生数、团员数、团青比等团青状况做到心中有数，并以此为依据精准测算).

    ``youth`` is the students' count for a school domain and the young people's count
    (适龄青年) for 社会. The cohort fields apply to some domains only: ``graduating_*`` to 初中
    and 普通高中 (the 毕业年级: 2024届 for a 2023 plan), ``freshman_*`` to 高校本科 and 高职
    (the 新生年级: 2022级 for a 2023 plan), ``organisations`` to 社会."""

    youth: int = 0
    members: int = 0
    activists: int = 0
    graduating_youth: int = 0
    graduating_members: int = 0
    freshman_youth: int = 0
    freshman_members: int = 0
    organisations: int = 0


FIGURE_FIELDS: Final = (
    "youth",
    "members",
    "activists",
    "graduating_youth",
    "graduating_members",
    "freshman_youth",
    "freshman_members",
    "organisations",
)

FIGURE_LABELS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "youth": "学生数（社会领域为适龄青年数）",
        "members": "团员数",
        "activists": "入团积极分子数",
        "graduating_youth": "毕业年级学生数",
        "graduating_members": "毕业年级团员数",
        "freshman_youth": "新生年级学生数",
        "freshman_members": "新生年级团员数",
        "organisations": "社会领域团组织数",
    }
)

# Which optional figures belong to which domain; any other one must be 0.
_COHORT_FIELDS: Final[Mapping[Domain, frozenset[str]]] = MappingProxyType(
    {
        Domain.JUNIOR_HIGH: frozenset({"graduating_youth", "graduating_members"}),
        Domain.HIGH_SCHOOL: frozenset({"graduating_youth", "graduating_members"}),
        Domain.SECONDARY_VOCATIONAL: frozenset(),
        Domain.UNDERGRADUATE: frozenset({"freshman_youth", "freshman_members"}),
        Domain.HIGHER_VOCATIONAL: frozenset({"freshman_youth", "freshman_members"}),
        Domain.SOCIAL: frozenset({"organisations"}),
    }
)
_BASE_FIELDS: Final = frozenset({"youth", "members", "activists"})
NO_FIGURES: Final = DomainFigures()


def applicable_fields(domain: Domain) -> tuple[str, ...]:
    """The figure fields that mean something for ``domain``, in ``FIGURE_FIELDS`` order."""
    allowed = _BASE_FIELDS | _COHORT_FIELDS[domain]
    return tuple(name for name in FIGURE_FIELDS if name in allowed)


@dataclass(frozen=True, slots=True)
class County:
    """A 县（市、区） under a unit; each needs a social-domain place (notice §二.5)."""

    county_id: str
    name: str


@dataclass(frozen=True, slots=True)
class UnitFigures:
    """A unit that receives quotas: a city committee or a provincial unit at province level,
    a county when a city's quota is split. A domain missing from ``figures`` has all zeros."""

    unit_id: str
    name: str
    figures: Mapping[Domain, DomainFigures] = field(default_factory=dict)
    counties: tuple[County, ...] = ()

    def of(self, domain: Domain) -> DomainFigures:
        return self.figures.get(domain, NO_FIGURES)


@dataclass(frozen=True, slots=True)
class ProvincePlan:
    """The province's plan for one year: places per domain (missing domains are 0)."""

    year: int
    province_code: str
    province_name: str
    quotas: Mapping[Domain, int]

    @property
    def total(self) -> int:
        return sum(self.quotas.values())


# --- output -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Finding:
    """A rule that bound or was breached. ``unit_id`` is the plan owner's id (the province
    code, or the city split) for a finding about the plan as a whole."""

    unit_id: str
    unit_name: str
    domain: Domain | None
    rule: Rule
    severity: Severity
    message: str


@dataclass(frozen=True, slots=True)
class UnitAllocation:
    unit_id: str
    name: str
    quotas: Mapping[Domain, int]  # every domain, 0 included
    segments: Mapping[Domain, Segment]  # only the domains with a quota

    @property
    def total(self) -> int:
        return sum(self.quotas.values())


@dataclass(frozen=True, slots=True)
class Allocation:
    """A plan divided among units. ``owner_id``/``owner_name``: whose plan it is (the
    province, or the city whose quota was split)."""

    year: int
    province_code: str
    owner_id: str
    owner_name: str
    plan: Mapping[Domain, int]
    units: tuple[UnitAllocation, ...]  # in unit id order
    findings: tuple[Finding, ...]
    illustrative: bool = False

    @property
    def total(self) -> int:
        return sum(self.plan.values())

    def domain_total(self, domain: Domain) -> int:
        return sum(unit.quotas[domain] for unit in self.units)

    def unit(self, unit_id: str) -> UnitAllocation:
        for unit in self.units:
            if unit.unit_id == unit_id:
                return unit
        raise InvalidAllocationInput("unit_unknown", f"分配表中没有单位“{unit_id}”", "unit_id")

    def domain_segment(self, domain: Domain) -> Segment | None:
        """The whole range of the domain's segments (contiguous by construction)."""
        pieces = [unit.segments[domain] for unit in self.units if domain in unit.segments]
        if not pieces:
            return None
        return Segment(self.year, domain, self.province_code, pieces[0].first, pieces[-1].last)


# --- public operations --------------------------------------------------------------------


def allocate(plan: ProvincePlan, units: Sequence[UnitFigures], *, illustrative: bool = False) -> Allocation:
    """Divide the province's plan among ``units`` and give each (unit, domain) a segment."""
    _check_plan(plan)
    ordered = _validated_units(units)
    quotas, findings = _apportion_all(plan.quotas, ordered, plan.province_code, plan.province_name)
    findings.extend(_higher_vocational_share(plan))
    segments = assign_segments(plan.year, plan.province_code, [(u.unit_id, quotas[u.unit_id]) for u in ordered])
    return _assemble(
        plan.year,
        plan.province_code,
        plan.province_code,
        plan.province_name,
        plan.quotas,
        ordered,
        quotas,
        segments,
        findings,
        illustrative,
    )


def split_unit_quota(allocation: Allocation, unit_id: str, children: Sequence[UnitFigures]) -> Allocation:
    """Split one unit's quotas among its children (a city's among its counties, notice §一.1
    县域统筹) with the same method; each child's segment is a consecutive piece of the unit's
    segment, children in id order. The province-level 高职 share check does not repeat here:
    §二.4 states it for the province (省份内)."""
    parent = allocation.unit(unit_id)
    ordered = _validated_units(children)
    quotas, findings = _apportion_all(parent.quotas, ordered, parent.unit_id, parent.name)
    segments: dict[str, dict[Domain, Segment]] = {unit.unit_id: {} for unit in ordered}
    for domain in Domain:
        rest = parent.segments.get(domain)
        for unit in ordered:
            count = quotas[unit.unit_id][domain]
            if count == 0:
                continue
            if rest is None:  # cannot happen: the children's quotas sum to the segment's size
                raise SegmentError("segment_split", f"{parent.name}{domain.value}号段不足", "segment")
            segments[unit.unit_id][domain], rest = rest.split(count)
    return _assemble(
        allocation.year,
        allocation.province_code,
        parent.unit_id,
        parent.name,
        parent.quotas,
        ordered,
        quotas,
        segments,
        findings,
        allocation.illustrative,
    )


def apportion_largest_remainder(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` into integer parts proportional to ``weights`` (Hamilton's method).

    Each part is ⌊total·w/W⌋ plus one for the ``total − Σ⌊…⌋`` largest remainders
    ``total·w mod W`` (one denominator, so they compare exactly); equal remainders favour
    the earlier position. Parts sum to ``total``; a zero weight gets 0."""
    if total < 0:
        raise ValueError("total must be non-negative")
    if any(weight < 0 for weight in weights):
        raise ValueError("weights must be non-negative")
    weight_sum = sum(weights)
    if total == 0:
        return [0] * len(weights)
    if weight_sum == 0:
        raise ValueError("cannot apportion a positive total over zero weights")
    parts: list[int] = []
    remainders: list[int] = []
    for weight in weights:
        part, remainder = divmod(total * weight, weight_sum)
        parts.append(part)
        remainders.append(remainder)
    left = total - sum(parts)  # < number of non-zero remainders, since Σ remainder = left·W
    if left:
        for position in heapq.nsmallest(left, range(len(weights)), key=lambda i: (-remainders[i], i)):
            parts[position] += 1
    return parts


def assign_segments(
    year: int,
    province_code: str,
    quotas: Sequence[tuple[str, Mapping[Domain, int]]],
    *,
    first_sequence: int = 1,
) -> dict[str, dict[Domain, Segment]]:
    """Consecutive segments: domains in ``Domain`` order, units in the given order, from
    ``first_sequence`` on. Zero quota → no segment."""
    total = sum(count for _, by_domain in quotas for count in by_domain.values())
    if first_sequence < 0 or first_sequence + total - 1 > MAX_SEQUENCE:
        raise SegmentError(
            "segment_space_exhausted",
            f"计划总数{total}超出省内6位序号容量（最多{MAX_SEQUENCE}个编号）",
            "segment",
        )
    segments: dict[str, dict[Domain, Segment]] = {unit_id: {} for unit_id, _ in quotas}
    next_sequence = first_sequence
    for domain in Domain:
        for unit_id, by_domain in quotas:
            count = by_domain.get(domain, 0)
            if count > 0:
                segments[unit_id][domain] = Segment(
                    year, domain, province_code, next_sequence, next_sequence + count - 1
                )
                next_sequence += count
    return segments


def domain_weights(domain: Domain, units: Sequence[UnitFigures]) -> list[int]:
    """Step 2's weights for ``units`` in the given order — what the apportionment of
    ``domain`` is proportional to (before floors and fallbacks), for display and checks."""
    return _weights(domain, list(units), _Context("", "", []))


def higher_vocational_share_percent(plan: Mapping[Domain, int]) -> float | None:
    """高职 share of the university plan in percent, for display (None: no university plan)."""
    university = plan.get(Domain.UNDERGRADUATE, 0) + plan.get(Domain.HIGHER_VOCATIONAL, 0)
    if university == 0:
        return None
    return PERCENT * plan.get(Domain.HIGHER_VOCATIONAL, 0) / university


# --- validation ---------------------------------------------------------------------------


def _check_plan(plan: ProvincePlan) -> None:
    if not MIN_YEAR <= plan.year <= MAX_YEAR:
        raise InvalidAllocationInput("plan_year", f"计划年度“{plan.year}”有误：须为四位数年份", "year")
    if plan.province_code not in MEMBER_NUMBER_PROVINCE_CODES:
        raise InvalidAllocationInput(
            "plan_province",
            f"省份代码“{plan.province_code}”不是有效的省级行政区划代码（江苏为32）",
            "province_code",
        )
    for domain, count in plan.quotas.items():
        if not isinstance(domain, Domain):
            raise InvalidAllocationInput("plan_domain", f"计划中的领域“{domain}”无法识别", "plan")
        if not _is_count(count):
            raise InvalidAllocationInput(
                "plan_count", f"{domain.value}领域计划数“{count}”有误：须为非负整数", f"plan.{domain.value}"
            )
    if plan.total > MAX_SEQUENCE:
        raise InvalidAllocationInput(
            "plan_too_large",
            f"计划总数{plan.total}超出省内6位序号容量（最多{MAX_SEQUENCE}个编号）",
            "plan",
        )


def _validated_units(units: Sequence[UnitFigures]) -> list[UnitFigures]:
    if len(units) > MAX_UNITS:
        raise InvalidAllocationInput("too_many_units", f"单位数{len(units)}超过上限{MAX_UNITS}", "units")
    seen_units: set[str] = set()
    seen_counties: dict[str, str] = {}
    for unit in units:
        _check_id(unit.unit_id, what="单位代码", field_name="unit_id")
        if unit.unit_id in seen_units:
            raise InvalidAllocationInput(
                "unit_duplicate", f"单位代码“{unit.unit_id}”重复出现，每个单位只能填报一次", "unit_id"
            )
        seen_units.add(unit.unit_id)
        who = f"单位“{unit.unit_id}”"
        _check_name(unit.name, what=f"{who}的单位名称", field_name=f"units.{unit.unit_id}.name")
        who = f"单位“{unit.name}”（{unit.unit_id}）"
        for domain, figures in unit.figures.items():
            if not isinstance(domain, Domain):
                raise InvalidAllocationInput(
                    "unit_domain", f"{who}填报的领域“{domain}”无法识别", f"units.{unit.unit_id}.figures"
                )
            _check_figures(who, unit.unit_id, domain, figures)
        for county in unit.counties:
            _check_id(county.county_id, what=f"{who}所辖县（市、区）代码", field_name="county_id")
            _check_name(county.name, what=f"{who}所辖县（市、区）“{county.county_id}”的名称", field_name="county")
            owner = seen_counties.get(county.county_id)
            if owner is not None:
                raise InvalidAllocationInput(
                    "county_duplicate",
                    f"县（市、区）代码“{county.county_id}”重复出现（{owner}、{unit.unit_id}），"
                    "每个县（市、区）只能属于一个单位",
                    f"units.{unit.unit_id}.counties",
                )
            seen_counties[county.county_id] = unit.unit_id
    return sorted(units, key=lambda unit: unit.unit_id)


def _check_figures(who: str, unit_id: str, domain: Domain, figures: DomainFigures) -> None:
    where = f"{who}{domain.value}领域的"
    prefix = f"units.{unit_id}.figures.{domain.value}"
    allowed = _BASE_FIELDS | _COHORT_FIELDS[domain]
    for name in FIGURE_FIELDS:
        value = getattr(figures, name)
        if not _is_count(value):
            raise InvalidAllocationInput(
                "figure_invalid",
                f"{where}{FIGURE_LABELS[name]}“{value}”有误：须为非负整数",
                f"{prefix}.{name}",
            )
        if value and name not in allowed:
            raise InvalidAllocationInput(
                "figure_not_applicable",
                f"{where}{FIGURE_LABELS[name]}不适用于{domain.value}领域，请留空或填0",
                f"{prefix}.{name}",
            )
    pairs: list[tuple[str, str]] = [
        ("graduating_members", "graduating_youth"),
        ("freshman_members", "freshman_youth"),
    ]
    if domain is not Domain.SOCIAL:
        # 社会领域 has no reliable count of 适龄青年 in many places (the weight does not use it),
        # so only school figures must nest: a cohort lies within the school, members within
        # their students.
        pairs += [
            ("members", "youth"),
            ("graduating_youth", "youth"),
            ("freshman_youth", "youth"),
            ("graduating_members", "members"),
            ("freshman_members", "members"),
        ]
    for part, whole in pairs:
        if getattr(figures, part) > getattr(figures, whole):
            raise InvalidAllocationInput(
                "figure_inconsistent",
                f"{where}{FIGURE_LABELS[part]}（{getattr(figures, part)}）不能大于"
                f"{FIGURE_LABELS[whole]}（{getattr(figures, whole)}）",
                f"{prefix}.{part}",
            )


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _check_id(raw: object, *, what: str, field_name: str) -> None:
    # Same shape as organisation ids (orgs._check_org_id): units become organisations.
    if (
        not isinstance(raw, str)
        or not raw
        or len(raw) > ORG_ID_MAX_LENGTH
        or PATH_SEPARATOR in raw
        or any(character.isspace() or not character.isprintable() for character in raw)
    ):
        raise InvalidAllocationInput(
            f"{field_name}_invalid",
            f"{what}“{raw}”有误：须为1–{ORG_ID_MAX_LENGTH}个字符，且不能包含“/”、空格或控制字符",
            field_name,
        )


def _check_name(raw: object, *, what: str, field_name: str) -> None:
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidAllocationInput("name_empty", f"{what}不能为空", field_name)
    if len(raw) > NAME_MAX_LENGTH:
        raise InvalidAllocationInput(
            "name_too_long", f"{what}不能超过{NAME_MAX_LENGTH}个字，当前为{len(raw)}个字", field_name
        )
    if not raw.isprintable():
        raise InvalidAllocationInput("name_control_character", f"{what}含有控制字符（如换行、制表符）", field_name)


# --- apportionment ------------------------------------------------------------------------


@dataclass(slots=True)
class _Context:
    """Where findings about the plan as a whole are filed."""

    owner_id: str
    owner_name: str
    findings: list[Finding]

    def add(self, unit: UnitFigures | None, domain: Domain | None, rule: Rule, severity: Severity, text: str) -> None:
        unit_id, name = (unit.unit_id, unit.name) if unit is not None else (self.owner_id, self.owner_name)
        self.findings.append(Finding(unit_id, name, domain, rule, severity, text))


def _apportion_all(
    plan: Mapping[Domain, int], ordered: list[UnitFigures], owner_id: str, owner_name: str
) -> tuple[dict[str, dict[Domain, int]], list[Finding]]:
    context = _Context(owner_id, owner_name, [])
    quotas: dict[str, dict[Domain, int]] = {unit.unit_id: {} for unit in ordered}
    for domain in Domain:
        parts = _apportion_domain(domain, plan.get(domain, 0), ordered, context)
        for unit, part in zip(ordered, parts, strict=True):
            quotas[unit.unit_id][domain] = part
            _check_result(domain, unit, part, context)
    return quotas, context.findings


def _apportion_domain(domain: Domain, total: int, ordered: list[UnitFigures], context: _Context) -> list[int]:
    if not ordered:
        if total:
            raise InvalidAllocationInput("no_units", f"{domain.value}领域计划为{total}，但没有可分配的单位", "units")
        return []
    floors = [len(unit.counties) if domain is Domain.SOCIAL else 0 for unit in ordered]
    floor_sum = sum(floors)
    if floor_sum > total:
        # Fewer social places than counties: the floors cannot all hold (§二.5 says 原则上).
        parts = apportion_largest_remainder(total, floors)
        context.add(
            None,
            domain,
            Rule.SOCIAL_COUNTY_COVERAGE,
            Severity.BREACH,
            f"社会领域计划{total}个少于所辖县（市、区）总数{floor_sum}个，无法做到每个县（市、区）"
            "均安排社会领域计划，已按县（市、区）数比例分配",
        )
        return parts
    weights = _weights(domain, ordered, context)
    remaining = total - floor_sum
    if remaining and sum(weights) == 0:
        weights = _fallback_weights(domain, total, ordered, floors, context)
    shares = apportion_largest_remainder(remaining, weights)
    if floor_sum and sum(weights):
        # Report the floors that raised a quota above what the weight alone would give.
        unfloored = apportion_largest_remainder(total, weights)
        for unit, floor, alone in zip(ordered, floors, unfloored, strict=True):
            if alone < floor:
                context.add(
                    unit,
                    domain,
                    Rule.SOCIAL_COUNTY_COVERAGE,
                    Severity.BINDING,
                    f"按测算权重仅得{alone}个，为保证所辖{floor}个县（市、区）每个至少1个社会领域计划，"
                    f"先保底{floor}个再参与分配",
                )
    return [floor + share for floor, share in zip(floors, shares, strict=True)]


def _fallback_weights(
    domain: Domain, total: int, ordered: list[UnitFigures], floors: list[int], context: _Context
) -> list[int]:
    youth = [unit.of(domain).youth for unit in ordered]
    if sum(youth):
        context.add(
            None,
            domain,
            Rule.WEIGHT_FALLBACK,
            Severity.ADVISORY,
            f"{domain.value}领域各单位均无测算余量（团青比均已达目标或入团积极分子为0），"
            f"计划{total}个改按学生数（适龄青年数）比例分配",
        )
        return youth
    if sum(floors):
        context.add(
            None,
            domain,
            Rule.WEIGHT_FALLBACK,
            Severity.ADVISORY,
            f"{domain.value}领域各单位均无测算数据，计划{total}个改按所辖县（市、区）数比例分配",
        )
        return floors
    raise InvalidAllocationInput(
        "domain_without_figures",
        f"{domain.value}领域计划为{total}个，但没有任何单位填报该领域的学生数、团员数或入团积极分子数，无法测算",
        f"plan.{domain.value}",
    )


def _weights(domain: Domain, ordered: list[UnitFigures], context: _Context) -> list[int]:
    if domain is Domain.SOCIAL:
        return _social_weights(ordered)
    return [_school_weight(domain, unit, unit.of(domain), context) for unit in ordered]


def _social_weights(ordered: list[UnitFigures]) -> list[int]:
    # ½·m/M + ½·o/O scaled by 2·M·O: m·O + o·M. With one of the sums 0 only the other counts.
    members = [unit.of(Domain.SOCIAL).members for unit in ordered]
    organisations = [unit.of(Domain.SOCIAL).organisations for unit in ordered]
    member_sum, organisation_sum = sum(members), sum(organisations)
    if organisation_sum == 0:
        return members
    if member_sum == 0:
        return organisations
    return [m * organisation_sum + o * member_sum for m, o in zip(members, organisations, strict=True)]


def _school_weight(domain: Domain, unit: UnitFigures, figures: DomainFigures, context: _Context) -> int:
    if domain.is_university:
        return _university_weight(domain, unit, figures, context)
    target, youth, members, cohort = _ratio_basis(domain, figures)
    if youth == 0:
        if domain is Domain.JUNIOR_HIGH and (figures.youth or figures.members or figures.activists):
            context.add(
                unit,
                domain,
                Rule.MISSING_FIGURES,
                Severity.ADVISORY,
                "未填报毕业年级（初三）学生数，无法按毕业年级团青比10%左右测算（通知§二.1），本单位初中测算权重为0",
            )
        return 0
    headroom = target * youth - PERCENT * members  # hundredths of a person
    if headroom <= 0:
        context.add(
            unit,
            domain,
            _ratio_rule(domain),
            Severity.BINDING,
            f"{cohort}团青比已达{_percent(members, youth, ROUND_DOWN)}，不低于测算目标{target}%，本次测算无增量权重",
        )
        return 0
    cap = PERCENT * figures.activists
    if cap < headroom:
        context.add(
            unit,
            domain,
            Rule.ACTIVIST_CAP,
            Severity.BINDING,
            f"入团积极分子{figures.activists}人，少于距{cohort}团青比{target}%的测算余量"
            f"{_people(headroom)}人，测算权重按入团积极分子数封顶",
        )
        return cap
    return headroom


def _ratio_basis(domain: Domain, figures: DomainFigures) -> tuple[int, int, int, str]:
    """(target %, students, members, which students) of a ratio domain's headroom."""
    if domain is Domain.JUNIOR_HIGH:  # §二.1: the 毕业年级 is what the notice controls
        return (
            JUNIOR_HIGH_GRADUATING_TARGET_PERCENT,
            figures.graduating_youth,
            figures.graduating_members,
            "毕业年级",
        )
    if domain is Domain.HIGH_SCHOOL:
        return HIGH_SCHOOL_CEILING_PERCENT, figures.youth, figures.members, "整体"
    return SECONDARY_VOCATIONAL_CEILING_PERCENT, figures.youth, figures.members, "整体"


def _university_weight(domain: Domain, unit: UnitFigures, figures: DomainFigures, context: _Context) -> int:
    pool = figures.youth - figures.members  # students not yet members
    if pool <= 0:
        return 0
    factor = NORMAL_FACTOR
    if figures.freshman_youth:
        above_strict = PERCENT * figures.freshman_members > (
            UNDERGRADUATE_FRESHMAN_STRICT_ABOVE_PERCENT * figures.freshman_youth
        )
        below_tilt = PERCENT * figures.freshman_members < FRESHMAN_TILT_BELOW_PERCENT * figures.freshman_youth
        rounding = ROUND_UP if above_strict else ROUND_DOWN
        freshman_ratio = _percent(figures.freshman_members, figures.freshman_youth, rounding)
        if domain is Domain.UNDERGRADUATE and above_strict:
            factor = STRICT_FACTOR
            context.add(
                unit,
                domain,
                Rule.UNDERGRADUATE_FRESHMAN_STRICT,
                Severity.BINDING,
                f"本科大一新生团青比{freshman_ratio}，超过{UNDERGRADUATE_FRESHMAN_STRICT_ABOVE_PERCENT}%，"
                "发展团员计划从严掌握：测算权重减半（×1/2）",
            )
        elif below_tilt:
            factor = TILT_FACTOR
            context.add(
                unit,
                domain,
                Rule.FRESHMAN_TILT,
                Severity.BINDING,
                f"新生年级团青比{freshman_ratio}，低于{FRESHMAN_TILT_BELOW_PERCENT}%，适当倾斜：测算权重×3/2",
            )
    elif figures.youth:
        context.add(
            unit,
            domain,
            Rule.MISSING_FIGURES,
            Severity.ADVISORY,
            "未填报新生年级学生数，无法按新生年级团青比调整（通知§二.4），按普通权重测算",
        )
    return factor * pool


def _ratio_rule(domain: Domain) -> Rule:
    if domain is Domain.JUNIOR_HIGH:
        return Rule.JUNIOR_HIGH_GRADUATING_RATIO
    if domain is Domain.HIGH_SCHOOL:
        return Rule.HIGH_SCHOOL_RATIO
    return Rule.SECONDARY_VOCATIONAL_RATIO


# --- checks on the result -----------------------------------------------------------------


def _check_result(domain: Domain, unit: UnitFigures, quota: int, context: _Context) -> None:
    figures = unit.of(domain)
    if domain is Domain.JUNIOR_HIGH and figures.graduating_youth:
        youth, projected = figures.graduating_youth, figures.graduating_members + quota
        target = JUNIOR_HIGH_GRADUATING_TARGET_PERCENT
        high, low = target + JUNIOR_HIGH_TOLERANCE_POINTS, target - JUNIOR_HIGH_TOLERANCE_POINTS
        if PERCENT * projected > high * youth:
            context.add(
                unit,
                domain,
                Rule.JUNIOR_HIGH_GRADUATING_RATIO,
                Severity.BREACH,
                f"按名额{quota}个测算，年底毕业年级团青比将达{_percent(projected, youth, ROUND_UP)}，"
                f"超出{target}%左右（{low}%–{high}%）的控制目标，严禁毕业前突击发展",
            )
        elif PERCENT * projected < low * youth:
            context.add(
                unit,
                domain,
                Rule.JUNIOR_HIGH_GRADUATING_RATIO,
                Severity.ADVISORY,
                f"按名额{quota}个测算，年底毕业年级团青比约{_percent(projected, youth, ROUND_DOWN)}，"
                f"低于{target}%左右（{low}%–{high}%）的控制目标",
            )
    elif domain is Domain.HIGH_SCHOOL and figures.youth:
        projected = figures.members + quota
        ceiling = HIGH_SCHOOL_CEILING_PERCENT
        if PERCENT * projected > ceiling * figures.youth:
            context.add(
                unit,
                domain,
                Rule.HIGH_SCHOOL_RATIO,
                Severity.BREACH,
                f"按名额{quota}个测算，年底普通高中整体团青比将达{_percent(projected, figures.youth, ROUND_UP)}，"
                f"超出{ceiling}%以内的控制目标",
            )
        graduating_youth, graduating_members = figures.graduating_youth, figures.graduating_members
        if graduating_youth and PERCENT * graduating_members > ceiling * graduating_youth:
            context.add(
                unit,
                domain,
                Rule.HIGH_SCHOOL_GRADUATING_RATIO,
                Severity.BREACH,
                f"毕业年级团青比已达{_percent(graduating_members, graduating_youth, ROUND_UP)}，超出{ceiling}%以内的"
                "控制目标：严禁毕业前突击发展，名额应安排在高一、高二年级",
            )
    elif domain is Domain.SECONDARY_VOCATIONAL and figures.youth:
        projected = figures.members + quota
        low, high = SECONDARY_VOCATIONAL_FLOOR_PERCENT, SECONDARY_VOCATIONAL_CEILING_PERCENT
        if PERCENT * projected > high * figures.youth:
            context.add(
                unit,
                domain,
                Rule.SECONDARY_VOCATIONAL_RATIO,
                Severity.BREACH,
                f"按名额{quota}个测算，年底中职团青比将达{_percent(projected, figures.youth, ROUND_UP)}，超出{high}%",
            )
        elif PERCENT * projected < low * figures.youth:
            context.add(
                unit,
                domain,
                Rule.SECONDARY_VOCATIONAL_RATIO,
                Severity.ADVISORY,
                f"按名额{quota}个测算，年底中职团青比约{_percent(projected, figures.youth, ROUND_DOWN)}，"
                f"低于{low}%—{high}%区间，应加大中职一、二年级发展团员力度",
            )
    elif domain is Domain.SOCIAL and unit.counties and quota < len(unit.counties):
        context.add(
            unit,
            domain,
            Rule.SOCIAL_COUNTY_COVERAGE,
            Severity.BREACH,
            f"社会领域名额{quota}个，少于所辖县（市、区）{len(unit.counties)}个，无法做到每个县（市、区）均有计划",
        )
    _check_activists(domain, unit, figures.activists, quota, context)


def _check_activists(domain: Domain, unit: UnitFigures, activists: int, quota: int, context: _Context) -> None:
    if quota == 0:
        return
    if activists < quota:
        context.add(
            unit,
            domain,
            Rule.ACTIVISTS_BELOW_QUOTA,
            Severity.BREACH,
            f"入团积极分子{activists}人，少于名额{quota}个，名额无法全部用足；应加强入团积极分子培养",
        )
    elif not (ACTIVISTS_GUIDANCE_LOW_HALVES * quota <= 2 * activists <= ACTIVISTS_GUIDANCE_HIGH_HALVES * quota):
        rounding = ROUND_DOWN if 2 * activists < ACTIVISTS_GUIDANCE_LOW_HALVES * quota else ROUND_UP
        context.add(
            unit,
            domain,
            Rule.ACTIVISTS_GUIDANCE,
            Severity.ADVISORY,
            f"入团积极分子{activists}人，为名额{quota}个的{_tenths(activists, quota, rounding)}倍，"
            "偏离“两倍左右”的要求（按1.5–3倍掌握）",
        )


def _higher_vocational_share(plan: ProvincePlan) -> Iterable[Finding]:
    higher_vocational = plan.quotas.get(Domain.HIGHER_VOCATIONAL, 0)
    university = higher_vocational + plan.quotas.get(Domain.UNDERGRADUATE, 0)
    if university and PERCENT * higher_vocational < HIGHER_VOCATIONAL_MIN_SHARE_PERCENT * university:
        yield Finding(
            plan.province_code,
            plan.province_name,
            Domain.HIGHER_VOCATIONAL,
            Rule.HIGHER_VOCATIONAL_SHARE,
            Severity.BREACH,
            f"高职（专科）计划{higher_vocational}个，占高校计划{university}个的"
            f"{_percent(higher_vocational, university, ROUND_DOWN)}，"
            f"低于{HIGHER_VOCATIONAL_MIN_SHARE_PERCENT}%",
        )


# --- assembly and formatting --------------------------------------------------------------


def _assemble(
    year: int,
    province_code: str,
    owner_id: str,
    owner_name: str,
    plan: Mapping[Domain, int],
    ordered: list[UnitFigures],
    quotas: dict[str, dict[Domain, int]],
    segments: dict[str, dict[Domain, Segment]],
    findings: list[Finding],
    illustrative: bool,
) -> Allocation:
    position = {unit.unit_id: index for index, unit in enumerate(ordered)}
    domain_order = {domain: index for index, domain in enumerate(Domain)}
    rule_order = {rule: index for index, rule in enumerate(Rule)}
    # Plan-wide findings first, then units in id order; within a unit, domains then rules.
    # (sorted is stable: two findings with the same key keep the order they were made in.)
    findings.sort(
        key=lambda finding: (
            position.get(finding.unit_id, -1),
            -1 if finding.domain is None else domain_order[finding.domain],
            rule_order[finding.rule],
        )
    )
    units = tuple(
        UnitAllocation(
            unit_id=unit.unit_id,
            name=unit.name,
            quotas=MappingProxyType(quotas[unit.unit_id]),
            segments=MappingProxyType(segments[unit.unit_id]),
        )
        for unit in ordered
    )
    full_plan = {domain: plan.get(domain, 0) for domain in Domain}
    return Allocation(
        year=year,
        province_code=province_code,
        owner_id=owner_id,
        owner_name=owner_name,
        plan=MappingProxyType(full_plan),
        units=units,
        findings=tuple(findings),
        illustrative=illustrative,
    )


ROUND_DOWN: Final = -1
ROUND_UP: Final = 1


def _tenths(part: int, whole: int, rounding: int) -> str:
    """part / whole to one decimal, rounded toward the side the message is about, so that a
    value just under a bound never reads as the bound itself ("7.96 %" → "7.9%", not "8.0%")."""
    numerator = 10 * part
    tenths = -(-numerator // whole) if rounding == ROUND_UP else numerator // whole
    return f"{tenths // 10}.{tenths % 10}"


def _percent(part: int, whole: int, rounding: int) -> str:
    return f"{_tenths(PERCENT * part, whole, rounding)}%"


def _people(hundredths: int) -> str:
    return f"{hundredths / PERCENT:g}"
