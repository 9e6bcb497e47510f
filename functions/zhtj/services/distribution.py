"""Distribution down the tree (计划下达): a committee divides its own quota and member-number
segments among its direct children — a county among its schools, a school among its grades,
a 团总支 among its branches (notice §一.2 精确到县（市、区）、到学校、到年级; §三.2 各单位团委
要根据计划……研究制定本地区本系统发展团员计划).

The rules (notice §三.2 unless noted):

* the caller administers the parent (its own organisation or one below it) and the child is a
  **direct** child of the parent;
* quotas and numbers never leave their domain or year (不得跨领域、跨年度挤占挪用): a change
  is always for one (year, domain), and the numbers moved come from segments of that same
  (year, domain);
* the children's quotas never add up to more than the parent's (不得超计划发展): the parent's
  ``distributed`` changes in the same transaction as the child's quota and the segments, under
  a condition on the value read, so two admins distributing at the same moment can never
  over-allocate;
* an increase gives the child **unused** numbers carved from the parent's held segments —
  one contiguous run from the top when there is one (members use numbers from the bottom up),
  several runs when the parent's free numbers are fragmented (the result says so);
* a decrease takes back only **unused** numbers of the child's held segments (adjacent ranges
  merge again at the parent) and is refused when the child's quota would fall below its own
  ``used`` + ``distributed``: a used number is never stranded outside the segments of its
  member's ancestry;
* a 团支部's members count in 社会 when its industry is social and in a school domain when it
  is a school kind (Q&A §5.8, notice §二.5), so a branch only receives quotas it can use.

The storage port (:class:`DistributionStore`, implemented by
:class:`zhtj.adapters.dynamodb_distribution.DynamoDistribution`) reads consistently and writes
one change in one transaction whose every item is guarded by what was read; a guard that no
longer holds (a registration took a number in a segment being changed, another admin changed
the same quota) makes the adapter raise :class:`StaleState`, and the use case re-reads and
re-decides, a few times, before reporting that others are changing the same plan.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Final, Protocol

from zhtj.domain.errors import InvalidOrganisation, QuotaExceeded, SegmentError
from zhtj.domain.glossary import Domain, IndustryGroup, OrgKind
from zhtj.domain.numbers import MAX_SEQUENCE, Segment
from zhtj.domain.orgs import Organisation, Principal, require_administers
from zhtj.services.errors import Conflict, InvalidRequest, NotFound
from zhtj.services.organisations import get_organisation
from zhtj.services.ports import OrganisationRepository

MIN_PLAN_YEAR: Final = 2000
MAX_PLAN_YEAR: Final = 2099
MAX_QUOTA: Final = MAX_SEQUENCE
ATTEMPTS: Final = 10
# DynamoDB allows 100 items per TransactWriteItems; two are the quota counters.
MAX_SEGMENT_WRITES: Final = 98


# ---------------------------------------------------------------- values
@dataclass(frozen=True)
class QuotaState:
    """One quota item as read: ``remaining`` = quota − used (kept in step by every writer)."""

    quota: int
    used: int
    distributed: int
    remaining: int

    @property
    def undistributed(self) -> int:
        """What the holder has not handed to its children (= the size of its held segments)."""
        return self.quota - self.distributed


@dataclass(frozen=True)
class HeldRange:
    """A held segment with the sequences members already used in it."""

    holder_id: str
    year: int
    domain: str
    province_code: str
    first: int
    last: int
    used: frozenset[int] = frozenset()

    @property
    def size(self) -> int:
        return self.last - self.first + 1

    @property
    def free(self) -> int:
        return self.size - len(self.used)

    @property
    def segment(self) -> Segment:
        return Segment(self.year, Domain(self.domain), self.province_code, self.first, self.last)


@dataclass(frozen=True)
class QuotaChange:
    """One distribution change, decided from what was read; the adapter writes it in one
    transaction guarded by ``parent_before``, ``child_before`` and ``ranges_before``."""

    year: int
    domain: str
    parent_id: str
    child_id: str
    parent_before: QuotaState
    parent_distributed_after: int
    child_before: QuotaState | None
    child_quota_after: int
    ranges_before: tuple[HeldRange, ...]  # every held range of parent and child, as read
    ranges_after: tuple[HeldRange, ...]   # what they hold afterwards

    @property
    def delta(self) -> int:
        return self.child_quota_after - (self.child_before.quota if self.child_before else 0)


@dataclass(frozen=True)
class Moved:
    first: int
    last: int

    @property
    def size(self) -> int:
        return self.last - self.first + 1


@dataclass(frozen=True)
class QuotaChangeResult:
    direction: str  # "increase" | "decrease" | "unchanged"
    delta: int
    moved: tuple[Segment, ...]  # the numbers that changed hands
    fragmented: bool
    domain_plan: DomainPlan


@dataclass(frozen=True)
class ChildPlan:
    org: Organisation
    quota: QuotaState | None
    ranges: tuple[HeldRange, ...]


@dataclass(frozen=True)
class DomainPlan:
    domain: Domain
    quota: QuotaState | None
    ranges: tuple[HeldRange, ...]
    children: tuple[ChildPlan, ...] = field(default=())


@dataclass(frozen=True)
class OrgPlan:
    org: Organisation
    year: int
    children: tuple[Organisation, ...]
    domains: tuple[DomainPlan, ...]


class StaleState(Exception):
    """A guard of the transaction no longer held: what was read has changed. Retry."""


class DistributionStore(Protocol):
    """What distribution needs from storage (DynamoDistribution implements it)."""

    def quota_states(self, org_ids: Sequence[str], year: int,
                     domains: Sequence[str]) -> dict[tuple[str, str], QuotaState]: ...

    def held_ranges(self, org_id: str, year: int, domain: str | None = None) -> list[HeldRange]: ...

    def apply(self, change: QuotaChange) -> None:
        """Write ``change`` atomically; raise StaleState when any guard fails."""


# ---------------------------------------------------------------- pure range arithmetic
def free_runs(ranges: Iterable[HeldRange]) -> list[tuple[int, int]]:
    """Maximal runs of unused sequences inside ``ranges``, in ascending order."""
    runs: list[tuple[int, int]] = []
    for held in sorted(ranges, key=lambda r: r.first):
        start = held.first
        for used in sorted(n for n in held.used if held.first <= n <= held.last):
            if used > start:
                runs.append((start, used - 1))
            start = used + 1
        if start <= held.last:
            runs.append((start, held.last))
    return runs


def pick_from_top(runs: Sequence[tuple[int, int]], count: int) -> tuple[list[Moved], bool]:
    """``count`` unused sequences: the top ``count`` of the highest run long enough to give
    them in one piece; otherwise whole runs from the top down (the last one partly), and the
    second value says the result is fragmented. The caller checked there are enough."""
    if count <= 0:
        return [], False
    long_enough = [run for run in runs if run[1] - run[0] + 1 >= count]
    if long_enough:
        _, last = max(long_enough, key=lambda run: run[1])
        return [Moved(last - count + 1, last)], False
    picked: list[Moved] = []
    left = count
    for first, last in sorted(runs, key=lambda run: run[1], reverse=True):
        take = min(left, last - first + 1)
        picked.append(Moved(last - take + 1, last))
        left -= take
        if left == 0:
            break
    if left:
        raise ValueError("not enough unused sequences")  # the caller's check failed
    return sorted(picked, key=lambda m: m.first), len(picked) > 1


def subtract(ranges: Iterable[HeldRange], moved: Sequence[Moved]) -> list[HeldRange]:
    """``ranges`` without the ``moved`` sequences; each remaining piece keeps the used
    sequences inside it (a moved sequence is never a used one)."""
    pieces: list[HeldRange] = []
    for held in ranges:
        cuts = sorted((m for m in moved if m.first <= held.last and m.last >= held.first), key=lambda m: m.first)
        start = held.first
        for cut in cuts:
            if cut.first > start:
                pieces.append(_piece(held, start, cut.first - 1))
            start = max(start, cut.last + 1)
        if start <= held.last:
            pieces.append(_piece(held, start, held.last))
    return pieces


def merge(ranges: Iterable[HeldRange]) -> list[HeldRange]:
    """One holder's ranges with adjacent ones joined (a holder may always join its own
    adjacent ranges: the numbers stay in the same place of the tree)."""
    merged: list[HeldRange] = []
    for held in sorted(ranges, key=lambda r: r.first):
        last = merged[-1] if merged else None
        if last is not None and last.last + 1 == held.first and last.province_code == held.province_code:
            merged[-1] = replace(last, last=held.last, used=last.used | held.used)
        else:
            merged.append(held)
    return merged


def give(receiver_id: str, ranges: Iterable[HeldRange], moved: Sequence[Moved], template: HeldRange) -> list[HeldRange]:
    """The receiver's ranges after receiving ``moved`` (unused, so with no used sequences)."""
    new = [HeldRange(receiver_id, template.year, template.domain, template.province_code, m.first, m.last)
           for m in moved]
    return merge([*ranges, *new])


