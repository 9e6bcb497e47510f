"""How fast is the allocation? (The province committee re-runs it while adjusting the plan.)

Allocates a generated province of 1,500 units × 6 domains — figures, counties for the social
floor, everything the rules look at — and compares with a baseline measured in the same run
on the same input: ``json.loads`` of the input file, i.e. the cost of merely reading it. The
ratio says what the method costs over that, independent of the machine.

    PYTHONPATH=functions .venv/bin/python bench/bench_allocation.py [units]

Prints figures only; nothing here asserts on timing.
"""

from __future__ import annotations

import json
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "functions"))

from zhtj.domain.allocation import allocate
from zhtj.domain.glossary import Domain
from zhtj.services.allocation_table import parse_input, table_json

REPEATS = 5  # best of: the minimum is the least disturbed by other work on the machine


def generate(unit_count: int, seed: int = 20230314) -> str:
    """The JSON input text of a province with ``unit_count`` units, every domain filled."""
    rng = random.Random(seed)
    units = []
    for index in range(unit_count):
        unit_id = f"U{index:05d}"
        figures: dict[str, dict[str, int]] = {}
        for domain in Domain:
            youth = rng.randrange(500, 20_000)
            members = rng.randrange(0, youth // 3)
            entry = {"youth": youth, "members": members, "activists": rng.randrange(0, 2_000)}
            if domain in (Domain.JUNIOR_HIGH, Domain.HIGH_SCHOOL):
                graduating = youth // 3
                entry |= {"graduating_youth": graduating, "graduating_members": min(members, graduating // 10)}
            elif domain.is_university:
                freshmen = youth // 4
                entry |= {"freshman_youth": freshmen, "freshman_members": min(members, rng.randrange(freshmen))}
            elif domain is Domain.SOCIAL:
                entry["organisations"] = rng.randrange(1, 400)
            figures[domain.value] = entry
        counties = [{"county_id": f"{unit_id}-{n}", "name": f"县{n}"} for n in range(rng.randrange(0, 4))]
        units.append({"unit_id": unit_id, "name": f"单位{index}", "counties": counties, "figures": figures})
    # 100 places per unit and domain (900,000 for 1,500 units), kept inside the 6-digit space
    per_unit = min(100, 999_999 // (len(Domain) * unit_count))
    plan = {domain.value: per_unit * unit_count for domain in Domain}
    return json.dumps({"year": 2023, "province_code": "32", "plan": plan, "units": units}, ensure_ascii=False)


def best(action: Callable[[], object]) -> float:
    timings = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return min(timings)


def main() -> None:
    unit_count = int(sys.argv[1]) if len(sys.argv) > 1 else 1_500
    text = generate(unit_count)
    source = parse_input(json.loads(text), year=2023)
    allocation = allocate(source.plan, source.units)
    load = best(lambda: json.loads(text))
    parse = best(lambda: parse_input(json.loads(text), year=2023))
    compute = best(lambda: allocate(source.plan, source.units))
    end_to_end = best(lambda: parse_input(json.loads(text), year=2023).allocate())
    render = best(lambda: table_json(allocation))
    print(
        f"province: {unit_count} units × {len(Domain)} domains, {allocation.total:,} places, "
        f"{sum(len(u.segments) for u in allocation.units):,} segments, {len(allocation.findings):,} findings; "
        f"input {len(text.encode()) / 1e6:.1f} MB (best of {REPEATS})"
    )
    print(f"  json.loads (baseline)            {load * 1e3:8.1f} ms   1.0×")
    print(f"  json.loads + parse_input         {parse * 1e3:8.1f} ms  {parse / load:5.1f}×")
    print(f"  allocate (quotas+rules+segments) {compute * 1e3:8.1f} ms  {compute / load:5.1f}×")
    print(f"  load + parse + allocate          {end_to_end * 1e3:8.1f} ms  {end_to_end / load:5.1f}×")
    print(f"  table_json (output)              {render * 1e3:8.1f} ms  {render / load:5.1f}×")


if __name__ == "__main__":
    main()
