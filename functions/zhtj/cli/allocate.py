"""``zhtj allocate INPUT --year 2023 -o TABLE.xlsx [--json]``: compute the year's allocation
table (附件1 「发展团员名额及编号号段分配表」) from the units' figures.

The method lives in ``zhtj.domain.allocation`` (its docstring cites the notice); reading and
writing files in ``zhtj.services.allocation_table``. This module only wires the two to the
command line: any error in the input is a Chinese message naming the unit and field, and exit
status 2 — never a stack trace.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zhtj.domain.allocation import FIGURE_FIELDS, FIGURE_LABELS, Severity, applicable_fields
from zhtj.domain.glossary import Domain
from zhtj.services.allocation_table import MAX_INPUT_BYTES, input_instructions

if TYPE_CHECKING:  # pragma: no cover
    from zhtj.domain.allocation import Allocation
    from zhtj.services.allocation_table import AllocationInput

EXIT_OK = 0
EXIT_OUTPUT_FAILED = 1
EXIT_INPUT_ERROR = 2
SAMPLE_PATH = "templates/allocation_input_sample.json"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "allocate",
        help="测算发展团员名额并分配编号号段（附件1分配表）",
        description="按各单位的学生数、团员数、入团积极分子数等测算各领域发展团员名额（最大余数法，"
        "合计严格等于计划数），检查通知§二、§三的各项规则，并按领域、单位代码顺序分配连续的编号号段；"
        "输出格式化的 .xlsx 分配表和/或 JSON。",
        epilog=input_format_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("input", nargs="?", type=Path, metavar="INPUT", help="单位数据文件：.json 或 .xlsx（格式见下）")
    parser.add_argument("--demo", action="store_true", help="使用江苏2023年演示数据（示意，非官方附件1），不读 INPUT")
    parser.add_argument("--year", type=int, metavar="YEAR", help="计划年度（必填；须与输入文件中的年度一致）")
    parser.add_argument("-o", "--output", type=Path, metavar="TABLE.xlsx", help="写出分配表（.xlsx）")
    parser.add_argument(
        "--json", action="store_true", dest="print_json", help="把分配表（含规则检查 findings）以 JSON 打印到标准输出"
    )
    parser.add_argument(
        "--export-input",
        type=Path,
        metavar="PATH",
        help="把读入的单位数据另存为输入格式（按扩展名 .json 或 .xlsx），如由样例 JSON 生成 Excel 填报样例",
    )
    parser.set_defaults(run=run)


def input_format_help() -> str:
    figure_lines = [
        f"      {name:<19} {FIGURE_LABELS[name]}；适用："
        + "、".join(domain.value for domain in Domain if name in applicable_fields(domain))
        for name in FIGURE_FIELDS
    ]
    plan_example = ", ".join(f'"{domain.value}": N' for domain in Domain)
    return "\n".join(
        [
            "输入格式一：JSON（.json，UTF-8；样例 " + SAMPLE_PATH + "）",
            "  {",
            '    "year": 2023,              计划年度（可省略；给出时须与 --year 一致）',
            '    "province_code": "32",     省份代码（GB/T 2260，默认 32）',
            '    "province_name": "江苏省",',
            '    "illustrative": false,     true = 演示数据，分配表加注“本表为演示数据，仅作示意，非官方附件1”',
            '    "plan": {' + plan_example + "},  各领域全省计划数",
            '    "plan_total": N,           可选：计划总数，与各领域之和核对',
            '    "units": [                 每个领受名额的单位一项（设区市团委、省级单位……）',
            '      {"unit_id": "3201", "name": "南京市团委",',
            '       "counties": [{"county_id": "320102", "name": "玄武区"}, ...],  所辖县（市、区），'
            "每个至少1个社会领域名额（通知§二.5）",
            '       "figures": {"初中": {"youth": N, "members": N, "activists": N,',
            '                            "graduating_youth": N, "graduating_members": N}, ...}}',
            "    ]",
            "  }",
            "  figures 中每个领域（"
            + "、".join(domain.value for domain in Domain)
            + "）可用的字段（非负整数，缺省为0）：",
            *figure_lines,
            "",
            "输入格式二：Excel（.xlsx，最大 " + f"{MAX_INPUT_BYTES // (1024 * 1024)}MB）",
            *("  " + line for line in input_instructions(with_field_list=False)[2:] if line),
            "",
            "示例：",
            f"  zhtj allocate {SAMPLE_PATH} --year 2023 -o 分配表.xlsx",
            f"  zhtj allocate {SAMPLE_PATH} --year 2023 --export-input 填报样例.xlsx   由样例生成 Excel 填报样例",
            "  zhtj allocate --demo --year 2023 -o 演示分配表.xlsx --json",
            "",
            "退出码：0 成功（规则检查结果在 findings 中，不影响退出码）；2 输入有误；1 无法写出结果。",
        ]
    )


def run(args: argparse.Namespace) -> int:
    from zhtj.domain.errors import DomainError

    try:
        source = _load(args)
        # --export-input alone converts the input without allocating (a template need not be
        # allocatable yet).
        computes = args.output is not None or args.print_json
        allocation = source.allocate() if computes else None
    except DomainError as error:
        where = f"（字段 {error.field}）" if error.field else ""
        print(f"输入有误：{error.message}{where}", file=sys.stderr)
        return EXIT_INPUT_ERROR
    return _write(args, source, allocation)


def _load(args: argparse.Namespace) -> AllocationInput:
    from zhtj.domain.allocation import InvalidAllocationInput

    if args.year is None:
        raise InvalidAllocationInput("year_missing", "请用 --year 指定计划年度，如 --year 2023", "year")
    if args.output is None and not args.print_json and args.export_input is None:
        raise InvalidAllocationInput(
            "output_missing", "请用 -o 指定分配表 .xlsx，或用 --json 打印结果（或 --export-input 另存输入）", "output"
        )
    if args.demo:
        if args.input is not None:
            raise InvalidAllocationInput("input_and_demo", "--demo 使用演示数据，不能同时指定输入文件", "input")
        from infra.demo.jiangsu_2023 import demo_input

        return demo_input(args.year)
    if args.input is None:
        raise InvalidAllocationInput("input_missing", "请指定输入文件（.json 或 .xlsx），或使用 --demo", "input")
    return _read_input(args.input, args.year)


def _read_input(path: Path, year: int) -> AllocationInput:
    from zhtj.domain.allocation import InvalidAllocationInput
    from zhtj.services.allocation_table import parse_input, read_input_xlsx

    try:
        size = path.stat().st_size
        if size > MAX_INPUT_BYTES:
            raise InvalidAllocationInput(
                "input_too_large", f"输入文件{path}超过{MAX_INPUT_BYTES // (1024 * 1024)}MB", "input"
            )
        content = path.read_bytes()
    except OSError as error:
        raise InvalidAllocationInput(
            "input_unreadable", f"无法读取输入文件{path}：{error.strerror or error}", "input"
        ) from None
    suffix = path.suffix.lower()
    if suffix == ".json":
        try:
            data = json.loads(content.decode("utf-8-sig"))
        except UnicodeDecodeError:
            raise InvalidAllocationInput("input_encoding", f"{path}不是UTF-8编码的JSON文件", "input") from None
        except json.JSONDecodeError as error:
            raise InvalidAllocationInput(
                "input_json",
                f"{path}不是有效的JSON：第{error.lineno}行第{error.colno}列附近有误（{error.msg}）",
                "input",
            ) from None
        return parse_input(data, year=year)
    if suffix == ".xlsx":
        try:
            return read_input_xlsx(content, year=year)
        except InvalidAllocationInput:
            raise
        except Exception as error:  # openpyxl raises many kinds on a damaged file
            raise InvalidAllocationInput(
                "input_xlsx", f"无法读取工作簿{path}（{type(error).__name__}），请用Excel另存为.xlsx后重试", "input"
            ) from None
    raise InvalidAllocationInput("input_type", f"不支持的输入文件类型“{path.suffix}”：请使用 .json 或 .xlsx", "input")


def _write(args: argparse.Namespace, source: AllocationInput, allocation: Allocation | None) -> int:
    from zhtj.services.allocation_table import (
        input_to_dict,
        render_input_xlsx,
        render_xlsx,
        table_json,
        table_title,
    )

    outputs: list[tuple[Path, bytes]] = []
    if allocation is not None and args.output is not None:
        outputs.append((args.output, render_xlsx(allocation)))
    if args.export_input is not None:
        if args.export_input.suffix.lower() == ".xlsx":
            exported = render_input_xlsx(source)
        else:
            exported = (json.dumps(input_to_dict(source), ensure_ascii=False, indent=2) + "\n").encode("utf-8")
        outputs.append((args.export_input, exported))
    for path, content in outputs:
        try:
            path.write_bytes(content)
        except OSError as error:
            print(f"无法写入{path}：{error.strerror or error}", file=sys.stderr)
            return EXIT_OUTPUT_FAILED
    if allocation is None:
        print(f"已另存输入数据：{args.export_input}", file=sys.stderr)
        return EXIT_OK
    if args.print_json:
        sys.stdout.write(table_json(allocation))
    breaches = sum(1 for finding in allocation.findings if finding.severity is Severity.BREACH)
    summary = (
        f"{table_title(allocation)}：{len(allocation.units)}个单位，合计{allocation.total:,}个名额；"
        f"规则检查{len(allocation.findings)}条（未达要求{breaches}条）"
    )
    for path, _ in outputs:
        summary += f"；已写入 {path}"
    # The summary goes to stderr so that --json output on stdout stays pure JSON.
    print(summary, file=sys.stderr)
    return EXIT_OK
