"""The security-header policy (infra/local/headers.py) and the CSP build step
(infra/site_generators/csp.py): which path gets which headers, the CSP's sources, the hash
file, and the CloudFront rendering of the same rules (checked by cfn-lint)."""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from infra.local import headers as h
from infra.local.headers import HeaderPolicy, InlineHashes, LocalHeaders
from infra.site_generators import csp

HASH_A = "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"  # sha256 of the empty string
HASH_B = csp.csp_hash("var a=1")
POLICY = HeaderPolicy(InlineHashes(scripts=(HASH_A, HASH_B)), storage_origins=("http://127.0.0.1:4566",))


def directives(value: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in value.split(";") if part.strip()}


# ------------------------------------------------------------------------------- rules


@pytest.mark.parametrize(("path", "rule"), [
    ("/", "site"),
    ("/index.html", "site"),
    ("/console/login.html", "site"),
    ("/console/index.html", "site"),
    ("/apiary.html", "site"),  # not under /api/
    ("/console/approve.html", "private-pages"),
    ("/console/approvals.html", "private-pages"),
    ("/approve/abc", "private-pages"),
    ("/approval.html", "private-pages"),
    ("/api", "api"),
    ("/api/me", "api"),
    ("/api/members/m1/archive", "api"),
    ("/api/approval-links/view", "api"),
    ("/api/health", "api-public"),
    ("/api/openapi.json", "api-public"),
    ("/api/allocation/2023", "api-public"),
    ("/api/allocation/2023/xlsx", "api"),  # a redirect to a presigned URL
    ("/api/allocation/2023/publish", "api"),
    ("/api/healthz", "api"),  # exact paths only
    ("/outbox/", "outbox"),
    ("/outbox/messages.json", "outbox"),
])
def test_each_path_gets_the_first_matching_rule(path: str, rule: str) -> None:
    assert h.rule_for(path).name == rule


def test_patterns_follow_cloudfront_semantics() -> None:
    rules = (h.Rule("x", ("/a/*.html", "/b?"), "site", no_store=True), h.Rule("rest", ("*",), "site", False))
    assert h.rule_for("/a/deep/page.html", rules).name == "x"  # '*' crosses '/'
    assert h.rule_for("/b1", rules).name == "x" and h.rule_for("/b12", rules).name == "rest"
    assert h.rule_for("/A/page.html", rules).name == "rest"  # case-sensitive
    assert h.rule_for("/a/[x].html", rules).name == "x"  # only * and ? are special
    with pytest.raises(ValueError, match="starts with"):
        h._pattern("api/*")


@pytest.mark.parametrize("path", ["/", "/console/login.html", "/console/approve.html", "/api/me", "/api/health",
                                  "/outbox/", "/no/such/file.bin"])
def test_every_response_carries_the_base_headers(path: str) -> None:
    headers = POLICY.headers_for(path)
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Frame-Options"] == "DENY"
    policy = directives(headers["Content-Security-Policy"])
    assert policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in headers["Content-Security-Policy"]
    assert "'unsafe-eval'" not in headers["Content-Security-Policy"]
    assert "Strict-Transport-Security" not in headers  # plain HTTP: never


def test_no_store_on_the_api_and_the_private_pages_only() -> None:
    no_store = {path: POLICY.headers_for(path).get("Cache-Control") == "no-store" for path in
                ("/api/me", "/api/orgs/3201/members", "/console/approve.html", "/outbox/", "/api/health",
                 "/api/openapi.json", "/api/allocation/2023", "/index.html", "/console/login.html")}
    assert no_store == {"/api/me": True, "/api/orgs/3201/members": True, "/console/approve.html": True,
                        "/outbox/": True, "/api/health": False, "/api/openapi.json": False,
                        "/api/allocation/2023": False, "/index.html": False, "/console/login.html": False}


