"""The console in a real browser: sign-in, the dashboard, creating a sub-organisation, the
GOV.UK error pattern, keyboard-only use, 403 and narrow screens (issue 7 parts 3–5)."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from tests.e2e.browser.support import BROWSER, NARROW, sign_in, wait_ready
from tests.e2e.conftest import RunningStack

pytestmark = BROWSER

XUANWU = "320102"
ERROR_TITLE = re.compile(r"^错误：")


def unique(prefix: str) -> str:
    """Organisation names are unique under a parent; the stack lives for the whole session."""
    return f"{prefix}{uuid.uuid4().hex[:6]}"


def focused_id(page: Page) -> str:
    return str(page.evaluate("document.activeElement && document.activeElement.id"))


# --- sign-in ----------------------------------------------------------------------------------


def test_wrong_password_shows_a_focused_error_summary(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/console/login.html")
    page.fill("#username", "xuanwu")
    page.fill("#password", "wrong-Password-1")
    page.click("#login-form button[type=submit]")
    summary = page.locator(".zhtj-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary).to_have_attribute("role", "alert")
    expect(summary).to_contain_text("用户名或密码错误")
    expect(page).to_have_title(ERROR_TITLE)
    # No field named: the message is in the summary only, and the password is cleared for a retry.
    assert page.locator(".zhtj-error-message").count() == 0
    expect(page.locator("#password")).to_have_value("")
    assert page.evaluate("sessionStorage.length") == 0
    # Correcting it clears the errors and the title prefix.
    page.fill("#password", "Demo-2023-zhtj")
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#dashboard[data-state=ready]")
    assert not page.title().startswith("错误：")


def test_empty_sign_in_links_each_field_from_the_summary(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/console/login.html")
    page.click("#login-form button[type=submit]")
    summary = page.locator(".zhtj-error-summary")
    expect(summary).to_be_focused()
    links = summary.locator("a")
    expect(links).to_have_count(2)
    assert [links.nth(i).get_attribute("href") for i in range(2)] == ["#username", "#password"]
    for name, message in (("username", "请输入用户名"), ("password", "请输入密码")):
        control = page.locator(f"#{name}")
        expect(control).to_have_attribute("aria-invalid", "true")
        expect(control).to_have_attribute("aria-describedby", re.compile(rf"\b{name}-error\b"))
        expect(page.locator(f"#{name}-error")).to_have_text(f"错误：{message}")
    links.nth(1).click()
    expect(page.locator("#password")).to_be_focused()


def test_sign_in_as_xuanwu_shows_the_county_and_its_children(page: Page, base_url: str, stack: RunningStack) -> None:
    # A member without an archive in the county's subtree, so the §3.2 banner has a reason to show.
    from tests.e2e.test_members import form, resident_id

    community = stack.session("community")
    community_id = community.get(stack.api("me"), timeout=10).json()["org"]["org_id"]
    entered = community.post(stack.api(f"orgs/{community_id}/members"), timeout=10, json=form(**{
        "身份证号码": resident_id(birth="20070305"), "发展团员编号": "202332158020", "在读状况": "",
        "全日制学历": "普通高中"}))
    assert entered.status_code in (201, 409), entered.text
    sign_in(page, base_url, "xuanwu")
    expect(page.locator("#org-name")).to_have_text("南京市玄武区团委")
    expect(page.locator("#org-details")).to_contain_text("团县(市、区)委")
    expect(page.locator("#org-breadcrumbs li")).to_have_text(["玄武区团委"])
    expect(page.locator("[data-zhtj-account]")).to_contain_text("xuanwu")
    api_children = stack.session("xuanwu").get(stack.api(f"orgs/{XUANWU}/children"), timeout=10).json()["items"]
    shown = page.locator("#children-list .zhtj-org-list__name")
    expect(shown).to_have_count(len(api_children))
    assert set(shown.all_inner_texts()) == {c["name"] for c in api_children}
    assert {"南京市玄武区示范初级中学团委", "南京市玄武区玄武门街道团工委"} <= set(shown.all_inner_texts())
    # 操作指引 §3.2: the banner shows exactly when the archive summary of the subtree says so.
    summary = stack.session("xuanwu").get(stack.api(f"orgs/{XUANWU}/archives/summary"), timeout=10).json()
    banner = page.locator("[data-zhtj-slot=archive-missing]")
    assert summary["members_without_archive"] >= 1
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("组织内有团员档案尚未上传")
    expect(banner).to_contain_text(f"共有 {summary['members_without_archive']} 名")

    # Drill down to the school and back through the breadcrumbs.
    page.get_by_role("link", name="南京市玄武区示范初级中学团委").click()
    wait_ready(page, "dashboard")
    assert "org=" in page.url
    expect(page.locator("#org-name")).to_have_text("南京市玄武区示范初级中学团委")
    expect(page.locator("#org-breadcrumbs li")).to_have_text(["玄武区团委", "示范初中团委"])
    expect(page.locator("#org-breadcrumbs [aria-current=page]")).to_have_text("示范初中团委")
    expect(page.locator("#children-list")).to_contain_text("南京市玄武区示范初级中学初三年级团总支")
    page.locator("#org-breadcrumbs").get_by_role("link", name="玄武区团委").click()
    wait_ready(page, "dashboard")
    expect(page.locator("#org-name")).to_have_text("南京市玄武区团委")


def test_a_protected_page_returns_there_after_sign_in(page: Page, base_url: str, stack: RunningStack) -> None:
    school = next(c for c in stack.session("xuanwu").get(stack.api(f"orgs/{XUANWU}/children"), timeout=10)
                  .json()["items"] if c["kind"] == "团委")
    page.goto(f"{base_url}/console/index.html?org={school['org_id']}")
    page.wait_for_url(re.compile(r"/console/login\.html\?next="))
    expect(page.locator("#login-notice")).to_contain_text("请先登录")
    page.fill("#username", "xuanwu")
    page.fill("#password", "Demo-2023-zhtj")
    page.click("#login-form button[type=submit]")
    page.wait_for_url(re.compile(rf"/console/index\.html\?org={school['org_id']}$"))
    wait_ready(page, "dashboard")
    expect(page.locator("#org-name")).to_have_text(school["name"])


def test_the_return_url_never_leaves_the_site(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/console/login.html?next=https://example.org/steal")
    page.fill("#username", "xuanwu")
    page.fill("#password", "Demo-2023-zhtj")
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#dashboard[data-state=ready]")
    assert page.url == f"{base_url}/console/index.html"


def test_an_invalid_token_sends_back_to_sign_in(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/console/login.html")
    page.evaluate("""() => {
        sessionStorage.setItem('zhtj.console.idToken', 'not-a-token');
        sessionStorage.setItem('zhtj.console.expiresAt', String(Date.now() + 3600e3));
    }""")
    page.goto(f"{base_url}/console/index.html")
    page.wait_for_url(re.compile(r"/console/login\.html\?next=%2Fconsole%2Findex\.html"))
    assert page.evaluate("sessionStorage.getItem('zhtj.console.idToken')") is None


def test_sign_out(page: Page, base_url: str) -> None:
    sign_in(page, base_url, "xuanwu")
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url(re.compile(r"/console/login\.html\?signed_out=1$"))
    expect(page.locator("#login-notice")).to_have_text("您已退出登录。")
    assert page.evaluate("sessionStorage.length") == 0
    page.goto(f"{base_url}/console/index.html")
    page.wait_for_url(re.compile(r"/console/login\.html"))


# --- 403 -----------------------------------------------------------------------------------------


def test_nanjing_cannot_open_suzhou(page: Page, base_url: str) -> None:
    sign_in(page, base_url, "nanjing")
    page.goto(f"{base_url}/console/index.html?org=3205")
    assert wait_ready(page, "dashboard") == "error"
    heading = page.locator(".zhtj-page-error__title")
    expect(heading).to_have_text("无权查看该组织")
    expect(heading).to_be_focused()
    error = page.locator("#dashboard-error")
    expect(error).to_contain_text("您无权管理该组织")
    expect(page.locator("#dashboard-org")).to_be_hidden()
    expect(page).to_have_title(re.compile(r"^无权查看该组织"))
    error.get_by_role("link", name="返回本组织（南京市团委）工作台").click()
    wait_ready(page, "dashboard")
    expect(page.locator("#org-name")).to_have_text("南京市团委")

    page.goto(f"{base_url}/console/org-new.html?org=3205")
    assert wait_ready(page, "org-new") == "error"
    expect(page.locator(".zhtj-page-error__title")).to_have_text("无权查看该组织")
    expect(page.locator("#org-new-form")).to_be_hidden()


def test_an_unknown_organisation_is_a_clear_404(page: Page, base_url: str) -> None:
    sign_in(page, base_url, "jiangsu")
    page.goto(f"{base_url}/console/index.html?org=no-such-org")
    assert wait_ready(page, "dashboard") == "error"
    expect(page.locator(".zhtj-page-error__title")).to_have_text("找不到该组织")


# --- creating a sub-organisation -----------------------------------------------------------------


def open_org_new(page: Page, base_url: str, username: str = "xuanwu") -> None:
    sign_in(page, base_url, username)
    page.locator("#org-actions").get_by_role("link", name="创建下级组织").click()
    assert wait_ready(page, "org-new") == "ready"


def test_a_branch_without_industry_is_refused_and_linked_from_the_summary(page: Page, base_url: str) -> None:
    open_org_new(page, base_url)
    expect(page.locator("#parent-name")).to_have_text("南京市玄武区团委")
    # Only what a county may hold (zhtj.domain.orgs.ALLOWED_CHILDREN).
    assert page.locator("#kind option").all_inner_texts() == ["请选择", "团委", "团工委", "团总支", "团支部"]
    expect(page.locator("#industry-field")).to_be_hidden()
    page.select_option("#kind", "团支部")
    expect(page.locator("#industry-field")).to_be_visible()
    page.fill("#name", unique("玄武区浏览器测试团支部"))
    page.fill("#short_name", "浏览器测试团支部")
    page.click("#org-new-form button[type=submit]")

    summary = page.locator(".zhtj-error-summary")
    expect(summary).to_be_focused()
    expect(page).to_have_title(ERROR_TITLE)
    link = summary.locator("a")
    expect(link).to_have_count(1)
    expect(link).to_have_attribute("href", "#industry")
    expect(link).to_contain_text("单位所属行业类别")
    expect(page.locator("#industry-error")).to_be_visible()
    expect(page.locator("#industry")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#industry")).to_have_attribute("aria-describedby", "industry-hint industry-error")
    expect(page.locator("#industry-field")).to_have_class(re.compile(r"\bzhtj-field--error\b"))
    link.click()
    expect(page.locator("#industry")).to_be_focused()


def test_a_branch_created_properly_appears_among_the_children(page: Page, base_url: str,
                                                              stack: RunningStack) -> None:
    name = unique("玄武区浏览器测试社区团支部")
    open_org_new(page, base_url)
    page.select_option("#kind", "团支部")
    page.click("#org-new-form button[type=submit]")  # first with errors, then corrected
    expect(page).to_have_title(ERROR_TITLE)
    expect(page.locator(".zhtj-error-summary a")).to_have_count(3)
    page.fill("#name", name)
    page.fill("#short_name", "浏览器测试团支部")
    page.select_option("#industry", "城市社区")
    page.click("#org-new-form button[type=submit]")

    success = page.locator("#org-new-success")
    expect(success).to_be_visible()
    expect(success).to_be_focused()
    expect(success).to_contain_text(f"已在“南京市玄武区团委”下创建团支部“{name}”。")
    expect(page.locator(".zhtj-error-summary")).to_be_hidden()
    assert page.locator(".zhtj-error-message").count() == 0
    assert not page.title().startswith("错误：")
    expect(page.locator("#name")).to_have_value("")  # ready for the next one

    children = stack.session("xuanwu").get(stack.api(f"orgs/{XUANWU}/children"), timeout=10).json()["items"]
    created = next(c for c in children if c["name"] == name)
    assert created["kind"] == "团支部" and created["industry"] == "城市社区"

    success.get_by_role("link", name="返回上级组织的工作台").click()
    wait_ready(page, "dashboard")
    item = page.locator("#children-list li", has_text=name)
    expect(item).to_contain_text("团支部 · 城市社区")
    item.get_by_role("link", name=name).click()
    wait_ready(page, "dashboard")
    expect(page.locator("#org-name")).to_have_text(name)
    # A branch is a leaf: nothing to create below it.
    expect(page.locator("#org-actions").get_by_role("link", name="创建下级组织")).to_have_count(0)
    expect(page.locator("#children-empty")).to_have_text("团支部是最基层组织，没有下级组织。")


def test_a_duplicate_name_shows_the_servers_error_at_the_name_field(page: Page, base_url: str) -> None:
    name = unique("玄武区浏览器测试团工委")
    open_org_new(page, base_url)
    for attempt in ("created", "refused"):
        page.select_option("#kind", "团工委")
        page.fill("#name", name)
        page.fill("#short_name", "测试团工委")
        page.click("#org-new-form button[type=submit]")
        if attempt == "created":
            expect(page.locator("#org-new-success")).to_be_visible()
    summary = page.locator(".zhtj-error-summary")
    expect(page.locator("#org-new-success")).to_be_hidden()  # not "created" next to the error
    expect(summary).to_be_focused()
    expect(summary.locator("a[href='#name']")).to_contain_text("已存在")
    expect(page.locator("#name-error")).to_contain_text("已存在")
    expect(page).to_have_title(ERROR_TITLE)


def test_too_long_names_are_caught_before_sending(page: Page, base_url: str) -> None:
    open_org_new(page, base_url)
    page.select_option("#kind", "团委")
    page.fill("#name", "团" * 61)
    page.fill("#short_name", "简" * 21)
    page.click("#org-new-form button[type=submit]")
    expect(page.locator("#name-error")).to_contain_text("不能超过60个字，当前为61个字")
    expect(page.locator("#short_name-error")).to_contain_text("不能超过20个字，当前为21个字")


def test_under_a_general_branch_only_a_branch_can_be_made(page: Page, base_url: str, stack: RunningStack) -> None:
    session = stack.session("school")
    me = session.get(stack.api("me"), timeout=10).json()["org"]
    grade = next(c for c in session.get(stack.api(f"orgs/{me['org_id']}/children"), timeout=10).json()["items"]
                 if c["kind"] == "团总支")
    sign_in(page, base_url, "school")
    page.goto(f"{base_url}/console/org-new.html?org={grade['org_id']}")
    assert wait_ready(page, "org-new") == "ready"
    expect(page.locator("#kind")).to_have_value("团支部")
    expect(page.locator("#industry-field")).to_be_visible()


def test_a_branch_admin_gets_no_form(page: Page, base_url: str) -> None:
    sign_in(page, base_url, "branch")
    expect(page.locator("#org-actions").get_by_role("link", name="创建下级组织")).to_have_count(0)
    page.goto(f"{base_url}/console/org-new.html")
    assert wait_ready(page, "org-new") == "ready"
    expect(page.locator("#org-new-leaf")).to_have_text("团支部是最基层组织，不能创建下级组织。")
    expect(page.locator("#org-new-form")).to_be_hidden()


# --- keyboard only -------------------------------------------------------------------------------


def tab_to(page: Page, element_id: str, limit: int = 60) -> int:
    """Press Tab until ``element_id`` has focus; returns how many presses it took."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if focused_id(page) == element_id:
            return presses
    raise AssertionError(f"#{element_id} never received focus after {limit} Tab presses")


