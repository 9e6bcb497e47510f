"""Hostile uploads are refused quickly, in Chinese, and the test process survives.

python-calamine aborts the whole process (uncatchable) on a cell at XFD1048576 (measured:
``memory allocation of 549755813888 bytes failed``, exit 134) and on shared strings that
inflate to 1 GiB. The zip pre-check refuses both before calamine sees them; the child
process bound (run_bounded) catches whatever the pre-check lets through.
"""

from __future__ import annotations

import io
import os
import time
import zipfile
from pathlib import Path

import pytest

from tests.unit.imports._support import filled_template, member
from zhtj.imports import TemplateRefused, read_import_file
from zhtj.readers.spreadsheet import ReadLimits, SpreadsheetRefused, precheck_xlsx, read_spreadsheet

MAIN_NS = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = b"http://schemas.openxmlformats.org/package/2006/relationships"
CT = b"application/vnd.openxmlformats-officedocument.spreadsheetml"


def _parts(sheet_xml: bytes, *, shared_strings: bool) -> dict[str, bytes]:
    """The parts of a minimal .xlsx that calamine and Excel open."""
    shared_override = (
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="' + CT + b'.sharedStrings+xml"/>'
        if shared_strings
        else b""
    )
    shared_rel = (
        b'<Relationship Id="rId2" Type="' + REL_NS + b'/sharedStrings" Target="sharedStrings.xml"/>'
        if shared_strings
        else b""
    )
    return {
        "[Content_Types].xml": b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        b'<Default Extension="xml" ContentType="application/xml"/>'
        b'<Override PartName="/xl/workbook.xml" ContentType="' + CT + b'.sheet.main+xml"/>'
        b'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="'
        + CT
        + b'.worksheet+xml"/>'
        + shared_override
        + b"</Types>",
        "_rels/.rels": b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="' + PKG_REL_NS + b'">'
        b'<Relationship Id="rId1" Type="' + REL_NS + b'/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": b'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="'
        + MAIN_NS
        + b'" xmlns:r="'
        + REL_NS
        + b'"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="'
        + PKG_REL_NS
        + b'"><Relationship Id="rId1" Type="'
        + REL_NS
        + b'/worksheet" Target="worksheets/sheet1.xml"/>'
        + shared_rel
        + b"</Relationships>",
        "xl/worksheets/sheet1.xml": sheet_xml,
    }


def _sheet(cells: bytes, dimension: bytes | None = None) -> bytes:
    dim = b'<dimension ref="' + dimension + b'"/>' if dimension else b""
    return (
        b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="'
        + MAIN_NS
        + b'">'
        + dim
        + b"<sheetData>"
        + cells
        + b"</sheetData></worksheet>"
    )


