"""The response-headers policies in template.yaml are what infra/local/headers.py renders for the
site as it builds now (the CSP's script hashes included): one source of truth for the headers the
local front sends and the ones CloudFront attaches (infra/deploy/cloudfront_headers.py)."""

from __future__ import annotations

from infra.deploy import cloudfront_headers as ch
from infra.local import headers as h
from infra.local.headers import InlineHashes
from infra.local.template import TEMPLATE_PATH, load_template


def test_the_template_block_is_rendered_from_the_built_site(built_site) -> None:
    hashes = InlineHashes.read(built_site.dir)
    assert hashes.scripts, "the build wrote no CSP hashes"
    current = ch.current_block(TEMPLATE_PATH.read_text(encoding="utf-8"))
    assert current == ch.render_block(hashes), "template.yaml's headers are stale: run `make cloudfront-headers`"


def test_each_policy_sends_what_the_local_front_sends_plus_hsts(built_site) -> None:
    hashes = InlineHashes.read(built_site.dir)
    resources = load_template()["Resources"]
    policy = ch.deployed_policy(hashes)
    local = h.HeaderPolicy(hashes, tuple(ch.STORAGE_ORIGINS))  # the front's rendering, same origins
    for entry in h.cloudfront_policies(policy):
        config = resources[entry["logical_id"]]["Properties"]["ResponseHeadersPolicyConfig"]
        security = config["SecurityHeadersConfig"]
        csp = security["ContentSecurityPolicy"]["ContentSecurityPolicy"]
        csp = csp["Fn::Sub"] if isinstance(csp, dict) else csp
        for placeholder, expression in ch.STORAGE_ORIGINS.items():
            csp = csp.replace(expression, placeholder)
        sample = (entry["path_patterns"] or ["/index.html"])[0].replace("*", "x").replace("?", "1")
        sent = local.headers_for(sample)
        assert csp == sent["Content-Security-Policy"], entry["rule"]
        custom = {i["Header"]: i["Value"] for i in config.get("CustomHeadersConfig", {}).get("Items", [])}
        assert custom.get("Cache-Control") == sent.get("Cache-Control"), entry["rule"]
        assert custom["Permissions-Policy"] == sent["Permissions-Policy"]
        assert security["FrameOptions"]["FrameOption"] == sent["X-Frame-Options"]
        assert security["ReferrerPolicy"]["ReferrerPolicy"] == sent["Referrer-Policy"]
        assert security["StrictTransportSecurity"]["AccessControlMaxAgeSec"] == h.HSTS_MAX_AGE_S


def test_the_site_csp_fits_cloudfronts_quota_with_the_longest_bucket_name(built_site) -> None:
    resources = ch.template_resources(InlineHashes.read(built_site.dir))
    csp = resources["SiteResponseHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"][
        "SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"]["Fn::Sub"]
    longest = (csp.replace("${Stage}", "x" * 16).replace("${AWS::AccountId}", "1" * 12)
               .replace("${AWS::Region}", "ap-southeast-5x").replace("${AWS::URLSuffix}", "amazonaws.com.cn"))
    assert len(longest) <= h.CLOUDFRONT_CSP_LIMIT
