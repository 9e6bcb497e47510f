"""``zhtj check-pdf FILE [--json] [--number N]`` — the archive PDF check from the command line.

Runs exactly ``zhtj.readers.pdf.check_pdf`` (through ``check_pdf_file``, which reads at most
20 MiB + 1 byte and gives a larger file the same ``too_large`` verdict). Exit status: 0 the
file would be accepted, 1 it would be refused, 2 usage error (no such file, not a regular
file, unreadable, bad option) with a Chinese message on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import stat
import sys
import unicodedata
from typing import Any

EXIT_ACCEPTED = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "check-pdf",
        help="检查《入团志愿书》PDF 是否符合上传要求",
        description=(
            "检查一份《入团志愿书》PDF：大小不超过 20M、确为 PDF、未加密、未损坏、页面完整；"
            "给出 --number 时核对首页的发展团员编号（操作指引 4.1、5.7）。"
            "退出码：0 可以上传，1 不符合要求，2 用法错误。"
        ),
    )
    parser.add_argument("file", metavar="FILE", help="要检查的 PDF 文件")
    parser.add_argument("--json", action="store_true", help="以一个 JSON 对象输出结果")
    parser.add_argument(
        "--number",
        metavar="N",
        type=member_number,
        help="系统内该团员的发展团员编号（12 位数字），用于核对《入团志愿书》首页的编号",
    )
    parser.set_defaults(run=run)


def member_number(text: str) -> str:
    """argparse type: a 12-digit development number (full-width digits accepted)."""
    value = unicodedata.normalize("NFKC", text).strip()
    if len(value) != 12 or not value.isascii() or not value.isdigit():
        raise argparse.ArgumentTypeError(f"发展团员编号必须是 12 位数字，收到的是“{text}”")
    return value


def run(args: argparse.Namespace) -> int:
    from zhtj.readers.pdf import check_pdf_file

    path: str = args.file
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return _usage(f"找不到文件：{path}")
    except OSError as exc:
        return _usage(f"无法访问文件 {path}：{exc.strerror or exc}")
    if stat.S_ISDIR(info.st_mode):
        return _usage(f"{path} 是一个文件夹，请指定一个 PDF 文件")
    if not stat.S_ISREG(info.st_mode):
        # A FIFO or device could block or never end; uploads are always regular files.
        return _usage(f"{path} 不是普通文件，请指定一个 PDF 文件")
    try:
        verdict = check_pdf_file(path, expected_number=args.number)
    except OSError as exc:
        return _usage(f"无法读取文件 {path}：{exc.strerror or exc}")

    if args.json:
        _write(json.dumps(verdict.to_json_dict(), ensure_ascii=False) + "\n")
    else:
        lines = [f"文件：{path}"]
        pages = f"，共 {verdict.pages} 页" if verdict.pages is not None else ""
        lines.append(("结果：通过，可以上传" if verdict.ok else "结果：不通过，不能上传") + pages)
        for title, findings in (("错误", verdict.errors), ("提醒", verdict.warnings)):
            if findings:
                lines.append(f"{title}：")
                lines += [f"  - {finding.message}（{finding.code}）" for finding in findings]
        lines.append(f"SHA-256：{verdict.sha256}")
        _write("\n".join(lines) + "\n")
    return EXIT_ACCEPTED if verdict.ok else EXIT_REFUSED


def _usage(message: str) -> int:
    print(f"zhtj check-pdf：错误：{message}", file=sys.stderr)
    return EXIT_USAGE


def _write(text: str) -> None:
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:  # `zhtj check-pdf … | head` closed the pipe: not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
