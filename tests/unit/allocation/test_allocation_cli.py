"""``zhtj allocate``: files in, table out; input errors are Chinese messages and exit 2."""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.conftest import ROOT
from zhtj.cli import COMMANDS
from zhtj.cli import allocate as allocate_command

SAMPLE = ROOT / "templates" / "allocation_input_sample.json"
# Runs only this command's parser, as ``zhtj`` would (zhtj.cli.main builds all commands).
RUN_ALONE = (
    "import argparse, sys; from zhtj.cli import allocate; p = argparse.ArgumentParser(prog='zhtj'); "
    "allocate.register(p.add_subparsers()); a = p.parse_args(sys.argv[1:]); sys.exit(a.run(a))"
)


def run(*argv: str | Path) -> int:
    parser = argparse.ArgumentParser(prog="zhtj")
    allocate_command.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["allocate", *map(str, argv)])
    return int(args.run(args))


def test_registered_in_the_command_table() -> None:
    assert "allocate" in COMMANDS


def test_help_documents_the_input_format(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        run("--help")
    assert exited.value.code == 0
    text = capsys.readouterr().out
    for word in (
        "unit_id",
        "counties",
        "graduating_youth",
        "freshman_members",
        "organisations",
        "activists",
        "工作表“计划”",
        "工作表“单位”",
        "工作表“县区”",
        "入团积极分子数",
        "--demo",
        "退出码",
    ):
        assert word in text, word


def test_sample_input_to_table_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "table.xlsx"
    assert run(SAMPLE, "--year", "2023", "-o", output, "--json") == 0
    captured = capsys.readouterr()
    table = json.loads(captured.out)
    assert table["totals"]["total"] == 1180
    assert table["footnote"] == "本表为演示数据，仅作示意，非官方附件1"
    assert {"unit_id", "rule", "severity", "message"} <= set(table["findings"][0])
    assert "已写入" in captured.err
    sheet = load_workbook(output)["分配表"]
    assert sheet["A1"].value == "2023年发展团员名额及编号号段分配表"


def test_demo_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "demo.xlsx"
    assert run("--demo", "--year", "2023", "-o", output, "--json") == 0
    table = json.loads(capsys.readouterr().out)
    assert table["totals"]["total"] == 182_000
    assert table["illustrative"] is True
    assert len(table["units"]) == 13 + 14


def test_export_input_to_xlsx_reads_back_to_the_same_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    workbook = tmp_path / "填报样例.xlsx"
    assert run(SAMPLE, "--year", "2023", "--export-input", workbook) == 0
    assert run(SAMPLE, "--year", "2023", "--json") == 0
    from_json = json.loads(capsys.readouterr().out)
    assert run(workbook, "--year", "2023", "--json") == 0
    from_xlsx = json.loads(capsys.readouterr().out)
    assert from_xlsx == from_json
    sheets = load_workbook(workbook).sheetnames
    assert sheets == ["填表说明", "计划", "单位", "县区"]


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def broken_sample(tmp_path: Path, change: object) -> Path:
    data = json.loads(SAMPLE.read_text(encoding="utf-8"))
    change(data)  # type: ignore[operator]
    return write(tmp_path, "input.json", json.dumps(data, ensure_ascii=False))


@pytest.mark.parametrize(
    ("argv_of", "words"),
    [
        (lambda p: [p / "missing.json", "--year", "2023", "--json"], "无法读取输入文件"),
        (lambda p: [write(p, "bad.json", "{not json"), "--year", "2023", "--json"], "不是有效的JSON"),
        (lambda p: [write(p, "bad.xlsx", b"PK\x03\x04 broken"), "--year", "2023", "--json"], "xlsx"),
        (lambda p: [write(p, "input.csv", "a,b"), "--year", "2023", "--json"], "不支持的输入文件类型"),
        (lambda p: [SAMPLE, "--year", "2024", "--json"], "不一致"),
        (lambda p: [SAMPLE, "--json"], "--year"),
        (lambda p: [SAMPLE, "--year", "2023"], "-o"),
        (lambda p: ["--demo", "--year", "2024", "--json"], "仅提供2023年"),
        (lambda p: [SAMPLE, "--demo", "--year", "2023", "--json"], "不能同时"),
        (
            lambda p: [
                broken_sample(p, lambda d: d["units"][1]["figures"]["中职"].update(members=99_999)),
                "--year",
                "2023",
                "--json",
            ],
            "示例乙市团委",
        ),
    ],
)
def test_input_errors_exit_2_with_a_chinese_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv_of: object, words: str
) -> None:
    assert run(*argv_of(tmp_path)) == 2  # type: ignore[operator]
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("输入有误：") and words in captured.err
    assert "Traceback" not in captured.err


def test_unwritable_output_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(SAMPLE, "--year", "2023", "-o", tmp_path / "no" / "such" / "dir.xlsx") == 1
    assert "无法写入" in capsys.readouterr().err


def test_separate_processes_write_byte_identical_tables(tmp_path: Path) -> None:
    digests = set()
    for seed in ("1", "2"):
        output = tmp_path / f"table{seed}.xlsx"
        environment = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": f"{ROOT / 'functions'}{os.pathsep}{ROOT}"}
        result = subprocess.run(
            [sys.executable, "-c", RUN_ALONE, "allocate", "--demo", "--year", "2023", "-o", str(output)],
            capture_output=True,
            text=True,
            env=environment,
            cwd=tmp_path,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        digests.add(hashlib.sha256(output.read_bytes()).hexdigest())
    assert len(digests) == 1


def test_workbook_is_a_valid_zip_of_xml(tmp_path: Path) -> None:
    output = tmp_path / "t.xlsx"
    assert run("--demo", "--year", "2023", "-o", output) == 0
    import zipfile

    with zipfile.ZipFile(io.BytesIO(output.read_bytes())) as archive:
        assert archive.testzip() is None
        assert "xl/worksheets/sheet1.xml" in archive.namelist()
