"""The 附件1 page in a real browser (Debian's Chromium, skipped when it is missing): it shows the
latest published version when it loads — republishing needs no site rebuild — and keeps the
build-time table without JavaScript. Publishes a renamed table and then the demo table again."""

from __future__ import annotations

import copy

import pytest
from playwright.sync_api import Browser, Page

from infra.demo.jiangsu_2023 import demo_input_dict
from tests.e2e.browser.support import BROWSER, DESKTOP, axe_violations, describe
from tests.e2e.conftest import RunningStack

pytestmark = BROWSER
YEAR = 2023
RENAMED = "南京市团委（页面更新测试）"


@pytest.fixture(scope="module")
def chromium(browser: Browser) -> Browser:
    return browser  # the session's one browser (tests/e2e/conftest.py)


def open_page(browser: Browser, url: str, *, javascript: bool = True) -> tuple[Page, list[str]]:
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN", java_script_enabled=javascript,
                                  service_workers="block")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url)
    return page, errors


def first_unit(page: Page) -> str:
    return page.locator("#allocation-quotas tbody tr").first.locator("th").inner_text()


def test_the_page_follows_the_published_version(chromium: Browser, stack: RunningStack) -> None:
    url = f"{stack.url}/allocation.html"
    page, errors = open_page(chromium, url)
    page.wait_for_selector("#allocation-source[data-version]")
    assert "一致" in page.locator("#allocation-source").inner_text()
    assert first_unit(page) == "南京市团委"
    assert page.locator("#allocation-quotas tbody tr").count() == 27
    violations = axe_violations(page)
    assert not violations, describe(violations)
    page.context.close()

    jiangsu = stack.session("jiangsu")
    renamed = copy.deepcopy(demo_input_dict())
    renamed["units"][0]["name"] = RENAMED
    try:
        published = jiangsu.post(stack.api(f"allocation/{YEAR}/publish"), json=renamed, timeout=120)
        assert published.status_code == 201, published.text
        version = published.json()["version"]
        page, more_errors = open_page(chromium, url)
        page.wait_for_selector(f"#allocation-source[data-version='{version}']")
        assert first_unit(page) == RENAMED
        assert f"版本 {version}" in page.locator("#allocation-source").inner_text()
        assert f"/api/allocation/{YEAR}/xlsx?version={version}" in str(
            page.get_attribute("#allocation-download", "href"))
        segments = page.locator("table[data-segments='初中'] tbody tr").first.locator("th").inner_text()
        assert segments == RENAMED
        errors += more_errors
        page.context.close()

        # without JavaScript the build-time table stays
        page, _ = open_page(chromium, url, javascript=False)
        assert first_unit(page) == "南京市团委"
        assert "构建时" in page.locator("#allocation-source").inner_text()
        page.context.close()
    finally:
        jiangsu.post(stack.api(f"allocation/{YEAR}/publish"), json=demo_input_dict(), timeout=120)
    assert not errors, errors
