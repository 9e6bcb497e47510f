"""Validation of an uploaded 入团志愿书 PDF (the member's electronic archive).

Rules from the operation guide (操作指引, seed attachment 2):
- §3.2.1 / §4.1: one PDF file of at most 20M, scanned page by page or assembled from
  pictures, with no missing, wrong, stained or blurred pages;
- §5.2: the three ways a branch produces it — a scanner, a phone scanning app, or photos
  pasted into Word and saved as PDF — so files from all of these must pass;
- §5.7: the member's development number in the system must equal the one on the first page.

``check_pdf`` never raises on any input and never hangs: cheap checks (size, magic bytes) run
in the caller; everything that parses runs in a child process with a wall-clock and a memory
bound (``zhtj.readers.bounded``), because pypdf is pure Python over untrusted input and a
hostile file can loop or allocate inside C code (zlib) where no signal reaches.

Cold start (DESIGN "Cold start"): importing this module does not import pypdf; ``check_pdf``
imports it when it first parses, in the worker that checks uploads, never in the API function.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from zhtj.readers.bounded import (
    BoundedCrash,
    BoundedError,
    BoundedMemoryExceeded,
    BoundedTimeout,
    run_bounded,
)

if TYPE_CHECKING:
    from pypdf import PageObject, PdfReader
    from pypdf.generic import StreamObject

__all__ = [
    "DEFAULT_LIMITS",
    "MAX_PDF_BYTES",
    "Finding",
    "PdfLimits",
    "PdfVerdict",
    "check_pdf",
    "check_pdf_file",
]

MiB: Final = 1024 * 1024

# Guide §3.2.1 / §4.1: "文件大小不超过20M". We read 20M as 20 MiB = 20 × 1024 × 1024 =
# 20,971,520 bytes, because that is what a branch secretary sees: Windows Explorer and WPS
# show sizes in binary units labelled "MB", so a file shown as "19.9 MB" is ≤ 20 MiB but
# may exceed 20,000,000 bytes; refusing it would contradict what the guide's reader checked.
# The presigned-POST size condition must use this same constant.
MAX_PDF_BYTES: Final = 20 * MiB

# Guide §5.7 / DESIGN: a member development number is exactly 12 digits.
_NUMBER_RE: Final = re.compile(r"[0-9]{12}")


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found in a file. ``code`` is stable (API, tests); ``message`` is Chinese
    text for the branch secretary who uploaded the file."""

    code: str
    message: str


@dataclass(frozen=True, slots=True)
class PdfVerdict:
    ok: bool
    pages: int | None
    errors: tuple[Finding, ...]
    warnings: tuple[Finding, ...]
    sha256: str

    def to_json_dict(self) -> dict[str, Any]:
        """The CLI's and the API's JSON shape (sha256 is not part of it)."""
        return {
            "ok": self.ok,
            "pages": self.pages,
            "errors": [{"code": f.code, "message": f.message} for f in self.errors],
            "warnings": [{"code": f.code, "message": f.message} for f in self.warnings],
        }


@dataclass(frozen=True, slots=True)
class PdfLimits:
    """Bounds and thresholds. Every number here is a project choice, explained per field."""

    # Guide §4.1, see MAX_PDF_BYTES.
    max_bytes: int = MAX_PDF_BYTES
    # Wall-clock bound for parsing one file in the child. A 20 MB eight-page scan checks in
    # well under a second (bench/bench_pdf.py); 15 s leaves room on a slow Lambda core and
    # still fits a worker timeout of 60 s with the S3 download and the database writes.
    timeout_s: float = 15.0
    # Extra address space the child may map on top of what it inherits. The file itself is
    # shared with the parent (fork); the rest is pypdf's object cache (images are dropped
    # from it once checked), one decoded content stream at a time and 4 MiB inflate
    # buffers — a 20 MB scan adds ≈ 3 MiB (bench/bench_pdf.py). 512 MiB lets pypdf reach
    # its own 64 MiB stream limit (below) several times over, and fits a 1 GB function.
    memory_bytes: int = 512 * MiB
    # Largest decoded content stream (and pypdf's per-stream decompression limit). A text
    # page of a LibreOffice/Word export is tens of KB; scans are bytes. 64 MiB refuses a
    # compression bomb early without touching any real file.
    max_stream_bytes: int = 64 * MiB
    # Largest decoded image (declared /Width × /Height × components × bits). A4 at 600 dpi
    # in RGB is 105 MB; 256 MiB admits that with room and refuses absurd declared sizes.
    max_image_bytes: int = 256 * MiB
    # Total bytes inflated while checking one file (content + images): bounds the time a
    # file made of many medium bombs can cost.
    max_inflate_total: int = 1024 * MiB
    # Page-count warnings (not errors). The 入团志愿书 is a booklet of several pages (cover,
    # 须知, the applicant's part, the introducers', the branch's and the committee's), so one
    # page almost always means a missing scan (§4.1 不得缺页); more than 20 suggests another
    # member's pages or a double scan. Both are judged by the approver, hence warnings.
    min_pages: int = 2
    max_pages: int = 20
    # A first page with fewer visible characters than this has no real text layer: it is a
    # scan, perhaps with an app watermark such as "扫描全能王 创建" (7 characters), and the
    # development number cannot be read from it (§5.7 check becomes a warning).
    min_text_chars: int = 20


