"""Screenshots of the main console pages at desktop (1280×800) and phone (390×844) widths,
saved under build/screenshots/ for review and the README. Each shot is taken once its page
has loaded, so this test also checks that every one of them renders."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser.support import BROWSER, DESKTOP, PHONE, SCREENSHOTS, settle, sign_in, wait_ready

pytestmark = BROWSER


def shoot(page: Page, name: str, width_name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    settle(page)
    path = SCREENSHOTS / f"{name}-{width_name}.png"
    # The phone shots show the whole page (forms are taller than one screen); the desktop ones
    # show what one screen shows.
    page.screenshot(path=str(path), full_page=width_name == "phone")
    assert path.stat().st_size > 10_000


@pytest.mark.parametrize(("width_name", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_screenshots(new_context, base_url: str, width_name: str, viewport: dict[str, int]) -> None:
    context, _log = new_context(viewport=viewport)
    page = context.new_page()

    page.goto(f"{base_url}/console/login.html")
    page.fill("#username", "xuanwu")
    page.fill("#password", "wrong-Password-1")
    page.click("#login-form button[type=submit]")
    expect(page.locator(".zhtj-error-summary")).to_be_focused()
    page.evaluate("window.scrollTo(0, 0)")
    shoot(page, "console-login-error", width_name)

    sign_in(page, base_url, "xuanwu")
    shoot(page, "console-dashboard", width_name)

    page.locator("#org-actions .zhtj-button").click()
    wait_ready(page, "org-new")
    page.select_option("#kind", "团支部")
    page.fill("#name", "南京市玄武区示范初级中学初三（4）班团支部")
    page.click("#org-new-form button[type=submit]")
    expect(page.locator("#industry-error")).to_be_visible()
    page.evaluate("window.scrollTo(0, 0)")
    shoot(page, "console-org-new-errors", width_name)

    page.fill("#name", f"玄武区截图示例团支部{uuid.uuid4().hex[:4]}")
    page.fill("#short_name", "截图示例团支部")
    page.select_option("#industry", "初中")
    page.click("#org-new-form button[type=submit]")
    expect(page.locator("#org-new-success")).to_be_focused()
    page.evaluate("window.scrollTo(0, 0)")
    shoot(page, "console-org-new-success", width_name)

    sign_in(page, base_url, "nanjing")
    page.goto(f"{base_url}/console/index.html?org=3205")
    wait_ready(page, "dashboard")
    shoot(page, "console-forbidden", width_name)
