"""How much does the safe import path cost over the fastest bare read?

Builds a 20,000-row member template (.xlsx, filled like an admin would: text IDs, varied
join-month forms, a few failing rows) and measures, each phase in a fresh process so that
peak memory is its own:

(a) bare read — python-calamine in this process, the whole sheet to Python lists (the
    fastest reader measured: 50,000 × 15 .xlsx in ~1 s; openpyxl read-only takes ~10 s);
(b) check-import's full offline path — zip pre-check, the parse in a bounded child process
    that sends the sheet in parts while this process validates the parts already received,
    header matching, row normalisation and every offline rule (``zhtj.imports.check_import``);
    its first half alone (read as a template, no row rules) is printed too, to show where
    the time goes.

Prints rows/s for each, the ratio b/a (target ≤ 2) and peak RSS (the child's separately).

    PYTHONPATH=functions .venv/bin/python bench/bench_import_read.py [rows]

Prints figures only; nothing here asserts on timing.
"""

from __future__ import annotations

import io
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "functions"))

TODAY = date(2023, 6, 30)
REPEATS = 5  # best of: the minimum is the least disturbed by other work on the machine
ROUNDS = 3  # the three phases run interleaved this many times; each phase's best round counts
_SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红"
_JOIN_FORMS = ("2023-03", "2023.3", "2023年3月", "202303")


def build_workbook(rows: int) -> bytes:
    """The generated template filled with ``rows`` members (1 in 500 fails a rule)."""
    import openpyxl

    from zhtj.domain.ids import resident_id_check_character
    from zhtj.imports import MEMBER_TEMPLATE, template_xlsx

    workbook = openpyxl.load_workbook(io.BytesIO(template_xlsx(MEMBER_TEMPLATE)))
    sheet = workbook[MEMBER_TEMPLATE.sheet_name]
    for index in range(rows):
        birth = date(2006 + index % 3, 1 + index % 12, 1 + index % 28)
        sequence = index % 1000
        body = f"3201{index % 100:02d}{birth:%Y%m%d}{sequence:03d}"
        number = body + resident_id_check_character(body)
        gender = "男" if sequence % 2 else "女"
        if index % 500 == 499:
            gender = "女" if gender == "男" else "男"  # a failing row
        sheet.append(
            [
                _SURNAMES[index % len(_SURNAMES)]
                + _GIVEN[index // 7 % len(_GIVEN)]
                + _GIVEN[index // 13 % len(_GIVEN)],
                number,
                gender,
                "汉族",
                "共青团员",
                _JOIN_FORMS[index % len(_JOIN_FORMS)],
                f"20233200{index:04d}" if index < 10_000 else f"2023321{index:05d}",
                "普通高中在读",
                "普通高中",
                f"139{index:08d}",
                f"南京市第{index // 2000 + 1}中学高一（{index // 50 % 40 + 1}）班团支部",
                "",
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def phase_bare(data: bytes) -> int:
    import python_calamine

    workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    rows = workbook.get_sheet_by_name("团员信息").to_python()
    return len(rows) - 1


def phase_full(data: bytes) -> int:
    from zhtj.imports import check_import

    checked = check_import(data, "bench.xlsx", today=TODAY)
    return len(checked.results)


def phase_read(data: bytes) -> int:
    """(b) without the row rules: pre-check, bounded child, header matching, row dicts."""
    from zhtj.imports import read_import_file

    return len(read_import_file(data, "bench.xlsx").rows)


def run_phase(name: str, path: Path) -> None:
    """Child entry point: time one phase (best of REPEATS) and report JSON on stdout."""
    data = path.read_bytes()
    phase = {"bare": phase_bare, "read": phase_read, "full": phase_full}[name]
    # Warm the imports once outside the timing: both phases pay them equally in real use.
    if name == "bare":
        import python_calamine  # noqa: F401
    else:
        import zhtj.imports  # noqa: F401
    timings, cpu = [], []
    rows = 0
    for _ in range(REPEATS):
        started, used = time.perf_counter(), _cpu_seconds()
        rows = phase(data)
        timings.append(time.perf_counter() - started)
        cpu.append(_cpu_seconds() - used)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    print(json.dumps({"rows": rows, "seconds": min(timings), "cpu_seconds": min(cpu), "peak_rss": own,
                      "child_peak_rss": children}))


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (the bounded reader): less
    disturbed by other work on a shared machine than wall-clock time."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--phase":
        run_phase(sys.argv[2], Path(sys.argv[3]))
        return
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    started = time.perf_counter()
    data = build_workbook(rows)
    print(f"built a {rows}-row .xlsx ({len(data) / 2**20:.1f} MiB) in {time.perf_counter() - started:.1f} s")
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "bench.xlsx"
        path.write_bytes(data)
        for _ in range(ROUNDS):
            for name in ("bare", "read", "full"):
                completed = subprocess.run(
                    [sys.executable, __file__, "--phase", name, str(path)],
                    check=True,
                    capture_output=True,
                    text=True,
                    env={"PYTHONPATH": str(ROOT / "functions"), "PATH": "/usr/bin:/bin"},
                )
                figures = json.loads(completed.stdout.strip().splitlines()[-1])
                best = results.setdefault(name, figures)
                for key in ("seconds", "cpu_seconds"):
                    best[key] = min(best[key], figures[key])
    mib = 2**20
    phases = (
        ("(a) bare read (calamine, in process)", "bare"),
        ("    (b without the row rules: read as template)", "read"),
        ("(b) check-import offline path", "full"),
    )
    for label, name in phases:
        figures = results[name]
        print(
            f"{label}: {figures['rows']} rows in {figures['seconds']:.3f} s = "
            f"{figures['rows'] / figures['seconds']:,.0f} rows/s; peak RSS {figures['peak_rss'] / mib:.0f} MiB"
            + (f", child {figures['child_peak_rss'] / mib:.0f} MiB" if figures["child_peak_rss"] else "")
        )
    bare, bare_cpu = results["bare"]["seconds"], results["bare"]["cpu_seconds"]
    print(
        f"ratio b/a = {results['full']['seconds'] / bare:.2f} (target ≤ 2); "
        f"read-as-template/a = {results['read']['seconds'] / bare:.2f}"
    )
    print(
        f"CPU time (process + reader child): a {bare_cpu:.3f} s, b {results['full']['cpu_seconds']:.3f} s, "
        f"ratio b/a = {results['full']['cpu_seconds'] / bare_cpu:.2f}"
    )


if __name__ == "__main__":
    main()
