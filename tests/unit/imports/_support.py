"""Builders shared by the import tests: valid members, filled templates, LibreOffice."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import openpyxl

from zhtj.domain.ids import resident_id_check_character
from zhtj.imports import MEMBER_TEMPLATE, TemplateDefinition, template_xlsx

# A fixed "today": no test depends on the machine's clock.
TODAY = date(2023, 6, 30)


def resident_id(birth: date, sequence: int, address: str = "320102") -> str:
    """A valid ID number (odd sequence = 男, even = 女)."""
    body = f"{address}{birth:%Y%m%d}{sequence:03d}"
    return body + resident_id_check_character(body)


_SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明"


def person_name(index: int) -> str:
    return _SURNAMES[index % 16] + _GIVEN[index // 16 % 16] + _GIVEN[index // 256 % 16]


def member(index: int = 1, **overrides: object) -> list[object]:
    """A valid member row in template column order; keyword names are the Chinese column
    names (``member(2, 性别="女")``)."""
    values: dict[str, object] = {
        "姓名": person_name(index),
        "身份证号码": resident_id(date(2008, 1, 1), 2 * index + 1),
        "性别": "男",
        "民族": "汉族",
        "政治面貌": "共青团员",
        "入团年月": "2023-03",
        "发展团员编号": f"20233200{index:04d}",
        "在读状况": "初中在读",
        "全日制学历": "初中",
        "手机号码": f"138{index:08d}",
        "所在团支部": "南京市第一中学初三（1）班团支部",
        "备注": "",
    }
    for name, value in overrides.items():
        assert name in values, name
        values[name] = value
    return [values[name] for name in MEMBER_TEMPLATE.column_names]


def filled_template(
    rows: Sequence[Sequence[object]], definition: TemplateDefinition = MEMBER_TEMPLATE, *, start_row: int = 2
) -> bytes:
    """Our generated template filled by openpyxl (another writer than the reader): values
    are written with openpyxl's own typing (str → text, float → number, datetime → date)."""
    workbook = openpyxl.load_workbook(io.BytesIO(template_xlsx(definition)))
    sheet = workbook[definition.sheet_name]
    for offset, values in enumerate(rows):
        for column, value in enumerate(values, start=1):
            if value is None or value == "":
                continue
            cell = sheet.cell(row=start_row + offset, column=column, value=value)
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"  # text that looks like a formula, as a user can type it
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


class LibreOffice:
    """``soffice --headless --convert-to``, with its own HOME and user profile so that it
    works as root in CI and does not collide with a desktop session."""

    def __init__(self, binary: str, workdir: Path) -> None:
        self.binary = binary
        self.workdir = workdir
        (workdir / "home").mkdir(parents=True, exist_ok=True)

    def convert(self, data: bytes, source_suffix: str, target: str) -> bytes:
        """``target`` is a --convert-to argument such as ``xls`` or ``xlsx``."""
        stem = f"in{len(list(self.workdir.glob('in*')))}"
        source = self.workdir / f"{stem}{source_suffix}"
        source.write_bytes(data)
        outdir = self.workdir / f"out-{stem}"
        env = {**os.environ, "HOME": str(self.workdir / "home")}
        subprocess.run(
            [
                self.binary,
                f"-env:UserInstallation=file://{self.workdir / 'profile'}",
                "--headless",
                "--norestore",
                "--convert-to",
                target,
                "--outdir",
                str(outdir),
                str(source),
            ],
            check=True,
            capture_output=True,
            env=env,
            timeout=180,
        )
        extension = target.split(":", 1)[0]
        return (outdir / f"{stem}.{extension}").read_bytes()


def find_soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")