DEFAULT_LIMITS: Final = PdfLimits()


def check_pdf(
    data: bytes,
    *,
    expected_number: str | None = None,
    limits: PdfLimits = DEFAULT_LIMITS,
) -> PdfVerdict:
    """Check one uploaded archive PDF. ``ok`` is true when it has no errors.

    Never raises on any ``data`` and returns within about ``limits.timeout_s`` (plus the
    hash and the fork); raises ``ValueError`` only for a malformed ``expected_number``.

    ``expected_number`` is the member's 12-digit development number in the system; when
    given, a first page with a text layer must carry it (guide §5.7).
    """
    if expected_number is not None and not _NUMBER_RE.fullmatch(expected_number):
        raise ValueError("expected_number must be 12 ASCII digits")
    data = bytes(data)
    sha256 = hashlib.sha256(data).hexdigest()
    problem = _cheap_problem(data, len(data), limits)
    if problem is not None:
        return _verdict(None, (problem,), (), sha256)
    # Import pypdf here, in the parent, before forking: the child inherits the loaded module
    # and a warm worker pays the 0.24 s import once, not on every upload.
    import pypdf  # noqa: F401

    try:
        pages, errors, warnings = run_bounded(
            _inspect,
            data,
            expected_number,
            limits,
            timeout_s=limits.timeout_s,
            memory_bytes=limits.memory_bytes,
        )
    except BoundedTimeout:
        return _verdict(None, (_too_complex_time(limits),), (), sha256)
    except BoundedMemoryExceeded:
        return _verdict(None, (_too_complex_memory(),), (), sha256)
    except BoundedCrash as crash:
        # SIGKILL that we did not send is the kernel's OOM killer; anything else is a fault.
        if crash.signal == 9:
            return _verdict(None, (_too_complex_memory(),), (), sha256)
        return _verdict(None, (_check_failed(),), (), sha256)
    except BoundedError:
        return _verdict(None, (_check_failed(),), (), sha256)
    return _verdict(pages, errors, warnings, sha256)


def check_pdf_file(
    path: str,
    *,
    expected_number: str | None = None,
    limits: PdfLimits = DEFAULT_LIMITS,
) -> PdfVerdict:
    """``check_pdf`` on a file, reading no more than ``limits.max_bytes + 1`` bytes into
    memory: a larger file gets the same ``too_large`` verdict with its hash streamed.
    Raises ``OSError`` when the file cannot be read."""
    with open(path, "rb") as stream:
        head = stream.read(limits.max_bytes + 1)
        if len(head) <= limits.max_bytes:
            return check_pdf(head, expected_number=expected_number, limits=limits)
        digest = hashlib.sha256(head)
        size = len(head)
        while chunk := stream.read(4 * MiB):
            digest.update(chunk)
            size += len(chunk)
    return _verdict(None, (_too_large(size, limits),), (), digest.hexdigest())


# --------------------------------------------------------------------------- the parent side


def _verdict(
    pages: int | None,
    errors: tuple[Finding, ...],
    warnings: tuple[Finding, ...],
    sha256: str,
) -> PdfVerdict:
    return PdfVerdict(ok=not errors, pages=pages, errors=errors, warnings=warnings, sha256=sha256)


def _size_text(size: int) -> str:
    # The same binary "MB" that Windows Explorer shows (see MAX_PDF_BYTES).
    return f"{size / MiB:.1f} MB"


def _too_large(size: int, limits: PdfLimits) -> Finding:
    return Finding(
        "too_large",
        f"文件大小为 {_size_text(size)}，超过了 {_size_text(limits.max_bytes).replace('.0', '')} 的上限"
        "（操作指引 4.1：文件大小不超过20M）。请适当降低扫描分辨率（如 150–200 dpi）"
        "或选择“压缩”后重新生成 PDF，再上传。",
    )


def _cheap_problem(data: bytes, size: int, limits: PdfLimits) -> Finding | None:
    """Size and magic-byte checks that need no parser (run in the caller)."""
    if size == 0:
        return Finding("empty", "文件是空的（0 字节），可能上传时出错。请重新选择《入团志愿书》PDF 文件上传。")
    if size > limits.max_bytes:
        return _too_large(size, limits)
    # PDF 32000-1 §7.5.2 puts "%PDF-" at the start; readers (Acrobat among them) accept it
    # anywhere in the first 1024 bytes, and so do we.
    if b"%PDF-" in data[:1024]:
        return None
    return Finding("not_pdf", _not_pdf_message(data))


_WHAT_IMAGE: Final = "请用扫描软件或手机扫描 APP 把《入团志愿书》各页按顺序合成 1 份 PDF 后再上传（操作指引 5.2）。"
_RENAMED: Final = "（扩展名被改成了 .pdf），不是 PDF 文件。"


