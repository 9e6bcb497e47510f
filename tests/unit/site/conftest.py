"""Fixtures for the site tests: the MkDocs site is built once per test module.

No ``__init__.py`` here on purpose: a package named ``site`` would shadow the standard
library's ``site`` module.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


def _mkdocs_command() -> list[str]:
    exe = REPO / ".venv" / "bin" / "mkdocs"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "mkdocs"]


def run_mkdocs_build(
    dest: Path, *, strict: bool = True, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``mkdocs build [--strict] -d dest`` from the repository root."""
    cmd = [*_mkdocs_command(), "build", "-d", str(dest)]
    if strict:
        cmd.insert(-2, "--strict")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", **(extra_env or {})}
    return subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=240, check=False)


@dataclass
class BuiltSite:
    dir: Path
    result: subprocess.CompletedProcess[str]

    def read(self, path: str) -> str:
        return (self.dir / path).read_text(encoding="utf-8")

    def files(self, *suffixes: str) -> list[Path]:
        return sorted(p for p in self.dir.rglob("*") if p.is_file() and p.suffix in suffixes)

    def search_index(self) -> dict:
        return json.loads(self.read("search/search_index.json"))


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def build_site() -> Callable[..., subprocess.CompletedProcess[str]]:
    return run_mkdocs_build


@pytest.fixture(scope="module")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BuiltSite]:
    dest = tmp_path_factory.mktemp("site-build")
    result = run_mkdocs_build(dest)
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stdout}\n{result.stderr}"
    yield BuiltSite(dest, result)
