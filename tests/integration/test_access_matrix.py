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

from infra.local.demo import demo_plan_items, demo_tree
from infra.local.front import LambdaContext, http_api_event
from infra.local.template import api_routes, load_template
from zhtj.bootstrap import Container
from zhtj.domain.ids import resident_id_check_character
from zhtj.domain.orgs import Organisation
from zhtj.handlers import api

_serial = itertools.count(1)


@dataclass(frozen=True)
class Request:
    path: str
    body: Any = None
    query: str = ""


@dataclass(frozen=True)
class World:
    """Organisations and objects the scenarios aim at."""

    orgs: dict[str, Organisation]
    member_id: str

    def org(self, name: str) -> Organisation:
        return self.orgs[name]


Scenario = Callable[[World], Request]


def _member_form() -> dict[str, str]:
    n = next(_serial)
    body = f"32010220080105{n * 2 + 1:03d}"
    return {"姓名": "矩阵测试", "身份证号码": body + resident_id_check_character(body), "性别": "男", "民族": "汉族",
            "政治面貌": "共青团员", "入团年月": "2023-04", "发展团员编号": f"2023320000{50 + n:02d}",
            "在读状况": "初中在读", "全日制学历": "初中", "手机号码": "13912345678"}


SCHOOL = "南京市玄武区示范初级中学团委"
BRANCH = "南京市玄武区示范初级中学初三（1）班团支部"


@dataclass(frozen=True)
class Entry:
    public: bool = False
    target: str = "org"  # "org": the school committee; "member": a member of its 初三（1）班
    scenario: Scenario | None = None


ROUTES: dict[str, Entry] = {
    "GET /api/health": Entry(public=True),
    "GET /api/openapi.json": Entry(public=True),
    "POST /api/auth/login": Entry(public=True),
    "GET /api/me": Entry(target="self"),
    "GET /api/orgs/<org_id>": Entry(scenario=lambda w: Request(f"/api/orgs/{w.org(SCHOOL).org_id}")),
    "GET /api/orgs/<org_id>/children": Entry(
        scenario=lambda w: Request(f"/api/orgs/{w.org(SCHOOL).org_id}/children")),
    "POST /api/orgs/<org_id>/children": Entry(scenario=lambda w: Request(
        f"/api/orgs/{w.org(SCHOOL).org_id}/children",
        {"name": f"矩阵测试团支部{next(_serial)}", "short_name": "矩阵团支部", "kind": "团支部", "industry": "初中"})),
    "GET /api/orgs/<org_id>/members": Entry(
        scenario=lambda w: Request(f"/api/orgs/{w.org(SCHOOL).org_id}/members")),
    "POST /api/orgs/<branch_id>/members": Entry(
        target="member", scenario=lambda w: Request(f"/api/orgs/{w.org(BRANCH).org_id}/members", _member_form())),
    "GET /api/members/<member_id>": Entry(target="member", scenario=lambda w: Request(f"/api/members/{w.member_id}")),
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
        ("sibling", "南京市玄武区示范初级中学初三（2）班团支部", False),
        ("another city", "苏州市团委", False),
    ],
}


def route_keys(app: Any) -> set[str]:
    return {f"{r.method} {r.path}" for r in app._static_routes + app._dynamic_routes}


@pytest.fixture
def world(container: Container) -> World:
    tree = demo_tree()
    container.store.add_many(tree)
    container.store.load_plan(*demo_plan_items(tree))
    orgs = {o.name: o for o in tree}
    app = api.build_app(container)
    status, body = call(app, "POST", Request(f"/api/orgs/{orgs[BRANCH].org_id}/members", _member_form()),
                        claims_for(orgs[BRANCH]))
    assert status == 201, body
    return World(orgs=orgs, member_id=body["member_id"])


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
    for label, org_name, allowed in CALLERS[entry.target]:
        status, body = call(app, method, entry.scenario(world), claims_for(world.org(org_name)))
        ok = status < 400
        outcomes.append((label, status, ok == allowed))
        if not allowed:
            assert status in (403, 404), (label, status, body)
            assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message"]), body
    assert all(good for _, _, good in outcomes), outcomes


def test_me_answers_for_every_bound_account(world: World, container: Container) -> None:
    app = api.build_app(container)
    for org in world.orgs.values():
        if org.org_id in ("32", "3201", "3205"):
            status, body = call(app, "GET", Request("/api/me"), claims_for(org))
            assert status == 200 and body["org"]["org_id"] == org.org_id
