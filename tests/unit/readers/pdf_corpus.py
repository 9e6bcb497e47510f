"""Makes the PDF robustness corpus at test time (no binary files are checked in).

Valid files imitate the producers named in guide §5.2: a scanner (one JPEG per page, wrapped
by img2pdf as scanner software does), a phone scanning app (Pillow's PDF writer), an office
suite (LibreOffice, when installed) and a hand-built text PDF whose every byte we control.
Broken files are made from valid ones (truncation, bit flips, random bytes) or built object by
object (page-tree loop, circular /Prev, compression bomb, no pages).
"""

from __future__ import annotations

import io
import os
import random
import shutil
import subprocess
import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

NUMBER = "202332000123"  # 2023, Jiangsu (32), sequence 123 — the project's convention
OTHER_NUMBER = "202332000999"

MiB = 1024 * 1024
# A page (object 5 by convention) showing content stream 4 with font 3.
TEXT_PAGE = (
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents 4 0 R >>"
)

# ------------------------------------------------------------------ a PDF built by hand


def stream_obj(data: bytes, entries: bytes = b"", *, compress: bool = True) -> bytes:
    """A stream object body (without "N 0 obj"): dictionary + data."""
    if compress:
        data = zlib.compress(data, 9)
        entries += b" /Filter /FlateDecode"
    return b"<< /Length %d%s >>\nstream\n" % (len(data), entries) + data + b"\nendstream"


def assemble(
    objects: dict[int, bytes],
    *,
    root: int = 1,
    trailer_extra: bytes = b"",
    header: bytes = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
) -> bytes:
    """Serialise numbered objects with a correct classic xref table and trailer."""
    out = bytearray(header)
    offsets: dict[int, int] = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n"
    xref_at = len(out)
    size = max(objects) + 1
    out += xref_table(offsets, size)
    out += b"trailer\n<< /Size %d /Root %d 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (size, root, trailer_extra, xref_at)
    return bytes(out)


def xref_table(offsets: dict[int, int], size: int) -> bytes:
    rows = [b"xref\n0 %d\n" % size, b"0000000000 65535 f \n"]
    for number in range(1, size):
        rows.append(b"%010d 00000 n \n" % offsets[number] if number in offsets else b"0000000000 65535 f \n")
    return b"".join(rows)


def _escape(text: str) -> bytes:
    return text.encode("latin-1").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def page_content(lines: Sequence[str]) -> bytes:
    body = [b"BT /F1 11 Tf 14 TL 56 800 Td"]
    body += [b"(%s) '" % _escape(line) for line in lines]
    body.append(b"ET")
    return b"\n".join(body)


def text_pdf(
    *,
    number: str | None = NUMBER,
    pages: int = 6,
    lines_per_page: int = 30,
    blank_pages: Iterable[int] = (),
    compress: bool = True,
    seed: int = 1,
) -> bytes:
    """A multi-page text PDF (Helvetica, Flate content streams). The first page carries
    "发展团员编号" as ASCII text with ``number``; the other lines are pseudo-random so the
    streams do not compress away (a 64 KB damage needs a file larger than 64 KB)."""
    rng = random.Random(seed)
    blank = set(blank_pages)
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0123456789 "
    objects: dict[int, bytes] = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    }
    kids = []
    for index in range(pages):
        page_no, content_no = 10 + 2 * index, 11 + 2 * index
        kids.append(b"%d 0 R" % page_no)
        if index in blank:
            content = b"q Q"
        else:
            lines = [f"Ruan Tuan Zhi Yuan Shu - page {index + 1}"]
            if index == 0 and number is not None:
                lines.append(f"Member development number: {number}")
            lines += ["".join(rng.choice(alphabet) for _ in range(80)) for _ in range(lines_per_page)]
            content = page_content(lines)
        objects[content_no] = stream_obj(content, compress=compress)
        objects[page_no] = (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % content_no
        )
    objects[2] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(kids), pages)
    return assemble(objects)


def no_pages_pdf() -> bytes:
    return assemble({1: b"<< /Type /Catalog /Pages 2 0 R >>", 2: b"<< /Type /Pages /Kids [] /Count 0 >>"})


def _one_page_objects(content_no: int = 4) -> dict[int, bytes]:
    return {
        3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        content_no: stream_obj(page_content([f"Member development number: {NUMBER}"])),
    }


def page_tree_loop_pdf(kind: str = "self") -> bytes:
    """A page tree whose /Kids points back up: "self" (node lists itself), "parent" (a child
    /Pages node lists the root), "deep" (A → B → C → A)."""
    objects = _one_page_objects()
    objects[1] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objects[5] = TEXT_PAGE
    if kind == "self":
        objects[2] = b"<< /Type /Pages /Kids [5 0 R 2 0 R] /Count 2 >>"
    elif kind == "parent":
        objects[2] = b"<< /Type /Pages /Kids [5 0 R 6 0 R] /Count 2 >>"
        objects[6] = b"<< /Type /Pages /Parent 2 0 R /Kids [2 0 R] /Count 1 >>"
    elif kind == "deep":
        objects[2] = b"<< /Type /Pages /Kids [5 0 R 6 0 R] /Count 3 >>"
        objects[6] = b"<< /Type /Pages /Parent 2 0 R /Kids [7 0 R] /Count 1 >>"
        objects[7] = b"<< /Type /Pages /Parent 6 0 R /Kids [2 0 R] /Count 1 >>"
    else:  # pragma: no cover
        raise ValueError(kind)
    return assemble(objects)


