"""Browser tier: headless Debian Chromium (never a downloaded browser) driven by Playwright,
against the ``stack`` fixture of tests/e2e/conftest.py.

Every page runs in a context that records each request (``request`` events) and aborts any
that would leave 127.0.0.1; the context fixture fails the test if one was even attempted, so
"the site works offline" is checked during every browser test, not only in one. The one
Playwright and browser of the session come from tests/e2e/conftest.py (shared by every
browser test of the e2e tier: a second sync Playwright in the same thread cannot start)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route

from tests.e2e.browser.support import DESKTOP, foreign_host
from tests.e2e.conftest import RunningStack


class RequestLog:
    """Every request the pages of one context made, those that tried to leave loopback, and
    uncaught script errors (a console module that throws is a failed test too)."""

    def __init__(self) -> None:
        self.urls: list[str] = []
        self.foreign: list[str] = []
        self.script_errors: list[str] = []

    def record(self, url: str) -> None:
        self.urls.append(url)
        if foreign_host(url):
            self.foreign.append(url)


@pytest.fixture
def new_context(browser: Browser, stack: RunningStack) -> Iterator[Callable[..., tuple[BrowserContext, RequestLog]]]:
    """Factory: ``new_context(viewport=...)`` → (context, its request log)."""
    opened: list[tuple[BrowserContext, RequestLog]] = []

    def make(viewport: dict[str, int] | None = None) -> tuple[BrowserContext, RequestLog]:
        context = browser.new_context(viewport=viewport or DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai",
                                      service_workers="block")
        context.set_default_timeout(15_000)
        log = RequestLog()
        context.on("request", lambda request: log.record(request.url))
        context.on("weberror", lambda error: log.script_errors.append(str(error.error)))

        def guard(route: Route) -> None:
            # Safety net: whatever the assertion below says, nothing actually goes out.
            if foreign_host(route.request.url):
                route.abort("blockedbyclient")
            else:
                route.continue_()

        context.route("**/*", guard)
        opened.append((context, log))
        return context, log

    yield make
    foreign = [url for _context, log in opened for url in log.foreign]
    script_errors = [error for _context, log in opened for error in log.script_errors]
    for context, _log in opened:
        context.close()
    assert not foreign, f"requests left {stack.url}: {foreign}"
    assert not script_errors, f"uncaught script errors: {script_errors}"


@pytest.fixture
def page(new_context: Callable[..., tuple[BrowserContext, RequestLog]]) -> Page:
    context, _log = new_context()
    return context.new_page()


@pytest.fixture
def base_url(stack: RunningStack) -> str:
    return stack.url
