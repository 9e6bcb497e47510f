"""Read an uploaded spreadsheet (.xlsx, .xls, .csv) into rows of cell values — safely.

The seed's import flow (录入操作步骤 §三.2–3) has admins download the template, fill it in
Excel or WPS and upload it; the real system's template is .xls, so uploads are .xls as well
as .xlsx, and .csv when a county exports from another system.

Why the care: python-calamine reads 50,000 rows × 15 columns of .xlsx in about 1 s (.xls
0.5 s) against openpyxl's 10 s, but it *aborts the whole process* — uncatchable — when an
allocation fails: a 1 MB .xlsx whose shared strings inflate to 1 GiB, or a 2 KB sheet with one
cell at XFD1048576 (calamine makes the cell grid dense). So every parse goes through three
gates:

1. a zip pre-check for .xlsx in this process (declared sizes, compression ratio, total, and
   a capped streaming decompression of every XML part that also looks for DTDs/entities and
   for cell references beyond ``ReadLimits``) — cheap, bounded memory, and it answers a
   bomb in milliseconds with a message the admin can read;
2. XML parts that must be parsed here go through defusedxml (entity bombs refused);
3. the parse itself runs in a child process (``zhtj.readers.bounded.run_bounded``) with an
   address-space cap and a kill timeout: whatever calamine does, the caller survives.

The result is deliberately format-neutral (``SheetRows``): which columns mean what is the
import layer's business (``zhtj.imports.reading``).

python-calamine is imported only inside the child (cold start of the API Lambda, DESIGN).
"""

from __future__ import annotations

import codecs
import csv
import faulthandler
import gc
import io
import marshal
import re
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import partial
from itertools import islice
from typing import Final, Literal

from zhtj.domain.errors import DomainError
from zhtj.readers.bounded import (
    BoundedCrash,
    BoundedFuncError,
    BoundedMemoryExceeded,
    BoundedTimeout,
    Emit,
    run_bounded_streaming,
)

CellValue = str | int | float | bool | date | datetime | time | timedelta | None
Row = list[CellValue]
SpreadsheetFormat = Literal["xlsx", "xls", "csv"]
# Decides, from a sheet's name and its first rows, whether it is the sheet to read. It runs
# in the child process; with the fork start method it need not be picklable.
SheetSelector = Callable[[str, Sequence[Row]], bool]

MIB: Final = 1 << 20
# The first rows handed to a SheetSelector (headers are looked for there).
HEAD_ROWS: Final = 10
# Rows per part when the child streams a sheet: small enough that the caller starts on the
# rows early, large enough that the per-part cost (a pickle, a pipe write) stays negligible.
PART_ROWS: Final = 1_000
# Receives the rows as they arrive: each part is the sheet (name, merges, …) with some of its
# rows, in order; the first part holds the sheet's first HEAD_ROWS rows at least.
RowsReceiver = Callable[["SheetRows"], None]

_OLE_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls (BIFF in an OLE2 compound file)
_ZIP_MAGIC: Final = b"PK\x03\x04"
_ENCRYPTED_PACKAGE: Final = "EncryptedPackage".encode("utf-16-le")  # the OLE stream of an encrypted .xlsx


class SpreadsheetRefused(DomainError):
    """A file that is refused before or while parsing; ``message`` is for the admin."""


@dataclass(frozen=True, slots=True)
class ReadLimits:
    """Bounds on what one upload may cost. The template holds 12 columns and a county-wide
    import a few thousand rows; the bounds leave room for ten times that."""

    max_file_bytes: int = 32 * MIB
    max_rows: int = 100_000  # sheet rows, header included
    max_columns: int = 100  # column CV
    max_sheets: int = 32
    max_zip_members: int = 1_000
    max_part_bytes: int = 128 * MIB  # one decompressed zip member (a sheet, sharedStrings)
    max_total_bytes: int = 256 * MIB  # all decompressed members together
    # Real sheet XML compresses 5–30:1, runs of empty styled cells up to ~80:1; the 1 MB →
    # 1 GiB sharedStrings bomb is 1000:1. Small parts are exempt (tiny parts compress well).
    max_ratio: float = 150.0
    ratio_exempt_bytes: int = 4 * MIB
    timeout_s: float = 60.0
    # On top of what the child inherits (run_bounded). 50,000 rows × 12 columns need less than
    # 192 MiB (measured); the bound must stay well below the Lambda's memory size minus the
    # caller's own use, or the sandbox's OOM killer acts before RLIMIT_AS does.
    memory_bytes: int = 512 * MIB


