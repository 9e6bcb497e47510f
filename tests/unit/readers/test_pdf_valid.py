"""Valid archives from the producers of guide §5.2 are accepted; warnings and the §5.7 check."""

from __future__ import annotations

import functools
import io

import pytest

from tests.unit.readers import pdf_corpus as corpus
from zhtj.readers.pdf import Finding, PdfLimits, PdfVerdict, check_pdf

pytestmark = pytest.mark.timeout(120)


def codes(findings: tuple[Finding, ...]) -> list[str]:
    return [finding.code for finding in findings]


def accepted(verdict: PdfVerdict) -> bool:
    return verdict.ok and verdict.errors == ()


@functools.cache
def _libreoffice() -> bytes:
    return corpus.libreoffice_pdf()


needs_soffice = pytest.mark.skipif(
    corpus.soffice() is None,
    reason="LibreOffice (soffice) is not installed here; CI installs it (apt-get install libreoffice-writer)",
)


# ---------------------------------------------------------------- producers


def test_hand_built_text_pdf() -> None:
    verdict = check_pdf(corpus.text_pdf(), expected_number=corpus.NUMBER)
    assert accepted(verdict)
    assert verdict.pages == 6
    assert verdict.warnings == ()


def test_scanner_jpeg_per_page() -> None:
    verdict = check_pdf(corpus.scanner_pdf(pages=8))
    assert accepted(verdict)
    assert verdict.pages == 8
    assert verdict.warnings == ()


@pytest.mark.parametrize(
    "options",
    [{"progressive": True}, {"restart_marker_blocks": 4}, {"optimize": True, "subsampling": 0}],
    ids=["progressive", "restart-markers", "optimized-444"],
)
def test_scanner_jpeg_variants(options: dict[str, object]) -> None:
    import img2pdf

    pages = []
    for seed in range(3):
        buffer = io.BytesIO()
        corpus.page_image(500, 700, seed=seed).save(buffer, "JPEG", quality=85, **options)
        pages.append(buffer.getvalue())
    assert accepted(check_pdf(img2pdf.convert(pages)))


@pytest.mark.parametrize("mode", ["RGB", "L", "CMYK"])
def test_scanner_colour_modes(mode: str) -> None:
    import img2pdf

    pages = [corpus.jpeg_bytes(corpus.page_image(500, 700, seed=seed).convert(mode)) for seed in range(2)]
    assert accepted(check_pdf(img2pdf.convert(pages)))


@pytest.mark.parametrize("mode", ["RGB", "L", "1", "P"])
def test_lossless_scans_png_and_fax(mode: str) -> None:
    """PNG pages (Flate with predictors) and 1-bit pages as CCITT G4 TIFF, via img2pdf."""
    import img2pdf

    pages = []
    for seed in range(2):
        image = corpus.page_image(400, 560, seed=seed).convert(mode)
        buffer = io.BytesIO()
        if mode == "1":
            image.save(buffer, "TIFF", compression="group4")
        else:
            image.save(buffer, "PNG")
        pages.append(buffer.getvalue())
    assert accepted(check_pdf(img2pdf.convert(pages)))


@pytest.mark.parametrize("mode", ["RGB", "L", "1", "P", "RGBA", "CMYK"])
def test_phone_app_pillow_writer(mode: str) -> None:
    images = [corpus.page_image(400, 560, seed=seed).convert(mode) for seed in range(3)]
    buffer = io.BytesIO()
    images[0].save(buffer, "PDF", save_all=True, append_images=images[1:])
    verdict = check_pdf(buffer.getvalue())
    assert accepted(verdict)
    assert verdict.pages == 3


def test_phone_app_default() -> None:
    assert accepted(check_pdf(corpus.phone_app_pdf()))


@pytest.mark.parametrize("mode", ["objstm", "linearize", "uncompressed"])
def test_qpdf_rewritten_files(mode: str) -> None:
    """Object streams and xref streams (PDF 1.5), linearised files, uncompressed streams —
    what Acrobat, Word and many apps write."""
    import pikepdf

    source = corpus.text_pdf() if mode != "linearize" else corpus.scanner_pdf()
    with pikepdf.open(io.BytesIO(source)) as pdf:
        buffer = io.BytesIO()
        if mode == "objstm":
            pdf.save(buffer, object_stream_mode=pikepdf.ObjectStreamMode.generate)
        elif mode == "linearize":
            pdf.save(buffer, linearize=True)
        else:
            pdf.save(buffer, compress_streams=False, stream_decode_level=pikepdf.StreamDecodeLevel.generalized)
    expected = corpus.NUMBER if mode != "linearize" else None
    assert accepted(check_pdf(buffer.getvalue(), expected_number=expected))


def test_pypdf_rewritten_file() -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(corpus.scanner_pdf())))
    buffer = io.BytesIO()
    writer.write(buffer)
    assert accepted(check_pdf(buffer.getvalue()))


@needs_soffice
def test_libreoffice_export_is_accepted_and_its_number_read() -> None:
    verdict = check_pdf(_libreoffice(), expected_number=corpus.NUMBER)
    assert accepted(verdict)
    assert verdict.pages is not None and verdict.pages >= 2
    assert "number_unchecked" not in codes(verdict.warnings)


@needs_soffice
def test_libreoffice_export_with_another_number_is_refused() -> None:
    verdict = check_pdf(_libreoffice(), expected_number=corpus.OTHER_NUMBER)
    assert codes(verdict.errors) == ["number_mismatch"]
    message = verdict.errors[0].message
    assert corpus.OTHER_NUMBER in message and corpus.NUMBER in message and "5.7" in message