def _not_pdf_message(data: bytes) -> str:
    """Say what the file really is, so the secretary knows what went wrong."""
    head = data[:64]
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        # An OOXML/OFD/ODF package: the member names are stored in clear text.
        if b"word/" in data:
            return (
                "这是一个 Word 文件" + _RENAMED + "请在 Word/WPS 中选择“另存为”→“PDF”，生成 PDF 后再上传"
                "（操作指引 5.2）。"
            )
        if b"xl/" in data:
            return "这是一个 Excel 文件" + _RENAMED + "请上传《入团志愿书》逐页扫描生成的 PDF。"
        if b"ppt/" in data:
            return "这是一个 PowerPoint 文件" + _RENAMED + "请上传《入团志愿书》逐页扫描生成的 PDF。"
        if b"OFD.xml" in data:
            return "这是一个 OFD 版式文件" + _RENAMED + "请用阅读器“另存为 PDF”或重新扫描生成 PDF 后再上传。"
        if b"opendocument" in data[:200]:
            return "这是一个 OpenDocument（LibreOffice/WPS）文档" + _RENAMED + "请先“导出为 PDF”再上传。"
        return "这是一个压缩包（zip）" + _RENAMED + "请解压后上传其中的《入团志愿书》PDF 文件。"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "这是一个旧版 Office（.doc/.xls）或 WPS 文件" + _RENAMED + "请先“另存为”PDF 再上传（操作指引 5.2）。"
    if head.startswith(b"\xff\xd8\xff"):
        return "这是一张 JPEG 图片" + _RENAMED + _WHAT_IMAGE
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "这是一张 PNG 图片" + _RENAMED + _WHAT_IMAGE
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "这是一张 GIF 图片" + _RENAMED + _WHAT_IMAGE
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "这是一个 TIFF 图片（扫描仪的图片格式）" + _RENAMED + _WHAT_IMAGE
    if head.startswith(b"BM") and len(data) > 26:
        return "这是一张 BMP 图片" + _RENAMED + _WHAT_IMAGE
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "这是一张 WebP 图片" + _RENAMED + _WHAT_IMAGE
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1"):
            return "这是一张 HEIC 照片（苹果手机拍照格式）" + _RENAMED + _WHAT_IMAGE
        if brand in (b"avif", b"avis"):
            return "这是一张 AVIF 图片" + _RENAMED + _WHAT_IMAGE
        return "这是一个视频或照片文件" + _RENAMED + _WHAT_IMAGE
    if head.startswith((b"Rar!\x1a\x07", b"7z\xbc\xaf\x27\x1c", b"\x1f\x8b")):
        return "这是一个压缩包" + _RENAMED + "请解压后上传其中的《入团志愿书》PDF 文件。"
    if head.startswith(b"{\\rtf"):
        return "这是一个 RTF 文档" + _RENAMED + "请先“另存为”PDF 再上传。"
    text = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<!doctype html", b"<html", b"<?xml", b"<head", b"<body")):
        return (
            "这是一个网页或 XML 文件（可能是下载失败时保存的页面）" + _RENAMED + "请上传真正的《入团志愿书》PDF 文件。"
        )
    if head.startswith(b"%!PS"):
        return "这是一个 PostScript 文件" + _RENAMED + "请先转换为 PDF 再上传。"
    return (
        "这不是 PDF 文件（文件开头没有 PDF 标识），可能是其他格式的文件被改了扩展名，或文件已损坏。"
        "请上传 PDF 格式的《入团志愿书》。"
    )


def _too_complex_time(limits: PdfLimits) -> Finding:
    return Finding(
        "too_complex",
        f"文件结构过于复杂，系统在 {limits.timeout_s:g} 秒内未能完成检查。"
        "请用扫描软件、手机扫描 APP 或 WPS 重新生成 PDF 后上传。",
    )


def _too_complex_memory() -> Finding:
    return Finding(
        "too_complex",
        "文件结构过于复杂，检查它所需的内存超过了系统上限。请用扫描软件、手机扫描 APP 或 WPS 重新生成 PDF 后上传。",
    )


def _check_failed() -> Finding:
    return Finding(
        "check_failed",
        "系统检查该文件时出错，未能完成检查。请稍后重试；如仍失败，请用其他软件重新生成 PDF 后上传。",
    )


# ---------------------------------------------------------------------------- the child side
#
# Everything below runs in the bounded child. It catches every exception of its own and
# turns it into findings; MemoryError is let through so that the bound reports it.


class _Corrupt(Exception):
    """Damaged data where a well-formed file has structure (message: Chinese detail)."""


class _TooComplex(Exception):
    """A resource limit of ours or pypdf's was reached (message: Chinese detail)."""


_CORRUPT_ADVICE: Final = "请重新扫描或重新导出 PDF 后上传。"


def _corrupt(detail: str) -> Finding:
    return Finding("corrupt", f"文件已损坏，无法正常打开：{detail}。{_CORRUPT_ADVICE}")


def _pages_text(indexes: Iterable[int]) -> str:
    return "、".join(str(i + 1) for i in indexes)


@dataclass
class _State:
    limits: PdfLimits
    # pypdf's object cache (PdfReader.resolved_objects), to drop each image once checked:
    # otherwise every page's image stays in memory — a second copy of the whole file.
    cache: dict[Any, Any] = field(default_factory=dict)
    inflated: int = 0
    # Verdict per XObject already checked (images are often shared between pages).
    xobjects: dict[tuple[int, int], bool] = field(default_factory=dict)


