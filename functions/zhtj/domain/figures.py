"""Progress figures (进度统计): counters, rates, milestones and the 团青比 — pure rules.

Seed: the notice §三.2 (编号使用率、电子档案录入完整率 6月30日前达到50%、12月10日前达到100%),
§三.4 (专项检查、年中监测), §二 (团青比 guidance) and the guide Q&A §5.3–5.4 (only members whose
identity is certified count as new members).

**Counters.** Every member item contributes +1 to a few counters of *every organisation in its
branch path* (the subtree figures of each ancestor), keyed by (join year, domain, org): see
:func:`member_contribution`. A change of the item (OLD → NEW image of a DynamoDB stream record)
changes the counters by ``contribution(NEW) − contribution(OLD)`` (:func:`delta`): an insert
adds, a state change moves one from the old state to the new one, a transfer moves the member
from the old ancestors to the new ones, a deletion subtracts. All counter attributes are
top-level numbers so that DynamoDB's ``ADD`` applies them (``ADD`` does not reach into maps).

**Definitions** (per organisation subtree, per plan year and domain, and in total):

* 计划数 *plan*: the organisation's quota for that year and domain, or — when it holds none —
  the sum of its children's plans (recursively);
* 已使用编号 *used*: the ``used`` of the same quota items (one number per registered member);
* 编号使用率 = used / plan (undefined without a plan);
* 已录入 *entered*: members entered (any archive state);
* 已上传 *uploaded*: members with an accepted archive upload of any version — every state but
  尚未认证 (待审批 + 团员身份已认证 + 认证不通过), so ``uploaded = entered − not_certified``;
* 电子档案录入完整率 = uploaded / entered: the share of entered members whose 入团志愿书 has been
  uploaded and accepted as a version (this project's reading of "录入完整": a rejected upload
  still counts as 录入, it waits for a replacement; undefined while nobody is entered);
* 新发展团员 *new members* = certified only (Q&A §5.3–5.4);
* 逾期 *overdue*: 尚未认证 members whose due date (30 days after the last day of the join
  month, :func:`archive_due_date`, the same rule as ``zhtj.services.archives.due_date``) lies
  before the given day. Counters keep 尚未认证 per join month (``nc_m01`` … ``nc_m12``), so the
  figure for any day needs no scan.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction
from typing import Any, Final

from zhtj.domain.allocation import (
    HIGH_SCHOOL_CEILING_PERCENT,
    JUNIOR_HIGH_GRADUATING_TARGET_PERCENT,
    JUNIOR_HIGH_TOLERANCE_POINTS,
    SECONDARY_VOCATIONAL_CEILING_PERCENT,
    SECONDARY_VOCATIONAL_FLOOR_PERCENT,
    UNDERGRADUATE_FRESHMAN_STRICT_ABOVE_PERCENT,
    DomainFigures,
)
from zhtj.domain.glossary import ArchiveState, Domain

ARCHIVE_DUE_DAYS: Final = 30  # Q&A §5.6 / 操作指引 §2: 审批同意后30日内
MONTHS: Final = tuple(range(1, 13))

ENTERED: Final = "entered"
STATE_COUNTERS: Final[Mapping[ArchiveState, str]] = {
    ArchiveState.NOT_CERTIFIED: "not_certified",
    ArchiveState.PENDING: "pending",
    ArchiveState.CERTIFIED: "certified",
    ArchiveState.REJECTED: "rejected",
}


def entered_month_counter(month: int) -> str:
    return f"entered_m{month:02d}"


def not_certified_month_counter(month: int) -> str:
    return f"nc_m{month:02d}"


COUNTER_NAMES: Final = (
    ENTERED,
    *STATE_COUNTERS.values(),
    *(entered_month_counter(m) for m in MONTHS),
    *(not_certified_month_counter(m) for m in MONTHS),
)

# (join year, domain, org id) → the counters of that organisation's subtree
CounterKey = tuple[int, str, str]
Deltas = dict[CounterKey, dict[str, int]]


# ---------------------------------------------------------------- contributions and deltas
def is_member_image(image: Mapping[str, Any] | None) -> bool:
    if not image:
        return False
    return str(image.get("pk", "")).startswith("MEMBER#") and image.get("sk") == "MEMBER"


def member_contribution(image: Mapping[str, Any] | None) -> Deltas:
    """What one member item adds to the counters (empty for anything that is not a member)."""
    if image is None or not is_member_image(image):
        return {}
    try:
        year = int(image["join_year"])
        month = int(image["join_month"])
        domain = str(image["domain"])
        path = [str(p) for p in image["branch_path"]]
    except (KeyError, TypeError, ValueError):
        return {}  # not a complete member item: nothing to count (recount reports the same)
    state = ArchiveState(image.get("archive_state") or ArchiveState.NOT_CERTIFIED.value)
    counters = {ENTERED: 1, STATE_COUNTERS[state]: 1, entered_month_counter(month): 1}
    if state is ArchiveState.NOT_CERTIFIED:
        counters[not_certified_month_counter(month)] = 1
    return {(year, domain, org_id): dict(counters) for org_id in dict.fromkeys(path)}


def delta(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> Deltas:
    """``contribution(new) − contribution(old)``, without zeros."""
    result: Deltas = {}
    merge(result, member_contribution(new), +1)
    merge(result, member_contribution(old), -1)
    return result


def merge(into: Deltas, more: Mapping[CounterKey, Mapping[str, int]], sign: int = 1) -> Deltas:
    """Add ``sign × more`` into ``into`` in place, dropping counters and keys that reach 0."""
    for key, counters in more.items():
        target = into.setdefault(key, {})
        for name, value in counters.items():
            total = target.get(name, 0) + sign * value
            if total:
                target[name] = total
            else:
                target.pop(name, None)
        if not target:
            del into[key]
    return into


# ---------------------------------------------------------------- counts and rates
def archive_due_date(join_year: int, join_month: int) -> date:
    """30 days after the last day of the join month (zhtj.services.archives.due_date)."""
    last = calendar.monthrange(join_year, join_month)[1]
    return date(join_year, join_month, last) + timedelta(days=ARCHIVE_DUE_DAYS)


@dataclass(frozen=True, slots=True)
class Counts:
    """The member counters of one subtree for one (year, domain) — or summed over domains."""

    entered: int = 0
    not_certified: int = 0
    pending: int = 0
    certified: int = 0
    rejected: int = 0
    entered_by_month: tuple[int, ...] = (0,) * 12
    not_certified_by_month: tuple[int, ...] = (0,) * 12

    @classmethod
    def from_counters(cls, values: Mapping[str, Any]) -> Counts:
        def n(name: str) -> int:
            return int(values.get(name) or 0)

        return cls(
            entered=n(ENTERED),
            not_certified=n("not_certified"),
            pending=n("pending"),
            certified=n("certified"),
            rejected=n("rejected"),
            entered_by_month=tuple(n(entered_month_counter(m)) for m in MONTHS),
            not_certified_by_month=tuple(n(not_certified_month_counter(m)) for m in MONTHS),
        )

    def counters(self) -> dict[str, int]:
        values = {ENTERED: self.entered, "not_certified": self.not_certified, "pending": self.pending,
                  "certified": self.certified, "rejected": self.rejected}
        values.update({entered_month_counter(m): self.entered_by_month[m - 1] for m in MONTHS})
        values.update({not_certified_month_counter(m): self.not_certified_by_month[m - 1] for m in MONTHS})
        return values

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.entered + other.entered, self.not_certified + other.not_certified, self.pending + other.pending,
            self.certified + other.certified, self.rejected + other.rejected,
            tuple(a + b for a, b in zip(self.entered_by_month, other.entered_by_month, strict=True)),
            tuple(a + b for a, b in zip(self.not_certified_by_month, other.not_certified_by_month, strict=True)),
        )

    @property
    def uploaded(self) -> int:
        return self.entered - self.not_certified

    @property
    def new_members(self) -> int:
        """Q&A §5.3–5.4: only certified members count as new members."""
        return self.certified

    def overdue(self, year: int, as_of: date) -> int:
        """尚未认证 members whose archive was due before ``as_of``."""
        return sum(count for month, count in zip(MONTHS, self.not_certified_by_month, strict=True)
                   if as_of > archive_due_date(year, month))


NO_COUNTS: Final = Counts()


def rate(numerator: int, denominator: int) -> Fraction | None:
    return Fraction(numerator, denominator) if denominator > 0 else None


def percent(value: Fraction | None) -> float | None:
    return None if value is None else round(float(value) * 100, 2)


# ---------------------------------------------------------------- milestones (notice §三.2)
@dataclass(frozen=True, slots=True)
class Milestone:
    month: int
    day: int
    target_percent: int

    def deadline(self, year: int) -> date:
        return date(year, self.month, self.day)

    @property
    def label(self) -> str:
        return f"{self.month}月{self.day}日前达到{self.target_percent}%"


MILESTONES: Final = (Milestone(6, 30, 50), Milestone(12, 10, 100))
RATE_LABELS: Final = {"usage": "编号使用率", "completeness": "电子档案录入完整率"}


class Standing:
    MET = "met"  # the deadline has come and the rate reaches the target
    MISSED = "missed"  # the deadline has come and the rate is below the target
    ON_TRACK = "on_track"  # not yet due, the target is already reached
    OPEN = "open"  # not yet due, not yet reached
    NO_DATA = "no_data"  # the rate is undefined (no plan, or nobody entered)


STANDING_LABELS: Final = {Standing.MET: "已达标", Standing.MISSED: "未达标", Standing.ON_TRACK: "已提前达标",
                          Standing.OPEN: "未到期", Standing.NO_DATA: "无数据"}


@dataclass(frozen=True, slots=True)
class MilestoneStanding:
    milestone: Milestone
    rate_name: str
    deadline: date
    due: bool
    standing: str
    value: Fraction | None


def standing(milestone: Milestone, rate_name: str, value: Fraction | None, year: int,
             as_of: date) -> MilestoneStanding:
    """A milestone is *due* from its deadline day on (the check of that day counts); a due
    milestone below its target is missed. Rates are compared exactly (fractions)."""
    deadline = milestone.deadline(year)
    due = as_of >= deadline
    if value is None:
        result = Standing.NO_DATA
    elif value * 100 >= milestone.target_percent:
        result = Standing.MET if due else Standing.ON_TRACK
    else:
        result = Standing.MISSED if due else Standing.OPEN
    return MilestoneStanding(milestone, rate_name, deadline, due, result, value)


def standings(usage: Fraction | None, completeness: Fraction | None, year: int,
              as_of: date) -> list[MilestoneStanding]:
    return [standing(m, name, value, year, as_of)
            for m in MILESTONES for name, value in (("usage", usage), ("completeness", completeness))]


def misses(items: Iterable[MilestoneStanding]) -> list[MilestoneStanding]:
    return [s for s in items if s.standing == Standing.MISSED]


# ---------------------------------------------------------------- 团青比 (notice §二)
@dataclass(frozen=True, slots=True)
class RatioGuidance:
    cohort: str  # "whole" | "graduating" | "freshman"
    cohort_label: str
    low_percent: int | None
    high_percent: int | None
    text: str


RATIO_GUIDANCE: Final[Mapping[Domain, RatioGuidance]] = {
    Domain.JUNIOR_HIGH: RatioGuidance(
        "graduating", "毕业年级",
        JUNIOR_HIGH_GRADUATING_TARGET_PERCENT - JUNIOR_HIGH_TOLERANCE_POINTS,
        JUNIOR_HIGH_GRADUATING_TARGET_PERCENT + JUNIOR_HIGH_TOLERANCE_POINTS,
        "初中毕业年级团青比控制在10%左右（通知§二.1）"),
    Domain.HIGH_SCHOOL: RatioGuidance("whole", "全校", None, HIGH_SCHOOL_CEILING_PERCENT,
                                      "普通高中团青比控制在30%以内（通知§二.2）"),
    Domain.SECONDARY_VOCATIONAL: RatioGuidance(
        "whole", "全校", SECONDARY_VOCATIONAL_FLOOR_PERCENT, SECONDARY_VOCATIONAL_CEILING_PERCENT,
        "中职团青比15%—20%，年底控制在20%以下（通知§二.3、§三.3）"),
    Domain.UNDERGRADUATE: RatioGuidance("freshman", "新生年级", None, UNDERGRADUATE_FRESHMAN_STRICT_ABOVE_PERCENT,
                                        "本科新生年级团青比超过60%的须从严掌握（通知§二.4）"),
    Domain.HIGHER_VOCATIONAL: RatioGuidance("whole", "全校", None, None, "高职（专科）无团青比上限（通知§二.4）"),
    Domain.SOCIAL: RatioGuidance("whole", "适龄青年", None, None, "社会领域按团员数与组织密度安排（通知§二.5）"),
}


@dataclass(frozen=True, slots=True)
class YouthRatio:
    """团青比 of one domain before this year's development and after it (the certified new
    members added to the cohort — every new member counted in the cohort, as the allocation's
    own projection does: an upper bound), and with the whole plan used."""

    guidance: RatioGuidance
    youth: int
    members_before: int
    before: Fraction | None
    after: Fraction | None
    with_plan: Fraction | None
    within_guidance: bool | None  # of ``after``; None without a band or without figures


def youth_ratio(domain: Domain, figures: DomainFigures, new_members: int, plan: int) -> YouthRatio | None:
    guidance = RATIO_GUIDANCE[domain]
    if guidance.cohort == "graduating":
        youth, members = figures.graduating_youth, figures.graduating_members
    elif guidance.cohort == "freshman":
        youth, members = figures.freshman_youth, figures.freshman_members
    else:
        youth, members = figures.youth, figures.members
    if youth <= 0:
        return None
    after = Fraction(members + new_members, youth)
    within: bool | None = None
    if guidance.low_percent is not None or guidance.high_percent is not None:
        within = (guidance.low_percent is None or after * 100 >= guidance.low_percent) and (
            guidance.high_percent is None or after * 100 <= guidance.high_percent)
    return YouthRatio(guidance, youth, members, Fraction(members, youth), after,
                      Fraction(members + plan, youth), within)


# ---------------------------------------------------------------- one unit's figures
@dataclass(frozen=True, slots=True)
class DomainProgress:
    domain: Domain | None  # None: all domains together
    plan: int
    used: int
    counts: Counts
    youth: DomainFigures | None = None

    @property
    def usage(self) -> Fraction | None:
        return rate(self.used, self.plan)

    @property
    def completeness(self) -> Fraction | None:
        return rate(self.counts.uploaded, self.counts.entered)

    def ratio(self) -> YouthRatio | None:
        if self.domain is None or self.youth is None:
            return None
        return youth_ratio(self.domain, self.youth, self.counts.new_members, self.plan)


@dataclass(frozen=True, slots=True)
class UnitProgress:
    org_id: str
    year: int
    domains: tuple[DomainProgress, ...]
    total: DomainProgress = field(init=False)

    def __post_init__(self) -> None:
        counts = NO_COUNTS
        for d in self.domains:
            counts = counts + d.counts
        object.__setattr__(self, "total", DomainProgress(
            None, sum(d.plan for d in self.domains), sum(d.used for d in self.domains), counts))

    def standings(self, as_of: date) -> list[MilestoneStanding]:
        return standings(self.total.usage, self.total.completeness, self.year, as_of)

    def domain_misses(self, as_of: date) -> dict[Domain, list[MilestoneStanding]]:
        found: dict[Domain, list[MilestoneStanding]] = {}
        for d in self.domains:
            if d.domain is not None and d.plan > 0:
                missed = misses(standings(d.usage, d.completeness, self.year, as_of))
                if missed:
                    found[d.domain] = missed
        return found


def sort_missing(units: Sequence[tuple[UnitProgress, Sequence[MilestoneStanding]]]
                 ) -> list[tuple[UnitProgress, Sequence[MilestoneStanding]]]:
    """Units that miss a due milestone, worst first: the lowest missed rate, then the most
    misses, then the organisation id (a stable order for the same figures)."""
    def worst(item: tuple[UnitProgress, Sequence[MilestoneStanding]]) -> tuple[Fraction, int, str]:
        unit, missed = item
        lowest = min((s.value for s in missed if s.value is not None), default=Fraction(0))
        return (lowest, -len(missed), unit.org_id)

    return sorted((u for u in units if u[1]), key=worst)
