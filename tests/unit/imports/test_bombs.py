"""Hostile uploads are refused quickly, in Chinese, and the test process survives.

python-calamine aborts the whole process (uncatchable) on a cell at XFD1048576 (measured:
``memory allocation of 549755813888 bytes failed``, exit 134) and on shared strings that
inflate to 1 GiB. The zip pre-check refuses both before calamine sees them; the child
process bound (run_bounded) catches whatever the pre-check lets through.
"""

from __future__ import annotations

import io
import os
import re
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

from tests.unit.imports._support import filled_template, member
from zhtj.imports import TemplateRefused, read_import_file
from zhtj.readers.spreadsheet import ReadLimits, SpreadsheetRefused, precheck_xlsx, read_spreadsheet

GIB = 1 << 30


def _replace_part(data: bytes, name: str, content: bytes, *, level: int = 6) -> bytes:
    output = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename != name:
                target.writestr(info.filename, source.read(info), compresslevel=level)
        target.writestr(name, content, compresslevel=level)
    return output.getvalue()


@pytest.fixture(scope="session")
def shared_strings_bomb(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A ~1 MB .xlsx whose sharedStrings.xml inflates to 1 GiB (one string of 'A's)."""
    path: Path = tmp_path_factory.mktemp("bomb") / "bomb.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.append(["姓名"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    output = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source, zipfile.ZipFile(output, "w") as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = re.sub(rb'<c r="A1"[^>]*>.*?</c>', b'<c r="A1" t="s"><v>0</v></c>', content)
            if info.filename == "[Content_Types].xml":
                content = content.replace(
                    b"</Types>",
                    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
                    b'officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
                )
            if info.filename == "xl/_rels/workbook.xml.rels":
                content = content.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                    b'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
                )
            target.writestr(info.filename, content, compress_type=zipfile.ZIP_DEFLATED)
        with target.open(zipfile.ZipInfo("xl/sharedStrings.xml"), "w", force_zip64=True) as stream:
            stream._compress_type = zipfile.ZIP_DEFLATED  # type: ignore[attr-defined]
        # ZipFile.open(..., "w") takes the compression from the ZipInfo:
    output = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source, zipfile.ZipFile(output, "w") as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = re.sub(rb'<c r="A1"[^>]*>.*?</c>', b'<c r="A1" t="s"><v>0</v></c>', content)
            target.writestr(info.filename, content, compress_type=zipfile.ZIP_DEFLATED)
        entry = zipfile.ZipInfo("xl/sharedStrings.xml")
        entry.compress_type = zipfile.ZIP_DEFLATED
        entry._compresslevel = 9  # type: ignore[attr-defined]
        with target.open(entry, "w", force_zip64=True) as stream:
            stream.write(b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
                         b' count="1" uniqueCount="1"><si><t>')
            chunk = b"A" * (1 << 20)
            for _ in range(1024):
                stream.write(chunk)
            stream.write(b"</t></si></sst>")
    path.write_bytes(output.getvalue())
    return path.read_bytes()
