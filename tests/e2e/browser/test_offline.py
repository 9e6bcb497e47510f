"""No request leaves 127.0.0.1 while a person uses the site: every public page, the search
(which loads its index in a worker) and every console page. The context fixture already
fails any browser test that tried; this test walks the whole site so that every page is
covered at least once, and checks that the recording itself works."""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.sync_api import expect

from tests.e2e.browser.support import BROWSER, LOOPBACK, sign_in, wait_ready

pytestmark = BROWSER

PUBLIC = ["index.html", "notice.html", "allocation.html", "guide.html", "entry-steps.html", "faq.html",
          "rules.html", "downloads.html"]


def test_no_request_leaves_loopback(new_context, base_url: str) -> None:
    context, log = new_context()
    page = context.new_page()
    for path in PUBLIC:
        page.goto(f"{base_url}/{path}")
        page.wait_for_load_state("networkidle")
    # Search: Material loads the index in a web worker on first use.
    page.locator(".md-search__input").click()
    expect(page.locator(".md-search-result__meta")).to_have_text("键入以开始搜索")  # the index is loaded
    page.keyboard.type("团青比")
    # Material searches on keyup; Playwright types CJK text as inserted text without key events
    # (as an IME would send them), so end with one real key.
    page.keyboard.press("End")
    expect(page.locator(".md-search-result__item").first).to_be_visible()
    sign_in(page, base_url, "xuanwu")
    page.locator("#children-list a").first.click()
    wait_ready(page, "dashboard")
    page.goto(f"{base_url}/console/org-new.html")
    wait_ready(page, "org-new")
    page.wait_for_load_state("networkidle")

    hosts = {urlsplit(url).hostname for url in log.urls if urlsplit(url).scheme in ("http", "https", "ws", "wss")}
    assert hosts == {LOOPBACK}, log.foreign
    paths = {urlsplit(url).path for url in log.urls}
    assert {"/search/search_index.json", "/console/js/api.js", "/api/me", "/api/auth/login"} <= paths
    assert not log.foreign