def _xlsx(sheet_xml: bytes, shared_strings: bytes | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in _parts(sheet_xml, shared_strings=shared_strings is not None).items():
            archive.writestr(name, content)
        if shared_strings is not None:
            archive.writestr("xl/sharedStrings.xml", shared_strings)
    return buffer.getvalue()


A1_SHARED = b'<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
XFD_CELLS = (
    b'<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'
    b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>y</t></is></c></row>'
)


@pytest.fixture(scope="session")
def shared_strings_bomb(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A ~1 MB .xlsx whose sharedStrings.xml inflates to 1 GiB (one string of 'A's)."""
    path: Path = tmp_path_factory.mktemp("bomb") / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in _parts(_sheet(A1_SHARED), shared_strings=True).items():
            archive.writestr(name, content)
        entry = zipfile.ZipInfo("xl/sharedStrings.xml", date_time=(2023, 3, 14, 0, 0, 0))
        entry.compress_type = zipfile.ZIP_DEFLATED
        entry._compresslevel = 9  # type: ignore[attr-defined]
        with archive.open(entry, "w", force_zip64=True) as stream:
            stream.write(b'<?xml version="1.0"?><sst xmlns="' + MAIN_NS + b'" count="1" uniqueCount="1"><si><t>')
            chunk = b"A" * (1 << 20)
            for _ in range(1024):
                stream.write(chunk)
            stream.write(b"</t></si></sst>")
    return path.read_bytes()


def _refused(data: bytes, limits: ReadLimits | None = None) -> SpreadsheetRefused:
    started = time.monotonic()
    with pytest.raises(SpreadsheetRefused) as caught:
        read_spreadsheet(data, "x.xlsx", limits=limits or ReadLimits())
    assert time.monotonic() - started < 20
    assert any("\u4e00" <= character <= "\u9fff" for character in caught.value.message)
    return caught.value


def test_minimal_xlsx_builder_is_readable() -> None:
    sheet = read_spreadsheet(
        _xlsx(_sheet(A1_SHARED), b'<sst xmlns="' + MAIN_NS + '"><si><t>姓名</t></si></sst>'.encode())
    )
    assert sheet.rows == [(1, ["姓名"])]


def test_shared_strings_bomb_is_refused_by_the_precheck(shared_strings_bomb: bytes) -> None:
    assert len(shared_strings_bomb) < 2 * (1 << 20)
    refused = _refused(shared_strings_bomb)
    assert refused.code == "zip_bomb" and "压缩炸弹" in refused.message


def test_shared_strings_bomb_past_the_precheck_is_stopped_by_the_child_bound(shared_strings_bomb: bytes) -> None:
    # Pre-check limits wide open: calamine itself gets the bomb, inside the bounded child.
    permissive = ReadLimits(max_part_bytes=4 << 30, max_total_bytes=4 << 30, max_ratio=1e9, memory_bytes=256 << 20)
    refused = _refused(shared_strings_bomb, permissive)
    assert refused.code in {"read_memory", "read_timeout"}
    assert os.getpid()  # still here


def test_cell_at_xfd1048576_with_dimension_is_refused() -> None:
    refused = _refused(_xlsx(_sheet(XFD_CELLS, b"A1:XFD1048576")))
    assert refused.code == "sheet_too_large" and "XFD1048576" in refused.message


def test_cell_at_xfd1048576_without_dimension_is_refused() -> None:
    refused = _refused(_xlsx(_sheet(XFD_CELLS)))
    assert refused.code == "sheet_too_large"


def test_openpyxl_written_xfd_sheet_is_refused() -> None:
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "姓名"
    workbook.active["XFD1048576"] = "x"
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert len(buffer.getvalue()) < 8192
    with pytest.raises(TemplateRefused) as caught:
        read_import_file(buffer.getvalue(), "x.xlsx")
    assert caught.value.code == "sheet_too_large"


def test_far_sheet_past_the_precheck_is_stopped_by_the_child_bound() -> None:
    permissive = ReadLimits(max_rows=2_000_000, max_columns=20_000, memory_bytes=256 << 20)
    refused = _refused(_xlsx(_sheet(XFD_CELLS)), permissive)
    assert refused.code == "read_memory"


def test_wide_row_without_far_reference_is_refused_in_the_child() -> None:
    # Cells without r= attributes: positions count up; 200 of them exceed max_columns=100.
    cells = b'<row r="1">' + b'<c t="inlineStr"><is><t>x</t></is></c>' * 200 + b"</row>"
    refused = _refused(_xlsx(_sheet(cells)))
    assert refused.code == "sheet_too_large"


BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "' % level + (b"&lol%d;" % (level - 1) if level > 1 else b"&lol;") * 10 + b'">'
        for level in range(1, 10)
    )
    + b']><sst xmlns="'
    + MAIN_NS
    + b'"><si><t>&lol9;</t></si></sst>'
)


def test_entity_bomb_in_shared_strings_is_refused() -> None:
    refused = _refused(_xlsx(_sheet(A1_SHARED), BILLION_LAUGHS))
    assert refused.code == "xml_entities"


def test_entity_declaration_in_workbook_part_is_refused_by_defusedxml() -> None:
    data = _xlsx(_sheet(A1_SHARED))
    parts = _parts(_sheet(A1_SHARED), shared_strings=False)
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(
        b"<workbook", b'<!DOCTYPE workbook [<!ENTITY x "y">]><workbook', 1
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    assert data != buffer.getvalue()
    with pytest.raises(SpreadsheetRefused) as caught:
        precheck_xlsx(buffer.getvalue())
    assert caught.value.code == "xml_entities"


def test_utf16_doctype_is_seen_too() -> None:
    shared = (
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY a "b">]><sst xmlns="'
        + MAIN_NS.decode()
        + '"><si><t>&a;</t></si></sst>'
    ).encode("utf-16-le")
    refused = _refused(_xlsx(_sheet(A1_SHARED), shared))
    assert refused.code == "xml_entities"


def test_high_compression_ratio_is_refused_from_the_declared_sizes() -> None:
    sheet = _sheet(A1_SHARED + b"<!--" + b" " * (16 << 20) + b"-->")
    refused = _refused(_xlsx(sheet, b'<sst xmlns="' + MAIN_NS + b'"><si><t>x</t></si></sst>'))
    assert refused.code == "zip_bomb" and "压缩比" in refused.message


def test_timeout_kills_the_child() -> None:
    refused = _refused(filled_template([member(1)]), ReadLimits(timeout_s=0.001))
    assert refused.code == "read_timeout"


def test_oversized_file_is_refused_before_parsing() -> None:
    refused = _refused(b"PK\x03\x04" + b"\0" * 2048, ReadLimits(max_file_bytes=1024))
    assert refused.code == "file_too_large"


@pytest.mark.parametrize(
    ("names", "code"),
    [
        ({"xl/workbook.bin": b""}, "file_format"),
        ({"mimetype": b"x", "content.xml": b""}, "file_format"),
        ({"word/document.xml": b""}, "file_format"),
    ],
)
def test_other_zip_documents_are_refused(names: dict[str, bytes], code: str) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in names.items():
            archive.writestr(name, content)
    assert _refused(buffer.getvalue()).code == code


def test_a_normal_template_passes_the_precheck() -> None:
    precheck_xlsx(filled_template([member(index) for index in range(1, 200)]))