def _inspect(
    data: bytes, expected_number: str | None, limits: PdfLimits
) -> tuple[int | None, tuple[Finding, ...], tuple[Finding, ...]]:
    """Parse and check in the child: returns (pages, errors, warnings)."""
    import logging
    import warnings

    import pypdf

    # pypdf reports tolerated damage through logging and warnings; the verdict is ours, and
    # nothing should reach the CLI's stderr or the Lambda log from here.
    logger = logging.getLogger("pypdf")
    logger.handlers[:] = [logging.NullHandler()]
    logger.propagate = False
    warnings.simplefilter("ignore")
    with pypdf.apply_configuration(
        # Never start an external program (jbig2dec) on untrusted input.
        jbig2dec_binary=None,
        # pypdf's own decompression limits (pypdf.Configuration; the old module constants
        # such as pypdf.filters.ZLIB_MAX_OUTPUT_LENGTH / MAX_DECLARED_STREAM_LENGTH are
        # deprecated in 7.x) — these bound every stream pypdf itself decodes (text layer,
        # unusual filter chains); our own inflating below uses the same numbers.
        zlib_maximum_output_length=limits.max_stream_bytes,
        lzw_maximum_output_length=limits.max_stream_bytes,
        run_length_maximum_output_length=limits.max_stream_bytes,
        brotli_maximum_output_length=limits.max_stream_bytes,
        array_based_stream_maximum_output_length=limits.max_stream_bytes,
        image_maximum_buffer_size=limits.max_image_bytes,
        # A corrupt Flate stream is refused, not recovered byte by byte (pypdf's recovery
        # loop runs in Python over up to 5 MB by default).
        zlib_maximum_recovery_input_length=64 * 1024,
    ):
        return _inspect_configured(data, expected_number, _State(limits))


def _inspect_configured(
    data: bytes, expected_number: str | None, state: _State
) -> tuple[int | None, tuple[Finding, ...], tuple[Finding, ...]]:
    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError

    limits = state.limits
    # PDF 32000-1 §7.5.5: the file ends with %%EOF; Acrobat requires it within the last
    # 1024 bytes. Without it the upload was cut short (truncated file, interrupted copy).
    if b"%%EOF" not in data[-1024:]:
        return None, (_corrupt("文件不完整，末尾缺失（可能上传中断或文件被截断）"),), ()
    try:
        # Non-strict: real producers (phone apps especially) write slightly wrong xref
        # offsets that every viewer repairs; we refuse damage by checking the data itself.
        # Loop fixes in the pinned pypdf 7.1.1, checked against its changelog and source:
        # circular xref /Prev chains stop (changelog 6.7.2, "SEC: Prevent infinite loop from
        # circular xref /Prev references (#3655)"; _reader.py visited_xref_offsets), comment
        # loops (changelog 3.9.0 #1828; skip_over_comments(limit=_MAX_LEADING_COMMENTS) in
        # 7.1.1), cyclic /Pages trees (changelog 6.13.2 #3847). The child's time bound
        # covers any loop pypdf still has.
        reader = PdfReader(_stream(data), strict=False)
        if reader.is_encrypted:
            return None, (_encrypted(),), ()
        state.cache = reader.resolved_objects
        count = len(reader.pages)
    except (MemoryError, KeyboardInterrupt):
        raise
    except (LimitReachedError, RecursionError):
        return None, (_too_complex_structure(),), ()
    except Exception:
        return None, (_corrupt("文件结构损坏，读不出页面"),), ()
    try:
        _check_page_tree(reader)
    except (MemoryError, KeyboardInterrupt):
        raise
    except (_TooComplex, LimitReachedError, RecursionError):
        return count, (_too_complex_structure(),), ()
    except Exception:
        return count, (_corrupt("文件结构损坏，有页面缺失或无法读取"),), ()
    if count == 0:
        no_pages = Finding("no_pages", "PDF 中没有任何页面。请重新生成包含《入团志愿书》全部页面的 PDF 后上传。")
        return 0, (no_pages,), ()

    errors: list[Finding] = []
    warnings: list[Finding] = []
    broken: list[int] = []
    blank: list[int] = []
    for index in range(count):
        try:
            if _page_is_blank(reader.pages[index], state):
                blank.append(index)
        except (MemoryError, KeyboardInterrupt):
            raise
        except (_TooComplex, LimitReachedError, RecursionError):
            return count, (_too_complex_structure(),), ()
        except Exception:
            broken.append(index)
    if broken:
        errors.append(_corrupt(f"第 {_pages_text(broken)} 页的数据损坏（页面内容或图片无法解码）"))
    if blank:
        warnings.append(
            Finding(
                "blank_page",
                f"第 {_pages_text(blank)} 页看起来是空白页。请确认没有漏扫、错页（操作指引 4.1：不得出现缺页、错页）。",
            )
        )
    if count < limits.min_pages:
        warnings.append(
            Finding(
                "few_pages",
                f"文件只有 {count} 页。《入团志愿书》通常有多页，请确认已逐页扫描、没有缺页（操作指引 4.1）。",
            )
        )
    elif count > limits.max_pages:
        warnings.append(
            Finding(
                "many_pages",
                f"文件有 {count} 页，多于《入团志愿书》通常的页数。请确认没有混入其他团员的材料或重复扫描的页面。",
            )
        )
    if expected_number is not None and 0 not in broken:
        found = _number_finding(reader.pages[0], expected_number, limits)
        if found is not None:
            (errors if found.code == "number_mismatch" else warnings).append(found)
    return count, tuple(errors), tuple(warnings)


