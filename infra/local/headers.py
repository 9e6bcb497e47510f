"""The security headers of the site and the API: one policy, two renderings.

- The local HTTP front (``infra/local/front.py``) asks :meth:`HeaderPolicy.headers_for` for the
  headers of every response it sends (site files, API, outbox, redirects, errors).
- :func:`cloudfront_policies` renders the *same* rules as CloudFront response-headers policies,
  one per cache behaviour (``python -m infra.local.headers cloudfront --site-dir build/site
  --storage-origin https://BUCKET.s3.REGION.amazonaws.com`` prints them as CloudFormation
  resources to paste into template.yaml next to the distribution). A unit test renders them
  into a template and runs cfn-lint over it.

Which headers a path gets is decided by :data:`RULES`: an ordered list of CloudFront-style path
patterns (``*`` = any characters including ``/``, ``?`` = one character, case-sensitive); the
first rule that matches wins, exactly like CloudFront's cache behaviours, so the front and the
distribution cannot disagree. To extend:

- a page that shows personal data or carries a secret in its URL (an emailed approval link):
  add its pattern to :data:`PRIVATE_PAGE_PATTERNS` (``Cache-Control: no-store``);
- an API route that serves only public data (the published allocation table): add it to
  :data:`PUBLIC_API_PATTERNS` (it loses the forced ``no-store``);
- an API route that answers an HTML page (an approval page rendered by a Lambda): add it to
  :data:`API_PAGE_PATTERNS` (it gets the site's CSP instead of the API's ``default-src 'none'``).

The site's Content-Security-Policy has no ``'unsafe-inline'`` anywhere: the few scripts Material
for MkDocs inlines into every page are allowed by their sha256 hash, computed from the final HTML
at build time (``infra/site_generators/csp.py`` → ``csp-hashes.json`` in the site directory).
One CSP covers every page — CloudFront attaches a header per cache behaviour, not per file — so
it lists the union of the hashes of all pages (a handful: the scripts differ only by the page's
depth). Missing or unreadable hash file → no hashes → inline scripts are blocked (fail closed).

``Strict-Transport-Security`` is sent only where TLS applies (``tls=True``: the CloudFront
rendering), never by the plain-HTTP loopback front.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

#: Written by infra/site_generators/csp.py into the built site's root.
HASHES_FILE = "csp-hashes.json"
HASHES_FORMAT = 1

#: CloudFront's quota for the Content-Security-Policy value of a response-headers policy.
CLOUDFRONT_CSP_LIMIT = 1783

#: Two years; includeSubDomains; not "preload" (a deployer opts into the preload list).
HSTS_MAX_AGE_S = 63_072_000

REFERRER_POLICY = "no-referrer"  # approval links carry a token in the URL: never leak it
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

#: The API answers JSON only: nothing in a response may load, run or be framed.
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

# ------------------------------------------------------------------------------- the rules

#: API routes with public data only (may be cached). Everything else under /api/ is no-store.
#: ``/api/allocation/{year}`` is the published allocation table (附件1 of a public notice); its
#: ``/xlsx`` (a redirect to a short-lived presigned URL) and ``/publish`` stay no-store.
PUBLIC_API_PATTERNS: tuple[str, ...] = ("/api/health", "/api/openapi.json", "/api/allocation/????")

#: API routes that answer HTML pages (get the site CSP and no-store). None yet.
API_PAGE_PATTERNS: tuple[str, ...] = ()

#: Site pages that must never be stored: approval pages (emailed link or console), whatever
#: their final path under these prefixes (/approve…, /approval…, /console/approv…).
PRIVATE_PAGE_PATTERNS: tuple[str, ...] = ("/approv*", "/console/approv*")

#: The local front's own captured-mail page (mail bodies): no-store; not part of CloudFront.
LOCAL_ONLY_PATTERNS: tuple[str, ...] = ("/outbox", "/outbox/*")

CspKind = Literal["site", "api"]


@dataclass(frozen=True)
class Rule:
    name: str
    patterns: tuple[str, ...]
    csp: CspKind
    no_store: bool
    local_only: bool = False

    def matches(self, path: str) -> bool:
        return any(_pattern(p).fullmatch(path) for p in self.patterns)


RULES: tuple[Rule, ...] = (
    Rule("api-public", PUBLIC_API_PATTERNS, "api", no_store=False),
    Rule("api-pages", API_PAGE_PATTERNS, "site", no_store=True),
    Rule("api", ("/api", "/api/*"), "api", no_store=True),
    Rule("private-pages", PRIVATE_PAGE_PATTERNS, "site", no_store=True),
    Rule("outbox", LOCAL_ONLY_PATTERNS, "site", no_store=True, local_only=True),
    Rule("site", ("*",), "site", no_store=False),  # CloudFront: the default cache behaviour
)


@cache
def _pattern(pattern: str) -> re.Pattern[str]:
    """A CloudFront path pattern as a regex: only ``*`` and ``?`` are special."""
    if not pattern or not (pattern.startswith("/") or pattern == "*"):
        raise ValueError(f"path pattern {pattern!r}: starts with '/' (or is '*')")
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern), re.S)


def rule_for(path: str, rules: Sequence[Rule] = RULES) -> Rule:
    for rule in rules:
        if rule.matches(path):
            return rule
    raise LookupError(f"no header rule for {path!r}")  # unreachable while RULES ends with "*"


# ------------------------------------------------------------------------------- the hashes


@dataclass(frozen=True)
class InlineHashes:
    """CSP source expressions (``'sha256-…'``) for what the built site inlines."""

    scripts: tuple[str, ...] = ()
    styles: tuple[str, ...] = ()  # <style> elements
    style_attributes: tuple[str, ...] = ()  # style="…" attributes (need 'unsafe-hashes')

    def to_json(self) -> dict[str, Any]:
        return {"format": HASHES_FORMAT, "script-src": list(self.scripts), "style-src": list(self.styles),
                "style-src-attr": list(self.style_attributes)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> InlineHashes:
        if data.get("format") != HASHES_FORMAT:
            raise ValueError(f"{HASHES_FILE}: unknown format {data.get('format')!r}")

        def sources(key: str) -> tuple[str, ...]:
            values = tuple(str(v) for v in data.get(key, ()))
            for value in values:
                if not _HASH_SOURCE.fullmatch(value):
                    raise ValueError(f"{HASHES_FILE}: {key}: not a hash source: {value!r}")
            return values

        return cls(sources("script-src"), sources("style-src"), sources("style-src-attr"))

    @classmethod
    def read(cls, site_dir: Path) -> InlineHashes:
        """The hashes written at build time; none (fail closed) when the file is missing."""
        path = site_dir / HASHES_FILE
        if not path.is_file():
            return cls()
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))


_HASH_SOURCE = re.compile(r"'sha(256|384|512)-[A-Za-z0-9+/]+={0,2}'")


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of a URL (what a CSP source expression names)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or "@" in parts.netloc:
        raise ValueError(f"not an http(s) origin: {url!r}")
    return f"{parts.scheme}://{parts.netloc}".lower()


# ------------------------------------------------------------------------------- the policy


@dataclass(frozen=True)
class HeaderPolicy:
    """The headers for every path, given the site's inline hashes and the browser's other origins.

    ``storage_origins`` (``connect-src``): where the browser sends presigned S3 uploads (POST)
    and from where pdf.js fetches presigned PDFs — in the local stack the moto server
    (``http://127.0.0.1:<port>``), on AWS the bucket's own endpoint
    (``https://BUCKET.s3.REGION.amazonaws.com``; not the shared regional endpoint, which would
    admit every bucket). ``connect_origins``: other origins the console may call (the API's,
    when it is not served from the site's own origin). ``form-action`` stays ``'self'``: an
    upload is a ``fetch`` of a FormData, not an HTML form posted to S3.
    """

    hashes: InlineHashes = field(default_factory=InlineHashes)
    storage_origins: tuple[str, ...] = ()
    connect_origins: tuple[str, ...] = ()
    tls: bool = False
    rules: tuple[Rule, ...] = RULES

    def __post_init__(self) -> None:
        for origin in (*self.storage_origins, *self.connect_origins):
            if origin_of(origin) != origin:
                raise ValueError(f"{origin!r}: give an origin (scheme://host[:port]), lower-case, no path")

    def site_csp(self) -> str:
        storage = list(self.storage_origins)
        style = ["'self'", *self.hashes.styles]
        if self.hashes.style_attributes:  # hashes of style="" attributes count only with 'unsafe-hashes'
            style += ["'unsafe-hashes'", *self.hashes.style_attributes]
        directives = [
            "default-src 'self'",
            " ".join(["script-src 'self'", *self.hashes.scripts]),
            "style-src " + " ".join(style),
            "img-src 'self' data:",  # Material's icons are data: SVG in its CSS
            "font-src 'self'",
            " ".join(["connect-src 'self'", *storage, *self.connect_origins]),
            "frame-src 'self'",  # the archive PDF is drawn by pdf.js from a fetch, not framed
            "worker-src 'self'",  # the search worker
            "manifest-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
        return "; ".join(directives)

    def csp(self, kind: CspKind) -> str:
        return self.site_csp() if kind == "site" else API_CSP

    def rule_headers(self, rule: Rule) -> dict[str, str]:
        headers = {
            "Content-Security-Policy": self.csp(rule.csp),
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": REFERRER_POLICY,
            "X-Frame-Options": "DENY",
            "Cross-Origin-Opener-Policy": "same-origin",
            "Permissions-Policy": PERMISSIONS_POLICY,
        }
        if rule.no_store:
            headers["Cache-Control"] = "no-store"
        if self.tls:
            headers["Strict-Transport-Security"] = f"max-age={HSTS_MAX_AGE_S}; includeSubDomains"
        return headers

    def headers_for(self, path: str) -> dict[str, str]:
        """The headers a response for ``path`` (no query string) carries."""
        return self.rule_headers(rule_for(path, self.rules))


def without(headers: Mapping[str, str], policy_headers: Iterable[str]) -> dict[str, str]:
    """``headers`` less those the policy sets (compared case-insensitively): the policy wins,
    as CloudFront's ``Override: true`` does over the origin's headers."""
    names = {name.lower() for name in policy_headers}
    return {key: value for key, value in headers.items() if key.lower() not in names}


class LocalHeaders:
    """The local front's view of the policy: the hash file of *its* site directory (re-read when
    the site is rebuilt), the embedded S3 endpoint as the storage origin, no HSTS."""

    def __init__(self, site_dir: Path, storage_url: str | None = None) -> None:
        self.site_dir = site_dir
        url = storage_url if storage_url is not None else os.environ.get("ZHTJ_AWS_ENDPOINT_URL", "")
        self.storage_origins = (origin_of(url),) if url else ()
        self._cached: tuple[float | None, HeaderPolicy] | None = None

    def policy(self) -> HeaderPolicy:
        path = self.site_dir / HASHES_FILE
        try:
            stamp: float | None = path.stat().st_mtime
        except OSError:
            stamp = None
        if self._cached is None or self._cached[0] != stamp:
            self._cached = (stamp, HeaderPolicy(InlineHashes.read(self.site_dir), self.storage_origins))
        return self._cached[1]

    def headers_for(self, path: str) -> dict[str, str]:
        return self.policy().headers_for(path)


# ------------------------------------------------------------------------------- CloudFront


def cloudfront_config(policy: HeaderPolicy, rule: Rule, name: str) -> dict[str, Any]:
    """``ResponseHeadersPolicyConfig`` for one rule (every header overrides the origin's)."""
    headers = policy.rule_headers(rule)
    csp = headers.pop("Content-Security-Policy")
    if len(csp) > CLOUDFRONT_CSP_LIMIT:
        raise ValueError(f"CSP of {rule.name} is {len(csp)} characters; CloudFront accepts {CLOUDFRONT_CSP_LIMIT}")
    security: dict[str, Any] = {
        "ContentSecurityPolicy": {"ContentSecurityPolicy": csp, "Override": True},
        "ContentTypeOptions": {"Override": True},
        "FrameOptions": {"FrameOption": headers.pop("X-Frame-Options"), "Override": True},
        "ReferrerPolicy": {"ReferrerPolicy": headers.pop("Referrer-Policy"), "Override": True},
    }
    headers.pop("X-Content-Type-Options")
    if "Strict-Transport-Security" in headers:
        headers.pop("Strict-Transport-Security")
        security["StrictTransportSecurity"] = {"AccessControlMaxAgeSec": HSTS_MAX_AGE_S, "IncludeSubdomains": True,
                                               "Preload": False, "Override": True}
    config: dict[str, Any] = {
        "Name": name,
        "Comment": f"zhtj {rule.name}: generated by infra/local/headers.py",
        "SecurityHeadersConfig": security,
    }
    if headers:
        config["CustomHeadersConfig"] = {"Items": [{"Header": k, "Value": v, "Override": True}
                                                   for k, v in headers.items()]}
    return config


def cloudfront_policies(policy: HeaderPolicy, *, stage: str = "${Stage}") -> list[dict[str, Any]]:
    """One entry per CloudFront cache behaviour, in evaluation order (the last is the default
    behaviour): ``{"logical_id", "path_patterns", "rule", "config"}``. ``stage`` goes into the
    policy names (``${Stage}`` for use inside ``!Sub``)."""
    if not policy.tls:
        raise ValueError("CloudFront serves HTTPS: render with tls=True")
    out = []
    for rule in policy.rules:
        if rule.local_only or not rule.patterns:
            continue
        title = "".join(part.capitalize() for part in rule.name.split("-"))
        out.append({
            "logical_id": f"{title}ResponseHeadersPolicy",
            "path_patterns": [p for p in rule.patterns if p != "*"],
            "rule": rule.name,
            "config": cloudfront_config(policy, rule, f"zhtj-{stage}-{rule.name}"),
        })
    return out


def cloudformation_resources(policy: HeaderPolicy) -> dict[str, Any]:
    """The policies as ``AWS::CloudFront::ResponseHeadersPolicy`` resources (JSON, which is
    valid YAML: paste under ``Resources:``; each behaviour's ``ResponseHeadersPolicyId`` is
    ``!Ref <logical id>``, the cache behaviours listed in ``path_patterns`` order)."""
    resources: dict[str, Any] = {}
    for entry in cloudfront_policies(policy):
        config = dict(entry["config"])
        config["Name"] = {"Fn::Sub": config["Name"]}
        resources[entry["logical_id"]] = {
            "Type": "AWS::CloudFront::ResponseHeadersPolicy",
            "Metadata": {"PathPatterns": entry["path_patterns"] or ["(default behaviour)"]},
            "Properties": {"ResponseHeadersPolicyConfig": config},
        }
    return resources


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.local.headers",
                                     description="Render the security-header policy for CloudFront.")
    sub = parser.add_subparsers(dest="command", required=True)
    cf = sub.add_parser("cloudfront", help="AWS::CloudFront::ResponseHeadersPolicy resources as JSON")
    cf.add_argument("--site-dir", type=Path, default=Path("build/site"), help="the built site (its csp-hashes.json)")
    cf.add_argument("--storage-origin", action="append", default=[], help="the archive bucket's origin (repeatable)")
    cf.add_argument("--connect-origin", action="append", default=[], help="another origin the console calls")
    args = parser.parse_args(argv)
    if not (args.site_dir / HASHES_FILE).is_file():
        parser.error(f"{args.site_dir / HASHES_FILE} is missing: build the site first (mkdocs build)")
    policy = HeaderPolicy(InlineHashes.read(args.site_dir), tuple(args.storage_origin), tuple(args.connect_origin),
                          tls=True)
    json.dump(cloudformation_resources(policy), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
