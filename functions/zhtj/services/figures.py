"""Progress figures (notice §三.2, §三.4; Q&A §5.3–5.4): the stream consumer that keeps the
counters, the figures of a unit, the milestones and the units that miss them, and recount.

**Why a stream consumer.** Every figure is a counter per (organisation, year, domain), for
every organisation in a member's branch path. The writers (single entry, batch import, archive
upload and decision, transfer, correction) do not touch them: the DynamoDB stream of the table
(NEW_AND_OLD_IMAGES) carries every change of a member item to :func:`consume`, which turns
OLD → NEW into counter deltas (``zhtj.domain.figures.delta``), sums them over the batch and
writes them in one TransactWriteItems per chunk of at most 100 items. The hot paths keep their
own cost (moto's TransactWriteItems copies the table once per item, DESIGN.md: adding six
counters to each registration would multiply its cost), and a figures query reads counters by
key, so its cost does not grow with members.

**Delivery.** A stream delivers each change at least once and, per item, in order (one shard
per key range, a child shard after its parent). The consumer applies each record exactly once
with a per-member watermark (the last applied sequence number), written in the same
transaction as the counters under the condition that it is lower than the chunk's first record
of that member: a retried or duplicated batch is skipped. A failure reports the first record of
the chunk that did not commit (``batchItemFailures``), and Lambda resumes from there.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final, Protocol

from zhtj.domain import figures as rules
from zhtj.domain.allocation import DomainFigures
from zhtj.domain.figures import CounterKey, Counts, Deltas, DomainProgress, MilestoneStanding, UnitProgress
from zhtj.domain.glossary import Domain, OrgKind
from zhtj.domain.orgs import Organisation, Principal
from zhtj.services.errors import InvalidRequest
from zhtj.services.organisations import get_organisation
from zhtj.services.ports import OrganisationRepository

TRANSACTION_LIMIT: Final = 100
MAX_ATTEMPTS: Final = 3
PLAN_FALLBACK_DEPTH: Final = 4  # below the lowest quota holder a subtree is small
DOMAINS: Final = tuple(d.value for d in Domain)
MIN_YEAR: Final = 2000
MAX_YEAR: Final = 2099


class FiguresStore(Protocol):
    """What the figures need from storage (DynamoFigures implements it)."""

    def watermarks(self, member_ids: Sequence[str]) -> dict[str, str]: ...

    def apply(self, deltas: Mapping[CounterKey, Mapping[str, int]], marks: Mapping[str, tuple[str, str]],
              *, expires_at: int) -> None: ...

    def counters(self, keys: Sequence[CounterKey]) -> dict[CounterKey, dict[str, int]]: ...

    def quotas(self, org_ids: Sequence[str], year: int,
               domains: Sequence[str]) -> dict[tuple[str, str], dict[str, int]]: ...

    def youth(self, org_ids: Sequence[str], year: int,
              domains: Sequence[str]) -> dict[tuple[str, str], DomainFigures]: ...


# ---------------------------------------------------------------- the stream consumer
@dataclass(frozen=True)
class Change:
    sequence: str  # as delivered (the batchItemFailures identifier)
    padded: str  # zero-padded for ordering
    member_id: str
    deltas: Deltas


def pad(sequence: str) -> str:
    return sequence.zfill(40)


@dataclass(frozen=True)
class StreamRecord:
    """One stream record with its images decoded (the handler decodes DynamoDB JSON)."""

    sequence: str
    keys: Mapping[str, Any]
    old: Mapping[str, Any] | None
    new: Mapping[str, Any] | None


class WatermarkConflict(Exception):
    """A chunk's watermark condition failed: (part of) it was applied already (raised by the store)."""


def changes_of(records: Iterable[StreamRecord]) -> list[Change]:
    """The stream records that change a counter, in order. Anything else (other items, edits
    that leave every counter as it was) is skipped: applying it would change nothing."""
    found: list[Change] = []
    for record in records:
        pk = str(record.keys.get("pk", ""))
        if not pk.startswith("MEMBER#") or record.keys.get("sk") != "MEMBER":
            continue
        deltas = rules.delta(record.old, record.new)
        if deltas:
            found.append(Change(record.sequence, pad(record.sequence), pk.removeprefix("MEMBER#"), deltas))
    return found


