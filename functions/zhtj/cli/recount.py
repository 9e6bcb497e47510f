"""``zhtj recount [--year Y] [--repair]``: recompute every progress counter from the member
items and report the drift per (organisation, year, domain, figure); with ``--repair`` write
the recomputed values.

The counters are kept by the stream consumer (zhtj.services.figures); drift should never
happen, but a stream enabled after members existed, a consumer error that ran out of retries
(the FiguresFunction's DLQ) or a hand edit would leave some. This reads every member item (a
paginated Scan — the repair tool's cost, never the dashboard's). Run ``--repair`` when no
writes are in flight, or run it twice: a change applied by the consumer between the scan and
the write would otherwise be overwritten.

Where it runs: like ``zhtj remind`` — with the functions' environment (``ZHTJ_TABLE_NAME`` …)
or against the local stack with ``--aws-endpoint`` (printed by ``zhtj local``).
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "recount", help="由团员数据重新计算进度统计计数器，报告偏差（--repair 修复）",
        description="由团员数据重新计算每个组织、年度、领域的进度统计计数器，与已存计数器比对并报告偏差；"
        "加 --repair 时写入重新计算的值。",
    )
    parser.add_argument("--year", type=int, default=None, help="只核对该入团年度（默认全部）")
    parser.add_argument("--repair", action="store_true", help="写入重新计算的值")
    parser.add_argument("--aws-endpoint", default=None, help="本地环境内嵌 AWS 的地址（zhtj local 启动时打印）")
    parser.add_argument("--stage", default="local", help="部署阶段名（本地环境为 local）")
    parser.add_argument("--json", action="store_true", help="以 JSON 输出偏差")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from zhtj import bootstrap
    from zhtj.adapters.dynamodb_figures import DynamoFigures
    from zhtj.services.figures import recount
    from zhtj.settings import Settings

    endpoint = args.aws_endpoint or os.environ.get("ZHTJ_AWS_ENDPOINT_URL")
    if endpoint:
        from zhtj.cli.remind import _local_environment

        environ = _local_environment(endpoint, args.stage, None)
    elif os.environ.get("ZHTJ_TABLE_NAME"):
        environ = dict(os.environ)
    else:
        print("请用 --aws-endpoint 指定本地环境内嵌 AWS 的地址（zhtj local 启动时打印），"
              "或在已设置 ZHTJ_* 环境变量的环境中运行。")
        return 2
    container = bootstrap.build(Settings.from_environ(environ))
    return report(recount(DynamoFigures(container.clients, container.settings.table_name),
                          year=args.year, repair=args.repair), repair=args.repair, as_json=args.json)


def report(outcome: tuple[list[Any], int], *, repair: bool, as_json: bool = False) -> int:
    drifts, written = outcome
    if as_json:
        print(json.dumps({"drifts": [d.as_dict() for d in drifts], "written": written}, ensure_ascii=False))
    elif not drifts:
        print("计数器与团员数据一致，没有偏差。")
    else:
        print(f"发现 {len(drifts)} 处偏差：")
        for d in drifts:
            year, domain, org_id = d.key
            print(f"  {org_id}  {year}  {domain}  {d.figure}: 已存 {d.stored}，应为 {d.recomputed}")
        print(f"已修复 {written} 个计数器。" if repair else "加 --repair 可写入重新计算的值。")
    return 1 if drifts and not repair else 0
