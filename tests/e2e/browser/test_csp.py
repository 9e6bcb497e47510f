"""The console works under a strict Content Security Policy: no 'unsafe-inline' and no
'unsafe-eval' for scripts or styles. The console pages are served here with such a policy;
the only inline scripts it allows are Material's own two (outside the page's <article>), by
hash, as a deployment would. Any inline script, event-handler attribute or style attribute
in the console's content would be refused, Chromium would log it, and the test fails."""

from __future__ import annotations

import base64
import hashlib
import re

from playwright.sync_api import ConsoleMessage, Page, Route, expect

from tests.e2e.browser.support import BROWSER, sign_in, wait_ready
from tests.e2e.browser.test_member_pages import NUMBERS, demo_member, org_of
from tests.e2e.conftest import RunningStack

pytestmark = BROWSER

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)([^>]*)>(.*?)</script>", re.DOTALL)


def material_script_hashes(html: str) -> list[str]:
    """CSP hashes of the executable inline scripts outside <article> (the theme's)."""
    start, end = html.index("<article"), html.index("</article>")
    hashes = []
    for match in INLINE_SCRIPT.finditer(html):
        if start <= match.start() < end:
            continue  # ours: must not exist, and is not allowed
        if re.search(r"""type=["']application/json""", match.group(1)):
            continue  # a data block, never executed
        digest = hashlib.sha256(match.group(2).encode("utf-8")).digest()
        hashes.append(f"'sha256-{base64.b64encode(digest).decode()}'")
    return hashes


def csp_headers(response_headers: dict[str, str], html: str) -> dict[str, str]:
    headers = {k: v for k, v in response_headers.items() if k.lower() != "content-length"}
    return {**headers, "content-security-policy": policy(html)}


def policy(html: str) -> str:
    return "; ".join([
        "default-src 'none'",
        f"script-src 'self' {' '.join(material_script_hashes(html))}",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "worker-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def test_console_pages_work_without_unsafe_inline(page: Page, base_url: str, stack: RunningStack) -> None:
    demo_member(stack, "csp", "内容安全策略测试")
    served: list[str] = []

    def with_csp(route: Route) -> None:
        response = route.fetch()
        html = response.text()
        served.append(route.request.url)
        route.fulfill(response=response, body=html, headers=csp_headers(response.headers, html))

    page.route(re.compile(r"/console/[a-z-]+\.html(\?.*)?$"), with_csp)
    refused: list[str] = []

    def watch(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            refused.append(f"{page.url}: {message.text}")

    page.on("console", watch)

    page.goto(f"{base_url}/console/login.html")
    page.click("#login-form button[type=submit]")
    expect(page.locator(".zhtj-error-summary")).to_be_focused()
    sign_in(page, base_url, "xuanwu")
    page.locator("#children-list a").first.click()
    wait_ready(page, "dashboard")
    page.goto(f"{base_url}/console/org-new.html")
    wait_ready(page, "org-new")
    page.select_option("#kind", "团支部")
    page.click("#org-new-form button[type=submit]")
    expect(page.locator("#industry-error")).to_be_visible()
    # The member pages: entry (errors), search, the archive page reached from the result.
    page.goto(f"{base_url}/console/member-new.html?org={org_of(stack, 'school')}")  # its 团总支's branches
    wait_ready(page, "member-new")
    page.click("#member-new-form button[type=submit]")
    expect(page.locator("#m-name-error")).to_be_visible()
    page.goto(f"{base_url}/console/members.html")
    wait_ready(page, "members")
    page.fill("#q", NUMBERS["csp"])
    page.click("#members-form button[type=submit]")
    page.locator("#members-rows a").click()
    assert wait_ready(page, "archive") == "ready"
    expect(page.locator("#archive-upload")).to_be_visible()
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url(re.compile(r"signed_out=1"))

    assert len(served) >= 8 and all("/console/" in url for url in served)
    assert not refused, "\n".join(refused)


def test_the_policy_does_refuse_inline_code(page: Page, base_url: str) -> None:
    """The check can fail: an inline script in the article is refused and logged."""
    def with_csp(route: Route) -> None:
        response = route.fetch()
        html = response.text().replace("</article>", "<script>document.title='inline'</script></article>", 1)
        route.fulfill(response=response, body=html, headers=csp_headers(response.headers, html))

    page.route(re.compile(r"/console/login\.html$"), with_csp)
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(f"{base_url}/console/login.html")
    page.wait_for_load_state("load")
    assert page.title() != "inline"
    assert refused
