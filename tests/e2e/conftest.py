"""End-to-end tier: the real ``zhtj local`` (what ``make run`` starts) in a child process,
reached over real HTTP on loopback. One stack per test session."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from infra.local.demo import DEMO_PASSWORD
from infra.local.stack import free_port
from tests.conftest import ROOT


@dataclass
class RunningStack:
    url: str
    process: subprocess.Popen[str]
    log_path: Path

    def api(self, path: str) -> str:
        return f"{self.url}/api/{path.lstrip('/')}"

    def token(self, username: str, password: str = DEMO_PASSWORD) -> str:
        response = requests.post(self.api("auth/login"), json={"username": username, "password": password},
                                 timeout=10)
        assert response.status_code == 200, response.text
        return str(response.json()["id_token"])

    def session(self, username: str) -> requests.Session:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {self.token(username)}"
        return session

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    port = free_port()
    work = tmp_path_factory.mktemp("stack")
    log_path = work / "stack.log"
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'functions'}{os.pathsep}{ROOT}", "PYTHONUNBUFFERED": "1"}
    log = log_path.open("w", encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "zhtj.cli", "local", "--port", str(port), "--site-dir", str(work / "site")],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, text=True,
    )
    running = RunningStack(url=f"http://127.0.0.1:{port}", process=process, log_path=log_path)
    deadline = time.monotonic() + 180
    while True:
        if process.poll() is not None:
            pytest.fail(f"zhtj local exited early:\n{running.log()}")
        try:
            if requests.get(running.api("health"), timeout=2).status_code == 200:
                break
        except requests.ConnectionError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"zhtj local did not answer within 180 s:\n{running.log()}")
        time.sleep(0.5)
    yield running
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=60)  # a loaded 2-core machine can take a while to join the pumps
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    finally:
        log.close()


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