def _piece(held: HeldRange, first: int, last: int) -> HeldRange:
    return replace(held, first=first, last=last, used=frozenset(n for n in held.used if first <= n <= last))


# ---------------------------------------------------------------- checks
def parse_year(raw: object) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not MIN_PLAN_YEAR <= raw <= MAX_PLAN_YEAR:
        raise InvalidRequest("year_invalid", f"年度应为{MIN_PLAN_YEAR}–{MAX_PLAN_YEAR}之间的四位数年份", field="year")
    return raw


def parse_domain(raw: object) -> Domain:
    text = str(raw or "").strip().replace("（", "(").replace("）", ")")
    for domain in Domain:
        if text in (domain.value, domain.name):
            return domain
    names = "、".join(d.value for d in Domain)
    raise InvalidRequest("domain_invalid", f"领域“{raw}”无法识别，应为：{names}", field="domain")


def parse_quota(raw: object) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= MAX_QUOTA:
        raise InvalidRequest("quota_invalid", f"名额应为0–{MAX_QUOTA}之间的整数", field="quota")
    return raw


def check_branch_domain(child: Organisation, domain: Domain) -> None:
    """A 团支部's members count in the domain its industry allows (Q&A §5.8): a social branch
    only in 社会 — it may not admit students (notice §二.5) — and a school branch never in
    社会. A quota it cannot use would only be locked away from its siblings."""
    if child.kind is not OrgKind.BRANCH or child.industry is None:
        return
    social = child.industry.group is IndustryGroup.SOCIAL
    if social and domain is not Domain.SOCIAL:
        raise SegmentError(
            "branch_domain", f"“{child.name}”是社会领域团支部（{child.industry.value}），只能分配社会领域名额："
            "社会领域团组织不得吸收在校学生入团（通知 二.5）", field="domain")
    if not social and domain is Domain.SOCIAL:
        raise SegmentError(
            "branch_domain", f"“{child.name}”是学校团支部（{child.industry.value}），不能分配社会领域名额："
            "其团员计入学校领域（操作指引 5.8）", field="domain")


