"""functions/requirements.txt — what ``sam build`` installs into every function — cut from the lock.

``sam build`` packages ``CodeUri: functions/`` and installs ``functions/requirements.txt`` into it;
without that file the functions would ship without boto3's pinned release, Powertools, pydantic,
pypdf, openpyxl, defusedxml and calamine. The file is never edited by hand: it is the runtime
dependencies of pyproject.toml (``[project] dependencies``, not the ``dev`` extra) and everything
they need, closed over the installed distributions' metadata, with their versions and hashes
copied from ``requirements.lock`` — so Lambda runs exactly what the tests ran. Markers are judged
for the Lambda runtime (CPython 3.11 on Linux, arm64), not for this machine.

    make runtime-requirements          # rewrite functions/requirements.txt
    python -m infra.sam.runtime_requirements --check   # exit 1 when it is stale (a unit test runs this)
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO_ROOT = Path(__file__).resolve().parents[2]
LOCK = REPO_ROOT / "requirements.lock"
PYPROJECT = REPO_ROOT / "pyproject.toml"
OUTPUT = REPO_ROOT / "functions" / "requirements.txt"

#: The environment markers are evaluated in: the template's Runtime and Architectures.
LAMBDA_ENVIRONMENT: Mapping[str, str] = {
    "python_version": "3.11", "python_full_version": "3.11.0", "implementation_name": "cpython",
    "platform_python_implementation": "CPython", "sys_platform": "linux", "platform_system": "Linux",
    "os_name": "posix", "platform_machine": "aarch64", "extra": "",
}

HEADER = """\
# Generated from requirements.lock by infra/sam/runtime_requirements.py (make runtime-requirements);
# do not edit. The runtime dependencies of pyproject.toml and what they need, pinned and hashed as
# in the lock: what `sam build` installs into every function (CodeUri: functions/).
"""

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")


def lock_entries(text: str) -> dict[str, str]:
    """Each pinned distribution of a pip-compile lock → its lines (pin and hashes, no comments)."""
    entries: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        match = _PIN.match(line)
        if match:
            current = entries.setdefault(canonicalize_name(match.group(1)), [line])
        elif current is not None and line.startswith("    --hash="):
            current.append(line)
        else:
            current = None
    return {name: "\n".join(lines).rstrip(" \\") + "\n" for name, lines in entries.items()}


def runtime_roots(pyproject: Path = PYPROJECT) -> list[Requirement]:
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    return [Requirement(spec) for spec in data["project"]["dependencies"]]


def closure(roots: Iterable[Requirement]) -> set[str]:
    """The distributions the roots need at run time on Lambda (installed metadata, no extras)."""
    needed: set[str] = set()
    pending = list(roots)
    while pending:
        requirement = pending.pop()
        if requirement.marker is not None and not requirement.marker.evaluate(dict(LAMBDA_ENVIRONMENT)):
            continue
        name = canonicalize_name(requirement.name)
        if name in needed:
            continue
        needed.add(name)
        try:
            requires = distribution(name).requires or []
        except PackageNotFoundError as exc:
            raise SystemExit(f"{name} is not installed: run `make venv` first") from exc
        pending.extend(Requirement(spec) for spec in requires)
    return needed


def render(lock_text: str, names: Iterable[str]) -> str:
    entries = lock_entries(lock_text)
    missing = sorted(set(names) - set(entries))
    if missing:
        raise ValueError(f"not in requirements.lock: {', '.join(missing)} (run `make lock`)")
    return HEADER + "".join(entries[name] for name in sorted(names))


def generate() -> str:
    return render(LOCK.read_text(encoding="utf-8"), closure(runtime_roots()))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.sam.runtime_requirements",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when functions/requirements.txt is stale")
    args = parser.parse_args(argv)
    text = generate()
    current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.is_file() else ""
    if current == text:
        print(f"{OUTPUT.relative_to(REPO_ROOT)}: up to date")
        return 0
    if args.check:
        print(f"{OUTPUT.relative_to(REPO_ROOT)} is stale: run `make runtime-requirements`", file=sys.stderr)
        return 1
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"{OUTPUT.relative_to(REPO_ROOT)}: written")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
