"""``zhtj check-import FILE [--json]``: validate an import file offline.

Runs exactly the offline half of the import (read as a template, check every row: required
fields, ID number, age, gender, member number, choices, in-file duplicates) without touching
any stored state. Exit status: 0 every row passes, 1 some row fails, 2 the file cannot be
read as a template (the reason, in Chinese, on stderr).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

EXIT_OK = 0
EXIT_ROWS_FAILED = 1
EXIT_NOT_A_TEMPLATE = 2


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "check-import",
        help="离线检查批量导入文件（.xlsx/.xls/.csv）",
        description="按导入模板读取文件并逐行检查（必填项、身份证号码、年龄、性别、发展团员编号、"
        "下拉选项、文件内重复），不连接任何数据。退出码：0 全部通过，1 有行未通过，2 文件无法作为模板读取。",
    )
    parser.add_argument("file", type=Path, metavar="FILE", help="要检查的文件")
    parser.add_argument(
        "--json",
        action="store_true",
        help='输出一个 JSON 对象：{"rows": N, "ok_rows": K, "failed": [{"row": R, "errors": [...]}]}',
    )
    parser.add_argument(
        "--today", type=date.fromisoformat, default=None, help="按哪一天判断年龄与入团年月（YYYY-MM-DD，默认今天）"
    )
    parser.add_argument("--report", type=Path, default=None, help="有失败行时，把带“失败原因”列的表格写到此文件")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from zhtj.imports.check import check_import
    from zhtj.imports.reading import TemplateRefused

    path: Path = args.file
    try:
        data = path.read_bytes()
    except OSError as error:
        print(f"无法读取文件{path}：{error.strerror or error}", file=sys.stderr)
        return EXIT_NOT_A_TEMPLATE
    try:
        checked = check_import(data, path.name, today=args.today or date.today())
    except TemplateRefused as refused:
        print(refused.message, file=sys.stderr)
        return EXIT_NOT_A_TEMPLATE

    if args.json:
        json.dump(checked.to_json_dict(), sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        print(f"{path.name}：按“{checked.definition.title}”读取工作表“{checked.file.sheet_name}”")
        for result in checked.failed:
            for row_error in result.errors:
                print(row_error.message)
        print(checked.summary())
    if checked.failed and args.report is not None:
        from zhtj.imports.report import failure_report_xlsx

        args.report.write_bytes(failure_report_xlsx(checked.definition, checked.results))
        if not args.json:
            print(f"失败原因表格：{args.report}")
    return EXIT_ROWS_FAILED if checked.failed else EXIT_OK
