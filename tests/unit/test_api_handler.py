"""The API handler on in-memory ports: statuses, Chinese error bodies, no stack traces, and
ID numbers masked in the log. No network, no moto."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from infra.local.front import LambdaContext, http_api_event
from infra.local.template import ApiRoute
from tests.unit.fakes import FakeIdentity, InMemoryStore
from zhtj.domain.glossary import OrgKind
from zhtj.domain.orgs import new_child, new_root
from zhtj.handlers.api import build_app
from zhtj.settings import Settings

ANY_ROUTE = ApiRoute(function="ApiFunction", handler="", method="ANY", path="/api/{proxy+}", public=False)


@dataclass
class FakeContainer:
    settings: Settings
    store: Any
    identity: Any
    clients: Any = None


@pytest.fixture
def app() -> Any:
    store = InMemoryStore()
    province = new_root("32", "共青团江苏省委", "团省委")
    store.add_many([province,
                    new_child(province, org_id="3201", name="南京市团委", short_name="南京", kind=OrgKind.CITY,
                              industry=None),
                    new_child(province, org_id="3205", name="苏州市团委", short_name="苏州", kind=OrgKind.CITY,
                              industry=None)])
    identity = FakeIdentity()
    identity.create_admin(username="nanjing", password="pw", org_id="3201", role="admin")
    settings = Settings(table_name="t", archive_bucket="b", user_pool_id="p", user_pool_client_id="c")
    return build_app(FakeContainer(settings, store, identity))  # type: ignore[arg-type]


def call(app: Any, method: str, path: str, body: Any = None, claims: dict[str, str] | None = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else b""
    headers = {"content-type": "application/json"} if body is not None else {}
    event = http_api_event(method, path, "", headers, data, ANY_ROUTE, claims, "127.0.0.1")
    response = app.resolve(event, LambdaContext("ApiFunction"))
    return response["statusCode"], json.loads(response["body"]) if response.get("body") else None


NANJING = {"custom:org_id": "3201", "custom:role": "admin", "cognito:username": "nanjing"}


def test_health(app: Any) -> None:
    status, body = call(app, "GET", "/api/health")
    assert status == 200 and body["status"] == "ok" and "zhtj" in body["versions"]


def test_login_success_and_chinese_failure(app: Any) -> None:
    assert call(app, "POST", "/api/auth/login", {"username": "nanjing", "password": "pw"})[0] == 200
    status, body = call(app, "POST", "/api/auth/login", {"username": "nanjing", "password": "nope"})
    assert status == 401 and body == {"code": "bad_credentials", "message": "用户名或密码错误"}


def test_missing_fields_are_a_chinese_422(app: Any) -> None:
    status, body = call(app, "POST", "/api/auth/login", {"username": "nanjing"})
    assert status == 422 and body["code"] == "invalid_request" and "密码" in body["message"]


def test_subtree_is_enforced(app: Any) -> None:
    assert call(app, "GET", "/api/orgs/3201", claims=NANJING)[0] == 200
    status, body = call(app, "GET", "/api/orgs/3205", claims=NANJING)
    assert status == 403 and body["code"] == "forbidden"
    assert call(app, "GET", "/api/orgs/32", claims=NANJING)[0] == 403


def test_unbound_or_unknown_accounts_administer_nothing(app: Any) -> None:
    assert call(app, "GET", "/api/me", claims={"cognito:username": "x"})[0] == 403
    assert call(app, "GET", "/api/me", claims={**NANJING, "custom:org_id": "9999"})[0] == 403
    assert call(app, "GET", "/api/me", claims={**NANJING, "custom:role": "root"})[0] == 403


def test_unknown_route_is_a_chinese_404(app: Any) -> None:
    status, body = call(app, "GET", "/api/nothing-here", claims=NANJING)
    assert status == 404 and body["message"] == "请求的接口不存在"


def test_unexpected_error_is_a_chinese_500_with_the_id_masked_in_the_log(
        app: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def broken(org_id: str) -> None:
        raise RuntimeError("table unavailable while reading 11010519491231002X")

    monkeypatch.setattr(InMemoryStore, "get", lambda self, org_id: broken(org_id))
    status, body = call(app, "GET", "/api/orgs/3201", claims=NANJING)
    assert status == 500 and body == {"code": "internal", "message": "服务器内部错误，请稍后重试"}
    logged = capsys.readouterr()
    text = logged.out + logged.err
    assert "table unavailable" in text and "11010519491231002X" not in text and "110*************2X" in text


def test_openapi_document_lists_the_routes(app: Any) -> None:
    status, body = call(app, "GET", "/api/openapi.json")
    assert status == 200 and body["info"]["title"] == "zhtj API"
    assert {"/api/health", "/api/auth/login", "/api/orgs/{org_id}/children"} <= set(body["paths"])


def test_a_body_that_is_not_utf8_is_a_chinese_400(app: Any) -> None:
    event = http_api_event("POST", "/api/auth/login", "", {"content-type": "application/json"},
                           b'{"username":"\xff\xfe"}', ANY_ROUTE, None, "127.0.0.1")
    assert event["isBase64Encoded"] is True
    response = app.resolve(event, LambdaContext("ApiFunction"))
    assert response["statusCode"] == 400
    assert json.loads(response["body"])["code"] == "body_not_utf8"
