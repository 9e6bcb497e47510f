"""The ``zhtj`` command. Each subcommand lives in its own module of this package and exposes
``register(subparsers)``; modules are imported when the parser is built, and each one imports
its heavy dependencies (pypdf, openpyxl, boto3) only inside the function that runs it."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from zhtj import __version__

# One entry per subcommand module (zhtj.cli.<name>).
COMMANDS: tuple[str, ...] = (
    "local",
    "template",
    "check_import",
    "check_pdf",
    "allocate",
    "remind",
    "recount",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="zhtj", description="智慧团建 新发展团员调控与电子数据库 — 命令行工具"
    )
    parser.add_argument("--version", action="version", version=f"zhtj {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"zhtj.cli.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    return int(args.run(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
