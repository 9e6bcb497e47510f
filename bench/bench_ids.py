"""How fast is the resident-ID validator? (Imports of 10,000-row spreadsheets check every row.)

Validates 100,000 generated IDs — half valid, half broken in the ways people break them —
and compares with a baseline measured in the same run on the same inputs: a loop that does
only ``len()`` and ``str.isdigit()``, i.e. the cheapest check anyone could write. The ratio
says how much the full GB 11643 check costs over that, independent of the machine.

    PYTHONPATH=functions .venv/bin/python bench/bench_ids.py [count]

Prints figures only; nothing here asserts on timing.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "functions"))

from zhtj.domain.ids import PROVINCE_CODES, is_valid_resident_id, resident_id_check_character

TODAY = date(2023, 3, 14)
REPEATS = 5  # best of: the minimum is the least disturbed by other work on the machine
_FULL_WIDTH = str.maketrans({str(digit): chr(0xFF10 + digit) for digit in range(10)})


def generate(count: int, seed: int = 20230314) -> list[str]:
    rng = random.Random(seed)
    provinces = sorted(PROVINCE_CODES)
    first_day = date(1960, 1, 1)
    span = (TODAY - first_day).days
    numbers: list[str] = []
    for index in range(count):
        birth = first_day + timedelta(days=rng.randrange(span))
        body = f"{rng.choice(provinces)}{rng.randrange(10_000):04d}{birth:%Y%m%d}{rng.randrange(1000):03d}"
        number = body + resident_id_check_character(body)
        if index % 2 == 0:
            # valid, sometimes typed the way admins type them
            variant = index % 10
            if variant == 2:
                number = number.lower()
            elif variant == 4:
                number = number.translate(_FULL_WIDTH)
            elif variant == 6:
                number = f" {number[:6]} {number[6:14]} {number[14:]} "
        else:
            number = _break(number, rng)
        numbers.append(number)
    return numbers


def _break(number: str, rng: random.Random) -> str:
    fault = rng.randrange(5)
    if fault == 0:  # one mistyped digit
        position = rng.randrange(17)
        digit = str((int(number[position]) + rng.randrange(1, 10)) % 10)
        return number[:position] + digit + number[position + 1 :]
    if fault == 1:  # a digit missing
        position = rng.randrange(18)
        return number[:position] + number[position + 1 :]
    if fault == 2:  # 30 February
        return number[:10] + "0230" + number[14:]
    if fault == 3:  # two adjacent, different digits swapped
        candidates = [position for position in range(16) if number[position] != number[position + 1]]
        position = rng.choice(candidates)
        return number[:position] + number[position + 1] + number[position] + number[position + 2 :]
    return number[:17] + "A"  # a letter


def best_time(run: Callable[[], int]) -> tuple[float, int]:
    timings: list[float] = []
    result = 0
    for _ in range(REPEATS):
        started = time.perf_counter()
        result = run()
        timings.append(time.perf_counter() - started)
    return min(timings), result


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    numbers = generate(count)

    def validate() -> int:
        return sum(1 for number in numbers if is_valid_resident_id(number, TODAY))

    def baseline() -> int:
        return sum(1 for number in numbers if len(number) == 18 and number[:17].isdigit())

    baseline_seconds, baseline_passed = best_time(baseline)
    validate_seconds, valid = best_time(validate)

    baseline_rate = count / baseline_seconds
    validate_rate = count / validate_seconds
    print(f"inputs: {count:,} IDs, {valid:,} valid per GB 11643, best of {REPEATS} runs")
    print(f"baseline (len + isdigit): {baseline_rate:>12,.0f} IDs/s   {baseline_passed:,} pass it")
    microseconds_per_id = validate_seconds / count * 1e6
    print(f"is_valid_resident_id:     {validate_rate:>12,.0f} IDs/s   {microseconds_per_id:.2f} µs/ID")
    print(f"ratio, validator time / baseline time: {validate_seconds / baseline_seconds:.1f}x")


if __name__ == "__main__":
    main()