# ---------------------------------------------------------------- use cases
def org_plan(principal: Principal, org_id: str, year: int, *, orgs: OrganisationRepository,
             store: DistributionStore) -> OrgPlan:
    """The organisation's plan for ``year``: per domain its quota and held segments (with how
    many numbers are used), and each direct child's."""
    year = parse_year(year)
    org = get_organisation(principal, org_id, orgs)
    children = tuple(orgs.children(org.org_id))
    ids = [org.org_id, *(c.org_id for c in children)]
    domains = [d.value for d in Domain]
    states = store.quota_states(ids, year, domains)
    held: dict[str, list[HeldRange]] = {i: store.held_ranges(i, year) for i in ids}
    plans = []
    for domain in Domain:
        def ranges_of(holder: str, domain: Domain = domain) -> tuple[HeldRange, ...]:
            return tuple(sorted((r for r in held[holder] if r.domain == domain.value), key=lambda r: r.first))

        plans.append(DomainPlan(
            domain=domain, quota=states.get((org.org_id, domain.value)), ranges=ranges_of(org.org_id),
            children=tuple(ChildPlan(c, states.get((c.org_id, domain.value)), ranges_of(c.org_id)) for c in children),
        ))
    return OrgPlan(org=org, year=year, children=children, domains=tuple(plans))


def set_child_quota(principal: Principal, parent_id: str, child_id: str, *, year: int, domain: object,
                    quota: object, orgs: OrganisationRepository, store: DistributionStore,
                    attempts: int = ATTEMPTS) -> QuotaChangeResult:
    """Set ``child_id``'s quota for (year, domain) to ``quota``, moving unused numbers between
    the parent's and the child's held segments (see the module docstring for the rules)."""
    year = parse_year(year)
    the_domain = parse_domain(domain)
    target = parse_quota(quota)
    parent = get_organisation(principal, parent_id, orgs)
    child = orgs.get(child_id)
    if child is None:
        raise NotFound("org_not_found", f"组织“{child_id}”不存在，请检查组织编号", field="child_id")
    require_administers(principal, child.path)
    if child.parent_id != parent.org_id:
        raise InvalidOrganisation(
            "not_direct_child", f"“{child.name}”不是“{parent.name}”的直属下级组织：名额只能逐级分配给直属下级",
            field="child_id")
    check_branch_domain(child, the_domain)
    for attempt in range(attempts):
        change, moved, fragmented = _decide(parent, child, year, the_domain, target, store)
        if change is None:
            return QuotaChangeResult("unchanged", 0, (), False, _domain_plan(parent, child, year, the_domain, store))
        try:
            store.apply(change)
        except StaleState:
            time.sleep(random.uniform(0.01, 0.04) * (attempt + 1))  # noqa: S311 - jitter, not crypto
            continue
        direction = "increase" if change.delta > 0 else "decrease"
        code = change.ranges_before[0].province_code
        segments = tuple(Segment(year, the_domain, code, m.first, m.last) for m in moved)
        return QuotaChangeResult(direction, abs(change.delta), segments, fragmented,
                                 _domain_plan(parent, child, year, the_domain, store))
    raise Conflict("plan_busy", f"其他管理员或录入正在同时改动“{parent.name}”{year}年{the_domain.value}"
                                "领域的名额或号段，请刷新后重试")