def _stream(data: bytes) -> io.BufferedReader:
    """A read-only stream over ``data`` that shares its memory. A bare BytesIO would do,
    but pypdf calls ``getbuffer()`` on streams that have it (to learn their size), and
    exporting a buffer makes BytesIO copy the bytes it shared: 20 MB more per upload."""
    return io.BufferedReader(io.BytesIO(data))


def _encrypted() -> Finding:
    return Finding(
        "encrypted",
        "文件已加密，请上传未加密的PDF。（文件设置了打开密码或权限密码，系统无法检查其内容；"
        "请在扫描软件或 WPS 中取消加密后重新导出。）",
    )


def _too_complex_structure() -> Finding:
    return Finding(
        "too_complex",
        "文件中有异常巨大或异常复杂的数据（例如解压后过大的内容），系统拒绝处理。"
        "请用扫描软件、手机扫描 APP 或 WPS 重新生成 PDF 后上传。",
    )


# ----------------------------------------------------------------------------- page checks

# Operators that put marks on the page (PDF 32000-1 Tables 51, 59, 107, 87): text showing,
# path painting (not clipping), shading, XObjects and inline images.
_PAINT_RE: Final = re.compile(rb"(?<![A-Za-z0-9*])(?:Tj|TJ|'|\"|f\*?|F|B\*?|b\*?|S|s|sh|Do|BI)(?![A-Za-z0-9*])")
_STRING_RE: Final = re.compile(rb"\((?:\\.|[^\\)])*\)|<[0-9A-Fa-f\s]*>", re.DOTALL)
# Decoded content streams longer than this are not blank; only shorter ones are scanned for
# painting operators.
_BLANK_PROBE: Final = 4096


def _page_is_blank(page: PageObject, state: _State) -> bool:
    """Decode every content stream and check every image of the page; raise on damage.
    Returns whether the page looks blank (nothing painted, no image)."""
    from pypdf.generic import ArrayObject, DictionaryObject, NullObject

    painted = False
    contents = _resolve(page.get("/Contents"))
    streams: list[Any]
    if contents is None or isinstance(contents, NullObject):
        streams = []
    elif isinstance(contents, ArrayObject):
        streams = [_resolve(item) for item in contents]
    else:
        streams = [contents]
    probe = bytearray()
    for stream in streams:
        if stream is None or isinstance(stream, NullObject):
            continue
        if not _is_stream(stream):
            raise _Corrupt("page content is not a stream")
        length, head = _decode(stream, state, cap=state.limits.max_stream_bytes, keep=_BLANK_PROBE + 1)
        if length > _BLANK_PROBE or len(probe) + len(head) > _BLANK_PROBE:
            painted = True
        elif not painted:
            probe += head + b"\n"
    if not painted and probe:
        painted = _paints(bytes(probe))
    resources = _resolve(page.get("/Resources"))
    if isinstance(resources, DictionaryObject) and _check_xobjects(resources, state, depth=0):
        painted = True
    return not painted


def _resolve(value: Any) -> Any:
    """Follow an indirect reference. pypdf (non-strict) answers None for a reference to an
    object that is not in the file — which is what overwritten or cut-out bytes leave
    behind — and the caller would silently skip it; here it is damage."""
    from pypdf.generic import IndirectObject

    if isinstance(value, IndirectObject):
        resolved = value.get_object()
        if resolved is None:
            raise _Corrupt(f"object {value.idnum} {value.generation} is missing")
        return resolved
    return value


def _check_page_tree(reader: PdfReader) -> None:
    """Every /Kids entry of the page tree must be there. pypdf drops a page whose object is
    missing or unreadable and counts the rest, so a damaged file would pass with a page
    fewer (guide §4.1: 不得出现缺页)."""
    from pypdf.generic import ArrayObject, DictionaryObject

    root = _resolve(reader.trailer.get("/Root"))
    tree = _resolve(root.get("/Pages")) if isinstance(root, DictionaryObject) else None
    if not isinstance(tree, DictionaryObject):
        raise _Corrupt("no page tree")
    pending = [tree]
    seen: set[int] = {id(tree)}
    entries = 0
    while pending:
        node = pending.pop()
        kids = _resolve(node.get("/Kids"))
        if kids is None:
            continue
        if not isinstance(kids, ArrayObject):
            raise _Corrupt("/Kids is not an array")
        for kid in kids:
            entries += 1
            if entries > 100_000:  # pypdf's own page_tree_maximum_entries
                raise _TooComplex("page tree too large")
            child = _resolve(kid)
            if not isinstance(child, DictionaryObject):
                raise _Corrupt("page tree entry is not a dictionary")
            if "/Kids" in child and id(child) not in seen:  # loops were refused by pypdf
                seen.add(id(child))
                pending.append(child)