def circular_prev_pdf(kind: str = "self") -> bytes:
    """Valid objects, but the xref chain loops: "self" (a trailer's /Prev is its own
    offset) or "pair" (two xref sections whose /Prev point at each other)."""
    objects = _one_page_objects()
    objects[1] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objects[2] = b"<< /Type /Pages /Kids [5 0 R] /Count 1 >>"
    objects[5] = TEXT_PAGE
    out = bytearray(b"%PDF-1.7\n")
    offsets = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n"
    size = max(objects) + 1
    first = len(out)
    if kind == "self":
        out += xref_table(offsets, size)
        out += b"trailer\n<< /Size %d /Root 1 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (size, first, first)
        return bytes(out)
    # "pair": the second section is written after the first, each names the other as /Prev.
    table = xref_table(offsets, size)
    trailer_len = len(b"trailer\n<< /Size %d /Root 1 0 R /Prev %010d >>\n" % (size, 0))
    second = first + len(table) + trailer_len
    out += table + b"trailer\n<< /Size %d /Root 1 0 R /Prev %010d >>\n" % (size, second)
    assert len(out) == second
    out += table + b"trailer\n<< /Size %d /Root 1 0 R /Prev %010d >>\nstartxref\n%d\n%%%%EOF\n" % (size, first, second)
    return bytes(out)