DEFAULT_LIMITS: Final = ReadLimits()


@dataclass(frozen=True, slots=True)
class SheetRows:
    """One sheet's non-blank rows.

    ``rows`` holds ``(row_number, cells)`` with the spreadsheet's own 1-based row number
    (header = row 1 in the template) and trailing empty cells dropped; blank rows are left
    out. ``merged`` lists merged ranges as 1-based inclusive ``(first_row, first_col,
    last_row, last_col)``. ``selected`` is False when no sheet satisfied the selector: the
    rows are then the first visible sheet's, so the caller can say what it found instead.
    """

    format: SpreadsheetFormat
    sheet_name: str
    rows: list[tuple[int, Row]]
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    selected: bool = True
    sheet_names: tuple[str, ...] = ()


def detect_format(data: bytes, filename: str = "") -> SpreadsheetFormat:
    """By content, not by name: WPS and mail clients rename files, and a .xls may be an
    .xlsx inside (or a web page, which Excel happily opens)."""
    if data.startswith(_ZIP_MAGIC):
        return "xlsx"
    if data.startswith(_OLE_MAGIC):
        if _ENCRYPTED_PACKAGE in data:  # a password-protected .xlsx is an OLE file too
            raise SpreadsheetRefused("file_encrypted", "文件已设置打开密码，请取消密码保护后再上传")
        return "xls"
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<?xml", b"<html", b"<!doctype", b"<table", b"mime-version")):
        raise SpreadsheetRefused(
            "file_format",
            "这个文件是网页或XML格式（常见于从其他系统“导出Excel”得到的文件），"
            "请用Excel或WPS打开后“另存为”.xlsx格式再上传",
        )
    # Other systems' “导出Excel” often writes CSV or tab-separated text named .xls: text is
    # read as CSV whatever its name; binary that is neither zip nor OLE is no spreadsheet.
    if b"\x00" in data[:4096] and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise SpreadsheetRefused("file_corrupt", "文件已损坏或不是Excel文件，请重新保存后上传")
    return "csv"


def read_spreadsheet(
    data: bytes,
    filename: str = "",
    *,
    select: SheetSelector | None = None,
    preferred_sheets: Sequence[str] = (),
    limits: ReadLimits = DEFAULT_LIMITS,
    on_rows: RowsReceiver | None = None,
) -> SheetRows:
    """Read the sheet to import from ``data``.

    Sheets are tried in the order ``preferred_sheets`` (by name) then workbook order,
    hidden sheets last; the first one ``select`` accepts is returned (all are acceptable
    when ``select`` is None). Raises ``SpreadsheetRefused`` with a Chinese message for
    anything that cannot be read — never a stack trace from the parser.

    ``on_rows`` is given the rows part by part while the child is still reading (see
    ``RowsReceiver``); an exception it raises ends the read and propagates. The sheet
    returned holds all the rows either way.
    """
    if not data:
        raise SpreadsheetRefused("file_empty", "文件是空的，请检查后重新上传")
    if len(data) > limits.max_file_bytes:
        raise SpreadsheetRefused(
            "file_too_large",
            f"文件过大（{len(data) / MIB:.1f} MB），上限为{limits.max_file_bytes // MIB} MB，请分成多个文件上传",
        )
    kind = detect_format(data, filename)
    parts: list[SheetRows] = []

    def receive(packed: _PackedSheet) -> None:
        part = packed.unpack()
        parts.append(part)
        if on_rows is not None:
            on_rows(part)

    try:
        outcome = run_bounded_streaming(
            _parse_and_pack,
            data,
            kind,
            filename,
            select,
            tuple(preferred_sheets),
            limits,
            on_part=receive,
            timeout_s=limits.timeout_s,
            memory_bytes=limits.memory_bytes,
            # The bomb pre-check runs beside the parse, not before it: the child is already
            # bounded (memory cap, kill timeout), so a bomb it meets only ends the child, and
            # the pre-check's refusal — the specific message — wins over whatever the child
            # reports (it runs before the first part is looked at). Sequential, the
            # pre-check cost a fifth of the read on top.
            meanwhile=partial(precheck_xlsx, data, limits) if kind == "xlsx" else None,
        )
    except BoundedTimeout:
        raise SpreadsheetRefused(
            "read_timeout", f"读取文件超过{limits.timeout_s:g}秒仍未完成，文件可能过大或已损坏，请分成多个文件上传"
        ) from None
    except (BoundedMemoryExceeded, BoundedCrash):
        raise SpreadsheetRefused(
            "read_memory",
            "读取文件所需内存超出上限，文件可能过大、含有大量空白格式或已损坏。请把数据复制到新下载的模板中再上传",
        ) from None
    except BoundedFuncError:
        raise SpreadsheetRefused("file_corrupt", "文件已损坏或格式无法识别，请用Excel或WPS重新保存后上传") from None
    if isinstance(outcome, SpreadsheetRefused):
        raise outcome
    receive(outcome)
    first = parts[0]
    if len(parts) == 1:
        return first
    rows = [row for part in parts for row in part.rows]
    return SheetRows(first.format, first.sheet_name, rows, first.merged, first.selected, first.sheet_names)