def test_hsts_only_where_tls_applies() -> None:
    tls = HeaderPolicy(tls=True)
    for path in ("/", "/api/me"):
        assert tls.headers_for(path)["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains"


# ------------------------------------------------------------------------------- the CSP


def test_the_site_csp_allows_the_hashed_scripts_and_the_storage_origin() -> None:
    policy = directives(POLICY.site_csp())
    assert policy["script-src"] == ["'self'", HASH_A, HASH_B]
    assert policy["style-src"] == ["'self'"]
    assert policy["connect-src"] == ["'self'", "http://127.0.0.1:4566"]
    assert policy["frame-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"] and policy["default-src"] == ["'self'"]


def test_the_api_csp_allows_nothing() -> None:
    policy = directives(POLICY.headers_for("/api/me")["Content-Security-Policy"])
    assert policy["default-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]


def test_style_attributes_are_allowed_by_hash_only_with_unsafe_hashes() -> None:
    attr = csp.csp_hash("text-align: right;")
    policy = directives(HeaderPolicy(InlineHashes(styles=(HASH_A,), style_attributes=(attr,))).site_csp())
    assert policy["style-src"] == ["'self'", HASH_A, "'unsafe-hashes'", attr]


def test_extra_connect_origins_for_an_api_on_another_origin() -> None:
    policy = HeaderPolicy(connect_origins=("https://api.example.org",))
    assert directives(policy.site_csp())["connect-src"] == ["'self'", "https://api.example.org"]
    assert directives(policy.site_csp())["frame-src"] == ["'self'"]


@pytest.mark.parametrize("bad", ["http://127.0.0.1:4566/bucket", "ftp://x", "http://u@host", "127.0.0.1:4566",
                                 "HTTP://Host"])
def test_origins_must_be_plain_origins(bad: str) -> None:
    with pytest.raises(ValueError):
        HeaderPolicy(storage_origins=(bad,))


def test_origin_of_a_presigned_url() -> None:
    assert h.origin_of("http://127.0.0.1:4566/zhtj-bucket?X-Amz-Signature=abc") == "http://127.0.0.1:4566"
    assert h.origin_of("https://B.s3.us-east-1.amazonaws.com/") == "https://b.s3.us-east-1.amazonaws.com"


# ------------------------------------------------------------------------------- hash file


def test_the_hash_file_round_trips_and_refuses_anything_but_hashes(tmp_path: Path) -> None:
    hashes = InlineHashes((HASH_A,), (HASH_B,), ())
    (tmp_path / h.HASHES_FILE).write_text(json.dumps(hashes.to_json()), encoding="utf-8")
    assert InlineHashes.read(tmp_path) == hashes
    for evil in ("'unsafe-inline'", "'self' https://evil.example", "*", "'sha256-x'; script-src *"):
        with pytest.raises(ValueError):
            InlineHashes.from_json({"format": 1, "script-src": [evil]})
    with pytest.raises(ValueError, match="format"):
        InlineHashes.from_json({"format": 99})


def test_no_hash_file_means_no_inline_script_at_all(tmp_path: Path) -> None:
    policy = directives(HeaderPolicy(InlineHashes.read(tmp_path)).site_csp())
    assert policy["script-src"] == ["'self'"]


def test_the_front_rereads_the_hashes_after_a_rebuild(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZHTJ_AWS_ENDPOINT_URL", "http://127.0.0.1:5000")
    local = LocalHeaders(tmp_path)
    assert "sha256" not in local.headers_for("/")["Content-Security-Policy"]
    assert "connect-src 'self' http://127.0.0.1:5000" in local.headers_for("/")["Content-Security-Policy"]
    path = tmp_path / h.HASHES_FILE
    path.write_text(json.dumps(InlineHashes((HASH_B,)).to_json()), encoding="utf-8")
    os.utime(path, (time.time() + 5, time.time() + 5))
    assert HASH_B in local.headers_for("/index.html")["Content-Security-Policy"]
    assert LocalHeaders(tmp_path, storage_url="").storage_origins == ()


def test_policy_headers_override_the_origin_case_insensitively() -> None:
    origin = {"cache-control": "max-age=600", "Content-Type": "application/json", "x-frame-options": "SAMEORIGIN"}
    assert h.without(origin, POLICY.headers_for("/api/me")) == {"Content-Type": "application/json"}


# ------------------------------------------------------------------------------- build step


PAGE = """<!doctype html><html><head>
<script>__md_scope=new URL("..",location)</script>
<script id="__config" type="application/json">{"base": ".."}</script>
<script src="assets/bundle.js"></script>
<script type="module">import "./x.js";</script>
<script type="text/javascript">var a=1</script>
<style>.x{color:red}</style>
</head><body><p style="text-align: right;">1 &amp; 2</p><script>if (a < 2 && a > 0) {}</script></body></html>"""


def test_the_build_step_hashes_what_runs_and_nothing_else() -> None:
    found = csp.page_inlines(PAGE)
    assert found.scripts == ['__md_scope=new URL("..",location)', 'import "./x.js";', "var a=1",
                             "if (a < 2 && a > 0) {}"]
    assert found.styles == [".x{color:red}"]
    assert found.style_attributes == ["text-align: right;"]
    assert found.problems == []
    assert csp.csp_hash("") == HASH_A


def test_the_build_step_reports_what_no_hash_can_allow(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    found = csp.page_inlines('<button onclick="go()">x</button><a href=" JavaScript:void(0)">y</a>')
    assert found.problems == ["<button onclick=…> (inline event handler)", '<a href="javascript:…">']
    (tmp_path / "bad.html").write_text('<body onload="x()"></body>', encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="mkdocs.hooks.zhtj.csp"):
        csp.write_csp_hashes(tmp_path)
    assert "bad.html" in caplog.text and "onload" in caplog.text


def test_the_build_step_writes_the_union_over_all_pages(tmp_path: Path) -> None:
    (tmp_path / "console").mkdir()
    (tmp_path / "index.html").write_text(PAGE, encoding="utf-8")
    (tmp_path / "console" / "login.html").write_text(PAGE.replace('"..",', '"../..",'), encoding="utf-8")
    written = csp.write_csp_hashes(tmp_path)
    assert InlineHashes.read(tmp_path) == written
    assert len(written.scripts) == 5  # four per page, one of them differing with the depth
    assert csp.csp_hash('__md_scope=new URL("../..",location)') in written.scripts


def test_the_mkdocs_hook_runs_the_build_step_after_the_build(tmp_path: Path) -> None:
    from infra import mkdocs_hooks

    (tmp_path / "index.html").write_text(PAGE, encoding="utf-8")
    mkdocs_hooks.on_post_build(config=SimpleNamespace(site_dir=str(tmp_path)))  # type: ignore[arg-type]
    assert HASH_B in InlineHashes.read(tmp_path).scripts


# ------------------------------------------------------------------------------- CloudFront


def cloudfront_template(policy: HeaderPolicy) -> str:
    return json.dumps({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Parameters": {"Stage": {"Type": "String", "Default": "dev"}},
        "Resources": h.cloudformation_resources(policy),
    })


def test_the_cloudfront_policies_are_valid_cloudformation() -> None:
    from cfnlint.api import ManualArgs, lint

    policy = HeaderPolicy(POLICY.hashes, ("https://zhtj-dev-archives.s3.us-east-1.amazonaws.com",), tls=True)
    matches = lint(cloudfront_template(policy), config=ManualArgs(regions=["us-east-1"]))
    assert not matches, [str(m) for m in matches]


def test_the_cloudfront_behaviours_are_the_front_rules_in_order() -> None:
    policy = HeaderPolicy(POLICY.hashes, tls=True)
    entries = h.cloudfront_policies(policy)
    assert [e["rule"] for e in entries] == ["api-public", "api", "private-pages", "site"]  # no outbox, no empty rule
    assert entries[-1]["path_patterns"] == []  # the default behaviour
    for entry in entries:
        config = entry["config"]
        security = config["SecurityHeadersConfig"]
        for pattern in entry["path_patterns"]:
            sample = pattern.replace("*", "x").replace("?", "1")
            assert h.rule_for(sample).name == entry["rule"], pattern
            expected = policy.rule_headers(h.rule_for(sample))
            assert security["ContentSecurityPolicy"]["ContentSecurityPolicy"] == expected["Content-Security-Policy"]
            custom = {i["Header"]: i["Value"] for i in config.get("CustomHeadersConfig", {}).get("Items", [])}
            assert custom.get("Cache-Control") == expected.get("Cache-Control")
        assert security["StrictTransportSecurity"]["AccessControlMaxAgeSec"] == h.HSTS_MAX_AGE_S
        assert security["FrameOptions"]["FrameOption"] == "DENY"
        assert all(item["Override"] for item in config.get("CustomHeadersConfig", {}).get("Items", []))


def test_the_cloudfront_rendering_needs_tls_and_a_csp_within_the_quota() -> None:
    with pytest.raises(ValueError, match="tls"):
        h.cloudfront_policies(HeaderPolicy())
    many = tuple(csp.csp_hash(str(i)) for i in range(40))
    with pytest.raises(ValueError, match="1783"):
        h.cloudfront_policies(HeaderPolicy(InlineHashes(scripts=many), tls=True))


def test_the_cli_prints_pasteable_resources(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / h.HASHES_FILE).write_text(json.dumps(InlineHashes((HASH_B,)).to_json()), encoding="utf-8")
    assert h.main(["cloudfront", "--site-dir", str(tmp_path),
                   "--storage-origin", "https://zhtj-dev-archives.s3.us-east-1.amazonaws.com"]) == 0
    resources = json.loads(capsys.readouterr().out)
    assert set(resources) == {"ApiPublicResponseHeadersPolicy", "ApiResponseHeadersPolicy",
                              "PrivatePagesResponseHeadersPolicy", "SiteResponseHeadersPolicy"}
    site = resources["SiteResponseHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]
    assert HASH_B in site["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    assert site["Name"] == {"Fn::Sub": "zhtj-${Stage}-site"}
    with pytest.raises(SystemExit):
        h.main(["cloudfront", "--site-dir", str(tmp_path / "missing")])