def zlib_bomb(total: int = 1024 * MiB, fill: bytes = b" ") -> bytes:
    """zlib data of ≈ total/1030 bytes that inflates to ``total`` bytes (1 GiB → ≈ 1 MB),
    made in 1 MiB pieces so the test process never holds the inflated data."""
    compressor = zlib.compressobj(9)
    piece = fill * MiB
    parts = [compressor.compress(piece) for _ in range(total // MiB)]
    parts.append(compressor.flush())
    return b"".join(parts)


def bomb_pdf(where: str = "content", bomb: bytes | None = None) -> bytes:
    """One page whose content stream is a zlib bomb: "content" (plain /FlateDecode, our own
    bounded inflater meets it), "content-hex" (/ASCIIHexDecode then /FlateDecode, so pypdf
    decodes it under its configured limit) or "image" (a 1 GiB declared grey image)."""
    bomb = zlib_bomb() if bomb is None else bomb
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [5 0 R] /Count 1 >>",
    }
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>"
    if where == "content":
        objects[4] = b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(bomb) + bomb + b"\nendstream"
        objects[5] = page
    elif where == "content-hex":
        hexed = bomb.hex().encode() + b">"
        entries = b"<< /Length %d /Filter [/ASCIIHexDecode /FlateDecode] >>" % len(hexed)
        objects[4] = entries + b"\nstream\n" + hexed + b"\nendstream"
        objects[5] = page
    elif where == "image":
        # 32768 × 32768 grey = 1 GiB declared, matching what the data inflates to.
        objects[3] = (
            b"<< /Type /XObject /Subtype /Image /Width 32768 /Height 32768 /ColorSpace /DeviceGray "
            b"/BitsPerComponent 8 /Length %d /Filter /FlateDecode >>\nstream\n" % len(bomb) + bomb + b"\nendstream"
        )
        objects[4] = stream_obj(b"q 595 0 0 842 0 0 cm /Im0 Do Q")
        objects[5] = (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /XObject << /Im0 3 0 R >> >> /Contents 4 0 R >>"
        )
    else:  # pragma: no cover
        raise ValueError(where)
    return assemble(objects)


def nested_pdf(depth: int = 50_000) -> bytes:
    """A page dictionary holding an array nested ``depth`` deep (a parser-recursion attack)."""
    objects = _one_page_objects()
    objects[1] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objects[2] = b"<< /Type /Pages /Kids [5 0 R] /Count 1 >>"
    objects[5] = (
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Junk "
        + b"[" * depth
        + b"]" * depth
        + b" >>"
    )
    return assemble(objects)


def pdf_of_size(size: int) -> bytes:
    """A valid one-page PDF of exactly ``size`` bytes, grown by an unreferenced stream."""

    def build(filler: int) -> bytes:
        objects = _one_page_objects()
        objects[1] = b"<< /Type /Catalog /Pages 2 0 R >>"
        objects[2] = b"<< /Type /Pages /Kids [5 0 R] /Count 1 >>"
        objects[5] = (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents 4 0 R >>"
        )
        objects[6] = stream_obj(b"\0" * filler, compress=False)
        return assemble(objects)

    filler = max(0, size - len(build(0)))
    for _ in range(3):  # the /Length digits and xref offsets settle within two rounds
        data = build(filler)
        if len(data) == size:
            return data
        filler += size - len(data)
    raise AssertionError(f"could not build a PDF of {size} bytes")


# ------------------------------------------------------------ images and scanned PDFs


def page_image(width: int, height: int, *, noise: float = 24.0, seed: int = 0, text: str = "") -> Any:
    """A page-like RGB picture: paper with grain (a scan's noise; ``noise`` is its strength in
    percent) and a few dark lines. Deterministic for a seed, so corpus files never vary."""
    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    grain = Image.frombytes("L", (width, height), rng.randbytes(width * height))
    paper = Image.new("L", (width, height), 235)
    page = Image.blend(paper, grain, noise / 100).convert("RGB")
    draw = ImageDraw.Draw(page)
    for row in range(height // 12, height, max(1, height // 14)):
        draw.line((width // 12, row, width - width // 12, row), fill=(40, 40, 40), width=max(1, width // 400))
    if text:
        draw.text((width // 12, height // 24), text, fill=(0, 0, 0))
    return page


def jpeg_bytes(image: Any, quality: int = 80) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def scan_jpegs(
    pages: int = 4, size: tuple[int, int] = (620, 877), *, noise: float = 24.0, quality: int = 80
) -> list[bytes]:
    return [
        jpeg_bytes(page_image(*size, noise=noise, seed=index, text=f"page {index + 1}"), quality)
        for index in range(pages)
    ]


def scanner_pdf(pages: int = 4, size: tuple[int, int] = (620, 877), **kwargs: Any) -> bytes:
    """Scanner style: one JPEG per page embedded as-is (DCTDecode), A4 pages, via img2pdf."""
    import img2pdf

    a4 = (img2pdf.mm_to_pt(210), img2pdf.mm_to_pt(297))
    layout = img2pdf.get_layout_fun(a4)
    return bytes(img2pdf.convert(scan_jpegs(pages, size, **kwargs), layout_fun=layout))


def phone_app_pdf(pages: int = 3, size: tuple[int, int] = (600, 840)) -> bytes:
    """Phone-app style: pictures saved straight to one PDF by Pillow's PDF writer."""
    images = [page_image(*size, seed=100 + i, text=f"photo {i + 1}") for i in range(pages)]
    buffer = io.BytesIO()
    first, *rest = images
    first.save(buffer, format="PDF", save_all=True, append_images=rest, resolution=72.0)
    return buffer.getvalue()


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    page_image(64, 64).save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg_file() -> bytes:
    return jpeg_bytes(page_image(64, 64))


# --------------------------------------------------------------- office documents


def xlsx_bytes() -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet: Any = workbook.active
    sheet.append(["姓名", "发展团员编号"])
    sheet.append(["张三", NUMBER])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def docx_bytes() -> bytes:
    """A minimal Word package (enough for the magic-byte check: a zip with word/)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        package.writestr("word/document.xml", '<?xml version="1.0"?><w:document/>')
    return buffer.getvalue()


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def libreoffice_pdf(number: str = NUMBER, pages: int = 3) -> bytes:
    """A PDF exported by LibreOffice Writer from a plain-text 入团志愿书 (guide §5.2's Word
    route, with LibreOffice standing in for Word). Needs ``soffice``."""
    binary = soffice()
    if binary is None:  # pragma: no cover
        raise RuntimeError("soffice not installed")
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        lines = ["中国共产主义青年团", "入团志愿书", f"发展团员编号：{number}", "", "姓名：张三  性别：男", ""]
        filler = "我志愿加入中国共产主义青年团，坚决拥护中国共产党的领导，遵守团的章程，执行团的决议。"
        lines += [filler] * (45 * pages)
        source = folder / "zhiyuanshu.txt"
        source.write_text("\n".join(lines), encoding="utf-8")
        profile = folder / "profile"
        subprocess.run(
            [
                binary,
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                str(folder),
                str(source),
            ],
            check=True,
            capture_output=True,
            timeout=180,
            env={**os.environ, "HOME": str(folder)},
        )
        return (folder / "zhiyuanshu.pdf").read_bytes()


# ------------------------------------------------------------------- encryption


def encrypt(data: bytes, *, user: str, owner: str, algorithm: str) -> bytes:
    """Re-save ``data`` encrypted by pypdf (user password "" = owner-only protection)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=user, owner_password=owner, algorithm=algorithm)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------- damage


def truncate(data: bytes, fraction: float) -> bytes:
    return data[: int(len(data) * fraction)]


def flip_bits(data: bytes, count: int, seed: int) -> bytes:
    rng = random.Random(seed)
    out = bytearray(data)
    for _ in range(count):
        position = rng.randrange(len(out))
        out[position] ^= 1 << rng.randrange(8)
    return bytes(out)


def random_middle(data: bytes, length: int = 64 * 1024, seed: int = 7) -> bytes:
    """Overwrite ``length`` bytes in the middle with random bytes (same file size)."""
    rng = random.Random(seed)
    start = max(0, len(data) // 2 - length // 2)
    noise = rng.randbytes(min(length, len(data) - start))
    return data[:start] + noise + data[start + len(noise) :]
