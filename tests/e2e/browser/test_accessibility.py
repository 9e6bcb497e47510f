"""axe-core (bundled by axe-playwright-python) finds no serious or critical violation on the
home page, the notice and every console page in each of its states, at desktop and phone
widths. Also: the one Material template this project overrides for accessibility
(overrides/partials/search.html) still matches Material's own file apart from that fix."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import ROOT
from tests.e2e.browser.support import BROWSER, DESKTOP, PHONE, axe_violations, describe, sign_in, wait_ready
from tests.e2e.conftest import RunningStack

pytestmark = BROWSER


def _home(page: Page, base: str) -> None:
    page.goto(f"{base}/")


def _notice(page: Page, base: str) -> None:
    page.goto(f"{base}/notice.html")


def _login(page: Page, base: str) -> None:
    page.goto(f"{base}/console/login.html?next=%2Fconsole%2Findex.html")
    expect(page.locator("#login-notice")).to_be_visible()


def _login_errors(page: Page, base: str) -> None:
    page.goto(f"{base}/console/login.html")
    page.fill("#username", "xuanwu")
    page.click("#login-form button[type=submit]")
    expect(page.locator("#password-error")).to_be_visible()


def _dashboard(page: Page, base: str) -> None:
    sign_in(page, base, "xuanwu")


def _dashboard_child(page: Page, base: str) -> None:
    sign_in(page, base, "xuanwu")
    page.get_by_role("link", name="南京市玄武区示范初级中学团委").click()
    wait_ready(page, "dashboard")


def _forbidden(page: Page, base: str) -> None:
    sign_in(page, base, "nanjing")
    page.goto(f"{base}/console/index.html?org=3205")
    assert wait_ready(page, "dashboard") == "error"


def _org_new_errors(page: Page, base: str) -> None:
    sign_in(page, base, "xuanwu")
    page.goto(f"{base}/console/org-new.html")
    wait_ready(page, "org-new")
    page.select_option("#kind", "团支部")
    page.click("#org-new-form button[type=submit]")
    expect(page.locator("#industry-error")).to_be_visible()


def _org_new_success(page: Page, base: str) -> None:
    sign_in(page, base, "school")
    page.goto(f"{base}/console/org-new.html")
    wait_ready(page, "org-new")
    page.select_option("#kind", "团总支")
    page.fill("#name", f"南京市玄武区示范初级中学初二年级团总支{uuid.uuid4().hex[:4]}")
    page.fill("#short_name", "初二团总支")
    page.click("#org-new-form button[type=submit]")
    expect(page.locator("#org-new-success")).to_be_focused()


def _member_new_errors(page: Page, base: str) -> None:
    """The server's per-field errors beside the fields (nothing is entered: the ID is under age)."""
    from tests.e2e.browser.test_member_pages import fill_with_server_errors

    sign_in(page, base, "branch")
    page.goto(f"{base}/console/member-new.html")
    wait_ready(page, "member-new")
    fill_with_server_errors(page)


def _members_results(page: Page, base: str, username: str = "school") -> None:
    from tests.e2e.browser.test_member_pages import NUMBERS

    sign_in(page, base, username)
    page.goto(f"{base}/console/members.html")
    wait_ready(page, "members")
    page.fill("#q", NUMBERS["accessibility"])
    page.click("#members-form button[type=submit]")
    expect(page.locator("#members-rows tr")).to_have_count(1)


def _archive_refused(page: Page, base: str) -> None:
    """The archive page, reached from the search result, with a refusal panel and the history."""
    from tests.e2e.browser.test_member_pages import upload
    from tests.unit.readers import pdf_corpus

    _members_results(page, base, "branch")
    page.locator("#members-rows a").click()
    wait_ready(page, "archive")
    upload(page, "照片.pdf", pdf_corpus.jpeg_file())
    expect(page.locator("#archive-verdict")).to_have_attribute("data-status", "refused")


#: States that show the member of test_member_pages.NUMBERS["accessibility"] (entered first).
NEED_MEMBER = {"members-results", "archive-refused"}

PAGES: dict[str, Callable[[Page, str], None]] = {
    "home": _home,
    "notice": _notice,
    "login": _login,
    "login-errors": _login_errors,
    "dashboard": _dashboard,
    "dashboard-child": _dashboard_child,
    "forbidden": _forbidden,
    "org-new-errors": _org_new_errors,
    "org-new-success": _org_new_success,
    "member-new-errors": _member_new_errors,
    "members-results": _members_results,
    "archive-refused": _archive_refused,
}


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("state", list(PAGES))
def test_no_serious_or_critical_axe_violation(new_context, base_url: str, state: str,
                                              viewport: dict[str, int], stack: RunningStack) -> None:
    if state in NEED_MEMBER:
        from tests.e2e.browser.test_member_pages import demo_member

        demo_member(stack, "accessibility", "无障碍测试")
    context, _log = new_context(viewport=viewport)
    page = context.new_page()
    PAGES[state](page, base_url)
    violations = axe_violations(page)
    assert not violations, f"{state} ({viewport['width']} px):\n{describe(violations)}"


def test_axe_does_find_problems(page: Page, base_url: str) -> None:
    """The check can fail: an unlabelled input and an unnamed dialog are reported."""
    page.goto(f"{base_url}/console/login.html")
    page.evaluate("""() => {
        document.querySelector('label[for=username]').remove();
        document.querySelector('.md-search').removeAttribute('aria-label');
    }""")
    found = {v["id"] for v in axe_violations(page, impacts=("serious", "critical"))}
    assert {"label", "aria-dialog-name"} <= found, found


def test_the_search_override_only_names_the_dialog() -> None:
    import material

    upstream = (Path(material.__file__).parent / "templates" / "partials" / "search.html").read_text(encoding="utf-8")
    ours = (ROOT / "overrides" / "partials" / "search.html").read_text(encoding="utf-8")
    ours = re.sub(r"\A\{#-\n  zhtj:.*?-#\}\n", "", ours, flags=re.DOTALL)  # our explanatory header
    assert ours.replace(""" aria-label="{{ lang.t('search.placeholder') }}">""", ">", 1) == upstream
