"""``zhtj local`` (what ``make run`` starts) in a child process on a free loopback port, for
whoever drives it over real HTTP: the end-to-end tests (tests/e2e/conftest.py) and the load
test (bench/load_local.py). Signing in as a demo account is one POST, as the console does."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from infra.local.demo import DEMO_PASSWORD
from infra.local.stack import free_port
from infra.local.template import REPO_ROOT


class StackFailed(RuntimeError):
    """The child exited early or never answered; the message ends with its log."""


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
        if response.status_code != 200:
            raise AssertionError(f"sign-in of {username} failed: {response.status_code} {response.text}")
        return str(response.json()["id_token"])

    def session(self, username: str, password: str = DEMO_PASSWORD) -> requests.Session:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {self.token(username, password)}"
        return session

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def aws_endpoint(self) -> str:
        """The embedded AWS (moto server), as the stack's summary names it."""
        match = re.search(r"内嵌 AWS\s+(http://127\.0\.0\.1:\d+)", self.log())
        if not match:
            raise AssertionError("the stack's summary names the embedded AWS")
        return match.group(1)

    def stop(self, timeout_s: float = 60) -> None:
        """Ctrl-C, as a person would; killed when it does not stop in time (a loaded 2-core
        machine can take a while to join the pumps)."""
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_stack(work: Path, *, timeout_s: float = 180, build_site: bool = True) -> RunningStack:
    """Start ``zhtj local`` with its log in ``work/stack.log`` and return once the API answers."""
    port = free_port()
    log_path = work / "stack.log"
    env = {**os.environ, "PYTHONPATH": f"{REPO_ROOT / 'functions'}{os.pathsep}{REPO_ROOT}", "PYTHONUNBUFFERED": "1"}
    # No schedules: a reminder run at 08:00 Beijing time would put digests into the outbox the
    # tests read (infra/local/schedules.py is tested on its own, with a clock of its own).
    command = [sys.executable, "-m", "zhtj.cli", "local", "--port", str(port), "--site-dir", str(work / "site"),
               "--no-schedules"]
    if not build_site:
        command.append("--no-build")
    with log_path.open("w", encoding="utf-8") as log:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(  # noqa: S603 - fixed argv, our own CLI
            command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
    running = RunningStack(url=f"http://127.0.0.1:{port}", process=process, log_path=log_path)
    deadline = time.monotonic() + timeout_s
    while True:
        if process.poll() is not None:
            raise StackFailed(f"zhtj local exited early:\n{running.log()}")
        try:
            if requests.get(running.api("health"), timeout=2).status_code == 200:
                return running
        except requests.ConnectionError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            raise StackFailed(f"zhtj local did not answer within {timeout_s:.0f} s:\n{running.log()}")
        time.sleep(0.5)