@dataclass
class Chunk:
    changes: list[Change] = field(default_factory=list)
    deltas: Deltas = field(default_factory=dict)
    marks: dict[str, tuple[str, str]] = field(default_factory=dict)

    def size_with(self, change: Change) -> int:
        keys = set(self.deltas) | set(change.deltas)
        members = set(self.marks) | {change.member_id}
        return len(keys) + len(members)

    def add(self, change: Change) -> None:
        self.changes.append(change)
        rules.merge(self.deltas, change.deltas)
        first = self.marks.get(change.member_id, (change.padded, change.padded))[0]
        self.marks[change.member_id] = (first, change.padded)


def chunks(changes: Sequence[Change], limit: int = TRANSACTION_LIMIT) -> list[Chunk]:
    """Consecutive chunks of at most ``limit`` transaction items (counters + watermarks):
    deltas are summed per counter over the chunk, so a chunk of one branch's records costs
    six counters and its members' watermarks whatever their number."""
    result: list[Chunk] = []
    current = Chunk()
    for change in changes:
        if current.changes and current.size_with(change) > limit:
            result.append(current)
            current = Chunk()
        current.add(change)
    if current.changes:
        result.append(current)
    return result


@dataclass
class ConsumeResult:
    records: int = 0
    changes: int = 0
    skipped_duplicates: int = 0
    transactions: int = 0
    failed_from: str | None = None  # the sequence number Lambda should resume from

    def response(self) -> dict[str, Any]:
        failures = [{"itemIdentifier": self.failed_from}] if self.failed_from else []
        return {"batchItemFailures": failures}


def consume(records: Sequence[StreamRecord], store: FiguresStore, *, now: float | None = None,
            limit: int = TRANSACTION_LIMIT) -> ConsumeResult:
    """Apply one stream batch (from one shard, in order) to the counters, exactly once."""
    result = ConsumeResult(records=len(records))
    changes = changes_of(records)
    result.changes = len(changes)
    if not changes:
        return result
    expires_at = int((now if now is not None else time.time()) + 2 * 24 * 3600)
    marks = store.watermarks([c.member_id for c in changes])
    fresh = _unapplied(changes, marks)
    result.skipped_duplicates = len(changes) - len(fresh)
    for chunk in chunks(fresh, limit):
        pending = chunk
        for attempt in range(MAX_ATTEMPTS):
            try:
                store.apply(pending.deltas, pending.marks, expires_at=expires_at)
                result.transactions += 1
                break
            except WatermarkConflict:
                # Applied meanwhile (a duplicate invocation): keep only what still is not.
                left = _unapplied(pending.changes, store.watermarks(list(pending.marks)))
                result.skipped_duplicates += len(pending.changes) - len(left)
                if not left:
                    break
                rebuilt = Chunk()
                for change in left:
                    rebuilt.add(change)
                pending = rebuilt
            except Exception:
                if attempt == MAX_ATTEMPTS - 1:
                    result.failed_from = pending.changes[0].sequence
                    return result
                time.sleep(0.05 * (attempt + 1))
        else:
            result.failed_from = pending.changes[0].sequence
            return result
    return result


def _unapplied(changes: Sequence[Change], marks: Mapping[str, str]) -> list[Change]:
    return [c for c in changes if c.padded > marks.get(c.member_id, "")]