def focus_is_visible(page: Page) -> bool:
    """The focused element draws a focus indicator (an outline or a box shadow)."""
    return bool(page.evaluate("""() => {
        const s = getComputedStyle(document.activeElement);
        return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) || s.boxShadow !== 'none';
    }"""))


def test_keyboard_only_sign_in(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/console/login.html")
    tab_to(page, "username")
    assert focus_is_visible(page)
    page.keyboard.press("Enter")  # submitting the empty form
    expect(page.locator(".zhtj-error-summary")).to_be_focused()
    page.keyboard.press("Tab")  # into the summary: its first link
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#username"
    assert focus_is_visible(page)
    page.keyboard.press("Enter")
    assert focused_id(page) == "username"
    page.keyboard.type("xuanwu")
    page.keyboard.press("Tab")
    assert focused_id(page) == "password"
    assert focus_is_visible(page)
    page.keyboard.type("Demo-2023-zhtj")
    page.keyboard.press("Tab")
    assert page.evaluate("[document.activeElement.tagName, document.activeElement.type]") == ["BUTTON", "submit"]
    assert focus_is_visible(page)
    page.keyboard.press("Enter")
    page.wait_for_selector("#dashboard[data-state=ready]")
    expect(page.locator("#org-name")).to_have_text("南京市玄武区团委")
    # Sign out with the keyboard too: the button is a real <button>.
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "退出登录":
            break
    assert page.evaluate("document.activeElement.tagName") == "BUTTON"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/console/login\.html\?signed_out=1$"))


# --- narrow screens ------------------------------------------------------------------------------


def test_the_console_fits_a_360_px_screen(new_context, base_url: str) -> None:
    context, _log = new_context(viewport=NARROW)
    page = context.new_page()

    def no_horizontal_scroll() -> None:
        assert page.evaluate("document.documentElement.scrollWidth") <= NARROW["width"], page.url

    page.goto(f"{base_url}/console/login.html")
    page.click("#login-form button[type=submit]")
    expect(page.locator(".zhtj-error-summary")).to_be_in_viewport()
    no_horizontal_scroll()
    sign_in(page, base_url, "xuanwu")
    no_horizontal_scroll()
    button = page.locator("#org-actions").get_by_role("link", name="创建下级组织")
    assert button.bounding_box()["width"] > 300  # full-width buttons on a phone
    button.click()
    wait_ready(page, "org-new")
    page.select_option("#kind", "团支部")
    page.click("#org-new-form button[type=submit]")
    expect(page.locator(".zhtj-error-summary")).to_be_in_viewport()
    no_horizontal_scroll()
