"""Benchmark: check_pdf on a ≈ 20 MB eight-page scan against reading and hashing the file.

    PYTHONPATH=functions .venv/bin/python bench/bench_pdf.py [--runs N] [--keep PATH]

Builds a scan-like PDF (eight A4 pages at 300 dpi, noisy JPEGs as a scanner makes them,
wrapped by img2pdf) just under the 20 MiB limit, in a separate process so that the
measuring process stays small. Then, in this process:

- baseline: read the file and compute its SHA-256 (what any upload path does anyway);
- check_pdf: the full check (cheap checks, hash, forked bounded child, pypdf, every page);
  the first call is reported apart, because it imports pypdf (a warm worker pays it once).

Peak memory of the check is measured twice: by the kernel (getrusage(RUSAGE_CHILDREN)
.ru_maxrss once the child is reaped — the child's whole resident set, inherited pages
included) and by the child itself (VmRSS right after the fork and VmHWM at the end, through
the same run_bounded wrapper check_pdf uses), which isolates what checking adds.

Targets (brief, issue 5 part 7): check time ≤ 10 × baseline, peak memory ≤ 3 × file size.
Nothing is asserted: this prints figures.
"""

from __future__ import annotations

import argparse
import hashlib
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for entry in (ROOT / "functions", ROOT):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

MiB = 1024 * 1024
PAGES = 8
TARGET_BYTES = int(19.5 * MiB)  # "≈ 20 MB", below the 20 MiB limit so it is checked in full

MAKE = r"""
import io, sys
sys.path[:0] = [sys.argv[2], sys.argv[3]]
from tests.unit.readers import pdf_corpus as corpus
import img2pdf

pages, target, out = 8, int(sys.argv[4]), sys.argv[1]
size = (2480, 3508)  # A4 at 300 dpi, a common scanner setting
# Find a JPEG quality that puts one page at target / pages (noise keeps JPEG from shrinking).
images = [corpus.page_image(*size, noise=40.0, seed=i, text=f"page {i + 1}") for i in range(pages)]
low, high, best = 40, 98, None
while low <= high:
    quality = (low + high) // 2
    pages_jpeg = [corpus.jpeg_bytes(image, quality) for image in images]
    total = sum(map(len, pages_jpeg))
    if total <= target:
        best, low = pages_jpeg, quality + 1
    else:
        high = quality - 1
a4 = (img2pdf.mm_to_pt(210), img2pdf.mm_to_pt(297))
data = img2pdf.convert(best, layout_fun=img2pdf.get_layout_fun(a4))
open(out, "wb").write(data)
print(len(data))
"""


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _child_measured(data: bytes) -> tuple[int, int, float]:
    """Runs in the bounded child: the check's own work, with the child's memory figures."""
    from zhtj.readers import pdf

    start_rss = _status_kib("VmRSS")
    started = time.perf_counter()
    pdf._inspect(data, None, pdf.DEFAULT_LIMITS)
    elapsed = time.perf_counter() - started
    return start_rss, _status_kib("VmHWM"), elapsed


def _baseline(path: Path) -> float:
    started = time.perf_counter()
    data = path.read_bytes()
    hashlib.sha256(data).hexdigest()
    return time.perf_counter() - started


def measure(path: Path, runs: int) -> None:
    """The measurements, in a process of their own: its only children are check_pdf's, so
    RUSAGE_CHILDREN.ru_maxrss is theirs (not the generator's, whose pictures are large)."""
    from zhtj.readers.bounded import run_bounded
    from zhtj.readers.pdf import DEFAULT_LIMITS, check_pdf

    size = path.stat().st_size
    baseline = [_baseline(path) for _ in range(runs)]
    data = path.read_bytes()
    rss_before = _status_kib("VmRSS")

    started = time.perf_counter()
    verdict = check_pdf(data)
    cold = time.perf_counter() - started
    child_maxrss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
    warm = []
    for _ in range(runs):
        started = time.perf_counter()
        check_pdf(data)
        warm.append(time.perf_counter() - started)
    start_rss, peak_rss, inner = run_bounded(
        _child_measured, data, timeout_s=DEFAULT_LIMITS.timeout_s, memory_bytes=DEFAULT_LIMITS.memory_bytes
    )

    base = statistics.median(baseline)
    hot = statistics.median(warm)
    added = (peak_rss - start_rss) * 1024
    print(f"verdict: ok={verdict.ok} pages={verdict.pages} warnings={[w.code for w in verdict.warnings]}")
    print(f"baseline read+sha256: median {base * 1000:.1f} ms over {runs} runs")
    print(f"check_pdf first call (imports pypdf): {cold * 1000:.1f} ms = {cold / base:.1f}× baseline")
    print(
        f"check_pdf warm: median {hot * 1000:.1f} ms over {runs} runs "
        f"(inside the child: {inner * 1000:.1f} ms) = {hot / base:.1f}× baseline (target ≤ 10×)"
    )
    print(
        f"memory: bench process RSS before the call {rss_before / 1024:.1f} MiB; "
        f"child peak RSS by getrusage(RUSAGE_CHILDREN) {child_maxrss / 1024:.1f} MiB "
        f"= {child_maxrss * 1024 / size:.2f}× file size (target ≤ 3×)"
    )
    print(
        f"memory (child's own report): RSS at fork {start_rss / 1024:.1f} MiB, peak {peak_rss / 1024:.1f} MiB; "
        f"added by the check {added / MiB:.1f} MiB = {added / size:.2f}× file size"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs of each (median reported)")
    parser.add_argument("--keep", type=Path, help="also write the generated PDF here")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # internal: measure this file
    args = parser.parse_args()
    if args.measure:
        measure(args.measure, args.runs)
        return 0

    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / "scan-8-pages.pdf"
        made = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", MAKE, str(path), str(ROOT / "functions"), str(ROOT), str(TARGET_BYTES)],
            check=True,
            capture_output=True,
        )
        made = time.perf_counter() - made
        if args.keep:
            args.keep.write_bytes(path.read_bytes())
        size = path.stat().st_size
        print(f"file: {PAGES} pages, {size:,} bytes ({size / MiB:.2f} MiB), built in {made:.1f} s")
        sys.stdout.flush()
        subprocess.run([sys.executable, __file__, "--measure", str(path), "--runs", str(args.runs)], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
