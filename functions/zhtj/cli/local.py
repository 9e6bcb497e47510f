"""``zhtj local``: the whole system on this machine (what ``make run`` starts)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "local", help="在本机启动整个系统（内嵌 AWS + API + 网站 + 演示数据）",
        description="启动内嵌 AWS（moto server）、按 template.yaml 创建资源、载入演示数据、构建网站，"
        "并在同一端口提供网站、/api/ 与本地发件箱 /outbox/。按 Ctrl-C 停止。",
    )
    parser.add_argument("--host", default="127.0.0.1", help="监听地址（默认只监听本机回环）")
    parser.add_argument("--port", type=int, default=8000, help="网站与 API 的端口（默认 8000）")
    parser.add_argument("--aws-port", type=int, default=0, help="内嵌 AWS 的端口（默认自动选择空闲端口）")
    parser.add_argument("--no-build", action="store_true", help="不重新构建网站（使用已有的 build/site）")
    parser.add_argument("--no-demo", action="store_true", help="不载入演示数据和演示账号")
    parser.add_argument("--site-dir", type=Path, default=None, help="网站构建目录（默认 build/site）")
    parser.add_argument("--no-schedules", action="store_true",
                        help="不运行定时任务（每天的提醒摘要、每10分钟的审批结果补发）；测试用，发件箱只含测试自己触发的邮件")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # The local stack lives outside the Lambda package (infra/); import it only here.
    from infra.local.stack import LocalStack, run_forever

    stack = LocalStack(host=args.host, port=args.port, aws_port=args.aws_port, build=not args.no_build,
                       demo=not args.no_demo, schedules=not args.no_schedules)
    if args.site_dir:
        stack.site_dir = args.site_dir
    return run_forever(stack)
