"""What the browser tests share: the Chromium launch settings, markers, sign-in through the
real form, waiting for the page to settle, and the axe-core run."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page

from infra.local.demo import DEMO_PASSWORD
from tests.conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
NARROW = {"width": 360, "height": 740}
SCREENSHOTS = ROOT / "build" / "screenshots"
LOOPBACK = "127.0.0.1"

#: Every browser test module sets ``pytestmark = BROWSER``.
BROWSER = [
    pytest.mark.e2e,
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} 不存在：浏览器测试需要 Debian 的 chromium 包"),
]


def foreign_host(url: str) -> str | None:
    """The host of ``url`` when it is not loopback (data:, blob:, about: have none)."""
    host = urlsplit(url).hostname
    return host if host and host != LOOPBACK else None


def settle(page: Page) -> None:
    """Wait until CSS transitions and animations have finished (Material fades the page title
    into the header on scroll; axe must not measure a half-transparent frame)."""
    page.evaluate("() => Promise.all(document.getAnimations().map((a) => a.finished.catch(() => null)))")


def sign_in(page: Page, base_url: str, username: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the real login form and wait for the dashboard."""
    page.goto(f"{base_url}/console/login.html")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#dashboard[data-state=ready]")


def wait_ready(page: Page, root: str) -> str:
    """Wait until the console page ``root`` (its container id) has loaded; returns the state."""
    page.wait_for_selector(f"#{root}:is([data-state=ready], [data-state=error])")
    return str(page.get_attribute(f"#{root}", "data-state"))


def axe_violations(page: Page, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict[str, Any]]:
    """axe-core's violations of the given impacts on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    settle(page)
    results = Axe().run(page)
    return [v for v in results.response["violations"] if v.get("impact") in impacts]


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        targets = ", ".join(" ".join(n["target"]) for n in v["nodes"][:5])
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} — {targets}")
    return "\n".join(lines)
