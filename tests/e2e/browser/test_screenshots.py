"""Screenshots of the main console pages at desktop (1280×800) and phone (390×844) widths,
saved under build/screenshots/ for review and the README. Each shot is taken once its page
has loaded, so this test also checks that every one of them renders."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser.support import BROWSER, DESKTOP, PHONE, SCREENSHOTS, settle, sign_in, wait_ready
from tests.e2e.browser.test_member_pages import (
    NUMBERS,
    demo_member,
    fill_with_server_errors,
    good_pdf,
    open_archive,
    upload,
)
from tests.e2e.conftest import RunningStack

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
def test_screenshots(new_context, base_url: str, width_name: str, viewport: dict[str, int],
                     stack: RunningStack) -> None:
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

    page.locator("#org-actions").get_by_role("link", name="创建下级组织").click()
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

    # The member pages: the entry form with the server's per-field errors, a search result and
    # the archive page after an accepted upload (desktop: version 1; phone: its replacement).
    member_id = demo_member(stack, "screenshots", "截图测试")
    sign_in(page, base_url, "branch")
    page.locator("#org-actions").get_by_role("link", name="单个录入团员").click()
    wait_ready(page, "member-new")
    fill_with_server_errors(page)
    page.evaluate("window.scrollTo(0, 0)")
    shoot(page, "console-member-new-errors", width_name)

    page.goto(f"{base_url}/console/members.html")
    wait_ready(page, "members")
    page.fill("#q", NUMBERS["screenshots"])
    page.click("#members-form button[type=submit]")
    expect(page.locator("#members-rows tr")).to_have_count(1)
    page.evaluate("window.scrollTo(0, 0)")
    shoot(page, "console-members-results", width_name)

    open_archive(page, base_url, member_id)
    upload(page, "入团志愿书.pdf", good_pdf(NUMBERS["screenshots"]))
    expect(page.locator("#archive-verdict")).to_have_attribute("data-status", "accepted")
    page.evaluate("window.scrollTo(0, 0)")
    shoot(page, "console-archive", width_name)