# ---------------------------------------------------------------- figures of units
def check_year(year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidRequest("year_invalid", f"计划年度应在{MIN_YEAR}—{MAX_YEAR}之间", field="year")


def _plans(units: Sequence[Organisation], year: int, store: FiguresStore, orgs: OrganisationRepository,
           depth: int = 0) -> dict[tuple[str, str], tuple[int, int]]:
    """(org_id, domain) → (plan, used): the unit's quota item, or — for a unit that holds no
    quota item at all that year — the sum of its children's plans (recursively, bounded)."""
    found = store.quotas([u.org_id for u in units], year, DOMAINS)
    result: dict[tuple[str, str], tuple[int, int]] = {}
    holders = {org_id for org_id, _ in found}
    for unit in units:
        for domain in DOMAINS:
            q = found.get((unit.org_id, domain))
            result[(unit.org_id, domain)] = (q["quota"], q["used"]) if q else (0, 0)
    non_holders = [u for u in units if u.org_id not in holders and u.kind is not OrgKind.BRANCH]
    if non_holders and depth < PLAN_FALLBACK_DEPTH:
        for unit in non_holders:
            children = orgs.children(unit.org_id)
            if not children:
                continue
            below = _plans(children, year, store, orgs, depth + 1)
            for domain in DOMAINS:
                result[(unit.org_id, domain)] = (sum(below[(c.org_id, domain)][0] for c in children),
                                                 sum(below[(c.org_id, domain)][1] for c in children))
    return result


def progress_of(units: Sequence[Organisation], year: int, *, store: FiguresStore,
                orgs: OrganisationRepository) -> dict[str, UnitProgress]:
    """Figures of several units, from counters, quota and youth items read by key only."""
    ids = [u.org_id for u in units]
    counters = store.counters([(year, d, o) for o in ids for d in DOMAINS])
    youth = store.youth(ids, year, DOMAINS)
    plans = _plans(units, year, store, orgs)
    result: dict[str, UnitProgress] = {}
    for org_id in ids:
        domains = tuple(
            DomainProgress(Domain(d), plans[(org_id, d)][0], plans[(org_id, d)][1],
                           Counts.from_counters(counters.get((year, d, org_id), {})), youth.get((org_id, d)))
            for d in DOMAINS)
        result[org_id] = UnitProgress(org_id, year, domains)
    return result


def _fraction(value: Any) -> float | None:
    return None if value is None else round(float(value), 4)


def standing_json(s: MilestoneStanding) -> dict[str, Any]:
    return {"milestone": s.milestone.label, "deadline": s.deadline.isoformat(),
            "target_percent": s.milestone.target_percent, "rate": s.rate_name,
            "rate_label": rules.RATE_LABELS[s.rate_name], "due": s.due, "standing": s.standing,
            "standing_label": rules.STANDING_LABELS[s.standing], "value": _fraction(s.value),
            "percent": rules.percent(s.value)}


def domain_json(d: DomainProgress, year: int, as_of: date) -> dict[str, Any]:
    c = d.counts
    body: dict[str, Any] = {
        "domain": d.domain.value if d.domain else None,
        "plan": d.plan, "used": d.used,
        "usage_rate": _fraction(d.usage), "usage_percent": rules.percent(d.usage),
        "entered": c.entered, "uploaded": c.uploaded, "not_uploaded": c.not_certified,
        "pending": c.pending, "rejected": c.rejected, "certified": c.certified,
        "new_members": c.new_members,
        "completeness": _fraction(d.completeness), "completeness_percent": rules.percent(d.completeness),
        "overdue": c.overdue(year, as_of),
        "entered_by_month": list(c.entered_by_month),
        "milestones": [standing_json(s) for s in rules.standings(d.usage, d.completeness, year, as_of)],
    }
    ratio = d.ratio()
    if d.domain is not None:
        body["youth_ratio"] = None if ratio is None else {
            "cohort": ratio.guidance.cohort_label, "guidance": ratio.guidance.text,
            "low_percent": ratio.guidance.low_percent, "high_percent": ratio.guidance.high_percent,
            "youth": ratio.youth, "members_before": ratio.members_before,
            "before_percent": rules.percent(ratio.before), "after_percent": rules.percent(ratio.after),
            "with_plan_percent": rules.percent(ratio.with_plan), "within_guidance": ratio.within_guidance}
    return body


DEFINITIONS: Final = {
    "usage_rate": "编号使用率 = 已使用编号数 ÷ 计划数（本组织的名额；本组织没有名额时为下级名额之和）",
    "completeness": "电子档案录入完整率 = 已上传档案的团员数（任一版本已接收：待审批、已认证、认证不通过）"
                    "÷ 已录入团员数",
    "new_members": "新发展团员数只计“团员身份已认证”的团员（操作指引 Q&A 5.3、5.4）",
    "overdue": "逾期：尚未上传档案，且已超过入团当月最后一天起30日",
    "milestones": "6月30日前两率达到50%，12月10日前达到100%（通知 三.2）；到期当日起计入是否达标",
}


def unit_json(org: Organisation, unit: UnitProgress, as_of: date) -> dict[str, Any]:
    return {"org": {"org_id": org.org_id, "name": org.name, "short_name": org.short_name, "kind": org.kind.value},
            "year": unit.year, "as_of": as_of.isoformat(),
            "total": domain_json(unit.total, unit.year, as_of),
            "domains": [domain_json(d, unit.year, as_of) for d in unit.domains]}


def org_figures(principal: Principal, org_id: str, year: int, *, as_of: date, store: FiguresStore,
                orgs: OrganisationRepository) -> dict[str, Any]:
    """GET /api/orgs/{org_id}/figures: the unit's subtree, per domain and in total."""
    check_year(year)
    org = get_organisation(principal, org_id, orgs)
    unit = progress_of([org], year, store=store, orgs=orgs)[org.org_id]
    return {**unit_json(org, unit, as_of), "definitions": DEFINITIONS}


def _missing_json(org: Organisation, unit: UnitProgress, missed: Sequence[MilestoneStanding],
                  as_of: date) -> dict[str, Any]:
    return {"org_id": org.org_id, "name": org.name, "kind": org.kind.value,
            "usage_percent": rules.percent(unit.total.usage),
            "completeness_percent": rules.percent(unit.total.completeness),
            "missed": [standing_json(s) for s in missed],
            "domains_missed": {d.value: [standing_json(s) for s in ss] for d, ss in unit.domain_misses(as_of).items()}}


def missed_units(principal: Principal, org_id: str, year: int, *, as_of: date, store: FiguresStore,
                 orgs: OrganisationRepository) -> dict[str, Any]:
    """GET /api/orgs/{org_id}/figures/missed: the direct children that miss a due milestone
    (total of both rates), worst first; for the province also every county committee of its
    cities (the notice's 专项检查 and 年中监测, §三.4)."""
    check_year(year)
    org = get_organisation(principal, org_id, orgs)
    groups: list[tuple[str, str, list[Organisation]]] = [("children", "直属下级", orgs.children(org.org_id))]
    if org.kind is OrgKind.PROVINCE:
        counties = [c for city in groups[0][2] if city.kind is OrgKind.CITY for c in orgs.children(city.org_id)
                    if c.kind is OrgKind.COUNTY]
        groups.append(("counties", "县（市、区）团委", counties))
    everyone = [u for _, _, units in groups for u in units]
    progress = progress_of(everyone, year, store=store, orgs=orgs) if everyone else {}
    result: dict[str, Any] = {"org": {"org_id": org.org_id, "name": org.name}, "year": year,
                              "as_of": as_of.isoformat(), "groups": []}
    for key, label, units in groups:
        by_id = {u.org_id: u for u in units}
        candidates = [(progress[u.org_id], rules.misses(progress[u.org_id].standings(as_of))) for u in units]
        ranked = rules.sort_missing(candidates)
        result["groups"].append({"group": key, "label": label, "units": len(units),
                                 "missing": [_missing_json(by_id[p.org_id], p, missed, as_of) for p, missed in ranked]})
    return result


def youth_entries(year: int, units: Iterable[Any]) -> list[tuple[int, str, str, DomainFigures]]:
    """The youth figures of allocation units (``zhtj.domain.allocation.UnitFigures``: a city,
    a provincial unit, a county) as ``DynamoFigures.put_youth`` entries, for the 团青比."""
    return [(year, domain.value, unit.unit_id, figures_of_domain)
            for unit in units for domain, figures_of_domain in unit.figures.items()]


# ---------------------------------------------------------------- recount
@dataclass
class Drift:
    key: CounterKey
    figure: str
    stored: int
    recomputed: int

    def as_dict(self) -> dict[str, Any]:
        year, domain, org_id = self.key
        return {"year": year, "domain": domain, "org_id": org_id, "figure": self.figure,
                "stored": self.stored, "recomputed": self.recomputed, "drift": self.stored - self.recomputed}


class RecountStore(Protocol):
    def scan_members(self, year: int | None = None) -> Iterable[dict[str, Any]]: ...

    def scan_counters(self, year: int | None = None) -> Iterable[tuple[CounterKey, dict[str, int]]]: ...

    def write_counters(self, values: Mapping[CounterKey, Mapping[str, int]]) -> int: ...


def recompute(members: Iterable[Mapping[str, Any]]) -> Deltas:
    totals: Deltas = {}
    for member in members:
        rules.merge(totals, rules.member_contribution(member))
    return totals


def recount(store: RecountStore, *, year: int | None = None, repair: bool = False) -> tuple[list[Drift], int]:
    """Recompute every counter from the member items and compare with the stored counters;
    with ``repair`` write the recomputed values of every drifting counter item. Returns the
    drifts (per counter item and figure) and the number of items written."""
    expected = recompute(store.scan_members(year))
    stored = dict(store.scan_counters(year))
    drifts: list[Drift] = []
    to_write: dict[CounterKey, dict[str, int]] = {}
    for key in sorted(set(expected) | set(stored)):
        want = expected.get(key, {})
        have = stored.get(key, {})
        for name in rules.COUNTER_NAMES:
            if int(have.get(name, 0)) != int(want.get(name, 0)):
                drifts.append(Drift(key, name, int(have.get(name, 0)), int(want.get(name, 0))))
                to_write[key] = {n: int(want.get(n, 0)) for n in rules.COUNTER_NAMES}
    written = store.write_counters(to_write) if repair and to_write else 0
    return drifts, written
