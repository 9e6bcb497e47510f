"""Cold start of the API function: the import cost of ``zhtj.handlers.api`` against a baseline
of what any Powertools API function on boto3 and pydantic must import, measured in the same
run (fresh interpreters, best of N). DESIGN.md's budget: about 1.2 × the baseline."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = 7
BASELINE = "import boto3, pydantic; from aws_lambda_powertools.event_handler import APIGatewayHttpResolver"
SUBJECTS = {
    "api handler (import only; boto3 loads on the first request)": "import zhtj.handlers.api",
    "api handler + boto3 (what a cold start pays in all)": "import zhtj.handlers.api, boto3",
    "upload worker": "import zhtj.handlers.workers",
}


def import_time(statement: str) -> float:
    best = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", statement], check=True, cwd=ROOT,
                       env={"PYTHONPATH": f"{ROOT / 'functions'}", "PATH": "/usr/bin:/bin"})
        best.append(time.perf_counter() - start)
    return statistics.median(best)


def main() -> None:
    empty = import_time("pass")
    baseline = import_time(BASELINE) - empty
    print(f"interpreter start: {empty * 1000:.0f} ms (subtracted from every figure)")
    print(f"baseline (boto3 + pydantic + Powertools resolver): {baseline * 1000:.0f} ms")
    for name, statement in SUBJECTS.items():
        cost = import_time(statement) - empty
        print(f"{name}: {cost * 1000:.0f} ms = {cost / baseline:.2f} × baseline")


if __name__ == "__main__":
    main()
