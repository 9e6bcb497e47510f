"""The console's 档案审批 page in a real browser: the school's admin filters the pending list of
its subtree (操作指引 3.3.1), opens an archive (the PDF drawn in the page), refuses it with a
reason; the e-mailed link of the same version then answers 已处理 (the first path wins)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests

from tests.e2e.browser.support import BROWSER, DESKTOP, sign_in
from tests.e2e.conftest import RunningStack
from tests.e2e.test_approval_links import pending_link

pytestmark = BROWSER


def test_filter_open_and_refuse_in_the_console(stack: RunningStack, new_context: Callable[..., Any]) -> None:
    member_id, _number, token = pending_link(stack, "控制台审批")
    context, _log = new_context(viewport=DESKTOP)
    page = context.new_page()
    sign_in(page, stack.url, "school")
    page.goto(f"{stack.url}/console/approvals.html")
    page.wait_for_selector("#approvals:is([data-state=ready], [data-state=error])")
    assert page.get_attribute("#approvals", "data-state") == "ready", page.inner_text("#approvals")

    page.select_option("#kind", "archive")
    page.fill("#q", "控制台审批")
    page.click("#approvals-filter button[type=submit]")
    page.wait_for_selector("#approvals-announce:not([hidden])")
    items = page.locator("#pending-list > li")
    assert items.count() == 1 and "控制台审批" in items.first.inner_text()
    assert "q=%E6%8E%A7" in page.url  # the filter is in the address (a reload keeps it)

    item = page.locator(f"#pending-list > li[data-member-id='{member_id}']")
    item.get_by_role("button", name="审批").click()
    page.wait_for_selector(f"#pdf-{member_id}:is([data-state=ready], [data-state=error])", timeout=30_000)
    assert page.get_attribute(f"#pdf-{member_id}", "data-state") == "ready"

    form = page.locator(f"#decide-{member_id}")
    form.get_by_role("button", name="提交").click()  # nothing chosen: said so, nothing sent
    page.wait_for_selector(".zhtj-error-summary:not([hidden])")
    form.get_by_label("不同意").check()
    form.get_by_label("理由").fill("首页未加盖公章（操作指引 4.2）")
    form.get_by_role("button", name="提交").click()
    page.wait_for_selector(f"#pending-list > li[data-member-id='{member_id}']", state="detached")
    assert "不同意" in page.inner_text("#approvals-announce")

    archive = stack.session("branch").get(stack.api(f"members/{member_id}/archive"), timeout=10).json()
    assert archive["archive_state"] == "认证不通过" and archive["reason"] == "首页未加盖公章（操作指引 4.2）"
    late = requests.post(stack.api("approval-links/view"), json={"token": token}, timeout=10)
    assert late.status_code == 409 and late.json()["code"] == "already_decided" and "在控制台" in late.text
