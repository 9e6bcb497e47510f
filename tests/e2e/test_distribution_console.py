"""The console page 发展团员计划 (console/plan.html) in a real browser (Debian's Chromium, skipped
when it is missing): 玄武区's admin sees the county's plan per domain, gives a new child 普通高中
numbers through the form, sees the GOV.UK-style errors (its own check and the API's), and takes
the numbers back."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.browser.support import (
    BROWSER,
    DESKTOP,
    PHONE,
    axe_violations,
    describe,
    sign_in,
)
from tests.e2e.conftest import RunningStack

pytestmark = BROWSER


@pytest.fixture(scope="module")
def chromium(browser: Browser) -> Browser:
    return browser  # the session's one browser (tests/e2e/conftest.py)


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    context = chromium.new_context(viewport=DESKTOP, locale="zh-CN", service_workers="block")
    context.set_default_timeout(20_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, errors


def test_an_admin_distributes_through_the_plan_page(page: Page, stack: RunningStack) -> None:
    xuanwu = stack.session("xuanwu")
    name = f"南京市玄武区（测试）页面测试高级中学{uuid.uuid4().hex[:6]}团委"  # sorts after the demo children
    created = xuanwu.post(stack.api("orgs/320102/children"), json={"name": name, "short_name": "页面测试高中团委",
                                                                 "kind": "团委"}, timeout=30)
    assert created.status_code == 201, created.text
    child_id = created.json()["org_id"]

    sign_in(page, stack.url, "xuanwu")
    page.goto(f"{stack.url}/console/plan.html")
    page.wait_for_selector("#plan[data-state=ready]")
    expect(page.locator("#plan-org-name")).to_contain_text("2023年发展团员计划")
    violations = axe_violations(page)
    assert not violations, describe(violations)
    section = page.locator("section[data-domain='普通高中']")
    expect(section.locator("h3")).to_have_text("普通高中领域")
    form = section.locator("form")

    # the page's own check, GOV.UK style: summary with a link, the field marked
    form.locator("select").select_option(child_id)
    form.locator("input[name=quota]").fill("十")
    form.locator("button[type=submit]").click()
    summary = section.locator(".zhtj-error-summary")  # inserted right before the form
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("名额应为0–999999之间的整数")
    expect(form.locator("input[name=quota]")).to_have_attribute("aria-invalid", "true")
    assert page.title().startswith("错误：")
    violations = axe_violations(page)  # the page with errors shown, as every console page is checked
    assert not violations, describe(violations)

    # the API's refusal lands on the same field
    form.locator("input[name=quota]").fill("99999")
    form.locator("button[type=submit]").click()
    expect(summary).to_contain_text("尚可分配")

    form.locator("input[name=quota]").fill("12")
    form.locator("button[type=submit]").click()
    expect(page.locator("#plan-success")).to_be_visible()
    expect(page.locator("#plan-success-text")).to_contain_text("已为")
    row = page.locator(f"section[data-domain='普通高中'] tr[data-child='{child_id}']")
    expect(row.locator("td").first).to_have_text("12")
    assert not page.title().startswith("错误：")

    form = page.locator("section[data-domain='普通高中'] form")
    form.locator("select").select_option(child_id)
    expect(form.locator("input[name=quota]")).to_have_value("12")  # prefilled with the current quota
    form.locator("input[name=quota]").fill("0")
    form.locator("button[type=submit]").click()
    expect(page.locator("#plan-success-text")).to_contain_text("收回")
    plan = xuanwu.get(stack.api(f"orgs/{child_id}/plan"), params={"year": 2023}, timeout=30).json()
    assert next(d for d in plan["domains"] if d["domain"] == "普通高中")["held"]["size"] == 0


def test_a_year_without_a_plan_and_a_bad_year(page: Page, stack: RunningStack) -> None:
    sign_in(page, stack.url, "school")
    page.goto(f"{stack.url}/console/plan.html?year=2030")
    page.wait_for_selector("#plan[data-state=ready]")
    expect(page.locator("#plan-empty")).to_contain_text("2030年没有发展团员名额")
    page.goto(f"{stack.url}/console/plan.html?year=abc")
    page.wait_for_selector("#plan[data-state=error]")
    expect(page.locator(".zhtj-error-summary")).to_contain_text("计划年度应为")


def test_the_plan_page_reads_on_a_phone(chromium: Browser, stack: RunningStack) -> None:
    context = chromium.new_context(viewport=PHONE, locale="zh-CN", service_workers="block")
    page = context.new_page()
    try:
        sign_in(page, stack.url, "xuanwu")
        page.goto(f"{stack.url}/console/plan.html")
        page.wait_for_selector("#plan[data-state=ready]")
        violations = axe_violations(page)
        assert not violations, describe(violations)
    finally:
        context.close()
