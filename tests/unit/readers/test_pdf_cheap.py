"""check_pdf's cheap checks in the caller: emptiness, the 20M limit, magic bytes (guide §4.1)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.unit.readers import pdf_corpus as corpus
from zhtj.readers.pdf import DEFAULT_LIMITS, MAX_PDF_BYTES, PdfVerdict, check_pdf, check_pdf_file


def codes(verdict: PdfVerdict) -> list[str]:
    return [finding.code for finding in verdict.errors]


def test_empty_file() -> None:
    verdict = check_pdf(b"")
    assert not verdict.ok
    assert codes(verdict) == ["empty"]
    assert verdict.pages is None
    assert verdict.sha256 == hashlib.sha256(b"").hexdigest()
    assert "0 字节" in verdict.errors[0].message


def test_twenty_m_means_twenty_mebibytes() -> None:
    # guide §4.1 "文件大小不超过20M": 20 × 1024 × 1024 bytes, as Windows shows "20 MB"
    assert MAX_PDF_BYTES == DEFAULT_LIMITS.max_bytes == 20_971_520


def test_exactly_at_the_limit_is_checked_in_full() -> None:
    verdict = check_pdf(corpus.pdf_of_size(MAX_PDF_BYTES))
    assert "too_large" not in codes(verdict)
    assert verdict.ok and verdict.pages == 1


def test_one_byte_over_the_limit_is_too_large() -> None:
    verdict = check_pdf(corpus.pdf_of_size(MAX_PDF_BYTES + 1))
    assert codes(verdict) == ["too_large"]
    assert "20 MB" in verdict.errors[0].message and "4.1" in verdict.errors[0].message


def test_25_mb_file_is_too_large_and_never_parsed() -> None:
    data = corpus.pdf_of_size(25 * corpus.MiB)
    verdict = check_pdf(data)
    assert codes(verdict) == ["too_large"]
    assert "25.0 MB" in verdict.errors[0].message
    assert verdict.pages is None
    assert verdict.sha256 == hashlib.sha256(data).hexdigest()


def test_check_pdf_file_streams_a_large_file(tmp_path: Path) -> None:
    path = tmp_path / "big.pdf"
    data = corpus.pdf_of_size(25 * corpus.MiB)
    path.write_bytes(data)
    verdict = check_pdf_file(str(path))
    assert verdict == check_pdf(data)


def test_check_pdf_file_equals_check_pdf_for_small_files(tmp_path: Path) -> None:
    path = tmp_path / "ok.pdf"
    data = corpus.text_pdf()
    path.write_bytes(data)
    assert check_pdf_file(str(path), expected_number=corpus.NUMBER) == check_pdf(data, expected_number=corpus.NUMBER)


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (corpus.xlsx_bytes, "Excel 文件（扩展名被改成了 .pdf）"),
        (corpus.docx_bytes, "Word 文件（扩展名被改成了 .pdf）"),
        (corpus.jpeg_file, "JPEG 图片"),
        (corpus.png_bytes, "PNG 图片"),
        (lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "旧版 Office"),
        (lambda: b"\x00\x00\x00\x18ftypheic" + bytes(100), "HEIC"),
        (lambda: b"II*\x00" + bytes(100), "TIFF"),
        (lambda: b"PK\x03\x04" + b"other.txt" + bytes(100), "压缩包"),
        (lambda: b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>", "网页"),
        (lambda: b"hello, this is not a pdf", "不是 PDF 文件"),
    ],
    ids=["xlsx", "docx", "jpeg", "png", "ole2", "heic", "tiff", "zip", "html", "text"],
)
def test_not_pdf_says_what_it_is(make: Callable[[], bytes], says: str) -> None:
    verdict = check_pdf(make())
    assert codes(verdict) == ["not_pdf"]
    assert says in verdict.errors[0].message
    assert "PDF" in verdict.errors[0].message


def test_header_may_follow_junk_within_1024_bytes() -> None:
    data = corpus.text_pdf()
    shifted = b" " * 1000 + data  # offsets are now wrong; pypdf repairs the xref
    assert "not_pdf" not in codes(check_pdf(shifted))
    assert codes(check_pdf(b" " * 1024 + data)) == ["not_pdf"]


def test_expected_number_must_be_twelve_digits() -> None:
    for bad in ("", "12345678901", "1234567890123", "20233200012x", "２０２３３２０００１２３"):
        with pytest.raises(ValueError):
            check_pdf(corpus.text_pdf(), expected_number=bad)
