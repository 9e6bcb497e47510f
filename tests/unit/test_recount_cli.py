"""``zhtj recount``'s report: drift per (organisation, year, domain, figure), exit status."""

from __future__ import annotations

import json

import pytest

from zhtj.cli import build_parser
from zhtj.cli.recount import report
from zhtj.services.figures import Drift


def test_the_command_is_registered() -> None:
    args = build_parser().parse_args(["recount", "--year", "2023", "--repair"])
    assert args.year == 2023 and args.repair and callable(args.run)


def test_report_lists_each_drift_and_fails_until_repaired(capsys: pytest.CaptureFixture[str]) -> None:
    drifts = [Drift((2023, "初中", "sch"), "certified", 0, 1)]
    assert report((drifts, 0), repair=False) == 1
    out = capsys.readouterr().out
    assert "sch  2023  初中  certified: 已存 0，应为 1" in out and "--repair" in out
    assert report((drifts, 1), repair=True) == 0
    assert "已修复 1 个计数器" in capsys.readouterr().out
    assert report(([], 0), repair=False) == 0
    assert "没有偏差" in capsys.readouterr().out
    report((drifts, 0), repair=False, as_json=True)
    assert json.loads(capsys.readouterr().out)["drifts"][0]["drift"] == -1