def _paints(content: bytes) -> bool:
    return _PAINT_RE.search(_STRING_RE.sub(b" ", content)) is not None


def _is_stream(obj: object) -> bool:
    from pypdf.generic import StreamObject

    return isinstance(obj, StreamObject)


def _check_xobjects(resources: Any, state: _State, *, depth: int) -> bool:
    """Check the images and forms of a resource dictionary; True if any can paint."""
    from pypdf.generic import DictionaryObject, IndirectObject

    if depth > 8:  # forms nested this deep are not made by any scanner or office suite
        raise _TooComplex("forms nested too deeply")
    xobjects = _resolve(resources.get("/XObject"))
    if not isinstance(xobjects, DictionaryObject):
        return False
    paints = False
    for ref in xobjects.values():
        key = (ref.idnum, ref.generation) if isinstance(ref, IndirectObject) else None
        if key is not None and key in state.xobjects:
            paints = paints or state.xobjects[key]
            continue
        if key is not None:
            state.xobjects[key] = False  # a form that contains itself stops here
        obj = _resolve(ref)
        if not _is_stream(obj):
            raise _Corrupt("XObject is not a stream")
        subtype = obj.get("/Subtype")
        if subtype == "/Image":
            _check_image(obj, state)
            if key is not None:
                state.cache.pop((key[1], key[0]), None)  # keyed (generation, idnum)
            this = True
        elif subtype == "/Form":
            length, head = _decode(obj, state, cap=state.limits.max_stream_bytes, keep=_BLANK_PROBE + 1)
            this = length > _BLANK_PROBE or _paints(head)
            inner = _resolve(obj.get("/Resources"))
            if isinstance(inner, DictionaryObject) and _check_xobjects(inner, state, depth=depth + 1):
                this = True
        else:
            this = False
        if key is not None:
            state.xobjects[key] = this
        paints = paints or this
    return paints


_FILTER_ALIASES: Final = {
    "/Fl": "/FlateDecode",
    "/DCT": "/DCTDecode",
    "/AHx": "/ASCIIHexDecode",
    "/A85": "/ASCII85Decode",
    "/LZW": "/LZWDecode",
    "/RL": "/RunLengthDecode",
    "/CCF": "/CCITTFaxDecode",
}


def _filters(stream: StreamObject) -> list[str]:
    value = _resolve(stream.get("/Filter"))
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [_FILTER_ALIASES.get(str(item), str(item)) for item in items]


def _raw(stream: StreamObject) -> bytes:
    """The stream's bytes as stored in the file (still encoded). pypdf keeps them in
    ``_data``; ``StreamObject.get_data`` is the base-class accessor that returns them
    without the decoding (and caching of the decoded copy) that the subclass adds."""
    from pypdf.generic import StreamObject

    return StreamObject.get_data(stream)


_OUT_CHUNK: Final = 4 * MiB


def _inflate(raw: bytes, state: _State, *, cap: int, keep: int) -> tuple[int, bytes]:
    """Inflate strictly and in bounded pieces: returns (decoded length, first ``keep``
    bytes). A zlib error or a stream that ends early is damage (random bytes in the
    middle of a file land here); more than ``cap`` bytes is a bomb."""
    decompressor = zlib.decompressobj()
    total = 0
    head = b""
    pending = raw
    try:
        while True:
            chunk = decompressor.decompress(pending, _OUT_CHUNK)
            total += len(chunk)
            if len(head) < keep:
                head += chunk[: keep - len(head)]
            state.inflated += len(chunk)
            if total > cap or state.inflated > state.limits.max_inflate_total:
                raise _TooComplex("inflated data exceeds the bound")
            if decompressor.eof:
                break
            pending = decompressor.unconsumed_tail
            if not pending and not chunk:
                # All input consumed, no more output, and no end marker: the stream was
                # cut short (a truncated file, or bytes overwritten near its end).
                raise _Corrupt("deflate stream ends early")
    except zlib.error as exc:
        raise _Corrupt(f"zlib: {exc}") from exc
    return total, head


def _decode(stream: StreamObject, state: _State, *, cap: int, keep: int) -> tuple[int, bytes]:
    """Decode a content-like stream completely; returns (length, first ``keep`` bytes)."""
    filters = _filters(stream)
    if not filters:
        raw = _raw(stream)
        return len(raw), raw[:keep]
    if filters == ["/FlateDecode"]:
        return _inflate(_raw(stream), state, cap=cap, keep=keep)
    # Other chains (ASCII85 + Flate, LZW, …) are rare: let pypdf decode them under its
    # configured limits, then drop its cached decoded copy.
    decoded = stream.get_data()
    stream.decoded_self = None
    state.inflated += len(decoded)
    if len(decoded) > cap or state.inflated > state.limits.max_inflate_total:
        raise _TooComplex("decoded data exceeds the bound")
    return len(decoded), decoded[:keep]


