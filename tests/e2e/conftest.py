"""End-to-end tier: the real ``zhtj local`` (what ``make run`` starts) in a child process,
reached over real HTTP on loopback. One stack per test session."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from infra.local.running import RunningStack, StackFailed, start_stack

__all__ = ["RunningStack"]  # the tests' type for the fixture below


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    try:
        running = start_stack(tmp_path_factory.mktemp("stack"))
    except StackFailed as exc:
        pytest.fail(str(exc))
    yield running
    running.stop()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Any]:
    """One sync Playwright for the whole session (a second one in the same thread refuses to
    start while the first is open), driving Debian's Chromium — never a downloaded browser."""
    from playwright.sync_api import sync_playwright

    from tests.e2e.browser.support import CHROMIUM

    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} 不存在：浏览器测试需要 Debian 的 chromium 包")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Any) -> Iterator[Any]:
    from tests.e2e.browser.support import CHROMIUM, CHROMIUM_ARGS

    launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
    yield launched
    launched.close()