def _domain_plan(parent: Organisation, child: Organisation, year: int, domain: Domain,
                 store: DistributionStore) -> DomainPlan:
    states = store.quota_states([parent.org_id, child.org_id], year, [domain.value])
    return DomainPlan(
        domain=domain, quota=states.get((parent.org_id, domain.value)),
        ranges=tuple(store.held_ranges(parent.org_id, year, domain.value)),
        children=(ChildPlan(child, states.get((child.org_id, domain.value)),
                            tuple(store.held_ranges(child.org_id, year, domain.value))),),
    )


def _decide(parent: Organisation, child: Organisation, year: int, domain: Domain, target: int,
            store: DistributionStore) -> tuple[QuotaChange | None, list[Moved], bool]:
    states = store.quota_states([parent.org_id, child.org_id], year, [domain.value])
    parent_state = states.get((parent.org_id, domain.value))
    child_state = states.get((child.org_id, domain.value))
    where = f"{year}年{domain.value}领域"
    if parent_state is None:
        raise QuotaExceeded("no_parent_quota", f"“{parent.name}”没有{where}的名额，无法向下级分配", field="quota")
    current = child_state.quota if child_state else 0
    delta = target - current
    if delta == 0:
        return None, [], False
    parent_held = store.held_ranges(parent.org_id, year, domain.value)
    child_held = store.held_ranges(child.org_id, year, domain.value)
    before = (*parent_held, *child_held)
    parent_ranges, child_ranges = merge(parent_held), merge(child_held)
    if delta > 0:
        available = parent_state.undistributed
        if delta > available:
            raise QuotaExceeded(
                "quota_not_enough",
                f"“{parent.name}”{where}共有名额{parent_state.quota}个、已分配给下级{parent_state.distributed}个，"
                f"尚可分配{max(available, 0)}个，不足以再给“{child.name}”增加{delta}个"
                "（下级名额之和不得超过本级名额，通知 三.2）", field="quota")
        runs = free_runs(parent_ranges)
        free = sum(b - a + 1 for a, b in runs)
        if free < delta:
            raise SegmentError(
                "numbers_not_enough",
                f"“{parent.name}”持有的{where}号段中未使用的编号只有{free}个，不足以分出{delta}个"
                "（已使用的编号不能分给下级）", field="quota")
        moved, fragmented = pick_from_top(runs, delta)
        template = parent_ranges[0]
        parent_after = subtract(parent_ranges, moved)
        child_after = give(child.org_id, child_ranges, moved, template)
        distributed_after = parent_state.distributed + delta
    else:
        back = -delta
        assert child_state is not None  # current > target >= 0
        floor = child_state.used + child_state.distributed
        if target < floor:
            raise QuotaExceeded(
                "below_usage",
                f"“{child.name}”{where}已使用{child_state.used}个、已分配给其下级{child_state.distributed}个，"
                f"名额不能少于{floor}个（已使用的编号不能收回）", field="quota")
        runs = free_runs(child_ranges)
        free = sum(b - a + 1 for a, b in runs)
        if free < back:
            raise SegmentError(
                "child_numbers_in_use",
                f"“{child.name}”持有的{where}号段中未使用的编号只有{free}个，不能收回{back}个"
                "（已使用的编号不能收回）", field="quota")
        if parent_state.distributed < back:
            raise Conflict("plan_inconsistent", f"“{parent.name}”{where}已分配数（{parent_state.distributed}）"
                                                f"小于要收回的{back}个，计划数据不一致，请联系上级团委核对",
                           field="quota")
        moved, fragmented = pick_from_top(runs, back)
        template = child_ranges[0]
        child_after = subtract(child_ranges, moved)
        parent_after = give(parent.org_id, parent_ranges, moved, template)
        distributed_after = parent_state.distributed - back
    change = QuotaChange(
        year=year, domain=domain.value, parent_id=parent.org_id, child_id=child.org_id,
        parent_before=parent_state, parent_distributed_after=distributed_after,
        child_before=child_state, child_quota_after=target,
        ranges_before=tuple(before), ranges_after=(*parent_after, *child_after),
    )
    if len(set(change.ranges_before) ^ set(change.ranges_after)) > MAX_SEGMENT_WRITES:
        raise SegmentError(
            "segments_too_fragmented",
            f"未使用的编号过于零散，一次调整涉及的号段超过{MAX_SEGMENT_WRITES}个，请分几次、每次少调整一些",
            field="quota")
    return change, moved, fragmented