_COMPONENTS: Final = {
    "/DeviceGray": 1,
    "/CalGray": 1,
    "/G": 1,
    "/DeviceRGB": 3,
    "/CalRGB": 3,
    "/RGB": 3,
    "/Lab": 3,
    "/DeviceCMYK": 4,
    "/CMYK": 4,
}


def _components(colour_space: Any) -> int | None:
    """Components per pixel of an image's colour space, or None when we cannot tell."""
    from pypdf.generic import ArrayObject

    cs = colour_space.get_object() if colour_space is not None else None
    if cs is None:
        return None
    if isinstance(cs, ArrayObject) and cs:
        family = str(cs[0])
        if family in ("/Indexed", "/I", "/Separation"):
            return 1
        if family == "/ICCBased" and len(cs) > 1:
            n = cs[1].get_object().get("/N")
            return int(n) if isinstance(n, int) and 1 <= n <= 4 else None
        if family == "/DeviceN" and len(cs) > 1:
            names = cs[1].get_object()
            return len(names) if isinstance(names, list) and 1 <= len(names) <= 32 else None
        return _COMPONENTS.get(family)
    return _COMPONENTS.get(str(cs))


def _expected_image_bytes(image: StreamObject) -> int | None:
    """Bytes of the decoded samples (rows rounded to whole bytes), or None if unknown."""
    width = _resolve(image.get("/Width"))
    height = _resolve(image.get("/Height"))
    if not isinstance(width, (int, float)) or not isinstance(height, (int, float)):
        raise _Corrupt("image without a size")
    width, height = int(width), int(height)
    if width <= 0 or height <= 0:
        raise _Corrupt("image without a valid size")
    mask = image.get("/ImageMask")
    if mask is not None and getattr(mask.get_object(), "value", None) is True:
        components, bits = 1, 1
    else:
        comps = _components(image.get("/ColorSpace"))
        bpc = _resolve(image.get("/BitsPerComponent"))
        if comps is None or not isinstance(bpc, int) or bpc not in (1, 2, 4, 8, 16):
            return None
        components, bits = comps, bpc
    return height * ((width * components * bits + 7) // 8)


def _check_image(image: StreamObject, state: _State, *, depth: int = 0) -> None:
    """Check an image's data cheaply: no pixel is decoded, but the compressed data must be
    complete and well formed. Its soft mask or stencil mask (Pillow writes RGBA pages as
    an image plus an /SMask) is an image too."""
    for key in ("/SMask", "/Mask"):
        mask = _resolve(image.get(key))
        if depth == 0 and _is_stream(mask):
            _check_image(mask, state, depth=1)
    expected = _expected_image_bytes(image)
    if expected is not None and expected > state.limits.max_image_bytes:
        raise _TooComplex("declared image size is absurd")
    filters = _filters(image)
    last = filters[-1] if filters else None
    if not filters:
        if expected is not None and len(_raw(image)) < expected:
            raise _Corrupt("image data too short")
    elif filters == ["/FlateDecode"]:
        # A PNG predictor adds one byte per row: at most twice the samples (one-byte rows).
        cap = 2 * expected + 64 * 1024 if expected is not None else state.limits.max_image_bytes
        length, _ = _inflate(_raw(image), state, cap=min(cap, state.limits.max_image_bytes), keep=0)
        if expected is not None and length < expected:
            raise _Corrupt("image data too short")
    elif filters == ["/DCTDecode"]:
        _check_jpeg(_raw(image))
    elif last == "/DCTDecode" and all(f == "/FlateDecode" for f in filters[:-1]):
        # pypdf applies the Flate stages and leaves the JPEG as it is.
        jpeg = image.get_data()
        image.decoded_self = None
        _check_jpeg(jpeg)
    elif filters == ["/JPXDecode"]:
        raw = _raw(image)
        if not (raw.startswith(b"\x00\x00\x00\x0cjP  \r\n\x87\n") or raw.startswith(b"\xff\x4f\xff\x51")):
            raise _Corrupt("not JPEG 2000 data")
    elif last in ("/CCITTFaxDecode", "/JBIG2Decode"):
        # Fax and JBIG2 codes have no cheap structural check; at least the data is there.
        if not _raw(image):
            raise _Corrupt("empty image data")
    else:
        length, _ = _decode(image, state, cap=state.limits.max_image_bytes, keep=0)
        if expected is not None and length < expected:
            raise _Corrupt("image data too short")


# JPEG (ITU-T T.81 Annex B). After a start-of-scan the entropy-coded data may contain 0xFF
# only as FF 00 (stuffing), FF D0–D7 (restart), FF FF (fill), or before a marker; in the
# progressive mode more tables and scans follow. Random bytes break this within a few
# hundred bytes: 0xFF followed by almost any value is an invalid marker there.
_JPEG_MARKER_IN_SCAN: Final = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
# Start-of-frame markers: C0–CF except DHT (C4), JPG (C8) and DAC (CC).
_SOF_MARKERS: Final = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _check_jpeg(data: bytes) -> None:
    """Raise _Corrupt unless ``data`` is a structurally whole JPEG (header segments, a frame,
    entropy-coded scans without invalid markers, and an end-of-image marker)."""
    size = len(data)
    if not data.startswith(b"\xff\xd8"):
        raise _Corrupt("JPEG without SOI")
    pos = 2
    seen_frame = False
    while True:  # header segments up to the first start of scan
        if pos >= size or data[pos] != 0xFF:
            raise _Corrupt("JPEG header damaged")
        while pos < size and data[pos] == 0xFF:
            pos += 1
        if pos + 3 > size:
            raise _Corrupt("JPEG header truncated")
        marker = data[pos]
        pos += 1
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:
            continue  # standalone markers carry no length
        if marker == 0xD9:
            raise _Corrupt("JPEG ends before its image data")
        length = int.from_bytes(data[pos : pos + 2], "big")
        if length < 2 or pos + length > size:
            raise _Corrupt("JPEG segment length out of range")
        if marker in _SOF_MARKERS:
            seen_frame = True
        pos += length
        if marker == 0xDA:
            break
    if not seen_frame:
        raise _Corrupt("JPEG without a frame header")
    while True:  # entropy-coded data, scan after scan, until EOI
        match = _JPEG_MARKER_IN_SCAN.search(data, pos)
        if match is None:
            raise _Corrupt("JPEG truncated: no end-of-image marker")
        at = match.start() + 1
        marker = data[at]
        if marker == 0xD9:
            return  # end of image; anything after it (padding, app trailers) is ignored
        pos = at + 1
        if pos + 2 > size:
            raise _Corrupt("JPEG truncated")
        length = int.from_bytes(data[pos : pos + 2], "big")
        end = pos + length
        if end > size or not _plausible_scan_segment(marker, data[pos + 2 : end], length):
            raise _Corrupt("JPEG scan data damaged")
        pos = end


def _plausible_scan_segment(marker: int, body: bytes, length: int) -> bool:
    """Whether a marker met between scans is a real table/scan header (T.81 B.2.4, B.3)."""
    if marker == 0xC4:  # DHT: class 0/1 and table id 0–3, then 16 counts
        return length >= 19 and body[0] in (0x00, 0x01, 0x02, 0x03, 0x10, 0x11, 0x12, 0x13)
    if marker == 0xDB:  # DQT: precision 0/1 and table id 0–3
        return length >= 67 and (body[0] >> 4) <= 1 and (body[0] & 0x0F) <= 3
    if marker == 0xDA:  # SOS: 1–4 components, length 6 + 2·Ns
        return length >= 8 and 1 <= body[0] <= 4 and length == 6 + 2 * body[0]
    if marker == 0xDD:  # DRI
        return length == 4
    return False


# ----------------------------------------------------------------------- development number

# Digits possibly separated by spaces or box rules (a number written in 12 cells).
_DIGIT_RUN_RE: Final = re.compile(r"[0-9](?:[\s\-_.·|/]{0,3}[0-9])*")


def _number_finding(page: PageObject, expected: str, limits: PdfLimits) -> Finding | None:
    """Guide §5.7: the first page's number must equal the system's. Returns an error when a
    text layer exists without it, a warning when there is no text layer to read."""
    text = _page_text(page)
    visible = sum(1 for ch in text if not ch.isspace())
    if visible < limits.min_text_chars:
        return Finding(
            "number_unchecked",
            "首页是扫描图片，系统无法自动核对发展团员编号。"
            f"请人工确认《入团志愿书》首页的编号与系统内的 {expected} 一致（操作指引 5.7）。",
        )
    normalised = unicodedata.normalize("NFKC", text)  # full-width digits → ASCII
    runs = [re.sub(r"[^0-9]", "", run) for run in _DIGIT_RUN_RE.findall(normalised)]
    if any(expected in run for run in runs):
        return None
    candidates = list(dict.fromkeys(run for run in runs if len(run) == 12))[:3]
    seen = f"首页上的编号是 {'、'.join(candidates)}。" if candidates else "首页上没有找到 12 位的编号。"
    return Finding(
        "number_mismatch",
        f"《入团志愿书》首页的发展团员编号与系统内的 {expected} 不一致（操作指引 5.7：两者必须一致）。{seen}"
        "如系统内的编号有误，请先修改系统内的编号；如文件有误，请上传该团员本人的《入团志愿书》。",
    )


def _page_text(page: PageObject) -> str:
    """The page's text layer, or "" when it has none or it cannot be read."""
    try:
        if not _has_fonts(page):
            return ""
        return page.extract_text() or ""
    except (MemoryError, KeyboardInterrupt):
        raise
    except Exception:
        return ""


def _has_fonts(page: PageObject) -> bool:
    from pypdf.generic import DictionaryObject

    def walk(resources: Any, depth: int) -> bool:
        resources = resources.get_object() if resources is not None else None
        if not isinstance(resources, DictionaryObject) or depth > 8:
            return False
        if resources.get("/Font") is not None:
            return True
        xobjects = resources.get("/XObject")
        xobjects = xobjects.get_object() if xobjects is not None else None
        if isinstance(xobjects, DictionaryObject):
            for ref in xobjects.values():
                obj = ref.get_object()
                is_form = _is_stream(obj) and obj.get("/Subtype") == "/Form"
                if is_form and walk(obj.get("/Resources"), depth + 1):
                    return True
        return False

    return walk(page.get("/Resources"), 0)
