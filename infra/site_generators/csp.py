"""Build step: the sha256 hashes of every inline script and style of the built site, for the
Content-Security-Policy (``infra/local/headers.py`` reads them; so does the CloudFront export).

Why a post-build step and not a generator: generators (``GENERATORS`` in infra/mkdocs_hooks.py)
run in ``on_files``, before any page is rendered, and the inline scripts are written by Material's
templates while rendering (``__md_scope=new URL("..",location)`` differs with each page's depth).
Only ``on_post_build`` sees the final HTML, so infra/mkdocs_hooks.py calls :func:`on_post_build`
from its own ``on_post_build``.

What is hashed, exactly as a browser does (sha256 of the UTF-8 text of the element):

- ``<script>`` elements without ``src`` whose type runs as script (none, a JavaScript MIME
  type, ``module``, ``importmap``, ``speculationrules``); data blocks such as Material's
  ``<script id="__config" type="application/json">`` never run and need no hash;
- ``<style>`` elements, and ``style="…"`` attributes (allowed through ``'unsafe-hashes'``; the
  site has none today).

What a hash cannot allow is reported as a build warning (an error under ``mkdocs build
--strict``, which the local stack and CI use): inline event handlers (``onclick=…``) and
``javascript:`` URLs. The CSP would block them, so the page would silently not work.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from infra.local.headers import HASHES_FILE, InlineHashes

log = logging.getLogger("mkdocs.hooks.zhtj.csp")

#: <script type> values that make the element run (HTML "script block's type string").
_JS_TYPES = {
    "", "module", "importmap", "speculationrules",
    "text/javascript", "application/javascript", "application/ecmascript", "application/x-ecmascript",
    "application/x-javascript", "text/ecmascript", "text/javascript1.0", "text/javascript1.1",
    "text/javascript1.2", "text/javascript1.3", "text/javascript1.4", "text/javascript1.5", "text/jscript",
    "text/livescript", "text/x-ecmascript", "text/x-javascript",
}


def csp_hash(text: str) -> str:
    """The CSP source expression that allows exactly ``text``."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def runs_as_script(attrs: dict[str, str | None]) -> bool:
    if "src" in attrs:
        return False
    return (attrs.get("type") or "").strip().lower() in _JS_TYPES


@dataclass
class PageInlines:
    scripts: list[str] = field(default_factory=list)
    styles: list[str] = field(default_factory=list)
    style_attributes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found = PageInlines()
        self._open: tuple[str, list[str]] | None = None  # ("script" | "style", text chunks)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if "style" in values:
            self.found.style_attributes.append(values["style"] or "")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.problems.append(f"<{tag} {name}=…> (inline event handler)")
            elif name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                    "javascript:"):
                self.found.problems.append(f"<{tag} {name}=\"javascript:…\">")
        if tag == "script" and runs_as_script(values):
            self._open = ("script", [])
        elif tag == "style":
            self._open = ("style", [])

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in ("script", "style"):
            self.handle_endtag(tag)

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open[1].append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._open is not None and tag == self._open[0]:
            text = "".join(self._open[1])
            (self.found.scripts if tag == "script" else self.found.styles).append(text)
            self._open = None


def page_inlines(html: str) -> PageInlines:
    """The inline scripts, styles, style attributes and CSP-blocked constructs of one page.

    Script and style content is raw text in HTML (no character references), which is how
    HTMLParser hands it over; attribute values are decoded, as the browser hashes them."""
    collector = _Collector()
    collector.feed(html)
    collector.close()
    return collector.found


def collect(site_dir: Path) -> tuple[InlineHashes, dict[str, list[str]]]:
    """The union of the hashes over every HTML file of the site, and the problems per page."""
    scripts: set[str] = set()
    styles: set[str] = set()
    attributes: set[str] = set()
    problems: dict[str, list[str]] = {}
    for path in sorted(site_dir.rglob("*.html")):
        found = page_inlines(path.read_text(encoding="utf-8"))
        scripts.update(csp_hash(s) for s in found.scripts)
        styles.update(csp_hash(s) for s in found.styles)
        attributes.update(csp_hash(s) for s in found.style_attributes)
        if found.problems:
            problems[path.relative_to(site_dir).as_posix()] = sorted(set(found.problems))
    return InlineHashes(tuple(sorted(scripts)), tuple(sorted(styles)), tuple(sorted(attributes))), problems


def write_csp_hashes(site_dir: Path) -> InlineHashes:
    hashes, problems = collect(site_dir)
    for page, found in problems.items():
        log.warning("%s：内容安全策略（CSP）不允许 %s，请改用外部脚本文件和 addEventListener", page, "、".join(found))
    (site_dir / HASHES_FILE).write_text(json.dumps(hashes.to_json(), indent=1) + "\n", encoding="utf-8")
    log.info("CSP：内联脚本 %d 个、样式 %d 个、style 属性 %d 个的哈希已写入 %s", len(hashes.scripts),
             len(hashes.styles), len(hashes.style_attributes), HASHES_FILE)
    return hashes


def on_post_build(site_dir: Path) -> None:
    """Called by infra/mkdocs_hooks.py's ``on_post_build`` with the built site directory."""
    write_csp_hashes(site_dir)
