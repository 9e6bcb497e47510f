"""How large is a typical 入团志愿书 scan, and how long does its check take? (issue 10, capacity model)

bench/bench_pdf.py measures the worst case the guide allows (≈ 20 MB). The capacity model needs
the *typical* archive instead, so this builds the same kind of scan the tests use
(``tests/unit/readers/pdf_corpus.py``: paper grain at the corpus's default strength, ruled lines,
one JPEG per page, wrapped by img2pdf like a scanner's PDF; a phone app's PDF by Pillow) at the
settings the guide's three ways produce (操作指引 §4.2: a scanner, a phone scanning app, photos
put into a Word file — the last is the phone case again), eight A4 pages each (the booklet's
pages, as bench_pdf), and prints per profile: the file size and the median warm check_pdf time.

    PYTHONPATH=functions .venv/bin/python bench/bench_scan_size.py [--runs N]

The capacity model (infra/capacity/inputs.py) takes the median profile's size as the typical
archive. Synthetic grain is a stand-in for real paper and ink: it sets the JPEG size, so these are
figures of the corpus's scans, not of any real booklet. Prints figures only.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for entry in (ROOT / "functions", ROOT):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

PAGES = 8

#: (name, pixel size, JPEG quality, how the PDF is made)
PROFILES = (
    ("scanner 300 dpi, JPEG q80", (2480, 3508), 80, "scanner"),
    ("scanner 200 dpi, JPEG q80", (1654, 2339), 80, "scanner"),
    ("phone app ≈ 150 dpi", (1240, 1754), 80, "phone"),
)


def build(size: tuple[int, int], quality: int, kind: str) -> bytes:
    import io

    from tests.unit.readers import pdf_corpus as corpus

    if kind == "scanner":
        return corpus.scanner_pdf(PAGES, size, quality=quality)
    images = [corpus.page_image(*size, seed=100 + i, text=f"photo {i + 1}") for i in range(PAGES)]
    buffer = io.BytesIO()
    first, *rest = images
    first.save(buffer, format="PDF", save_all=True, append_images=rest, resolution=150.0, quality=quality)
    return buffer.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from zhtj.readers.pdf import check_pdf

    sizes = []
    for name, size, quality, kind in PROFILES:
        data = build(size, quality, kind)
        verdict = check_pdf(data)  # the first call also imports pypdf
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            check_pdf(data)
            times.append(time.perf_counter() - started)
        sizes.append(len(data))
        print(f"{name}: {PAGES} pages, {len(data):,} bytes ({len(data) / 2**20:.2f} MiB), ok={verdict.ok}; "
              f"check_pdf warm median {statistics.median(times) * 1000:.0f} ms over {args.runs} runs")
    typical = statistics.median(sizes)
    print(f"typical (median profile): {typical:,.0f} bytes ({typical / 2**20:.2f} MiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
