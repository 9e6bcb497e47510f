"""``zhtj template`` and ``zhtj check-import``: output, JSON shape, exit codes."""

from __future__ import annotations

import io
import json
from pathlib import Path

import openpyxl
import pytest

from tests.unit.imports._support import filled_template, member
from zhtj.cli import COMMANDS, main
from zhtj.imports import BRANCH_TEMPLATE, MEMBER_TEMPLATE, template_xlsx


def test_commands_are_registered() -> None:
    assert "template" in COMMANDS and "check_import" in COMMANDS


@pytest.mark.parametrize(("kind", "definition"), [("members", MEMBER_TEMPLATE), ("branches", BRANCH_TEMPLATE)])
def test_template_command_writes_the_generated_bytes(tmp_path: Path, kind: str, definition: object) -> None:
    output = tmp_path / "t.xlsx"
    assert main(["template", kind, "-o", str(output)]) == 0
    assert output.read_bytes() == template_xlsx(definition)  # type: ignore[arg-type]


def _check(tmp_path: Path, data: bytes, *extra: str, name: str = "x.xlsx") -> tuple[int, str, str]:
    path = tmp_path / name
    path.write_bytes(data)
    capture_out, capture_err = io.StringIO(), io.StringIO()
    import contextlib

    with contextlib.redirect_stdout(capture_out), contextlib.redirect_stderr(capture_err):
        code = main(["check-import", str(path), "--today", "2023-06-30", *extra])
    return code, capture_out.getvalue(), capture_err.getvalue()


def test_check_import_json_all_ok(tmp_path: Path) -> None:
    code, out, _ = _check(tmp_path, filled_template([member(1), member(2)]), "--json")
    assert code == 0
    assert json.loads(out) == {"rows": 2, "ok_rows": 2, "failed": []}


def test_check_import_json_with_failures(tmp_path: Path) -> None:
    rows = [member(1), member(2, 性别="女"), member(3, 身份证号码=1.101051986020912e17)]
    code, out, _ = _check(tmp_path, filled_template(rows), "--json")
    assert code == 1
    body = json.loads(out)
    assert body["rows"] == 3 and body["ok_rows"] == 1
    assert [failure["row"] for failure in body["failed"]] == [3, 4]
    (error,) = body["failed"][0]["errors"]
    assert set(error) == {"column", "code", "message"}
    assert error["column"] == "性别" and error["code"] == "gender_mismatch"
    assert "请将身份证号码列设置为文本格式" in body["failed"][1]["errors"][0]["message"]


def test_check_import_text_output_and_report(tmp_path: Path) -> None:
    report = tmp_path / "失败.xlsx"
    code, out, _ = _check(tmp_path, filled_template([member(1), member(2, 性别="女")]), "--report", str(report))
    assert code == 1
    assert "第3行“性别”" in out and "共2行：1行可以导入，1行导入失败" in out
    rows = list(openpyxl.load_workbook(report)["团员信息"].iter_rows(values_only=True))
    assert len(rows) == 2 and rows[0][-1] == "失败原因"


def test_check_import_not_a_template(tmp_path: Path) -> None:
    code, out, err = _check(tmp_path, "序号,金额\n1,2\n".encode("gb18030"), "--json", name="x.csv")
    assert code == 2 and out == ""
    assert "这不是导入模板" in err and "Traceback" not in err


def test_check_import_bomb_exits_2(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    workbook.active["XFD1048576"] = "x"
    buffer = io.BytesIO()
    workbook.save(buffer)
    code, _, err = _check(tmp_path, buffer.getvalue())
    assert code == 2 and "表格范围过大" in err


def test_check_import_missing_file(tmp_path: Path) -> None:
    assert main(["check-import", str(tmp_path / "none.xlsx")]) == 2