# ---------------------------------------------------------- guide §5.7: the number


def test_number_found_on_first_page() -> None:
    assert check_pdf(corpus.text_pdf(), expected_number=corpus.NUMBER).warnings == ()


def test_number_absent_from_text_layer_is_an_error() -> None:
    verdict = check_pdf(corpus.text_pdf(), expected_number=corpus.OTHER_NUMBER)
    assert not verdict.ok
    assert codes(verdict.errors) == ["number_mismatch"]
    assert f"首页上的编号是 {corpus.NUMBER}" in verdict.errors[0].message


def test_first_page_text_without_any_number() -> None:
    verdict = check_pdf(corpus.text_pdf(number=None), expected_number=corpus.NUMBER)
    assert codes(verdict.errors) == ["number_mismatch"]
    assert "没有找到 12 位的编号" in verdict.errors[0].message


def test_number_written_in_boxes_is_found() -> None:
    """A number typed into twelve cells comes out with spaces between the digits."""
    spaced = " ".join(corpus.NUMBER)
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [5 0 R 6 0 R] /Count 2 >>",
        3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        4: corpus.stream_obj(corpus.page_content(["Fa zhan tuan yuan bian hao:", spaced, "Ru tuan zhi yuan shu"])),
        5: corpus.TEXT_PAGE,
        6: corpus.TEXT_PAGE,
    }
    assert accepted(check_pdf(corpus.assemble(objects), expected_number=corpus.NUMBER))


def test_scan_without_text_layer_gets_a_warning_not_an_error() -> None:
    verdict = check_pdf(corpus.scanner_pdf(), expected_number=corpus.NUMBER)
    assert verdict.ok
    assert codes(verdict.warnings) == ["number_unchecked"]
    assert corpus.NUMBER in verdict.warnings[0].message and "5.7" in verdict.warnings[0].message


def test_app_watermark_is_not_a_text_layer() -> None:
    """A scan with a short watermark text ("扫描全能王 创建") cannot be checked, not refused."""
    import img2pdf
    from pypdf import PdfReader, PdfWriter

    scan = PdfReader(io.BytesIO(img2pdf.convert(corpus.scan_jpegs(2))))
    watermark = corpus.assemble(
        {
            1: b"<< /Type /Catalog /Pages 2 0 R >>",
            2: b"<< /Type /Pages /Kids [5 0 R] /Count 1 >>",
            3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            4: corpus.stream_obj(corpus.page_content(["CamScanner"])),
            5: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents 4 0 R >>",
        }
    )
    mark = PdfReader(io.BytesIO(watermark))
    writer = PdfWriter(clone_from=scan)
    for page in writer.pages:
        page.merge_page(mark.pages[0])
    buffer = io.BytesIO()
    writer.write(buffer)
    verdict = check_pdf(buffer.getvalue(), expected_number=corpus.NUMBER)
    assert verdict.ok
    assert codes(verdict.warnings) == ["number_unchecked"]


def test_no_expected_number_no_number_findings() -> None:
    assert check_pdf(corpus.scanner_pdf()).warnings == ()
    assert check_pdf(corpus.text_pdf(number=None)).errors == ()


# -------------------------------------------------------------------- warnings


def test_blank_pages_are_named() -> None:
    verdict = check_pdf(corpus.text_pdf(blank_pages=[2, 4]))
    assert verdict.ok
    assert codes(verdict.warnings) == ["blank_page"]
    assert "第 3、5 页" in verdict.warnings[0].message


def test_page_without_contents_is_blank() -> None:
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [4 0 R 5 0 R] /Count 2 >>",
        3: corpus.stream_obj(b"BT /F1 12 Tf 72 720 Td (x) Tj ET"),
        4: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 3 0 R >>",
        5: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    }
    verdict = check_pdf(corpus.assemble(objects))
    assert codes(verdict.warnings) == ["blank_page"]
    assert "第 2 页" in verdict.warnings[0].message


def test_one_page_is_a_warning() -> None:
    verdict = check_pdf(corpus.text_pdf(pages=1))
    assert verdict.ok
    assert codes(verdict.warnings) == ["few_pages"]


def test_two_pages_is_fine() -> None:
    assert check_pdf(corpus.text_pdf(pages=2)).warnings == ()


def test_many_pages_is_a_warning() -> None:
    verdict = check_pdf(corpus.text_pdf(pages=21, lines_per_page=2))
    assert verdict.ok
    assert codes(verdict.warnings) == ["many_pages"]
    assert "21 页" in verdict.warnings[0].message
    assert check_pdf(corpus.text_pdf(pages=20, lines_per_page=2)).warnings == ()


def test_page_thresholds_are_limits() -> None:
    limits = PdfLimits(min_pages=1, max_pages=3)
    assert check_pdf(corpus.text_pdf(pages=1), limits=limits).warnings == ()
    assert codes(check_pdf(corpus.text_pdf(pages=4), limits=limits).warnings) == ["many_pages"]


def test_verdict_json_shape() -> None:
    verdict = check_pdf(corpus.text_pdf(pages=1), expected_number=corpus.OTHER_NUMBER)
    shape = verdict.to_json_dict()
    assert set(shape) == {"ok", "pages", "errors", "warnings"}
    assert shape["ok"] is False and shape["pages"] == 1
    assert [set(item) for item in shape["errors"] + shape["warnings"]] == [{"code", "message"}] * 2
