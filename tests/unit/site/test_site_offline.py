"""(b) The built site requests nothing from another host: it must work with no internet.

What counts as a request:

- HTML: any URL-valued attribute (src, href, srcset, action, poster, data, ...) that is
  absolute (``scheme://`` or protocol-relative ``//``), a ``<meta http-equiv=refresh>`` or
  image meta pointing outside, and CSS / JS inside ``style`` attributes, ``<style>`` and
  ``<script>``. The only exception is a plain hyperlink ``<a href>`` to the official site
  zhtj.youth.cn, which the operation guide names. XML namespaces (``xmlns``) are not URLs
  that get fetched and are not looked at.
- CSS: ``url(...)`` and ``@import`` of an absolute URL.
- JS: ``src``/``href`` assignments, ``importScripts``/``fetch``/``import()`` of an absolute
  URL, CSS in strings, and the name of any well-known CDN or tracker anywhere.

Material's bundle has two conditional script loaders with a CDN URL (see ALLOWED_JS); both
are inert here, and the tests check why.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ALLOWED_LINK_HOSTS = {"zhtj.youth.cn"}

URL_ATTRS = {
    "src",
    "href",
    "srcset",
    "action",
    "formaction",
    "poster",
    "data",
    "cite",
    "background",
    "manifest",
    "ping",
    "longdesc",
    "icon",
    "codebase",
    "archive",
    "xlink:href",
    "imagesrcset",
}

ABSOLUTE = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)
CSS_RULES = [
    re.compile(r"url\(\s*['\"]?\s*(?:https?:)?//", re.IGNORECASE),
    re.compile(r"@import\s+(?:url\()?\s*['\"]?\s*(?:https?:)?//", re.IGNORECASE),
]
JS_RULES = [
    *CSS_RULES,
    re.compile(r"\b(?:src|href)\s*[=:]\s*['\"`]\s*(?:https?:)?//", re.IGNORECASE),
    re.compile(r"\b(?:importScripts|fetch|import)\s*\(\s*['\"`]\s*(?:https?:)?//", re.IGNORECASE),
    re.compile(r"\.(?:src|href)\s*=\s*['\"`]\s*(?:https?:)?//", re.IGNORECASE),
]
CDN_HOSTS = re.compile(
    r"(?:unpkg\.com|cdn\.jsdelivr\.net|cdnjs\.cloudflare\.com|fonts\.googleapis\.com|fonts\.gstatic\.com"
    r"|ajax\.googleapis\.com|googletagmanager\.com|google-analytics\.com|hm\.baidu\.com|cdn\.bootcdn\.net"
    r"|polyfill\.io|twemoji\.maxcdn\.com|cdn\.staticfile\.org)",
    re.IGNORECASE,
)

# (file name pattern, exact URL, reason) — conditional loaders inside Material's own bundle.
ALLOWED_JS = [
    (
        re.compile(r"bundle\.[0-9a-f]+\.min\.js$"),
        "https://unpkg.com/mermaid@11/dist/mermaid.min.js",
        "loaded only for Mermaid diagrams; test_no_mermaid_diagrams checks there are none",
    ),
    (
        re.compile(r"bundle\.[0-9a-f]+\.min\.js$"),
        "https://unpkg.com/resize-observer-polyfill",
        "loaded only by browsers without ResizeObserver (all current browsers have it)",
    ),
]


def _is_external(url: str) -> bool:
    return bool(ABSOLUTE.match(url))


def _host(url: str) -> str:
    url = url.strip()
    return (urlsplit(url if "://" in url else "http:" + url).hostname or "").lower()


def css_problems(css: str) -> list[str]:
    return [m.group(0) for rule in CSS_RULES for m in rule.finditer(css)]


def js_problems(js: str, filename: str = "inline") -> list[str]:
    found = [m.group(0) for rule in JS_RULES for m in rule.finditer(js)]
    allowed = {url for pattern, url, _why in ALLOWED_JS if pattern.search(filename)}
    for m in CDN_HOSTS.finditer(js):
        # the whole URL around the host name
        start = max(js.rfind('"', 0, m.start()), js.rfind("'", 0, m.start()), js.rfind("`", 0, m.start())) + 1
        end = min((i for i in (js.find(q, m.end()) for q in "\"'`") if i != -1), default=len(js))
        url = js[start:end]
        if url not in allowed:
            found.append(url[:120])
    return found


class _HTMLChecker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.allowed_links: list[str] = []
        self._in: str | None = None
        self._buf: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): value or "" for name, value in attrs}
        for name, value in values.items():
            if name in URL_ATTRS:
                candidates = [part.strip().split(" ")[0] for part in value.split(",")] if "srcset" in name else [value]
                for url in candidates:
                    if not _is_external(url):
                        continue
                    if tag == "a" and name == "href" and _host(url) in ALLOWED_LINK_HOSTS:
                        self.allowed_links.append(url)
                    else:
                        self.problems.append(f"<{tag} {name}={url}>")
            elif name == "style":
                self.problems += css_problems(value)
        if tag == "meta":
            content = values.get("content", "")
            if re.search(r"url\s*=\s*(?:https?:)?//", content, re.IGNORECASE) or _is_external(content):
                self.problems.append(f"<meta content={content}>")
        if tag in {"style", "script"}:
            self._in, self._buf = tag, []

    def handle_data(self, data: str) -> None:
        if self._in:
            self._buf.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            text = "".join(self._buf)
            self.problems += css_problems(text) if tag == "style" else js_problems(text)
            self._in = None


def html_problems(html: str) -> tuple[list[str], list[str]]:
    checker = _HTMLChecker()
    checker.feed(html)
    checker.close()
    return checker.problems, checker.allowed_links


# --- the checker itself can fail -----------------------------------------------------------------


@pytest.mark.parametrize(
    "html",
    [
        '<script src="https://cdn.jsdelivr.net/npm/x.js"></script>',
        '<link rel="stylesheet" href="//fonts.googleapis.com/css?family=Roboto">',
        '<img src="http://example.org/a.png">',
        '<img srcset="a.png 1x, https://example.org/b.png 2x">',
        '<a href="https://squidfunk.github.io/mkdocs-material/">Made with Material</a>',
        '<a href="//example.org/">x</a>',
        '<link rel="canonical" href="https://zhtj.youth.cn/zhtj">',
        '<svg><use href="https://example.org/icons.svg#a"></use></svg>',
        '<form action="https://example.org/submit"></form>',
        '<meta http-equiv="refresh" content="0; url=https://example.org/">',
        '<meta property="og:image" content="https://example.org/card.png">',
        '<div style="background: url(https://example.org/bg.png)"></div>',
        "<style>@import url('https://fonts.googleapis.com/css2?family=Noto');</style>",
        '<script>var s=document.createElement("script");s.src="https://example.org/a.js"</script>',
    ],
)
def test_checker_flags_external_requests(html: str):
    problems, _ = html_problems(html)
    assert problems, html


@pytest.mark.parametrize(
    "html",
    [
        '<a href="https://zhtj.youth.cn/zhtj">官方系统</a>',
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path d="M0 0"/></svg>',
        '<link rel="stylesheet" href="assets/stylesheets/main.css">',
        '<script src="assets/javascripts/bundle.js"></script>',
        '<a href="mailto:someone@example.org">mail</a>',
        '<img src="data:image/png;base64,AAAA">',
        '<meta name="generator" content="mkdocs-1.6.1, mkdocs-material-9.8.2">',
    ],
)
def test_checker_accepts_local_references(html: str):
    problems, _ = html_problems(html)
    assert not problems, problems


def test_checker_css_and_js_rules():
    assert css_problems("a{background:url( 'https://example.org/x.png')}")
    assert css_problems('@import "//example.org/x.css";')
    assert not css_problems("a{background:url(../images/x.png)} b{mask-image:url('data:image/svg+xml;x')}")
    assert js_problems('importScripts("https://example.org/lunr.js")')
    assert js_problems("fetch(`https://example.org/api`)")
    assert js_problems('x("https://unpkg.com/iframe-worker/shim")', "bundle.0123abcd.min.js")
    assert not js_problems('x("https://unpkg.com/resize-observer-polyfill")', "bundle.0123abcd.min.js")
    assert js_problems('x("https://unpkg.com/resize-observer-polyfill")', "other.js")
    assert not js_problems('console.warn("see https://bit.ly/2s3ChXG")')  # text, not a request


# --- the built site ------------------------------------------------------------------------------


def test_html_references_no_external_host(built_site):
    html_files = built_site.files(".html")
    assert len(html_files) >= 9
    problems: dict[str, list[str]] = {}
    allowed: list[str] = []
    for path in html_files:
        found, links = html_problems(path.read_text(encoding="utf-8"))
        allowed += links
        if found:
            problems[str(path.relative_to(built_site.dir))] = found
    assert not problems, problems
    assert "https://zhtj.youth.cn/zhtj" in allowed  # the scan does see absolute <a href>


def test_css_references_no_external_host(built_site):
    css_files = built_site.files(".css")
    assert css_files
    problems = {str(p.relative_to(built_site.dir)): css_problems(p.read_text(encoding="utf-8")) for p in css_files}
    assert not {k: v for k, v in problems.items() if v}


def test_js_references_no_external_host(built_site):
    js_files = built_site.files(".js")
    assert any("bundle" in p.name for p in js_files)
    problems = {
        str(p.relative_to(built_site.dir)): js_problems(p.read_text(encoding="utf-8"), p.name) for p in js_files
    }
    assert not {k: v for k, v in problems.items() if v}


def test_allowed_js_urls_still_exist(built_site):
    """If Material drops a loader, its allowance must go too (keeps ALLOWED_JS honest)."""
    bundle = "".join(p.read_text(encoding="utf-8") for p in built_site.files(".js") if p.name.startswith("bundle."))
    for _pattern, url, _why in ALLOWED_JS:
        assert url in bundle, url


def test_no_mermaid_diagrams(built_site):
    for path in built_site.files(".html"):
        assert 'class="mermaid"' not in path.read_text(encoding="utf-8"), path


def test_no_sources_reference_a_cdn(repo_root: Path):
    """The Markdown sources themselves link out only to the official site."""
    for path in (repo_root / "site").rglob("*"):
        if path.is_file() and path.suffix in {".md", ".css", ".js", ".html"}:
            for url in re.findall(r"(?:https?:)?//[A-Za-z0-9.-]+", path.read_text(encoding="utf-8")):
                assert _host(url) in ALLOWED_LINK_HOSTS, (path, url)
