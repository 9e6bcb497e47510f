"""``zhtj template members|branches -o FILE``: write an import template (.xlsx).

The site's build hook calls the same ``zhtj.imports.template_xlsx``; the bytes are
deterministic, so regenerating a template that did not change gives the same file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from zhtj.imports.definitions import TEMPLATES


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "template",
        help="生成批量导入模板（.xlsx）",
        description="由模板定义生成批量导入模板：members = 团员（录入操作步骤 三），"
        "branches = 下级组织/团支部（录入操作步骤 二）。",
    )
    parser.add_argument("kind", choices=sorted(TEMPLATES), help="members（团员）或 branches（下级组织）")
    parser.add_argument(
        "-o", "--output", type=Path, default=None, help="输出文件（默认为当前目录下以模板名称命名的 .xlsx）"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from zhtj.imports.generation import template_xlsx

    definition = TEMPLATES[args.kind]
    output: Path = args.output or Path(definition.file_name)
    try:
        output.write_bytes(template_xlsx(definition))
    except OSError as error:
        print(f"无法写入{output}：{error.strerror or error}", file=sys.stderr)
        return 2
    print(f"已生成“{definition.title}”：{output}")
    return 0
