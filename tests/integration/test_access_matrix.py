"""Access-control matrix (issue 9.1): every API route × every kind of caller.

The matrix is generated from the route table: ``ROUTES`` must name every route the resolver
serves, so a new route without an entry fails ``test_every_route_has_an_entry``. Each entry
says whether the route is public and, if not, which object it targets; the callers are the
admin of the target organisation, of its parent committee, of a child, of a sibling, of
another city, and an anonymous caller (stopped by the gateway's JWT authorizer: checked on
the template's route declarations, which the local front and API Gateway both enforce).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from infra.local.demo import demo_plan_items, demo_tree
from infra.local.front import LambdaContext, http_api_event
from infra.local.pump import SqsPump
from infra.local.resources import LocalResources
from infra.local.template import api_routes, load_template, queue_triggers
from tests.integration.conftest import client
from tests.integration.test_imports import matrix_import_job
from tests.unit.readers import pdf_corpus
from zhtj.bootstrap import Container
from zhtj.domain.ids import resident_id_check_character
from zhtj.domain.orgs import Organisation
from zhtj.handlers import api, workers

_serial = itertools.count(1)


@dataclass(frozen=True)
class Request:
    path: str
    body: Any = None
    query: str = ""


@dataclass(frozen=True)
class World:
    """Organisations and objects the scenarios aim at: ``member_id`` has no archive yet,
    ``pending_member_id`` an archive waiting for the school's decision, ``transfer_member_id``
    a certified archive and an open transfer to the sibling branch."""

    orgs: dict[str, Organisation]
    member_id: str
    pending_member_id: str = ""
    transfer_member_id: str = ""
    change_member_id: str = ""

    def org(self, name: str) -> Organisation:
        return self.orgs[name]


Scenario = Callable[[World], Request]


def _member_form() -> dict[str, str]:
    n = next(_serial)
    body = f"32010220080105{n * 2 + 1:03d}"
    return {"姓名": "矩阵测试", "身份证号码": body + resident_id_check_character(body), "性别": "男", "民族": "汉族",
            "政治面貌": "共青团员", "入团年月": "2023-04", "发展团员编号": f"20233200{50 + n:04d}",
            "在读状况": "初中在读", "全日制学历": "初中", "手机号码": "13912345678"}


SCHOOL = "南京市玄武区示范初级中学团委"
BRANCH = "南京市玄武区示范初级中学初三（1）班团支部"
OTHER_BRANCH = "南京市玄武区示范初级中学初三（2）班团支部"
GRADE = "南京市玄武区示范初级中学初三年级团总支"


@dataclass(frozen=True)
class Entry:
    public: bool = False
    target: str = "org"  # "org": the school committee; "member": a member of its 初三（1）班
    scenario: Scenario | None = None


ROUTES: dict[str, Entry] = {
    "GET /api/health": Entry(public=True),
    "GET /api/openapi.json": Entry(public=True),
    "POST /api/auth/login": Entry(public=True),
    # The e-mailed approval link: public at the gateway, authorised by the link's token
    # (tests/integration/test_approvals.py and tests/e2e/test_approval_links.py).
    "POST /api/approval-links/view": Entry(public=True),
    "POST /api/approval-links/decision": Entry(public=True),
    "GET /api/me": Entry(target="self"),
    "GET /api/orgs/<org_id>": Entry(scenario=lambda w: Request(f"/api/orgs/{w.org(SCHOOL).org_id}")),
    "GET /api/orgs/<org_id>/children": Entry(
        scenario=lambda w: Request(f"/api/orgs/{w.org(SCHOOL).org_id}/children")),
    "POST /api/orgs/<org_id>/children": Entry(scenario=lambda w: Request(
        f"/api/orgs/{w.org(SCHOOL).org_id}/children",
        {"name": f"矩阵测试团支部{next(_serial)}", "short_name": "矩阵团支部", "kind": "团支部", "industry": "初中"})),
    "POST /api/orgs/<org_id>/members/search": Entry(
        scenario=lambda w: Request(f"/api/orgs/{w.org(SCHOOL).org_id}/members/search", {"q": "矩阵测试"})),
    "GET /api/orgs/<org_id>/members": Entry(
        scenario=lambda w: Request(f"/api/orgs/{w.org(SCHOOL).org_id}/members")),
    "POST /api/orgs/<branch_id>/members": Entry(
        target="member", scenario=lambda w: Request(f"/api/orgs/{w.org(BRANCH).org_id}/members", _member_form())),
    "GET /api/members/<member_id>": Entry(target="member", scenario=lambda w: Request(f"/api/members/{w.member_id}")),
    "GET /api/orgs/<org_id>/figures": Entry(
        scenario=lambda w: Request(f"/api/orgs/{w.org(SCHOOL).org_id}/figures", query="year=2023")),
    "GET /api/orgs/<org_id>/figures/missed": Entry(
        scenario=lambda w: Request(f"/api/orgs/{w.org(SCHOOL).org_id}/figures/missed", query="year=2023")),
    "GET /api/orgs/<org_id>/figures/xlsx": Entry(
        scenario=lambda w: Request(f"/api/orgs/{w.org(SCHOOL).org_id}/figures/xlsx", query="year=2023")),
    "POST /api/orgs/<org_id>/imports": Entry(scenario=lambda w: Request(f"/api/orgs/{w.org(SCHOOL).org_id}/imports", {"template": "members", "file_name": "团员.xlsx"})),  # noqa: E501
    "GET /api/imports/<job_id>": Entry(scenario=lambda w: Request(f"/api/imports/{matrix_import_job(w.org(SCHOOL))}")),
    # Archives (操作指引 §3–§5). "Allowed" means the caller passed authorization: a state
    # conflict (409) or a missing version after that is the route's business, not a denial.
    "POST /api/members/<member_id>/archive/uploads": Entry(
        target="member", scenario=lambda w: Request(f"/api/members/{w.member_id}/archive/uploads")),
    "GET /api/members/<member_id>/archive": Entry(
        target="member", scenario=lambda w: Request(f"/api/members/{w.member_id}/archive")),
    "GET /api/members/<member_id>/archive/versions/<version>/file": Entry(
        target="member", scenario=lambda w: Request(f"/api/members/{w.member_id}/archive/versions/1/file")),
    "POST /api/members/<member_id>/archive/decision": Entry(
        target="decider", scenario=lambda w: Request(f"/api/members/{w.pending_member_id}/archive/decision",
                                                     {"version": 1, "approve": False, "reason": "矩阵测试"})),
    "POST /api/members/<member_id>/archive/change-requests": Entry(
        target="requester", scenario=lambda w: Request(f"/api/members/{w.member_id}/archive/change-requests",
                                                    {"reason": "首页编号填写错误"})),
    "POST /api/members/<member_id>/archive/change-requests/decision": Entry(
        target="decider", scenario=lambda w: Request(
            f"/api/members/{w.change_member_id}/archive/change-requests/decision",
            {"approve": False, "reason": "矩阵测试"})),
    "GET /api/orgs/<org_id>/archives/pending": Entry(
        scenario=lambda w: Request(f"/api/orgs/{w.org(SCHOOL).org_id}/archives/pending")),
    "GET /api/orgs/<org_id>/archives/summary": Entry(
        scenario=lambda w: Request(f"/api/orgs/{w.org(SCHOOL).org_id}/archives/summary")),
    "GET /api/orgs/<org_id>/archives/missing": Entry(
        scenario=lambda w: Request(f"/api/orgs/{w.org(SCHOOL).org_id}/archives/missing")),
    # Corrections (Q&A §5.7: the branch and its direct parent) and transfers (guide §4.4).
    "POST /api/members/<member_id>/number": Entry(
        target="number", scenario=lambda w: Request(f"/api/members/{w.member_id}/number",
                                                    {"member_number": "202332000099"})),
    "GET /api/members/<member_id>/transfer": Entry(
        target="member", scenario=lambda w: Request(f"/api/members/{w.member_id}/transfer")),
    "POST /api/members/<member_id>/transfer": Entry(
        target="member", scenario=lambda w: Request(f"/api/members/{w.member_id}/transfer",
                                                    {"target_branch_id": w.org(OTHER_BRANCH).org_id})),
    "DELETE /api/members/<member_id>/transfer": Entry(
        target="withdraw", scenario=lambda w: Request(f"/api/members/{w.transfer_member_id}/transfer")),
    "POST /api/members/<member_id>/transfer/decision": Entry(
        target="transfer", scenario=lambda w: Request(f"/api/members/{w.transfer_member_id}/transfer/decision",
                                                      {"accept": False, "reason": "矩阵测试"})),
    "GET /api/orgs/<org_id>/transfers/incoming": Entry(
        scenario=lambda w: Request(f"/api/orgs/{w.org(SCHOOL).org_id}/transfers/incoming")),
    # Plans (notice §三.2) and the published allocation table (附件1, public).
    "GET /api/orgs/<org_id>/plan": Entry(
        scenario=lambda w: Request(f"/api/orgs/{w.org(SCHOOL).org_id}/plan", query="year=2023")),
    "PUT /api/orgs/<parent_id>/plan/<child_id>": Entry(scenario=lambda w: Request(
        f"/api/orgs/{w.org(SCHOOL).org_id}/plan/{w.org(GRADE).org_id}", {"domain": "初中", "quota": 0},
        query="year=2023")),
    "GET /api/allocation/<year>": Entry(public=True),
    "GET /api/allocation/<year>/xlsx": Entry(public=True),
    "POST /api/allocation/<year>/publish": Entry(
        target="root", scenario=lambda w: Request("/api/allocation/2023/publish", {"year": 2023, "units": []})),
}

# Who is who, per target: (caller label, organisation name, allowed?)
CALLERS: dict[str, list[tuple[str, str, bool]]] = {
    "org": [
        ("target admin", SCHOOL, True),
        ("parent committee", "南京市玄武区团委", True),
        ("child", "南京市玄武区示范初级中学初三年级团总支", False),
        ("sibling", "南京市玄武区玄武门街道团工委", False),
        ("another city", "苏州市团委", False),
    ],
    "member": [
        ("target admin", BRANCH, True),
        ("parent committee", SCHOOL, True),
        ("sibling", OTHER_BRANCH, False),
        ("another city", "苏州市团委", False),
    ],
    # Decisions belong to the nearest committee above the branch only (操作指引 §3.3).
    "decider": [
        ("deciding committee", SCHOOL, True),
        ("committee above it", "南京市玄武区团委", False),
        ("the member's branch", BRANCH, False),
        ("sibling", OTHER_BRANCH, False),
        ("another city", "苏州市团委", False),
    ],
    # A change of a certified archive is asked by the member's own organisation, and decided
    # by the committee above it (操作指引 §4.5): the committee cannot ask itself.
    "requester": [
        ("the member's branch", BRANCH, True),
        ("deciding committee", SCHOOL, False),
        ("sibling", OTHER_BRANCH, False),
        ("another city", "苏州市团委", False),
    ],
    # A development number is corrected by the branch or its direct parent (Q&A §5.7).
    "number": [
        ("target admin", BRANCH, True),
        ("direct parent", GRADE, True),
        ("committee above", SCHOOL, False),
        ("sibling", OTHER_BRANCH, False),
        ("another city", "苏州市团委", False),
    ],
    # A transfer is accepted by the target branch's admins (guide §4.4); here the target is
    # the sibling branch, which must be allowed, and the member's own branch is not.
    "transfer": [
        ("target branch", OTHER_BRANCH, True),
        ("another city", "苏州市团委", False),
    ],
}

CALLERS["withdraw"] = [  # the source side withdraws its own open transfer (one withdrawal per world)
    ("the member's branch", BRANCH, True),
    ("sibling", OTHER_BRANCH, False),
    ("another city", "苏州市团委", False),
]
CALLERS["root"] = [  # only the province committee publishes 附件1 (notice §二)
    ("province committee", "共青团江苏省委", True),
    ("a city", "南京市团委", False),
    ("a school", SCHOOL, False),
]

# Codes that mean "refused by authorization" (anything else after a 4xx passed it).
DENIALS = {"forbidden", "member_not_found", "org_not_found", "not_the_decider", "not_the_requester",
           "not_authorised", "import_not_found", "transfer_not_found", "publish_forbidden"}


def route_keys(app: Any) -> set[str]:
    return {f"{r.method} {r.path}" for r in app._static_routes + app._dynamic_routes}


@pytest.fixture
def world(container: Container, aws: LocalResources) -> World:
    tree = demo_tree()
    container.store.add_many(tree)
    container.store.load_plan(*demo_plan_items(tree))
    orgs = {o.name: o for o in tree}
    app = api.build_app(container)

    def enter() -> tuple[str, str]:
        form = _member_form()
        status, body = call(app, "POST", Request(f"/api/orgs/{orgs[BRANCH].org_id}/members", form),
                            claims_for(orgs[BRANCH]))
        assert status == 201, body
        return body["member_id"], form["发展团员编号"]

    def upload(member_id: str, number: str, by: str) -> None:
        status, ticket = call(app, "POST", Request(f"/api/members/{member_id}/archive/uploads"),
                              claims_for(orgs[by]))
        assert status == 201, ticket
        posted = requests.post(ticket["url"], data=ticket["fields"], timeout=30,
                               files={"file": ("a.pdf", pdf_corpus.text_pdf(number=number, pages=2),
                                               "application/pdf")})
        assert posted.status_code in (200, 201, 204), posted.text
        trigger = queue_triggers(load_template())[0]
        pump = SqsPump(client("sqs"), trigger, queue_url=aws.physical("UploadQueue"),
                       queue_arn=aws.attribute("UploadQueue", "Arn"), retry_delay_s=0, wait_s=0,
                       handler=workers.upload_handler)
        while pump.poll_once():
            pass
        assert pump.stats.failed == 0, pump.stats.errors

    plain, _ = enter()
    pending, pending_number = enter()
    upload(pending, pending_number, by=BRANCH)
    moving, moving_number = enter()
    upload(moving, moving_number, by=SCHOOL)  # a committee's upload is certified at once
    status, body = call(app, "POST", Request(f"/api/members/{moving}/transfer",
                                             {"target_branch_id": orgs[OTHER_BRANCH].org_id}), claims_for(orgs[BRANCH]))
    assert status == 201, body
    changing, changing_number = enter()
    upload(changing, changing_number, by=SCHOOL)
    status, body = call(app, "POST", Request(f"/api/members/{changing}/archive/change-requests",
                                             {"reason": "首页编号填写错误"}), claims_for(orgs[BRANCH]))
    assert status == 201, body
    return World(orgs=orgs, member_id=plain, pending_member_id=pending, transfer_member_id=moving,
                 change_member_id=changing)


def claims_for(org: Organisation) -> dict[str, str]:
    return {"custom:org_id": org.org_id, "custom:role": "admin", "cognito:username": f"admin-{org.org_id}"}


def call(app: Any, method: str, request: Request, claims: dict[str, str] | None) -> tuple[int, Any]:
    from infra.local.template import ApiRoute

    data = json.dumps(request.body).encode() if request.body is not None else b""
    headers = {"content-type": "application/json"} if request.body is not None else {}
    route = ApiRoute(function="ApiFunction", handler="", method="ANY", path="/api/{proxy+}", public=False)
    event = http_api_event(method, request.path, request.query, headers, data, route, claims, "127.0.0.1")
    response = app.resolve(event, LambdaContext("ApiFunction"))
    body = response.get("body")
    return int(response["statusCode"]), json.loads(body) if body else None


def test_every_route_has_an_entry(container: Container) -> None:
    served = route_keys(api.build_app(container))
    assert served - set(ROUTES) == set(), "routes without an access-matrix entry"
    assert set(ROUTES) - served == set(), "matrix entries for routes that no longer exist"


def test_anonymous_callers_reach_only_public_routes() -> None:
    """The gateway decides for anonymous callers: a route is public exactly when the template
    declares it without the JWT authorizer."""
    declared = api_routes(load_template())
    public_paths = {r.path for r in declared if r.public}
    for key, entry in ROUTES.items():
        path = key.split(" ", 1)[1]
        openapi_path = path.replace("<", "{").replace(">", "}")
        assert (openapi_path in public_paths) == entry.public, key
    assert [r.path for r in declared if not r.public] == ["/api/{proxy+}"]


@pytest.mark.parametrize("key", sorted(k for k, e in ROUTES.items() if e.scenario))
def test_subtree_authorization(key: str, world: World, container: Container) -> None:
    entry = ROUTES[key]
    assert entry.scenario is not None
    app = api.build_app(container)
    method = key.split(" ", 1)[0]
    outcomes = []
    # Denied callers first: an allowed call may change the state the others are tried against.
    for label, org_name, allowed in sorted(CALLERS[entry.target], key=lambda c: c[2]):
        status, body = call(app, method, entry.scenario(world), claims_for(world.org(org_name)))
        code = (body or {}).get("code") if status >= 400 else None
        passed = status < 400 or (status not in (401, 403) and code not in DENIALS)
        outcomes.append((label, status, code, passed == allowed))
        if not allowed:
            assert status in (403, 404), (label, status, body)
            assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message"]), body
    assert all(good for *_, good in outcomes), outcomes


def test_me_answers_for_every_bound_account(world: World, container: Container) -> None:
    app = api.build_app(container)
    for org in world.orgs.values():
        if org.org_id in ("32", "3201", "3205"):
            status, body = call(app, "GET", Request("/api/me"), claims_for(org))
            assert status == 200 and body["org"]["org_id"] == org.org_id
