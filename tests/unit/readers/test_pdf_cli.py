"""`zhtj check-pdf` run as a real process: exit codes, JSON shape, Chinese usage errors; and
the cold-start rule (importing the reader or the CLI module does not import pypdf)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.unit.readers import pdf_corpus as corpus

pytestmark = pytest.mark.timeout(120)

ENV = {
    "PYTHONPATH": f"{ROOT / 'functions'}:{ROOT}",
    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    "LANG": "C.UTF-8",
    "PYTHONIOENCODING": "utf-8",
}


def zhtj(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "zhtj.cli", "check-pdf", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
        env=ENV,
        timeout=100,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    made = {
        "ok": corpus.text_pdf(),
        "scan": corpus.scanner_pdf(pages=2),
        "xlsx": corpus.xlsx_bytes(),
        "broken": corpus.truncate(corpus.text_pdf(), 0.5),
        "big": corpus.pdf_of_size(25 * corpus.MiB),
    }
    paths = {}
    for name, data in made.items():
        paths[name] = tmp_path / f"{name}.pdf"
        paths[name].write_bytes(data)
    return paths


def check_shape(document: dict[str, object]) -> None:
    assert set(document) == {"ok", "pages", "errors", "warnings"}
    assert isinstance(document["ok"], bool)
    assert document["pages"] is None or isinstance(document["pages"], int)
    for key in ("errors", "warnings"):
        items = document[key]
        assert isinstance(items, list)
        for item in items:
            assert set(item) == {"code", "message"}
            assert isinstance(item["code"], str) and isinstance(item["message"], str)


def test_accepted_file_exits_0_with_one_json_object(files: dict[str, Path]) -> None:
    result = zhtj(str(files["ok"]), "--json", "--number", corpus.NUMBER)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    check_shape(document)
    assert document == {"ok": True, "pages": 6, "errors": [], "warnings": []}
    assert result.stdout.count("\n") == 1
    assert result.stderr == ""


def test_wrong_number_exits_1(files: dict[str, Path]) -> None:
    result = zhtj(str(files["ok"]), "--json", "--number", corpus.OTHER_NUMBER)
    assert result.returncode == 1
    document = json.loads(result.stdout)
    check_shape(document)
    assert [e["code"] for e in document["errors"]] == ["number_mismatch"]


def test_scan_with_number_exits_0_with_a_warning(files: dict[str, Path]) -> None:
    result = zhtj(str(files["scan"]), "--json", "--number", corpus.NUMBER)
    assert result.returncode == 0
    document = json.loads(result.stdout)
    assert [w["code"] for w in document["warnings"]] == ["number_unchecked"]


@pytest.mark.parametrize(("name", "code"), [("xlsx", "not_pdf"), ("broken", "corrupt"), ("big", "too_large")])
def test_refused_file_exits_1(files: dict[str, Path], name: str, code: str) -> None:
    result = zhtj(str(files[name]), "--json")
    assert result.returncode == 1
    document = json.loads(result.stdout)
    check_shape(document)
    assert document["ok"] is False
    assert [e["code"] for e in document["errors"]] == [code]


def test_human_output_is_chinese(files: dict[str, Path]) -> None:
    accepted = zhtj(str(files["ok"]))
    assert accepted.returncode == 0
    assert "结果：通过" in accepted.stdout and "共 6 页" in accepted.stdout
    refused = zhtj(str(files["xlsx"]))
    assert refused.returncode == 1
    assert "结果：不通过" in refused.stdout and "Excel 文件" in refused.stdout


def test_full_width_number_is_accepted(files: dict[str, Path]) -> None:
    full_width = "".join(chr(ord(ch) + 0xFEE0) for ch in corpus.NUMBER)
    assert zhtj(str(files["ok"]), "--number", full_width).returncode == 0


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["/no/such/file.pdf"], "找不到文件"),
        (["{tmp}"], "文件夹"),
        (["/dev/null"], "不是普通文件"),
        (["{ok}", "--number", "12345"], "12 位数字"),
        ([], "FILE"),
    ],
    ids=["missing", "directory", "device", "bad-number", "no-file"],
)
def test_usage_errors_exit_2(files: dict[str, Path], tmp_path: Path, args: list[str], says: str) -> None:
    args = [a.format(tmp=tmp_path, ok=files["ok"]) for a in args]
    result = zhtj(*args, "--json")
    assert result.returncode == 2
    assert says in result.stderr
    assert result.stdout == ""


def test_unreadable_file_exits_2(
    files: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # In-process: as root (here and in CI) no file mode makes a file unreadable.
    import argparse

    from zhtj.cli import check_pdf as command
    from zhtj.readers import pdf

    def refuse(path: str, **_: object) -> None:
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(pdf, "check_pdf_file", refuse)
    code = command.run(argparse.Namespace(file=str(files["ok"]), json=True, number=None))
    assert code == 2
    assert "无法读取文件" in capsys.readouterr().err


def test_command_is_registered() -> None:
    from zhtj import cli

    assert "check_pdf" in cli.COMMANDS


@pytest.mark.parametrize("module", ["zhtj.readers.pdf", "zhtj.readers.bounded", "zhtj.cli.check_pdf"])
def test_import_does_not_load_pypdf(module: str) -> None:
    """DESIGN "Cold start": pypdf is imported only by the code path that parses a PDF."""
    probe = (
        f"import sys, argparse, {module}\n"
        "if hasattr(sys.modules[{module!r}], 'register'):\n"
        "    sys.modules[{module!r}].register(argparse.ArgumentParser().add_subparsers())\n"
        "print('pypdf' in sys.modules)"
    ).replace("{module!r}", repr(module))
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, env=ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
