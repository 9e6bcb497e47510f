"""Security headers over real HTTP (issue 9 §6): every file of the built site, the front's own
pages, redirects and errors, and every API operation of the OpenAPI document carry them; no
page's CSP allows inline script; every inline script of the built pages is allowed by a hash in
the CSP, so a new inline script (or a Material upgrade that changes one) fails here — and the
build step of infra/site_generators/csp.py picks the new hash up on the next build.

The checks here are written against the response only (not against infra/local/headers.py), so
they hold whatever the policy module computes."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from tests.e2e.conftest import RunningStack

pytestmark = pytest.mark.e2e

#: API paths whose responses may be cached: public data only (everything else: no-store).
PUBLIC_API = re.compile(r"/api/(health|openapi\.json|allocation/\d{4})")
#: Pages that must never be stored (the approval pages), whether they exist yet or not.
PRIVATE_PAGES = ["/console/approve.html", "/console/approvals.html", "/approve/x", "/approval.html"]
_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.S | re.I)
_TYPE = re.compile(r"""\btype\s*=\s*["']?([^"'\s>]+)""", re.I)
_DATA_BLOCK_TYPES = {"application/json", "application/ld+json", "text/template", "text/x-template"}


def site_dir(stack: RunningStack) -> Path:
    """The directory the stack serves (tests/e2e/conftest.py builds it beside the log)."""
    path = stack.log_path.parent / "site"
    assert (path / "index.html").is_file(), f"no built site at {path}"
    return path


def site_paths(stack: RunningStack, suffix: str = "") -> list[str]:
    root = site_dir(stack)
    return sorted("/" + p.relative_to(root).as_posix() for p in root.rglob(f"*{suffix}") if p.is_file())


def csp(response: requests.Response) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in response.headers.get("Content-Security-Policy", "").split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


def script_sources(policy: dict[str, list[str]]) -> list[str]:
    return policy.get("script-src", policy.get("default-src", []))


def header_problems(path: str, response: requests.Response) -> list[str]:
    h, found = response.headers, []
    policy = csp(response)
    if h.get("X-Content-Type-Options") != "nosniff":
        found.append("X-Content-Type-Options")
    if not h.get("Referrer-Policy"):
        found.append("Referrer-Policy")
    if policy.get("frame-ancestors") != ["'none'"]:
        found.append("CSP frame-ancestors 'none'")
    if h.get("X-Frame-Options") != "DENY":
        found.append("X-Frame-Options")
    if {"'unsafe-inline'", "'unsafe-eval'", "*"} & set(script_sources(policy)):
        found.append(f"script-src allows {script_sources(policy)}")
    if "Strict-Transport-Security" in h:
        found.append("HSTS over plain HTTP")
    private = (path.startswith("/api") and not PUBLIC_API.fullmatch(path)) or path.startswith(
        ("/console/approv", "/approv", "/outbox"))
    if private and h.get("Cache-Control") != "no-store":
        found.append(f"Cache-Control {h.get('Cache-Control')!r}")
    return found


def inline_scripts(html: str) -> list[str]:
    """Inline scripts that would run (no src, a script type), found by regex — independent of
    the HTMLParser the build step uses."""
    scripts = []
    for attrs, body in _SCRIPT.findall(html):
        if re.search(r"\bsrc\s*=", attrs, re.I):
            continue
        match = _TYPE.search(attrs)
        kind = match.group(1).lower() if match else ""
        if kind in _DATA_BLOCK_TYPES:
            continue
        scripts.append(body)
    return scripts


def sha256_source(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def test_every_file_of_the_built_site_carries_the_headers(stack: RunningStack) -> None:
    session = requests.Session()
    paths = site_paths(stack)
    assert len(paths) > 20
    bad = {}
    for path in paths:
        response = session.get(stack.url + path, timeout=10)
        assert response.status_code == 200, path
        if found := header_problems(path, response):
            bad[path] = found
    head = session.head(stack.url + "/index.html", timeout=10)
    session.close()
    assert not header_problems("/index.html", head)
    assert not bad, bad


def test_one_csp_for_every_page_and_no_inline_script_source(stack: RunningStack) -> None:
    policies = {path: requests.get(stack.url + path, timeout=10).headers["Content-Security-Policy"]
                for path in site_paths(stack, ".html")}
    assert len(set(policies.values())) == 1, "CloudFront sends one CSP per behaviour: pages must share it"
    policy = next(iter(policies.values()))
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    console = [p for p in policies if p.startswith("/console/")]
    assert {"/console/login.html", "/console/index.html"} <= set(console)


def test_every_inline_script_of_the_built_pages_matches_a_hash_in_the_csp(stack: RunningStack) -> None:
    unmatched: dict[str, list[str]] = {}
    counted = 0
    for path in site_paths(stack, ".html"):
        response = requests.get(stack.url + path, timeout=10)
        allowed = set(script_sources(csp(response)))
        for script in inline_scripts(response.text):
            counted += 1
            if sha256_source(script) not in allowed:
                unmatched.setdefault(path, []).append(script[:80])
    assert counted > 0, "Material inlines scripts into every page: none found, so the check checks nothing"
    assert not unmatched, f"inline scripts not allowed by the CSP (rebuild the site?): {unmatched}"


def test_the_built_pages_have_no_inline_event_handlers_or_javascript_urls(stack: RunningStack) -> None:
    handler = re.compile(r"<[a-z][^>]*\s(on[a-z]+)\s*=|(?:href|src|action)\s*=\s*[\"']?\s*javascript:", re.I)
    found = {path: handler.findall((site_dir(stack) / path.lstrip("/")).read_text(encoding="utf-8"))
             for path in site_paths(stack, ".html")}
    assert not {p: f for p, f in found.items() if f}


def test_front_pages_redirects_and_errors_carry_the_headers(stack: RunningStack) -> None:
    token = stack.token("nanjing")
    cases = [
        ("GET", "/no-such-page.html", {}),  # the site's 404 page
        ("GET", "/console", {}),  # a redirect to /console/
        ("POST", "/index.html", {}),  # 405 from the static site
        ("GET", "/../etc/passwd", {}),
        ("GET", "/outbox/", {}),
        ("GET", "/outbox/messages.json", {}),
        ("GET", "/api", {}),
        ("GET", "/api/no-such-route", {}),
        ("GET", "/api/no-such-route", {"Authorization": f"Bearer {token}"}),
        ("GET", "/api/me", {"Authorization": "Bearer forged"}),
        ("GET", "/api/health", {}),
        ("GET", "/api/openapi.json", {}),
        *[("GET", path, {}) for path in PRIVATE_PAGES],
    ]
    bad = {}
    for method, path, headers in cases:
        response = requests.request(method, stack.url + path, headers=headers, timeout=10, allow_redirects=False)
        if found := header_problems(path, response):
            bad[f"{method} {path} → {response.status_code}"] = found
    assert not bad, bad


def test_every_api_operation_answers_with_the_headers(stack: RunningStack) -> None:
    """Each operation of the OpenAPI document (so later routes are included), anonymously and
    signed in, with placeholder ids and an empty body: whatever the answer, the headers are there."""
    document = requests.get(stack.api("openapi.json"), timeout=10).json()
    token = stack.token("nanjing")
    bad, calls = {}, 0
    for template, operations in document["paths"].items():
        path = re.sub(r"\{[^}]+\}", lambda m: "2023" if m.group(0) == "{year}" else "0", template)
        for method in operations:
            for headers in ({}, {"Authorization": f"Bearer {token}"}):
                response = requests.request(method.upper(), stack.url + path, headers=headers, timeout=10,
                                            json={} if method in ("post", "put") else None, allow_redirects=False)
                calls += 1
                if found := header_problems(path, response):
                    bad[f"{method.upper()} {path} {'signed in' if headers else 'anonymous'}"] = found
    assert calls >= 10
    assert not bad, bad


def test_connect_src_names_the_embedded_s3_that_presigned_uploads_go_to(stack: RunningStack) -> None:
    from tests.e2e.test_log_privacy import new_member

    member_id, _ = new_member(stack, "头部测试")
    ticket = stack.session("branch").post(stack.api(f"members/{member_id}/archive/uploads"), timeout=10)
    assert ticket.status_code == 201, ticket.text
    upload = urlsplit(ticket.json()["url"])
    storage = f"{upload.scheme}://{upload.netloc}"
    policy = csp(requests.get(stack.url + "/console/index.html", timeout=10))
    assert storage != stack.url and storage in policy["connect-src"]
    assert policy["connect-src"][0] == "'self'"
