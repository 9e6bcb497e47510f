"""The Content-Security-Policy in a real browser (issue 9 §6): Debian's headless Chromium loads
the home page (and searches, which starts Material's search worker), the console sign-in page
(and signs in, which calls the API), and every other page of the built site, and no CSP
violation happens — neither a ``securitypolicyviolation`` event in a page nor a "violates the
following Content Security Policy directive" console message (workers included). A control
test injects an inline script and an inline style to prove both detectors see a violation.

Playwright's sync API allows one instance per thread, and the browser tests under
tests/e2e/browser/ keep theirs open for the whole session; this module therefore drives its own
Chromium from a worker thread of its own (:class:`BrowserThread`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Route, sync_playwright

from tests.e2e.browser.support import BROWSER, CHROMIUM, CHROMIUM_ARGS, DESKTOP, foreign_host, sign_in
from tests.e2e.conftest import RunningStack
from tests.e2e.test_security_headers import site_paths

pytestmark = BROWSER

T = TypeVar("T")

#: Runs in every document before its own scripts (Playwright's init scripts are not subject to
#: the page's CSP) and reports each violation to Python through an exposed binding.
LISTENER = """
document.addEventListener('securitypolicyviolation', (e) => window.__zhtjCsp({
  page: location.pathname, directive: e.effectiveDirective, blocked: e.blockedURI,
  source: e.sourceFile, line: e.lineNumber, sample: e.sample}));
"""


class BrowserThread:
    """A Chromium owned by one worker thread; :meth:`run` executes ``fn(browser)`` there."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="csp-chromium")
        self._state: dict[str, Any] = {}
        self._pool.submit(self._start).result()

    def _start(self) -> None:
        playwright = sync_playwright().start()
        self._state["playwright"] = playwright
        self._state["browser"] = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                                            headless=True)

    def run(self, fn: Callable[[Browser], T]) -> T:
        return self._pool.submit(lambda: fn(self._state["browser"])).result()

    def close(self) -> None:
        def stop() -> None:
            self._state["browser"].close()
            self._state["playwright"].stop()

        self._pool.submit(stop).result()
        self._pool.shutdown()


@dataclass
class Violations:
    events: list[dict[str, Any]] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            self.console.append(message.text)

    @property
    def any(self) -> list[Any]:
        return [*self.events, *self.console]


def watched_context(browser: Browser) -> tuple[BrowserContext, Violations]:
    seen = Violations()
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  service_workers="block")
    context.set_default_timeout(15_000)
    context.expose_binding("__zhtjCsp", lambda _source, report: seen.events.append(report))
    context.add_init_script(LISTENER)

    def guard(route: Route) -> None:  # offline, as every browser test (tests/e2e/browser/conftest.py)
        if foreign_host(route.request.url):
            seen.foreign.append(route.request.url)
            route.abort("blockedbyclient")
        else:
            route.continue_()

    context.route("**/*", guard)
    return context, seen


def new_page(context: BrowserContext, seen: Violations) -> Page:
    page = context.new_page()
    page.on("console", seen.on_console)
    page.on("worker", lambda worker: worker.on("console", seen.on_console))
    return page


@pytest.fixture(scope="module")
def chromium() -> Iterator[BrowserThread]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} 不存在")
    thread = BrowserThread()
    yield thread
    thread.close()


def visit(chromium: BrowserThread, steps: Callable[[Page], None]) -> Violations:
    def go(browser: Browser) -> Violations:
        context, seen = watched_context(browser)
        try:
            page = new_page(context, seen)
            steps(page)
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(200)  # violation events are dispatched asynchronously
        finally:
            context.close()
        return seen

    seen = chromium.run(go)
    assert not seen.foreign, seen.foreign
    return seen


def test_the_home_page_and_its_search_run_without_a_csp_violation(chromium: BrowserThread,
                                                                  stack: RunningStack) -> None:
    def steps(page: Page) -> None:
        page.goto(f"{stack.url}/")
        page.wait_for_load_state("networkidle")
        page.locator(".md-search__input").click()
        page.keyboard.type("团青比")
        # Chinese arrives through insertText, which fires no keyup; Material reads the query on
        # keyup, so without this the result depends on whether the search worker was ready yet.
        page.keyboard.press("End")
        page.locator(".md-search-result__item").first.wait_for(state="visible")

    seen = visit(chromium, steps)
    assert not seen.any, seen.any


def test_the_console_sign_in_runs_without_a_csp_violation(chromium: BrowserThread, stack: RunningStack) -> None:
    def steps(page: Page) -> None:
        page.goto(f"{stack.url}/console/login.html")
        page.wait_for_load_state("networkidle")
        sign_in(page, stack.url, "xuanwu")  # the form → POST /api/auth/login → the dashboard's API calls

    seen = visit(chromium, steps)
    assert not seen.any, seen.any


def test_every_page_of_the_site_loads_without_a_csp_violation(chromium: BrowserThread, stack: RunningStack) -> None:
    pages = site_paths(stack, ".html")

    def steps(page: Page) -> None:
        for path in pages:
            page.goto(stack.url + path)
            page.wait_for_load_state("networkidle")

    seen = visit(chromium, steps)
    assert len(pages) >= 10
    assert not seen.any, seen.any


def test_the_detectors_see_an_inline_script_and_an_inline_style(chromium: BrowserThread,
                                                                stack: RunningStack) -> None:
    def steps(page: Page) -> None:
        page.goto(f"{stack.url}/console/login.html")
        page.evaluate("""() => {
            const script = document.createElement('script');
            script.textContent = 'window.injected = true';
            document.body.append(script);
            document.body.insertAdjacentHTML('beforeend', '<p style="color: red">x</p>');
        }""")
        assert page.evaluate("() => window.injected === undefined")

    seen = visit(chromium, steps)
    directives = {event["directive"] for event in seen.events}
    assert {"script-src-elem", "style-src-attr"} <= directives, seen.events
    assert len(seen.console) >= 2, seen.console