# --- the .xlsx pre-check (runs in the caller: bounded by construction) --------------------

_CHUNK: Final = MIB
_OVERLAP: Final = 64
# An entity can only be declared inside a DTD, so finding the DOCTYPE is enough. Parts may
# be UTF-16 (OOXML allows it): then the marker is looked for in that encoding.
_DTD_MARKER: Final = b"<!DOCTYPE"
_DTD_MARKERS_UTF16: Final = ("<!DOCTYPE".encode("utf-16-le"), "<!DOCTYPE".encode("utf-16-be"))
# A cell or row reference that is wide (two or more column letters) or far down (six or
# more row digits). Normal files have neither, so findall returns (almost) nothing and the
# scan stays at C speed; the matches are then compared with the limits exactly.
_FAR_REFERENCE: Final = re.compile(rb'r="([A-Z]{2,}\d+|[A-Z]?\d{6,})"')
_DIMENSION: Final = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]+\d+(?::[A-Z]+\d+)?)"')
_REFERENCE: Final = re.compile(r"([A-Z]*)(\d*)")


def precheck_xlsx(data: bytes, limits: ReadLimits = DEFAULT_LIMITS) -> None:
    """Refuse zip and XML bombs and oversized sheets before anything parses the file."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise SpreadsheetRefused("file_corrupt", "文件已损坏（不是完整的.xlsx文件），请重新保存后上传") from None
    with archive:
        names = {member.filename for member in members}
        _check_is_workbook(archive, names)
        if len(members) > limits.max_zip_members:
            raise _bomb(f"压缩包内含{len(members)}个部件")
        declared_total = 0
        for member in members:
            if member.flag_bits & 0x1:
                raise SpreadsheetRefused("file_encrypted", "文件已加密，请取消密码保护后再上传")
            declared_total += member.file_size
            if member.file_size > limits.max_part_bytes or declared_total > limits.max_total_bytes:
                raise _bomb("解压后体积过大")
            ratio = member.file_size / max(member.compress_size, 1)
            if member.file_size > limits.ratio_exempt_bytes and ratio > limits.max_ratio:
                raise _bomb(f"部件 {member.filename} 压缩比为 {ratio:.0f}:1")
        inflated_total = 0
        for member in members:
            if member.is_dir():
                continue
            inflated_total += _scan_member(archive, member, limits, inflated_total)


def _check_is_workbook(archive: zipfile.ZipFile, names: set[str]) -> None:
    if "xl/workbook.xml" in names:
        # Parsed with defusedxml: a DTD here is refused, never expanded.
        from defusedxml import DefusedXmlException
        from defusedxml.ElementTree import fromstring

        info = archive.getinfo("xl/workbook.xml")
        if info.file_size > 4 * MIB:
            raise _bomb("工作簿目录过大")
        try:
            fromstring(archive.read(info), forbid_dtd=True)
        except DefusedXmlException:
            raise _entities() from None
        except Exception:  # ParseError, zlib errors, a lying header
            raise SpreadsheetRefused("file_corrupt", "文件已损坏（工作簿目录无法解析），请重新保存后上传") from None
        return
    if "xl/workbook.bin" in names:
        raise SpreadsheetRefused("file_format", "不支持Excel二进制工作簿（.xlsb），请另存为.xlsx或.xls后上传")
    if "content.xml" in names and "mimetype" in names:
        raise SpreadsheetRefused("file_format", "不支持OpenDocument表格（.ods），请另存为.xlsx或.xls后上传")
    if "word/document.xml" in names:
        raise SpreadsheetRefused("file_format", "这是Word文档，不是Excel表格，请上传导入模板")
    raise SpreadsheetRefused("file_format", "文件不是Excel表格，请上传.xlsx、.xls或.csv格式的导入模板")


def _scan_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, limits: ReadLimits, inflated_so_far: int) -> int:
    """Decompress one member in chunks without keeping it, refusing as soon as it inflates
    beyond its declared size or the limits, or shows a DTD or a far-away cell reference."""
    is_worksheet = member.filename.startswith("xl/worksheets/") and member.filename.endswith(".xml")
    is_xml = member.filename.endswith((".xml", ".rels", ".vml"))
    cap = min(limits.max_part_bytes, limits.max_total_bytes - inflated_so_far)
    inflated = 0
    tail = b""
    utf16 = False
    try:
        with archive.open(member) as stream:
            # zipfile stops at the declared size and checks the CRC, so a member that lies
            # about its size fails here instead of inflating on.
            while chunk := stream.read(_CHUNK):
                inflated += len(chunk)
                if inflated > cap:
                    raise _bomb("解压后体积过大")
                if not is_xml:
                    continue
                window = tail + chunk if tail else chunk
                if inflated == len(chunk):  # the first chunk: how is the part encoded?
                    utf16 = chunk.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in chunk[:64]
                if _DTD_MARKER in window or (utf16 and any(marker in window for marker in _DTD_MARKERS_UTF16)):
                    raise _entities()
                if is_worksheet:
                    if inflated == len(chunk):
                        _check_dimension(window, limits)
                    _check_far_references(window, limits)
                tail = window[-_OVERLAP:]
    except SpreadsheetRefused:
        raise
    except Exception:  # BadZipFile (CRC), zlib.error, NotImplementedError (compression)
        raise SpreadsheetRefused("file_corrupt", "文件已损坏（压缩数据有误），请重新保存后上传") from None
    return inflated


def _check_dimension(head: bytes, limits: ReadLimits) -> None:
    match = _DIMENSION.search(head[:4096])
    if match is None:
        return
    for reference in match.group(1).decode("ascii").split(":"):
        _check_reference(reference, limits)


def _check_far_references(window: bytes, limits: ReadLimits) -> None:
    for reference in _FAR_REFERENCE.findall(window):
        _check_reference(reference.decode("ascii"), limits)


def _check_reference(reference: str, limits: ReadLimits) -> None:
    match = _REFERENCE.fullmatch(reference)
    if match is None:  # pragma: no cover - the patterns only capture letters and digits
        return
    letters, digits = match.groups()
    column = column_number(letters) if letters else 0
    row = int(digits) if digits else 0
    if column > limits.max_columns or row > limits.max_rows:
        raise _too_large(reference, limits)


def column_number(letters: str) -> int:
    """A → 1, Z → 26, AA → 27, XFD → 16384."""
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def column_letters(number: int) -> str:
    """1 → A, 27 → AA, 16384 → XFD."""
    letters = ""
    while number > 0:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _bomb(detail: str) -> SpreadsheetRefused:
    return SpreadsheetRefused(
        "zip_bomb", f"文件内容异常（{detail}），疑似压缩炸弹，已拒绝读取。请把数据复制到新下载的模板中再上传"
    )


def _entities() -> SpreadsheetRefused:
    return SpreadsheetRefused("xml_entities", "文件含有XML实体声明（DTD），不是Excel正常保存的文件，已拒绝读取")


def _too_large(reference: str, limits: ReadLimits) -> SpreadsheetRefused:
    return SpreadsheetRefused(
        "sheet_too_large",
        f"表格范围过大（用到了单元格{reference}）：最多{limits.max_rows}行、{limits.max_columns}列。"
        "请删除数据区域之外的多余行列，或把数据复制到新下载的模板中再上传",
    )


# --- the parse (runs in the child) -------------------------------------------------------

# Cell types marshal can carry. Rows cross the pipe as one marshal blob: 4–6× faster than
# pickling a list of 20,000 lists both ways (measured: 0.08 s → 0.03 s for 20,000 × 12),
# and no less safe — the pipe already carries a pickle from the same child, and the child
# is this process forked, running this very Python.
_MARSHALLABLE: Final = frozenset({str, float, int, bool, type(None)})


@dataclass(frozen=True, slots=True)
class _PackedSheet:
    sheet: SheetRows  # with rows=[]; the rows travel in ``packed``
    packed: bytes
    others: list[tuple[int, int, CellValue]]  # (row index, cell index, value) of dates and times

    def unpack(self) -> SheetRows:
        rows: list[tuple[int, Row]] = marshal.loads(self.packed)  # noqa: S302 - our own child's output
        for row_index, cell_index, value in self.others:
            rows[row_index][1][cell_index] = value
        sheet = self.sheet
        return SheetRows(sheet.format, sheet.sheet_name, rows, sheet.merged, sheet.selected, sheet.sheet_names)


def _pack(sheet: SheetRows) -> _PackedSheet:
    rows = sheet.rows
    others: list[tuple[int, int, CellValue]] = []
    try:
        packed = marshal.dumps(rows)
    except ValueError:  # dates, times: set them aside and send their places
        for row_index, (_, cells) in enumerate(rows):
            for cell_index, value in enumerate(cells):
                if type(value) not in _MARSHALLABLE:
                    others.append((row_index, cell_index, value))
                    cells[cell_index] = None
        packed = marshal.dumps(rows)
    empty = SheetRows(sheet.format, sheet.sheet_name, [], sheet.merged, sheet.selected, sheet.sheet_names)
    return _PackedSheet(empty, packed, others)


def _parse_and_pack(
    emit: Emit,
    data: bytes,
    kind: SpreadsheetFormat,
    filename: str,
    select: SheetSelector | None,
    preferred_sheets: tuple[str, ...],
    limits: ReadLimits,
) -> _PackedSheet | SpreadsheetRefused:
    """The child's side of read_spreadsheet: the selected sheet of a workbook is emitted in
    parts as it is converted; what is returned is the last part (or the whole sheet, for
    CSV and for a workbook with no selected sheet), or the refusal."""
    # The child lives for one parse and the memory cap bounds it: collecting garbage would
    # only walk (and copy-on-write) the heap it inherited from the caller.
    gc.disable()
    outcome = _parse_in_child(data, kind, filename, select, preferred_sheets, limits, emit)
    return outcome if isinstance(outcome, SpreadsheetRefused) else _pack(outcome)


def _parse_in_child(
    data: bytes,
    kind: SpreadsheetFormat,
    filename: str,
    select: SheetSelector | None,
    preferred_sheets: tuple[str, ...],
    limits: ReadLimits,
    emit: Emit,
) -> SheetRows | SpreadsheetRefused:
    """Return the refusal instead of raising it: run_bounded reports a raised exception
    only by type name, and the admin must see our message."""
    # An abort inside calamine is expected and answered by the parent; a faulthandler
    # inherited from the caller (pytest enables one) would only add a Python traceback.
    faulthandler.disable()
    try:
        if kind == "csv":
            return _read_csv(data, filename, select, limits)
        return _read_workbook(data, kind, select, preferred_sheets, limits, emit)
    except SpreadsheetRefused as refused:
        return refused


def _read_workbook(
    data: bytes,
    kind: SpreadsheetFormat,
    select: SheetSelector | None,
    preferred_sheets: tuple[str, ...],
    limits: ReadLimits,
    emit: Emit,
) -> SheetRows:
    import python_calamine

    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except python_calamine.PasswordError:
        raise SpreadsheetRefused("file_encrypted", "文件已加密，请取消密码保护后再上传") from None
    except Exception:
        raise SpreadsheetRefused("file_corrupt", "文件已损坏或格式无法识别，请用Excel或WPS重新保存后上传") from None
    worksheet = python_calamine.SheetTypeEnum.WorkSheet
    visible = python_calamine.SheetVisibleEnum.Visible
    sheets = [meta for meta in workbook.sheets_metadata if meta.typ == worksheet]
    if not sheets:
        raise SpreadsheetRefused("no_sheet", "文件中没有工作表")
    if len(sheets) > limits.max_sheets:
        raise SpreadsheetRefused("too_many_sheets", f"文件中有{len(sheets)}个工作表，最多{limits.max_sheets}个")
    names = tuple(meta.name for meta in sheets)
    order = sorted(
        sheets,
        key=lambda meta: (
            meta.name not in preferred_sheets,
            preferred_sheets.index(meta.name) if meta.name in preferred_sheets else 0,
            meta.visible != visible,
        ),
    )
    first: SheetRows | None = None
    for meta in order:
        try:
            sheet = workbook.get_sheet_by_name(meta.name)
            end = sheet.end
            if end is not None and (end[0] + 1 > limits.max_rows or end[1] + 1 > limits.max_columns):
                raise _too_large(f"{column_letters(end[1] + 1)}{end[0] + 1}", limits)
            rows = _sheet_rows(sheet)
            head = list(islice(rows, HEAD_ROWS))
            merged = [
                (top + 1, left + 1, bottom + 1, right + 1)
                for (top, left), (bottom, right) in (sheet.merged_cell_ranges or [])
            ]
            result = SheetRows(format=kind, sheet_name=meta.name, rows=head, merged=merged, sheet_names=names)
            if select is None or select(meta.name, [cells for _, cells in head]):
                # The sheet to read: its first rows go out at once (the caller matches the
                # header on them), the rest part by part; the last part is the return value.
                while part := list(islice(rows, PART_ROWS)):
                    emit(_pack(result))
                    result = SheetRows(kind, meta.name, part, merged, sheet_names=names)
                return result
            if first is None and meta.visible == visible:
                first = SheetRows(kind, meta.name, head + list(rows), merged, sheet_names=names)
        except SpreadsheetRefused:
            raise
        except Exception:
            raise SpreadsheetRefused(
                "file_corrupt", f"工作表“{meta.name}”无法读取，文件可能已损坏，请用Excel或WPS重新保存后上传"
            ) from None
    fallback = first or SheetRows(format=kind, sheet_name=names[0], rows=[], sheet_names=names)
    return SheetRows(format=kind, sheet_name=fallback.sheet_name, rows=fallback.rows, selected=False, sheet_names=names)


def _sheet_rows(sheet: object) -> Iterator[tuple[int, Row]]:
    """Non-blank rows with their own 1-based numbers, trailing empty cells dropped.

    ``iter_rows`` converts one row at a time (to_python converts the whole sheet before the
    first row can be sent). It starts at row 1 but at the first used *column*, so a sheet
    whose column A is empty gets its leading cells back: a list index is then a column
    number minus one, as the header matching expects.
    """
    lead: Row = [""] * sheet.start[1] if sheet.start is not None else []  # type: ignore[attr-defined]
    for number, cells in enumerate(sheet.iter_rows(), start=1):  # type: ignore[attr-defined]
        trimmed = _trim(lead + cells if lead else cells)
        if trimmed:
            yield number, trimmed


def _trim(cells: Sequence[CellValue]) -> Row:
    """``cells`` without trailing empty cells; [] for a row that holds only blanks."""
    last = len(cells)
    while last and (cells[last - 1] == "" or cells[last - 1] is None):
        last -= 1
    if last == 0:
        return []
    # A fresh list from the parser is kept as it is: copying 20,000 rows costs more than the
    # rest of the trim.
    trimmed = list(cells[:last]) if last < len(cells) or type(cells) is not list else cells
    for value in trimmed:  # usually decided by the first cell
        if not isinstance(value, str) or value.strip():
            return trimmed
    return []


def _read_csv(data: bytes, filename: str, select: SheetSelector | None, limits: ReadLimits) -> SheetRows:
    text = decode_csv_bytes(data)
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", "\t", ";"), key=first_line.count) if first_line else ","
    rows: list[tuple[int, Row]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for number, cells in enumerate(reader, start=1):
            if number > limits.max_rows:
                raise _too_large(f"A{number}", limits)
            trimmed = _trim(cells)
            if len(trimmed) > limits.max_columns:
                raise _too_large(f"{column_letters(len(trimmed))}{number}", limits)
            if trimmed:
                rows.append((number, trimmed))
    except csv.Error:
        raise SpreadsheetRefused(
            "file_corrupt", "CSV文件格式有误（引号不配对等），请用Excel或WPS重新保存后上传"
        ) from None
    name = filename.rsplit("/", 1)[-1].rsplit(".", 1)[0] or "CSV"
    selected = select is None or select(name, [cells for _, cells in rows[:HEAD_ROWS]])
    return SheetRows(format="csv", sheet_name=name, rows=rows, selected=selected, sheet_names=(name,))


def decode_csv_bytes(data: bytes) -> str:
    """UTF-8 (with or without BOM) first, then GB18030 (what Excel and WPS on a Chinese
    Windows write as “CSV”; a superset of GBK and GB2312). UTF-16 is Excel's “Unicode text”."""
    if data.startswith(codecs.BOM_UTF8):
        candidates: tuple[str, ...] = ("utf-8-sig",)
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ("utf-16",)
    else:
        candidates = ("utf-8", "gb18030")
    for encoding in candidates:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SpreadsheetRefused("file_encoding", "无法识别CSV文件的编码，请用Excel或WPS另存为“CSV UTF-8”或.xlsx格式后上传")
