"""Progress figures through a year, against moto with the real stream: a small tree gets its
plan, members are entered, archives uploaded (S3 → SQS → worker), approved, rejected and
replaced, and after each step the real DynamoDB stream is pumped into the figures consumer
(infra/local/stream_pump.py, as Lambda's event-source mapping would) and every figure is
checked against numbers worked out by hand."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from infra.local.resources import LocalResources
from infra.local.stream_pump import StreamPump, stream_triggers, streams_client
from infra.local.template import load_template
from tests.integration.conftest import client
from tests.integration.test_archives import World, build_world, pdf
from zhtj.adapters.dynamodb import to_item
from zhtj.adapters.dynamodb_figures import DynamoFigures, counter_key
from zhtj.bootstrap import Container
from zhtj.domain.allocation import DomainFigures
from zhtj.domain.glossary import Role
from zhtj.domain.orgs import Principal
from zhtj.handlers import figures_worker
from zhtj.services import figures
from zhtj.services.members import QuotaUse

YEAR = 2023
JUNIOR, HIGH = "初中", "普通高中"


class Year:
    def __init__(self, world: World, aws: LocalResources) -> None:
        self.w = world
        self.c = world.container
        self.store = DynamoFigures(self.c.clients, self.c.settings.table_name)
        trigger = stream_triggers(load_template())[0]
        arn = client("dynamodb").describe_table(TableName=aws.physical("Table"))["Table"]["LatestStreamArn"]
        import boto3

        self.pump = StreamPump(streams_client(boto3.session.Session(), endpoint_url=None), trigger, arn,
                               handler=figures_worker.handler)
        self.numbers: dict[str, str] = {}
        self.province = Principal(username="jiangsu", org_id="32", org_path=("32",), role=Role.ADMIN)

    def member(self, branch: str, join_month: int, domain: str = JUNIOR) -> str:
        w = self.w
        w.members += 1
        org = w.orgs[branch]
        member_id = f"m{w.members:031x}"
        number = f"2023320000{w.members:02d}"
        holders = self.c.store.quota_holders(list(org.path), YEAR, domain)
        self.c.store.register_member({
            "member_id": member_id, "name": f"团员{w.members}", "member_number": number, "join_year": YEAR,
            "join_month": join_month, "branch_id": org.org_id, "branch_name": org.name,
            "branch_path": list(org.path), "domain": domain, "archive_state": "尚未认证", "archive_version": 0,
            "resident_id": f"id{w.members}", "created_at": "2023-05-01T08:00:00+00:00", "created_by": "tester",
            "segment_holder": "sch",
        }, member_number=number, counters=[QuotaUse(YEAR, domain, h) for h in holders])
        self.numbers[member_id] = number
        return member_id

    def upload(self, who: str, member_id: str) -> None:
        self.w.upload(who, member_id, pdf(self.numbers[member_id]))

    def consume(self) -> None:
        self.pump.drain()
        assert not self.pump.stats.errors, self.pump.stats.errors
        assert self.pump.stats.sent_to_dlq == 0

    def figures(self, org_id: str, as_of: date = date(2023, 5, 10)) -> dict[str, Any]:
        self.consume()
        return figures.org_figures(self.province, org_id, YEAR, as_of=as_of, store=self.store, orgs=self.c.store)

    def missed(self, org_id: str, as_of: date) -> dict[str, Any]:
        self.consume()
        return figures.missed_units(self.province, org_id, YEAR, as_of=as_of, store=self.store, orgs=self.c.store)


def domain(body: dict[str, Any], name: str) -> dict[str, Any]:
    return next(d for d in body["domains"] if d["domain"] == name)


FIELDS = ("plan", "used", "entered", "uploaded", "not_uploaded", "pending", "rejected", "certified", "new_members",
          "overdue")


def figures_of(part: dict[str, Any]) -> dict[str, Any]:
    return {k: part[k] for k in (*FIELDS, "usage_percent", "completeness_percent")}


def expect(plan: int, used: int, entered: int, nc: int, pending: int, rejected: int, certified: int,
           overdue: int) -> dict[str, Any]:
    uploaded = entered - nc
    return {"plan": plan, "used": used, "entered": entered, "uploaded": uploaded, "not_uploaded": nc,
            "pending": pending, "rejected": rejected, "certified": certified, "new_members": certified,
            "overdue": overdue, "usage_percent": round(used / plan * 100, 2) if plan else None,
            "completeness_percent": round(uploaded / entered * 100, 2) if entered else None}


@pytest.fixture
def year(container: Container, aws: LocalResources) -> Year:
    world = build_world(container, aws)
    # The plan (allocate → distribute): 初中 10 at the province, 6 to 南京, 6 to 玄武区, 4 to the
    # school; 普通高中 5 at the province, 3 to 苏州 and 3 to 虎丘区.
    container.store.load_plan([("32", YEAR, JUNIOR, 10, 6), ("3201", YEAR, JUNIOR, 6, 6),
                               ("320102", YEAR, JUNIOR, 6, 4), ("sch", YEAR, JUNIOR, 4, 0),
                               ("32", YEAR, HIGH, 5, 3), ("3205", YEAR, HIGH, 3, 3), ("320505", YEAR, HIGH, 3, 0)], [])
    store = DynamoFigures(container.clients, container.settings.table_name)
    store.put_youth([(YEAR, JUNIOR, "sch", DomainFigures(youth=120, members=5, graduating_youth=40,
                                                          graduating_members=2))])
    return Year(world, aws)


def test_a_year_of_figures(year: Year) -> None:
    # 0. the plan only
    sch = year.figures("sch")
    assert figures_of(domain(sch, JUNIOR)) == expect(4, 0, 0, 0, 0, 0, 0, 0)
    assert sch["total"]["completeness"] is None

    # 1. four members: b1 in March and April (twice), b2 in May. Due dates (30 days after the
    #    month's last day): March → 4月30日, April → 5月30日, May → 6月30日.
    m1 = year.member("b1", 3)
    m2 = year.member("b1", 4)
    m3 = year.member("b1", 4)
    year.member("b2", 5)  # m4
    assert figures_of(domain(year.figures("sch"), JUNIOR)) == expect(4, 4, 4, 4, 0, 0, 0, overdue=1)
    assert figures_of(domain(year.figures("sch", date(2023, 5, 31)), JUNIOR)) == expect(4, 4, 4, 4, 0, 0, 0, 3)
    # the 团总支 holds no quota and its branches neither: no plan, but the members are counted
    assert figures_of(year.figures("grd")["total"]) == expect(0, 0, 4, 4, 0, 0, 0, 1)
    province = year.figures("32")
    assert figures_of(domain(province, JUNIOR)) == expect(10, 4, 4, 4, 0, 0, 0, 1)
    assert figures_of(province["total"]) == expect(15, 4, 4, 4, 0, 0, 0, 1)
    assert domain(province, JUNIOR)["entered_by_month"][2:5] == [1, 2, 1]

    # 2. the branch uploads m1 and m2 (待审批, §3.2.1); the school uploads m3 (certified, §3.2.2)
    year.upload("branch", m1)
    year.upload("branch", m2)
    year.upload("school", m3)
    assert figures_of(domain(year.figures("sch"), JUNIOR)) == expect(4, 4, 4, 1, 2, 0, 1, overdue=0)

    # 3. the school approves m1 and rejects m2 (§3.3)
    year.w.decide("school", m1, 1, True)
    year.w.decide("school", m2, 1, False, "第3页模糊，请重新扫描")
    body = year.figures("sch")
    assert figures_of(domain(body, JUNIOR)) == expect(4, 4, 4, 1, 0, 1, 2, overdue=0)
    ratio = domain(body, JUNIOR)["youth_ratio"]
    assert ratio["cohort"] == "毕业年级"
    assert (ratio["before_percent"], ratio["after_percent"], ratio["with_plan_percent"]) == (5.0, 10.0, 15.0)
    assert ratio["within_guidance"] is True and (ratio["low_percent"], ratio["high_percent"]) == (8, 12)
    assert domain(body, HIGH)["youth_ratio"] is None  # no youth figures given

    # 4. the branch replaces m2's rejected archive (替换档案) → 待审批 again
    year.upload("branch", m2)
    assert figures_of(domain(year.figures("sch"), JUNIOR)) == expect(4, 4, 4, 1, 1, 0, 2, overdue=0)
    assert figures_of(year.figures("b1")["total"]) == expect(0, 0, 3, 0, 1, 0, 2, overdue=0)
    assert figures_of(year.figures("b2")["total"]) == expect(0, 0, 1, 1, 0, 0, 0, overdue=0)

    # 5. 苏州: one 普通高中 member in June, nothing uploaded
    year.member("sz1", 6, HIGH)
    province = year.figures("32", date(2023, 7, 1))
    assert figures_of(province["total"]) == expect(15, 5, 5, 2, 1, 0, 2, overdue=1)  # m4 due 6月30日
    assert figures_of(domain(province, HIGH)) == expect(5, 1, 1, 1, 0, 0, 0, overdue=0)

    # 6. milestones (notice §三.2). On 7月1日 the 50 % one is due: the province's usage 5/15
    #    misses it, its completeness 3/5 meets it; the 100 % one is still open.
    standing = {(s["milestone"], s["rate"]): s["standing"] for s in province["total"]["milestones"]}
    assert standing == {("6月30日前达到50%", "usage"): "missed", ("6月30日前达到50%", "completeness"): "met",
                        ("12月10日前达到100%", "usage"): "open", ("12月10日前达到100%", "completeness"): "open"}
    missed = year.missed("32", date(2023, 7, 1))
    groups = {g["group"]: g for g in missed["groups"]}
    # cities: 南京 used 4/6 = 66.7 %, completeness 3/4 → met; 苏州 1/3 and 0/1 → missed both
    assert [(u["org_id"], u["usage_percent"], u["completeness_percent"]) for u in groups["children"]["missing"]] == [
        ("3205", 33.33, 0.0)]
    assert {s["rate"] for s in groups["children"]["missing"][0]["missed"]} == {"usage", "completeness"}
    assert [u["org_id"] for u in groups["counties"]["missing"]] == ["320505"]
    # On 12月10日 everyone below 100 % misses; the worst (lowest missed rate) comes first.
    late = {g["group"]: g for g in year.missed("32", date(2023, 12, 10))["groups"]}
    assert [u["org_id"] for u in late["children"]["missing"]] == ["3205", "3201"]
    assert [u["org_id"] for u in late["counties"]["missing"]] == ["320505", "320102"]
    # A day before the mid-year check, nothing is due yet.
    early = year.missed("32", date(2023, 6, 29))
    assert all(not g["missing"] for g in early["groups"])

    # 7. recount from the items gives exactly the stored counters
    drifts, written = figures.recount(year.store)
    assert drifts == [] and written == 0


def test_duplicated_batches_are_applied_once(year: Year) -> None:
    """The same stream records handed over twice (a retried batch) change nothing the second time."""
    year.member("b1", 4)
    year.member("b2", 4)
    seen: list[dict[str, Any]] = []

    def twice(event: dict[str, Any], context: Any) -> Any:
        seen.append(event)
        figures_worker.handler(event, context)
        return figures_worker.handler(event, context)

    year.pump._handler = twice
    year.consume()
    assert seen
    sch = year.figures("sch")
    assert figures_of(domain(sch, JUNIOR)) == expect(4, 2, 2, 2, 0, 0, 0, overdue=0)
    figures_worker.handler(seen[0], None)  # and once more, much later
    assert figures_of(domain(year.figures("sch"), JUNIOR)) == expect(4, 2, 2, 2, 0, 0, 0, overdue=0)


def test_recount_reports_and_repairs_drift(year: Year) -> None:
    m1 = year.member("b1", 4)
    year.member("b2", 5)
    year.upload("school", m1)
    year.consume()
    dynamodb = client("dynamodb")
    table = year.c.settings.table_name
    # drift by hand: a lost increment at the school, a stray counter at 苏州
    dynamodb.update_item(TableName=table, Key=to_item(counter_key(YEAR, JUNIOR, "sch")),
                         UpdateExpression="ADD certified :m", ExpressionAttributeValues={":m": {"N": "-1"}})
    dynamodb.put_item(TableName=table, Item=to_item({**counter_key(YEAR, HIGH, "3205"), "type": "figures",
                                                     "year": YEAR, "domain": HIGH, "org_id": "3205", "entered": 2}))
    drifts, written = figures.recount(year.store, year=YEAR)
    assert sorted((d.key, d.figure, d.stored, d.recomputed) for d in drifts) == [
        ((YEAR, JUNIOR, "sch"), "certified", 0, 1), ((YEAR, HIGH, "3205"), "entered", 2, 0)]
    assert written == 0
    drifts, written = figures.recount(year.store, year=YEAR, repair=True)
    assert len(drifts) == 2 and written == 2
    assert figures.recount(year.store) == ([], 0)
    assert figures_of(domain(year.figures("sch"), JUNIOR)) == expect(4, 2, 2, 1, 0, 0, 1, overdue=0)
